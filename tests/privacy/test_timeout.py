"""The scan time limit: reused worker threads, an abandoned worker after a time-out, errors fail closed."""

from __future__ import annotations

import threading

import pytest

from edge.privacy.timeout import call_with_timeout
from shared.errors import PrivacyBlocked


def test_scans_reuse_one_worker_thread() -> None:
    first = call_with_timeout(threading.get_ident, 5, "scan")
    second = call_with_timeout(threading.get_ident, 5, "scan")
    assert first == second != threading.get_ident()


def test_a_hung_scan_is_blocked_and_its_worker_never_reused() -> None:
    release = threading.Event()
    hung_in: list[int] = []

    def hang() -> None:
        hung_in.append(threading.get_ident())
        release.wait(10)

    with pytest.raises(PrivacyBlocked, match="took longer than"):
        call_with_timeout(hang, 0.2, "scan")
    try:
        # The next scan runs at once, on another thread, while the first is still stuck.
        assert call_with_timeout(threading.get_ident, 5, "scan") != hung_in[0]
    finally:
        release.set()


def test_an_error_is_blocked_without_its_message() -> None:
    def fail() -> None:
        raise ValueError("Jane Doe's SSN is 123-45-6789")

    with pytest.raises(PrivacyBlocked) as caught:
        call_with_timeout(fail, 5, "scan")
    assert "Jane" not in str(caught.value) and "ValueError" in str(caught.value)
