"""Serializes the one model instance: requests take turns in arrival order, with a bounded wait line.

Generation runs on a dedicated thread; tokens cross to the event loop through a queue,
so the daemon keeps serving health checks and new requests while the model decodes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from edge.model import LocalModel, TokenEvent
from shared.errors import Overloaded

_DONE = object()
_T = TypeVar("_T")


class _Handoff:
    """Items from the model thread to the event loop, with one loop wake-up per batch instead of one per item.

    Each `call_soon_threadsafe` writes to the loop's self-pipe and wakes it; the model thread only does so
    when the list goes from empty to non-empty, so a consumer that lags collects what piled up in one go.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._items: list[object] = []
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: object) -> None:
        """Add an item (model thread)."""
        with self._lock:
            self._items.append(item)
            first = len(self._items) == 1
        if first:
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def take(self) -> list[object]:
        """Every item waiting, at least one (event loop)."""
        while True:
            with self._lock:
                items, self._items = self._items, []
            if items:
                return items
            # No await between the empty check and here, so a wake-up scheduled since then finds this waiter.
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None


class ModelRunner:
    """Owns the model's thread and its FIFO turn-taking."""

    def __init__(self, model: LocalModel, queue_limit: int) -> None:
        self.model = model
        self.queue_limit = queue_limit
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tandem-model")
        self._lock = asyncio.Lock()  # asyncio.Lock wakes waiters in FIFO order
        self._waiting = 0
        self._pending: asyncio.Future[Any] | None = None  # the model thread's current work, if any

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

    async def stream(self, prompt: Sequence[int], max_tokens: int, temperature: float) -> AsyncGenerator[TokenEvent, None]:
        """Generate on the model thread, token by token; call only inside `turn()`. Stops the model when the consumer goes away."""
        batches = self.stream_batches(prompt, max_tokens, temperature)
        try:
            async for batch in batches:
                for event in batch:
                    yield event
        finally:
            await batches.aclose()  # now, not when the garbage collector gets to it: this stops the model

    async def stream_batches(self, prompt: Sequence[int], max_tokens: int, temperature: float) -> AsyncGenerator[list[TokenEvent], None]:
        """Like `stream`, but each step yields every token that is ready: one token while the consumer keeps up
        (so the first arrives at once), several when it lags, so the consumer can send them in one message."""
        loop = asyncio.get_running_loop()
        handoff = _Handoff(loop)
        stop = threading.Event()

        def work() -> None:
            try:
                for event in self.model.generate(prompt, max_tokens, temperature, stop.is_set):
                    handoff.put(event)
                handoff.put(_DONE)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                handoff.put(exc)

        future = loop.run_in_executor(self._executor, work)
        self._pending = future
        try:
            while True:
                items = await handoff.take()
                batch: list[TokenEvent] = []
                for item in items:
                    if isinstance(item, TokenEvent):
                        batch.append(item)
                        continue
                    if batch:
                        yield batch  # tokens before the end (or the error) still reach the consumer
                    if isinstance(item, BaseException):
                        raise item
                    return  # _DONE
                yield batch
        finally:
            # Ask the thread to stop; turn() keeps the model locked until it has.
            stop.set()

    async def call(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run `fn(*args)` on the model thread; call only inside `turn()`. A cancelled caller returns at once, and
        turn() keeps the model locked until `fn` has finished (as for a stream)."""
        future = asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        self._pending = future
        return await asyncio.shield(future)

    def close(self) -> None:
        """Stop the model thread."""
        self._executor.shutdown(wait=True, cancel_futures=True)
