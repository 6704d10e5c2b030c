"""Confidence features for the escalation policy, computed on the device only.

Three groups: token log-probability statistics of the local answer (length-aware), the answer's form
(empty, refusal, repetition, wrong type for the question, grounding in the given context), and
pre-generation features of the request (task kind by cheap rules, prompt and context length, how much
sensitive data it holds). Every feature is a named float, so a policy stored as plain numbers can
name the weight it gives each one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

TASK_KINDS: tuple[str, ...] = ("arithmetic", "reasoning", "extraction", "lookup", "open")
LOW_PROB = math.log(0.3)  # a token the model gave less than 30% is a "hesitant" token
EMPTY_LOGPROB = -10.0  # the statistics of an empty answer: as unsure as it gets
HIGH_ENTROPY = 1.0  # nats: a token drawn from a head flatter than ~3 equally likely candidates
EMPTY_ENTROPY = math.log(10)  # an empty answer reads as the flattest top-10 head
HEAD_TOKENS = 4  # the first tokens carry the answer itself; later ones are often fluent filler

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_OPERATION = re.compile(r"\d\s*[-+*/×x÷]\s*\d")
_ARITH_WORDS = re.compile(r"\b(multiply|multiplied|times|add|plus|subtract|minus|divide|divided|sum of|product of|compute|calculate)\b", re.I)
_QUANTITY_QUESTION = re.compile(r"\b(how many|how much|in what year|what year|which year|atomic number|what number|how old|how far|how long)\b", re.I)
_OPEN_WORDS = re.compile(r"^\s*(write|compose|draft|describe|explain|summari[sz]e|tell me about|discuss|generate|create|imagine)\b", re.I)
_REFUSAL = re.compile(
    r"\b(i (?:do not|don't|cannot|can't|am not able to|am unable to) (?:know|answer|help|provide|determine|find)"
    r"|i'm (?:not sure|sorry|unable)|as an ai|not (?:provided|mentioned|specified|given) in the|no information|"
    r"i don't have)\b",
    re.I,
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class RequestShape:
    """What the policy may know about a request before generating: all of it stays on the device."""

    question: str
    context: str = ""
    entity_count: int = 0


def task_kind(question: str, has_context: bool) -> str:
    """arithmetic, reasoning (a multi-number word problem), extraction (over given context), lookup, or open writing."""
    numbers = _NUMBER.findall(question)
    # A bare operation ("Multiply 15 by 17."), not a word problem that happens to say "times".
    if _OPERATION.search(question) or (len(numbers) == 2 and _ARITH_WORDS.search(question) and len(question) < 60):
        return "arithmetic"
    if len(numbers) >= 2:
        return "reasoning"
    if has_context:
        return "extraction"
    if _OPEN_WORDS.search(question):
        return "open"
    return "lookup"


def expects_number(question: str) -> bool:
    """Whether the question asks for a quantity, so an answer without a digit is the wrong type."""
    return bool(_QUANTITY_QUESTION.search(question)) or task_kind(question, False) in ("arithmetic", "reasoning")


def _operand_digits(question: str) -> int:
    return sum(len(n.replace(",", "").split(".")[0]) for n in _NUMBER.findall(question))


def logprob_features(logprobs: Sequence[float]) -> dict[str, float]:
    """Mean, minimum, low quantiles, first-token and hesitant-token share of the answer's token logprobs."""
    if not logprobs:
        return {
            "lp_mean": EMPTY_LOGPROB, "lp_min": EMPTY_LOGPROB, "lp_q10": EMPTY_LOGPROB, "lp_q25": EMPTY_LOGPROB,
            "lp_first": EMPTY_LOGPROB, "lp_head_mean": EMPTY_LOGPROB, "low_share": 1.0, "log_tokens": 0.0,
        }
    ordered = sorted(logprobs)
    n = len(ordered)
    head = logprobs[: min(n, HEAD_TOKENS)]
    return {
        "lp_mean": sum(ordered) / n,
        "lp_min": max(ordered[0], EMPTY_LOGPROB * 2),  # one pathological token must not dominate the sum
        "lp_q10": ordered[int(0.10 * (n - 1))],
        "lp_q25": ordered[int(0.25 * (n - 1))],
        "lp_first": logprobs[0],
        # The first tokens carry the answer itself; later ones are often fluent filler.
        "lp_head_mean": sum(head) / len(head),
        "low_share": sum(1 for v in logprobs if v < LOW_PROB) / n,
        "log_tokens": math.log1p(n),
    }


