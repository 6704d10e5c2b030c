"""Serializes the one model instance: requests take turns in arrival order, with a bounded wait line.

Generation runs on a dedicated thread; tokens cross to the event loop through a queue,
so the daemon keeps serving health checks and new requests while the model decodes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from edge.model import LocalModel, TokenEvent
from shared.errors import Overloaded

_DONE = object()


class ModelRunner:
    """Owns the model's thread and its FIFO turn-taking."""

    def __init__(self, model: LocalModel, queue_limit: int) -> None:
        self.model = model
        self.queue_limit = queue_limit
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tandem-model")
        self._lock = asyncio.Lock()  # asyncio.Lock wakes waiters in FIFO order
        self._waiting = 0
        self._pending: asyncio.Future[None] | None = None  # the model thread's current work, if any

    @property
    def queue_depth(self) -> int:
        """Requests waiting for their turn."""
        return self._waiting

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for exclusive use of the model; Overloaded if the wait line is full."""
        if self._lock.locked() and self._waiting >= self.queue_limit:
            raise Overloaded(f"the local model is busy and {self._waiting} requests are already waiting")
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            pending, self._pending = self._pending, None
            if pending is not None and not pending.done():
                # A cancelled request leaves the model thread finishing its current step. The next turn
                # starts when the thread is idle, but the cancelled request returns now, within its deadline.
                pending.add_done_callback(lambda _done: self._lock.release())
            else:
                self._lock.release()

    async def stream(self, prompt: Sequence[int], max_tokens: int, temperature: float) -> AsyncIterator[TokenEvent]:
        """Generate on the model thread; call only inside `turn()`. Stops the model when the consumer goes away."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def work() -> None:
            try:
                for event in self.model.generate(prompt, max_tokens, temperature, stop.is_set):
                    loop.call_soon_threadsafe(queue.put_nowait, event)
                loop.call_soon_threadsafe(queue.put_nowait, _DONE)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                loop.call_soon_threadsafe(queue.put_nowait, exc)

        future = loop.run_in_executor(self._executor, work)
        self._pending = future
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, TokenEvent)
                yield item
        finally:
            # Ask the thread to stop; turn() keeps the model locked until it has.
            stop.set()

    def close(self) -> None:
        """Stop the model thread."""
        self._executor.shutdown(wait=True, cancel_futures=True)
