"""The model runner's hand-off: tokens that pile up while the consumer is busy arrive as one batch; the first at once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import aclosing
from typing import cast

import pytest

from edge.model import LocalModel, TokenEvent
from edge.runner import ModelRunner


class _PacedModel:
    """Stands in for LocalModel.generate: `count` tokens, one every `interval_s`, optionally failing after them."""

    def __init__(self, count: int, interval_s: float, fail: bool = False) -> None:
        self.count = count
        self.interval_s = interval_s
        self.fail = fail
        self.stopped = threading.Event()

    def generate(
        self, prompt: Sequence[int], max_tokens: int, temperature: float, should_stop: Callable[[], bool] = lambda: False
    ) -> Iterator[TokenEvent]:
        for i in range(self.count):
            time.sleep(self.interval_s)
            yield TokenEvent(f"t{i} ", -0.1 * i)
            if should_stop():
                self.stopped.set()
                return
        if self.fail:
            raise RuntimeError("model failed")


def _runner(model: _PacedModel) -> ModelRunner:
    return ModelRunner(cast(LocalModel, model), queue_limit=4)


async def _collect(runner: ModelRunner, consumer_delay_s: float) -> list[list[TokenEvent]]:
    batches = []
    async with runner.turn():
        async for batch in runner.stream_batches([1, 2], 100, 0.0):
            batches.append(batch)
            await asyncio.sleep(consumer_delay_s)  # the consumer's own work per message (a gRPC write)
    return batches


def test_a_lagging_consumer_gets_waiting_tokens_in_one_batch() -> None:
    runner = _runner(_PacedModel(count=20, interval_s=0.002))
    try:
        batches = asyncio.run(_collect(runner, consumer_delay_s=0.02))
    finally:
        runner.close()
    assert [e.text for b in batches for e in b] == [f"t{i} " for i in range(20)]  # all, in order, once
    assert len(batches[0]) == 1  # the first token is not held back for company
    assert len(batches) < 20 and max(len(b) for b in batches) > 1


def test_a_consumer_that_keeps_up_gets_one_token_per_batch() -> None:
    runner = _runner(_PacedModel(count=8, interval_s=0.02))
    try:
        batches = asyncio.run(_collect(runner, consumer_delay_s=0.0))
    finally:
        runner.close()
    assert [len(b) for b in batches] == [1] * 8


def test_tokens_before_a_model_error_arrive_then_the_error() -> None:
    runner = _runner(_PacedModel(count=3, interval_s=0.001, fail=True))
    seen: list[str] = []

    async def consume() -> None:
        async with runner.turn():
            async for event in runner.stream([1], 10, 0.0):
                seen.append(event.text)

    try:
        with pytest.raises(RuntimeError, match="model failed"):
            asyncio.run(consume())
    finally:
        runner.close()
    assert seen == ["t0 ", "t1 ", "t2 "]


def test_a_consumer_that_leaves_stops_the_model() -> None:
    model = _PacedModel(count=1000, interval_s=0.001)
    runner = _runner(model)

    async def consume() -> bool:
        async with runner.turn(), aclosing(runner.stream([1], 1000, 0.0)) as events:
            async for _event in events:
                break  # closing the stream (as gRPC does when the caller goes away) sets the stop flag
        # The model thread hands tokens to this loop, so the loop must outlive its next step.
        return await asyncio.to_thread(model.stopped.wait, 5.0)

    try:
        assert asyncio.run(consume())
    finally:
        runner.close()
