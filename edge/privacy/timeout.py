"""Run a scan with a time limit, on a daemon thread, so a hung detector can neither block nor let data out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from shared.errors import PrivacyBlocked, TandemError

T = TypeVar("T")


def call_with_timeout(func: Callable[[], T], timeout_s: float, what: str) -> T:
    """`func()`'s result; PrivacyBlocked if it raises or runs past `timeout_s` (the thread is abandoned)."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(func())
        except BaseException as exc:  # reported to the caller below, whatever it is
            failure.append(exc)

    # A daemon thread: a detector stuck forever must not keep the process from exiting.
    worker = threading.Thread(target=target, name=f"tandem-{what}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise PrivacyBlocked(f"the {what} took longer than {timeout_s:g} s, so nothing was sent")
    if failure:
        exc = failure[0]
        if isinstance(exc, PrivacyBlocked):
            raise exc
        # Only our own errors' messages are shown: another exception's text may quote the private input.
        detail = f"{type(exc).__name__}: {exc.message}" if isinstance(exc, TandemError) else type(exc).__name__
        raise PrivacyBlocked(f"the {what} failed ({detail}), so nothing was sent") from None
    return result[0]
