"""The escalation policy: from the local attempt's confidence, the privacy findings and the caller's
preference, decide whether to answer locally, escalate, or refuse to escalate. Every decision has a reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class Prefer(str, Enum):
    """The caller's preference."""

    AUTO = "auto"
    LOCAL = "local"
    CLOUD = "cloud"


class Route(str, Enum):
    """Where the answer comes from."""

    LOCAL = "local"
    CLOUD = "cloud"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class LocalAttempt:
    """What the local model produced, with what confidence features need."""

    text: str
    logprobs: tuple[float, ...]
    prompt_tokens: int
    truncated_prompt: bool = False


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


class ThresholdPolicy:
    """Escalate when the geometric-mean token probability is below a threshold; privacy blocks always win."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

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
            if facts.cloud_available:
                return Decision(Route.CLOUD, "the caller asked for the cloud")
            # No cloud configured: answer locally, and say why.
            return None
        return None

    def confidence(self, attempt: LocalAttempt) -> float:
        """Geometric-mean token probability of the local answer."""
        return mean_logprob_confidence(attempt.logprobs)

    def after_local(self, facts: RequestFacts, attempt: LocalAttempt) -> Decision:
        """Keep confident answers; escalate the rest when allowed."""
        confidence = self.confidence(attempt)
        if facts.prefer is Prefer.CLOUD and not facts.cloud_available:
            return Decision(Route.LOCAL, "the caller asked for the cloud, but no cloud is configured", confidence)
        if confidence >= self.threshold:
            return Decision(Route.LOCAL, f"confidence {confidence:.2f} ≥ threshold {self.threshold:.2f}", confidence)
        if facts.blocked_types:
            return Decision(
                Route.LOCAL,
                f"confidence {confidence:.2f} < threshold {self.threshold:.2f}, but the privacy policy blocks "
                f"{_names(facts.blocked_types)}, so the answer stays local",
                confidence,
            )
        if not facts.cloud_available:
            return Decision(
                Route.LOCAL, f"confidence {confidence:.2f} < threshold {self.threshold:.2f}, but no cloud is configured", confidence
            )
        return Decision(Route.CLOUD, f"confidence {confidence:.2f} < threshold {self.threshold:.2f}", confidence)


def _names(types: frozenset[str]) -> str:
    return ", ".join(sorted(types))
