"""End to end through the SDK: a real daemon with the real model, a real cloud service, a real upstream."""

from __future__ import annotations

import asyncio

import pytest

from edge.daemon import EdgeDaemon
from edge.sdk import AsyncEdgeClient, EdgeClient
from tests.conftest import CloudHandle, DaemonFactory

pytestmark = pytest.mark.e2e

EMAIL = "maria.gonzalez@example.com"
PHONE = "(415) 555-0132"
CARD = "4111 1111 1111 1111"
NOTE = f"Patient Maria, email {EMAIL}, phone {PHONE}. Prescribed amoxicillin 500 mg twice daily."


def test_local_answer_streams_and_sends_nothing(hybrid_daemon: EdgeDaemon) -> None:
    with EdgeClient(hybrid_daemon.socket_path) as client:
        stream = client.stream("Name the capital city of Japan.", prefer="local", max_tokens=24)
        chunks = [c.text for c in stream]
        answer = stream.answer
    assert len(chunks) > 1, "a local answer should stream token by token"
    assert "".join(chunks).strip() == answer.text.strip()
    assert "Tokyo" in answer.text
    assert answer.route == "local" and not answer.degraded
    assert answer.sent_text == ""
    assert 0.0 < answer.confidence <= 1.0
    assert answer.local_tokens > 0 and answer.cloud_tokens == 0
    assert hybrid_daemon.ledger.count() == 0


def test_escalation_sends_only_pseudonymized_text(hybrid_daemon: EdgeDaemon) -> None:
    with EdgeClient(hybrid_daemon.socket_path) as client:
        answer = client.ask("Who should the pharmacy contact?", context={"note.txt": NOTE}, prefer="cloud", max_tokens=48)
    assert answer.route == "cloud", answer.reason
    assert answer.text.strip()
    assert answer.cloud_tokens > 0
    assert "<EMAIL_ADDRESS_1>" in answer.sent_text and "<PHONE_NUMBER_1>" in answer.sent_text
    assert EMAIL not in answer.sent_text and PHONE not in answer.sent_text
    # The ledger holds the exact bytes that left, recorded before the send; no private value is in them.
    records = hybrid_daemon.ledger.records()
    assert len(records) == 1
    assert EMAIL.encode() not in records[0].payload and b"555-0132" not in records[0].payload
    assert answer.sent_text.encode() in records[0].payload
    # NER may also count the patient's name (PERSON / PROPER_NOUN); the validated types are exact.
    assert {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}.items() <= records[0].entities.items()
    assert hybrid_daemon.ledger.verify().ok
    # Whatever the cloud echoed of the placeholders came back restored.
    assert "<EMAIL_ADDRESS_1>" not in answer.text and "<PHONE_NUMBER_1>" not in answer.text


def test_cloud_answer_placeholders_are_restored(hybrid_daemon: EdgeDaemon) -> None:
    prompt = f"Repeat this line exactly and add nothing: Contact {EMAIL} today"
    with EdgeClient(hybrid_daemon.socket_path) as client:
        answer = client.ask(prompt, prefer="cloud", max_tokens=40, temperature=0.0)
    assert answer.route == "cloud"
    assert EMAIL not in answer.sent_text
    if "EMAIL_ADDRESS" in answer.text.upper():
        pytest.fail(f"placeholder left unrestored: {answer.text!r}")
    assert EMAIL in answer.text, f"the upstream should echo the placeholder, restored on the device: {answer.text!r}"


def test_refused_when_cloud_required_but_privacy_blocks(hybrid_daemon: EdgeDaemon) -> None:
    with EdgeClient(hybrid_daemon.socket_path) as client:
        answer = client.ask("Check this invoice.", context=[f"Paid by card {CARD}, total $40."], prefer="cloud")
    assert answer.route == "refused"
    assert "CREDIT_CARD" in answer.reason
    assert answer.text == "" and answer.sent_text == ""
    assert hybrid_daemon.ledger.count() == 0


def test_auto_route_is_decided_with_a_reason(hybrid_daemon: EdgeDaemon) -> None:
    with EdgeClient(hybrid_daemon.socket_path) as client:
        easy = client.ask("Name the capital city of Japan.", max_tokens=24)
        blocked = client.ask("What is 3817 times 5923?", context=[f"card {CARD}"], max_tokens=24)
    assert easy.route in {"local", "cloud"} and easy.reason
    assert 0.0 <= easy.confidence <= 1.0
    # A blocked entity keeps even an unsure answer on the device.
    assert blocked.route == "local"
    assert blocked.sent_text == ""


def test_session_history_is_kept_on_device(hybrid_daemon: EdgeDaemon) -> None:
    with EdgeClient(hybrid_daemon.socket_path) as client:
        first = client.ask("My favourite colour is teal.", prefer="local", max_tokens=16)
        second = client.ask("What is my favourite colour?", session_id=first.session_id, prefer="local", max_tokens=16)
        fresh = client.ask("What is my favourite colour?", prefer="local", max_tokens=16)
    assert second.session_id == first.session_id
    assert fresh.session_id != first.session_id
    history = hybrid_daemon.sessions.history(first.session_id, 10)
    assert [t.role for t in history] == ["user", "assistant", "user", "assistant"]
    assert history[0].content == "My favourite colour is teal."
    # The local model saw the earlier turn: its prompt is longer than the same question without history.
    assert second.local_tokens - len(second.text) > fresh.local_tokens - len(fresh.text)


def test_async_client_mirrors_sync(hybrid_daemon: EdgeDaemon) -> None:
    async def run() -> tuple[list[str], str, str]:
        async with AsyncEdgeClient(hybrid_daemon.socket_path) as client:
            stream = client.stream("Name the capital city of Japan.", prefer="local", max_tokens=24)
            chunks = [c.text async for c in stream]
            health = await client.health()
            return chunks, stream.answer.route, health.status

    chunks, route, status = asyncio.run(run())
    assert chunks and route == "local" and status == "SERVING"


def test_health_reports_model_and_cloud(hybrid_daemon: EdgeDaemon, make_daemon: DaemonFactory, cloud: CloudHandle) -> None:
    with EdgeClient(hybrid_daemon.socket_path) as client:
        health = client.health()
    assert health.status == "SERVING"
    assert health.local_model.startswith("smollm2")
    assert health.cloud_configured and health.cloud_reachable
    offline = make_daemon()
    with EdgeClient(offline.socket_path) as client:
        assert not client.health().cloud_configured