def entropy_features(entropies: Sequence[float]) -> dict[str, float]:
    """Mean, maximum, head mean and high-entropy share of the per-token top-k entropies (nats).

    A token can be the likeliest and still come from a flat head; entropy sees that hesitation where the
    chosen token's logprob does not. Means and shares keep the features comparable across answer lengths.
    """
    if not entropies:
        return {"ent_mean": EMPTY_ENTROPY, "ent_max": EMPTY_ENTROPY, "ent_head_mean": EMPTY_ENTROPY,
                "ent_high_share": 1.0}
    n = len(entropies)
    head = entropies[: min(n, HEAD_TOKENS)]
    return {
        "ent_mean": sum(entropies) / n,
        "ent_max": max(entropies),
        "ent_head_mean": sum(head) / len(head),
        "ent_high_share": sum(1 for v in entropies if v > HIGH_ENTROPY) / n,
    }


def repetition(text: str) -> float:
    """Share of word trigrams that repeat an earlier one: loops are a sign of a lost small model."""
    words = _WORD.findall(text.lower())
    grams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def grounding(text: str, context: str) -> float:
    """Share of the answer's words found in the context (0 without context): copying from it is a good sign."""
    if not context:
        return 0.0
    words = _WORD.findall(text.lower())
    if not words:
        return 0.0
    vocabulary = set(_WORD.findall(context.lower()))
    return sum(1 for w in words if w in vocabulary) / len(words)


def context_novelty(question: str, text: str, context: str) -> float:
    """log(1 + answer words taken from the context that the question did not already hold): an answer that
    only echoes the question has found nothing, one that brings a value from the context has."""
    if not context:
        return 0.0
    asked = set(_WORD.findall(question.lower()))
    vocabulary = set(_WORD.findall(context.lower()))
    found = {w for w in _WORD.findall(text.lower()) if w in vocabulary and w not in asked and len(w) > 2}
    return math.log1p(len(found))


def form_features(question: str, text: str, context: str) -> dict[str, float]:
    """The answer's form: empty, refusal, repetition, wrong type, grounding in the context."""
    stripped = text.strip()
    wants_number = expects_number(question)
    return {
        "empty": float(not stripped),
        "refusal": float(bool(_REFUSAL.search(stripped))),
        "repetition": repetition(stripped),
        "wrong_type": float(wants_number and not _NUMBER.search(stripped)),
        "grounding": grounding(stripped, context),
        "context_novelty": context_novelty(question, stripped, context),
    }


def request_features(shape: RequestShape) -> dict[str, float]:
    """Pre-generation features: task kind (one-hot), sizes, operand digits and sensitive-entity count."""
    kind = task_kind(shape.question, bool(shape.context))
    features = {f"kind_{name}": float(kind == name) for name in TASK_KINDS}
    features["log_prompt_chars"] = math.log1p(len(shape.question))
    features["log_context_chars"] = math.log1p(len(shape.context))
    features["operand_digits"] = float(_operand_digits(shape.question))
    features["log_entities"] = math.log1p(shape.entity_count)
    return features


def extract_features(shape: RequestShape, text: str, logprobs: Sequence[float],
                     entropies: Sequence[float] = ()) -> dict[str, float]:
    """Every feature of one local attempt, by name.

    `entropies` are the per-token top-k entropies; an attempt recorded without them (empty) gets the empty-answer
    values, so a policy that weighs them must be fed them.
    """
    return {
        **request_features(shape),
        **logprob_features(logprobs),
        **entropy_features(entropies),
        **form_features(shape.question, text, shape.context),
    }


FEATURE_NAMES: tuple[str, ...] = tuple(extract_features(RequestShape("q"), "a", [0.0], [0.0]))

# Features that cost extra local model time (edge/self_check.py); only present when their option is on.
SC_FEATURE = "sc_agreement"
CHECK_FEATURE = "self_check_yes"
OPTIONAL_FEATURES: tuple[str, ...] = (SC_FEATURE, CHECK_FEATURE)
