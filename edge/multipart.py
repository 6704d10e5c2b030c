"""Per-part routing of multi-part requests: each part of a prompt such as "What is X? And what is Y?" gets its
own local attempt and its own policy decision; only the parts the policy sends to the cloud are escalated, and the
final answer is composed on the device, in part order. The pipeline runs the models; this module holds the logic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edge.policy import Decision, EscalationPolicy, LocalAttempt, RequestFacts, Route


@dataclass
class PartOutcome:
    """One part of a multi-part request: its local attempt, the policy's decision, and the answer it ended with."""

    question: str
    attempt: LocalAttempt
    decision: Decision
    answer: str = ""
    route: Route = Route.LOCAL
    reason: str = ""


def decide_parts(
    policy: EscalationPolicy, facts: RequestFacts, questions: Sequence[str], attempts: Sequence[LocalAttempt]
) -> list[PartOutcome]:
    """One policy decision per part, from that part's own local attempt; answers start as the local ones."""
    outcomes = []
    for question, attempt in zip(questions, attempts, strict=True):
        decision = policy.after_local(facts, attempt)
        outcomes.append(PartOutcome(question, attempt, decision, attempt.text, Route.LOCAL, decision.reason))
    return outcomes


def compose_answer(outcomes: Sequence[PartOutcome]) -> str:
    """The final answer: each part's answer, numbered, in part order."""
    return "\n".join(f"{i}. {outcome.answer.strip()}" for i, outcome in enumerate(outcomes, 1))


def overall_route(outcomes: Sequence[PartOutcome]) -> Route:
    """"cloud" when any part was answered by the cloud, else "local"."""
    return Route.CLOUD if any(o.route is Route.CLOUD for o in outcomes) else Route.LOCAL


def describe_routes(outcomes: Sequence[PartOutcome]) -> str:
    """Each part's route and why, e.g. "part 1: local (…); part 2: cloud (…)"."""
    return "; ".join(f"part {i}: {o.route.value} ({o.reason})" for i, o in enumerate(outcomes, 1))
