"""Per-part routing of multi-part prompts: the decision/composition logic with a fake policy, and one real daemon
escalating only the part the policy sends to the real cloud."""

from __future__ import annotations

import pytest

from edge.daemon import EdgeDaemon
from edge.multipart import compose_answer, decide_parts, describe_routes, overall_route
from edge.planner import split_questions
from edge.policy import Decision, LocalAttempt, Prefer, RequestFacts, Route
from edge.sdk import EdgeClient
from tests.conftest import DaemonFactory

PROMPT = "What is the capital of France? And what is 3817 * 5923?"


class SplitPolicy:
    """Deterministic: keeps the part about capitals local, sends every other part to the cloud."""

    def before_local(self, facts: RequestFacts) -> Decision | None:
        return None

    def confidence(self, attempt: LocalAttempt) -> float:
        return 0.9 if "capital" in attempt.question else 0.1

    def after_local(self, facts: RequestFacts, attempt: LocalAttempt) -> Decision:
        score = self.confidence(attempt)
        if score >= 0.5:
            return Decision(Route.LOCAL, "forced local", score)
        return Decision(Route.CLOUD, "forced cloud", score)


def _attempt(question: str, text: str) -> LocalAttempt:
    return LocalAttempt(text, (-0.1,), 10, question=question)


def test_each_part_is_decided_on_its_own_and_composed_in_order() -> None:
    questions = split_questions(PROMPT)
    assert questions == ["What is the capital of France?", "what is 3817 * 5923?"]
    facts = RequestFacts(Prefer.AUTO, True, frozenset())
    outcomes = decide_parts(SplitPolicy(), facts, questions, [_attempt(q, f"local {i}") for i, q in enumerate(questions)])
    assert [o.decision.route for o in outcomes] == [Route.LOCAL, Route.CLOUD]
    # Until something is escalated, every part holds its local answer.
    assert overall_route(outcomes) is Route.LOCAL
    assert compose_answer(outcomes) == "1. local 0\n2. local 1"

    outcomes[1].answer, outcomes[1].route = " 22608091 ", Route.CLOUD
    assert overall_route(outcomes) is Route.CLOUD
    assert compose_answer(outcomes) == "1. local 0\n2. 22608091"
    assert describe_routes(outcomes) == "part 1: local (forced local); part 2: cloud (forced cloud)"


@pytest.mark.e2e
@pytest.mark.slow
def test_daemon_escalates_only_the_cloud_part(hybrid_daemon: EdgeDaemon) -> None:
    hybrid_daemon.pipeline.policy = SplitPolicy()
    before = len(hybrid_daemon.ledger.records())
    with EdgeClient(hybrid_daemon.socket_path) as client:
        reply = client.ask(PROMPT, max_tokens=24)
    assert reply.route == "cloud" and not reply.degraded, reply.reason
    assert reply.reason == "part 1: local (forced local); part 2: cloud (forced cloud)"
    # Only the escalated part's question left the device, and the ledger recorded exactly that one send.
    assert reply.sent_text == "what is 3817 * 5923?"
    records = hybrid_daemon.ledger.records()
    assert len(records) == before + 1
    assert b"3817 * 5923" in records[-1].payload and b"capital" not in records[-1].payload
    # The answer is composed on the device: both parts, in order.
    lines = reply.text.split("\n2. ")
    assert len(lines) == 2 and lines[0].startswith("1. ") and lines[0][3:].strip() and lines[1].strip()


@pytest.mark.e2e
def test_unreachable_cloud_leaves_the_cloud_part_with_its_local_answer(make_daemon: DaemonFactory) -> None:
    target = "127.0.0.1:1"  # nothing listens there
    daemon = make_daemon(target, "token", cloud={"target": target, "token": "token", "timeout_s": 5})
    daemon.pipeline.policy = SplitPolicy()
    with EdgeClient(daemon.socket_path) as client:
        reply = client.ask(PROMPT, max_tokens=16, timeout=60)
    assert reply.route == "local" and reply.degraded and reply.cloud_error, reply.reason
    assert reply.reason.startswith("part 1: local (forced local); part 2: local (forced cloud; the cloud failed")
    assert reply.text.startswith("1. ") and "\n2. " in reply.text
