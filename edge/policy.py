"""The escalation policy: from the local attempt's confidence, the privacy findings and the caller's
preference, decide whether to answer locally, escalate, or refuse to escalate. Every decision has a reason.

Two policies share one set of rules (privacy blocks and high sensitivity never escalate, a spent cloud
budget stays local, the caller's `prefer` is honoured) and differ in how they score confidence:
`ThresholdPolicy` uses the geometric-mean token probability; `LogisticPolicy`, the default, a calibrated
logistic regression over device-only features (edge/features.py), stored as plain numbers in YAML.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Protocol

from edge.calibration import PolicyParams, load_params, params_from_yaml
from edge.features import CHECK_FEATURE, OPTIONAL_FEATURES, SC_FEATURE, RequestShape, extract_features
from shared.config import PolicySettings
from shared.errors import ConfigError

DEFAULT_POLICY_RESOURCE = "default_policy.yaml"


class Prefer(str, Enum):  # noqa: UP042 - str() behaviour is relied on elsewhere
    """The caller's preference."""

    AUTO = "auto"
    LOCAL = "local"
    CLOUD = "cloud"


class Route(str, Enum):  # noqa: UP042 - str() behaviour is relied on elsewhere
    """Where the answer comes from."""

    LOCAL = "local"
    CLOUD = "cloud"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class LocalAttempt:
    """What the local model produced, with what confidence features need (all of it stays on the device)."""

    text: str
    logprobs: tuple[float, ...]
    prompt_tokens: int
    truncated_prompt: bool = False
    question: str = ""
    context: str = ""
    entity_count: int = 0
    entropies: tuple[float, ...] = ()  # per-token top-k entropies, beside `logprobs`
    extra: tuple[tuple[str, float], ...] = ()  # optional features (self-consistency, self-check) when they are on


@dataclass(frozen=True, slots=True)
class Decision:
    """A routing decision and why."""

    route: Route
    reason: str
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the policy knows about a request before and after the local attempt."""

    prefer: Prefer
    cloud_available: bool
    blocked_types: frozenset[str]
    entity_count: int = 0
    # Hook for the daily cloud token budget (issue 5): once it is spent, answers stay local.
    budget_exhausted: bool = False


class EscalationPolicy(Protocol):
    """Decides routes; an implementation must not touch the network."""

    def before_local(self, facts: RequestFacts) -> Decision | None:
        """A decision that needs no local attempt, or None to try locally first."""
        ...

    def confidence(self, attempt: LocalAttempt) -> float:
        """The local answer's confidence in [0, 1]."""
        ...

    def after_local(self, facts: RequestFacts, attempt: LocalAttempt) -> Decision:
        """The decision once the local answer is known."""
        ...


def mean_logprob_confidence(logprobs: Sequence[float]) -> float:
    """exp(mean token logprob): the geometric-mean token probability, 0 for an empty answer."""
    if not logprobs:
        return 0.0
    return math.exp(sum(logprobs) / len(logprobs))


