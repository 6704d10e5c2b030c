"""The daemon's OpenAI-compatible endpoint, driven by the real `openai` client against a real daemon and cloud."""

from __future__ import annotations

import httpx
import openai
import pytest

from edge.daemon import EdgeDaemon

pytestmark = pytest.mark.e2e

EMAIL = "maria.gonzalez@example.com"
NOTE = f"Patient Maria, email {EMAIL}. Prescribed amoxicillin 500 mg twice daily."


@pytest.fixture(scope="module")
def client(base_url: str) -> openai.OpenAI:
    """The real openai client pointed at the daemon (no key is needed on loopback)."""
    return openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=120)


def test_models_lists_the_policy_names(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == ["tandem-auto", "tandem-local", "tandem-cloud"]


def test_local_chat_answers_with_route_header_and_field(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="tandem-local",
        messages=[{"role": "user", "content": "Name the capital city of Japan."}],
        max_tokens=24,
    )
    completion = raw.parse()
    assert raw.headers["x-tandem-route"] == "local"
    assert "Tokyo" in (completion.choices[0].message.content or "")
    assert completion.choices[0].finish_reason == "stop"
    tandem = completion.model_extra["tandem"]  # type: ignore[index]
    assert tandem["route"] == "local" and tandem["sent_chars"] == 0
    assert 0.0 < tandem["confidence"] <= 1.0
    assert float(raw.headers["x-tandem-confidence"]) == pytest.approx(tandem["confidence"], abs=1e-3)
    assert completion.usage is not None and completion.usage.completion_tokens > 0


def test_cloud_chat_sends_only_pseudonymized_text(client: openai.OpenAI, http_daemon: EdgeDaemon) -> None:
    before = http_daemon.ledger.count()
    completion = client.chat.completions.create(
        model="tandem-cloud",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Who should the pharmacy contact?"},
        ],
        max_tokens=40,
        extra_body={"tandem": {"context": {"note.txt": NOTE}}},
    )
    tandem = completion.model_extra["tandem"]  # type: ignore[index]
    assert tandem["route"] == "cloud", tandem["reason"]
    assert tandem["sent_chars"] > 0
    assert tandem["entities"].get("EMAIL_ADDRESS") == 1
    records = http_daemon.ledger.records()
    assert len(records) == before + 1
    assert EMAIL.encode() not in records[-1].payload


def test_stream_yields_chunks_then_the_route(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="tandem-local",
        messages=[{"role": "user", "content": "Name the capital city of France."}],
        max_tokens=24,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Paris" in text
    pieces = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 1, "a local answer should arrive in several chunks"
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finals) == 1 and finals[0].choices[0].finish_reason == "stop"
    assert finals[0].model_extra["tandem"]["route"] == "local"  # type: ignore[index]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_history_becomes_private_context(client: openai.OpenAI, http_daemon: EdgeDaemon) -> None:
    before = http_daemon.ledger.count()
    completion = client.chat.completions.create(
        model="tandem-cloud",
        messages=[
            {"role": "user", "content": f"My email is {EMAIL}."},
            {"role": "assistant", "content": "Noted."},
            {"role": "user", "content": "What is my email address? Answer with it only."},
        ],
        max_tokens=24,
    )
    assert completion.model_extra["tandem"]["route"] == "cloud"  # type: ignore[index]
    # The earlier turn went through the filter: the ledger shows a placeholder, never the address.
    payload = http_daemon.ledger.records()[-1].payload
    assert len(http_daemon.ledger.records()) == before + 1
    assert EMAIL.encode() not in payload and b"<EMAIL_ADDRESS_1>" in payload


def test_errors_come_back_in_openai_shape(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="tandem-auto", messages=[{"role": "user", "content": "   "}])
    assert bad.value.status_code == 400
    assert bad.value.code == "InvalidRequest" and "prompt" in bad.value.message
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert "tandem-auto" in missing.value.message
    with pytest.raises(openai.BadRequestError) as last:
        client.chat.completions.create(model="tandem-auto", messages=[{"role": "assistant", "content": "hi"}])
    assert "last message" in last.value.message


def test_refusal_is_a_content_filter_finish(client: openai.OpenAI, http_daemon: EdgeDaemon) -> None:
    before = http_daemon.ledger.count()
    completion = client.chat.completions.create(
        model="tandem-cloud",
        messages=[{"role": "user", "content": "Is the card 4111 1111 1111 1111 valid?"}],
        max_tokens=16,
    )
    assert completion.choices[0].finish_reason == "content_filter"
    assert completion.model_extra["tandem"]["route"] == "refused"  # type: ignore[index]
    assert http_daemon.ledger.count() == before


def test_http_rules_protect_the_loopback_endpoint(base_url: str) -> None:
    root = base_url.removesuffix("/v1")
    health = httpx.get(f"{root}/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    # A page that rebinds its own host name to 127.0.0.1 is refused by the Host check.
    rebound = httpx.get(f"{root}/health", headers={"host": "evil.example"}, timeout=10)
    assert rebound.status_code == 400
    # A form post (no JSON content type) would skip the browser's CORS preflight, so it is refused.
    form = httpx.post(f"{base_url}/chat/completions", content=b"{}", headers={"content-type": "text/plain"}, timeout=10)
    assert form.status_code == 400 and form.json()["error"]["param"] is None
    assert "content-type" in form.json()["error"]["message"]
