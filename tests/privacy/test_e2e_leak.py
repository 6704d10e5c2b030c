"""End-to-end leak test: canary values through the real daemon, cloud and upstream; none may reach the cloud or a log."""

from __future__ import annotations

import base64
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest

from cloud import service as cloud_service
from edge.sdk import EdgeClient
from shared.errors import DeadlineExceeded, StreamTruncated
from tests.conftest import CloudHandle, DaemonFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(3600)]

# Thousands of requests, as the issue asks: about 15 minutes on 2 cores (max_tokens=2 keeps each short).
# Lower TANDEM_LEAK_REQUESTS for a quick local run.
REQUESTS = int(os.environ.get("TANDEM_LEAK_REQUESTS", "2000"))
WORKERS = 2

NAMES = ["Quentin Blackwood", "Marisol Etxeberria", "Dmitri Volkonsky", "Harriet Okonkwo"]
EMAILS = ["quentin.blackwood@acme-widgets.com", "m.etxeberria@protonmail.example", "dvolk+bank@mail.example.org"]
CARDS = ["4111 1111 1111 1111", "5500-0000-0000-0004", "340000000000009"]
KEYS = ["sk-proj-Zq8Lw2Rt5Yu1Io9Pa3Sd7Fg4Hj6Kl0Xc", "ghp_R4nd0mT0k3nV4lu3F0rT4nd3mT3sts0001", "AKIAZ7QW2ER4TY6UI8OP"]
OTHERS = ["GB82 WEST 1234 5698 7654 32", "078-05-1120", "+44 20 7946 0958", "192.168.77.201"]


def encoded(value: str) -> list[str]:
    """The forms a canary is seeded in besides itself: base64 and URL-encoded."""
    return [base64.b64encode(value.encode()).decode(), quote(value, safe="")]


def canaries() -> list[str]:
    """Every string that must never reach the cloud: each value, and each encoded form."""
    values = NAMES + EMAILS + CARDS + KEYS + OTHERS
    return values + [form for v in values for form in encoded(v)]


def request_for(i: int) -> tuple[str, dict[str, str]]:
    """The i-th request: a prompt and a context document, each seeded with canaries, some encoded."""
    name, email, card = NAMES[i % len(NAMES)], EMAILS[i % len(EMAILS)], CARDS[i % len(CARDS)]
    key, other = KEYS[i % len(KEYS)], OTHERS[i % len(OTHERS)]
    b64_email, url_email = encoded(email)
    b64_key = encoded(key)[0]
    prompt = f"Draft a short reply to {name} ({email}) about the refund. Reference: {other}."
    note = (
        f"Customer: {name}\nCard on file: {card}\nAPI key used: {key}\n"
        f"Callback: https://crm.example/cb?user={url_email}\nToken blob: {b64_email}\nBackup: {b64_key}\n"
    )
    return prompt, {"ticket.txt": note}


def test_no_canary_reaches_the_cloud_or_a_log(
    cloud: CloudHandle, make_daemon: DaemonFactory, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[bytes] = []
    original_validate = cloud_service.validate_escalation

    def recording_validate(request: Any, *args: Any, **kwargs: Any) -> Any:
        received.append(request.SerializeToString())  # the exact bytes the cloud service got
        return original_validate(request, *args, **kwargs)

    monkeypatch.setattr(cloud_service, "validate_escalation", recording_validate)
    caplog.set_level(logging.DEBUG)
    daemon = make_daemon(cloud.target, cloud.token)

    def ask(i: int) -> str:
        prompt, context = request_for(i)
        started = time.perf_counter()
        try:
            with EdgeClient(daemon.socket_path, timeout=120) as client:
                answer = client.ask(prompt, context=context, prefer="cloud", max_tokens=2, session_id=f"leak-{i}")
        except (StreamTruncated, DeadlineExceeded) as exc:
            # The busy upstream sometimes breaks off mid-answer; what was sent before still gets checked.
            print(f"request {i}: {type(exc).__name__} after {time.perf_counter() - started:.1f} s")
            return "error"
        print(f"request {i}: {answer.route} in {time.perf_counter() - started:.1f} s ({answer.reason})")
        return answer.route

    ask(REQUESTS)  # warm-up: the first escalation also starts the upstream's model; its bytes are checked too
    with ThreadPoolExecutor(WORKERS) as pool:
        routes = list(pool.map(ask, range(REQUESTS)))

    records = daemon.ledger.records()
    # The test means something only if the requests really went out.
    assert routes.count("cloud") >= REQUESTS * 98 // 100, routes
    assert routes.count("cloud") <= len(received) <= len(records)  # recorded before sending, always
    assert routes.count("error") <= REQUESTS // 50, routes
    assert daemon.ledger.verify().ok

    sent = [r.payload for r in records] + received
    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for canary in canaries():
        for form in {canary, canary.lower(), canary.upper()}:
            assert not any(form.encode() in payload for payload in sent), f"{canary!r} reached the cloud"
            assert form not in logs, f"{canary!r} appeared in a log line"
    # Names are caught by NER; a surname alone must not slip through either.
    for name in NAMES:
        assert not any(name.split()[-1].encode() in payload for payload in sent), name