class _RuledPolicy:
    """The rules every policy applies around its confidence score; subclasses supply `confidence`."""

    threshold: float
    score_name = "confidence"
    max_entities: int | None = None

    def confidence(self, attempt: LocalAttempt) -> float:  # pragma: no cover - abstract
        """The local answer's confidence in [0, 1]."""
        raise NotImplementedError

    def _too_sensitive(self, facts: RequestFacts) -> bool:
        return self.max_entities is not None and facts.entity_count > self.max_entities

    def before_local(self, facts: RequestFacts) -> Decision | None:
        """Settle `prefer=local` and `prefer=cloud` up front."""
        if facts.prefer is Prefer.LOCAL:
            return Decision(Route.LOCAL, "the caller asked for a local answer")
        if facts.prefer is Prefer.CLOUD:
            if facts.blocked_types:
                return Decision(
                    Route.REFUSED,
                    f"the caller asked for the cloud, but the privacy policy blocks {_names(facts.blocked_types)}",
                )
            if self._too_sensitive(facts):
                return Decision(
                    Route.REFUSED,
                    f"the caller asked for the cloud, but the request holds {facts.entity_count} sensitive spans "
                    f"(more than {self.max_entities})",
                )
            if facts.budget_exhausted:
                return Decision(Route.LOCAL, "the caller asked for the cloud, but today's cloud budget is spent")
            if facts.cloud_available:
                return Decision(Route.CLOUD, "the caller asked for the cloud")
            # No cloud configured: answer locally, and say why.
            return None
        return None

    def after_local(self, facts: RequestFacts, attempt: LocalAttempt) -> Decision:
        """Keep confident answers; escalate the rest when allowed."""
        confidence = self.confidence(attempt)
        name, limit = self.score_name, f"threshold {self.threshold:.2f}"
        if facts.prefer is Prefer.CLOUD and not facts.cloud_available:
            return Decision(Route.LOCAL, "the caller asked for the cloud, but no cloud is configured", confidence)
        if confidence >= self.threshold:
            return Decision(Route.LOCAL, f"{name} {confidence:.2f} ≥ {limit}", confidence)
        low = f"{name} {confidence:.2f} < {limit}"
        if facts.blocked_types:
            return Decision(
                Route.LOCAL,
                f"{low}, but the privacy policy blocks {_names(facts.blocked_types)}, so the answer stays local",
                confidence,
            )
        if self._too_sensitive(facts):
            return Decision(
                Route.LOCAL,
                f"{low}, but the request holds {facts.entity_count} sensitive spans (more than "
                f"{self.max_entities}), so the answer stays local",
                confidence,
            )
        if facts.budget_exhausted:
            return Decision(Route.LOCAL, f"{low}, but today's cloud budget is spent", confidence)
        if not facts.cloud_available:
            return Decision(Route.LOCAL, f"{low}, but no cloud is configured", confidence)
        return Decision(Route.CLOUD, low, confidence)


class ThresholdPolicy(_RuledPolicy):
    """Escalate when the geometric-mean token probability is below a threshold; privacy blocks always win."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def confidence(self, attempt: LocalAttempt) -> float:
        """Geometric-mean token probability of the local answer."""
        return mean_logprob_confidence(attempt.logprobs)


class LogisticPolicy(_RuledPolicy):
    """Escalate when a calibrated logistic regression over device-only features says the local answer is likely wrong."""

    score_name = "P(local right)"

    def __init__(self, params: PolicyParams) -> None:
        self.params = params
        self.threshold = params.threshold
        self.max_entities = params.max_entities

    @classmethod
    def from_file(cls, path: Path | None = None) -> LogisticPolicy:
        """Load a policy YAML; None means the default shipped in the package, calibrated for the bundled model."""
        if path is not None:
            return cls(load_params(path))
        text = resources.files("edge").joinpath(DEFAULT_POLICY_RESOURCE).read_text(encoding="utf-8")
        return cls(params_from_yaml(text, f"edge/{DEFAULT_POLICY_RESOURCE}"))

    def confidence(self, attempt: LocalAttempt) -> float:
        """The modelled probability that the local answer is right."""
        shape = RequestShape(attempt.question, attempt.context, attempt.entity_count)
        features = extract_features(shape, attempt.text, attempt.logprobs, attempt.entropies)
        return self.params.model.score({**features, **dict(attempt.extra)})

    @property
    def optional_features(self) -> frozenset[str]:
        """The optional features (edge/self_check.py) this policy weighs, which the daemon must then compute."""
        return frozenset(name for name, weight in self.params.model.weights.items()
                         if name in OPTIONAL_FEATURES and weight != 0.0)


def _names(types: frozenset[str]) -> str:
    return ", ".join(sorted(types))


def build_policy(settings: PolicySettings) -> EscalationPolicy:
    """The policy the config names: the calibrated logistic one by default, or the plain threshold."""
    if settings.kind == "threshold":
        return ThresholdPolicy(settings.confidence_threshold)
    policy = LogisticPolicy.from_file(settings.file)
    # A policy that weighs an optional feature it is never given would score every answer wrongly.
    turned_on = {SC_FEATURE: settings.self_consistency_samples > 0, CHECK_FEATURE: settings.self_check}
    missing = sorted(name for name in policy.optional_features if not turned_on[name])
    if missing:
        flags = {SC_FEATURE: "policy.self_consistency_samples > 0", CHECK_FEATURE: "policy.self_check: true"}
        raise ConfigError(f"policy.file: {settings.file} weighs {', '.join(missing)}; turn on "
                          f"{' and '.join(flags[m] for m in missing)}, or use a policy fitted without them")
    return policy
