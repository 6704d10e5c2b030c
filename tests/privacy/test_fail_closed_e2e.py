"""Fail closed through the real daemon: a failing or hanging scan means nothing is sent and the ledger shows no send."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cloud import service as cloud_service
from edge.privacy import EgressGuard, PrivacyFilter
from edge.sdk import EdgeClient
from shared.config import PrivacySettings
from shared.privacy import Span
from tests.conftest import CloudHandle, DaemonFactory

pytestmark = pytest.mark.e2e

PROMPT = "Summarize: Quentin Blackwood (quentin@acme-widgets.com) asked for a refund."


class RaisingDetector:
    """Always fails, as a broken detector would (fake: only the failure matters here)."""

    name = "raises"

    def detect(self, text: str) -> list[Span]:
        raise RuntimeError("detector crashed")


class HangingDetector:
    """Blocks until released, as a stuck detector would."""

    name = "hangs"

    def __init__(self) -> None:
        self.release = threading.Event()

    def detect(self, text: str) -> list[Span]:
        self.release.wait(60)
        return []


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every escalation request the cloud service gets during the test."""
    seen: list[bytes] = []
    original = cloud_service.validate_escalation

    def recording(request: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(request.SerializeToString())
        return original(request, *args, **kwargs)

    monkeypatch.setattr(cloud_service, "validate_escalation", recording)
    return seen


def test_scan_failure_sends_nothing(cloud: CloudHandle, make_daemon: DaemonFactory, received: list[bytes]) -> None:
    # One daemon for all four cases: starting one costs more than the cases themselves.
    daemon = make_daemon(cloud.target, cloud.token, privacy={"detector_timeout_s": 1.0})
    good_filter, good_guard = daemon.pipeline.privacy, daemon.pipeline.guard
    for where in ("filter", "guard"):
        for bad in (RaisingDetector(), HangingDetector()):
            if where == "filter":
                daemon.pipeline.privacy = PrivacyFilter(PrivacySettings(detector_timeout_s=1.0), daemon.vault, detectors=[bad])
            else:
                daemon.pipeline.guard = EgressGuard([bad], timeout_s=1.0)
            try:
                with EdgeClient(daemon.socket_path, timeout=120) as client:
                    answer = client.ask(PROMPT, prefer="cloud", max_tokens=4)
            finally:
                daemon.pipeline.privacy, daemon.pipeline.guard = good_filter, good_guard
                if isinstance(bad, HangingDetector):
                    bad.release.set()
            case = f"{where}/{bad.name}"
            assert answer.route in ("local", "refused"), (case, answer.reason)
            assert answer.sent_text == "", case
            assert daemon.ledger.count() == 0, case
            assert received == [], case
    # The same daemon with its real parts does send: the checks above were not vacuous.
    with EdgeClient(daemon.socket_path, timeout=120) as client:
        answer = client.ask(PROMPT, prefer="cloud", max_tokens=4)
    assert daemon.ledger.count() == len(received) == 1, answer.reason
