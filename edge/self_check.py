"""Optional confidence features that cost extra local model time: k-sample self-consistency and a self-check prompt.

Both are off by default (config `policy.self_consistency_samples`, `policy.self_check`). Self-consistency samples
k short answers at a temperature above zero and measures how often they agree with the greedy answer; a model
that knows the answer says it again. The self-check asks the local model "Is this answer correct?" and reads
P(yes) from the next-token logprobs. Both run on the device and add named features (`sc_agreement`,
`self_check_yes`) that a policy fitted with them can weigh.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from edge.features import CHECK_FEATURE, SC_FEATURE
from edge.model import TokenEvent
from shared.config import PolicySettings

DEFAULT_SC_SAMPLES = 3
DEFAULT_SC_TEMPERATURE = 0.7
DEFAULT_SC_MAX_TOKENS = 16  # the answer's key comes first; the rest would only cost time
KEY_WORDS = 10  # words of an answer compared; later words are mostly phrasing
YES_TOKENS: tuple[str, ...] = ("Yes", "yes", " Yes", " yes")
NO_TOKENS: tuple[str, ...] = ("No", "no", " No", " no")
CHECK_PROMPT = "{context}Question: {question}\nProposed answer: {answer}\n\nIs the proposed answer correct? Reply Yes or No."
CHECK_CONTEXT_CHARS = 600  # the check sees at most this much context: a long one would cost a second full prompt

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on", "or", "that", "the", "this", "to", "was", "were"])


class OptionModel(Protocol):
    """What the options need of the local model (edge.model.LocalModel has it)."""

    def generate(self, prompt: Sequence[int], max_tokens: int, temperature: float) -> Iterable[TokenEvent]:
        """Yield the generated tokens."""
        ...

    def prompt_tokens(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """The chat-formatted prompt as tokens."""
        ...

    def next_token_logprobs(self, prompt: Sequence[int], candidates: Sequence[str]) -> list[tuple[int, float]]:
        """(token id, log P) of each candidate's first token as the next token."""
        ...


@dataclass(frozen=True, slots=True)
class OptionSettings:
    """Which optional features to compute, and how."""

    samples: int = 0
    temperature: float = DEFAULT_SC_TEMPERATURE
    max_tokens: int = DEFAULT_SC_MAX_TOKENS
    self_check: bool = False

    @property
    def enabled(self) -> tuple[str, ...]:
        """The optional feature names these settings produce."""
        return ((SC_FEATURE,) if self.samples > 0 else ()) + ((CHECK_FEATURE,) if self.self_check else ())


def answer_key(text: str) -> frozenset[str]:
    """What two answers must share to agree: their numbers if the answer has any, else its first content words."""
    numbers = [n.replace(",", "") for n in _NUMBER.findall(text)]
    if numbers:
        return frozenset(numbers)
    words = _WORD.findall(text.lower())[:KEY_WORDS]
    return frozenset(w for w in words if w not in _STOPWORDS)


def agreement(answer: str, samples: Sequence[str]) -> float:
    """Mean Jaccard overlap of each sample's key with the answer's key (an empty pair agrees; 0 without samples)."""
    if not samples:
        return 0.0
    target = answer_key(answer)
    total = 0.0
    for sample in samples:
        key = answer_key(sample)
        union = target | key
        total += 1.0 if not union else len(target & key) / len(union)
    return total / len(samples)


def self_consistency(model: OptionModel, prompt: Sequence[int], answer: str, settings: OptionSettings) -> float:
    """Agreement of `settings.samples` sampled answers with the greedy `answer`."""
    samples = []
    for _ in range(settings.samples):
        events = model.generate(prompt, settings.max_tokens, settings.temperature)
        samples.append("".join(event.text for event in events).strip())
    # Compare like with like: the greedy answer cut to about the samples' length in words.
    cut = " ".join(answer.split()[: max(len(s.split()) for s in samples)]) if any(samples) else answer
    return agreement(cut, samples)


def self_check(model: OptionModel, question: str, answer: str, context: str = "") -> float:
    """P(yes) the local model gives to "Is the proposed answer correct?", normalized over yes and no."""
    shown = f"Context:\n{context[:CHECK_CONTEXT_CHARS].strip()}\n\n" if context.strip() else ""
    content = CHECK_PROMPT.format(context=shown, question=question.strip(), answer=answer.strip() or "(none)")
    messages = [{"role": "user", "content": content}]
    scored = model.next_token_logprobs(model.prompt_tokens(messages), YES_TOKENS + NO_TOKENS)
    # Variants can share a first token; count each token once.
    yes = _logsumexp(list(dict(scored[: len(YES_TOKENS)]).values()))
    no = _logsumexp(list(dict(scored[len(YES_TOKENS):]).values()))
    return 1.0 / (1.0 + math.exp(max(min(no - yes, 50.0), -50.0)))


def _logsumexp(values: Sequence[float]) -> float:
    peak = max(values)
    return peak + math.log(sum(math.exp(v - peak) for v in values))


def option_features(model: OptionModel, settings: OptionSettings, prompt: Sequence[int], question: str,
                    answer: str, context: str = "") -> Mapping[str, float]:
    """The optional features `settings` turn on, for one local answer (empty when both are off)."""
    features: dict[str, float] = {}
    if settings.samples > 0:
        features[SC_FEATURE] = self_consistency(model, prompt, answer, settings)
    if settings.self_check:
        features[CHECK_FEATURE] = self_check(model, question, answer, context)
    return features


def option_settings(policy: PolicySettings) -> OptionSettings:
    """The options the config's policy section turns on."""
    return OptionSettings(policy.self_consistency_samples, policy.self_consistency_temperature,
                          policy.self_consistency_max_tokens, policy.self_check)
