"""Run a scan with a time limit, on a daemon thread, so a hung detector can neither block nor let data out.

The threads are kept and reused: a fresh thread per scan cost more than the scan of a short
prompt (spaCy and its numeric backend set up per-thread state on first use), which set the
filter's tail latency. A worker whose scan runs past the limit is abandoned, never reused.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from shared.errors import PrivacyBlocked, TandemError

T = TypeVar("T")

MAX_IDLE_WORKERS = 8  # more concurrent scans than this just start extra threads that exit after use


class _Job:
    """One call: the function, and its result or failure once done."""

    def __init__(self, func: Callable[[], Any]) -> None:
        self.func = func
        self.result: list[Any] = []
        self.failure: list[BaseException] = []
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.result.append(self.func())
        except BaseException as exc:  # reported to the caller, whatever it is
            self.failure.append(exc)
        finally:
            self.done.set()


class _Worker:
    """A daemon thread that runs one job at a time; a daemon, so a detector stuck forever cannot keep the process alive."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="tandem-privacy-scan", daemon=True)
        self._thread.start()

    def submit(self, job: _Job) -> None:
        self._jobs.put(job)

    def stop(self) -> None:
        self._jobs.put(None)

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            job.run()


_idle: list[_Worker] = []
_idle_lock = threading.Lock()


def _take_worker() -> _Worker:
    with _idle_lock:
        if _idle:
            return _idle.pop()
    return _Worker()


def _give_back(worker: _Worker) -> None:
    with _idle_lock:
        if len(_idle) < MAX_IDLE_WORKERS:
            _idle.append(worker)
            return
    worker.stop()


def call_with_timeout(func: Callable[[], T], timeout_s: float, what: str) -> T:
    """`func()`'s result; PrivacyBlocked if it raises or runs past `timeout_s` (its thread is abandoned)."""
    job = _Job(func)
    worker = _take_worker()
    worker.submit(job)
    if not job.done.wait(timeout_s):
        # The worker is still inside func: leave it to finish or hang on its own, and tell it to exit after.
        worker.stop()
        raise PrivacyBlocked(f"the {what} took longer than {timeout_s:g} s, so nothing was sent")
    _give_back(worker)
    if job.failure:
        exc = job.failure[0]
        if isinstance(exc, PrivacyBlocked):
            raise exc
        # Only our own errors' messages are shown: another exception's text may quote the private input.
        detail = f"{type(exc).__name__}: {exc.message}" if isinstance(exc, TandemError) else type(exc).__name__
        raise PrivacyBlocked(f"the {what} failed ({detail}), so nothing was sent") from None
    return job.result[0]  # type: ignore[no-any-return]
