"""Randomized fault injection: ≥1,000 fault points at the upstream (malformed JSON, truncated SSE, cut
connections, 429 + Retry-After, 500, wrong schema, not-SSE, slow past the deadline, hangs) and SIGKILLs of
a cloud subprocess mid-stream. Every request completes whole, or ends with a typed error or a marked local
answer, within its deadline: 0 silently truncated answers, 0 unhandled exceptions."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import grpc
import pytest

from edge.sdk import EdgeClient
from shared.errors import (
    DeadlineExceeded,
    InvalidRequest,
    Overloaded,
    StreamTruncated,
    TandemError,
    Unavailable,
    UpstreamError,
)
from shared.net import free_port
from tests.conftest import DaemonFactory
from tests.fakes.upstream import ANSWER, ANSWER_WORDS, FakeUpstream, Fault, Plan
from tests.helpers import BackgroundLoop, short_tmpdir
from tests.reliability.conftest import CloudFactory, EscalateResult, ask_cloud, escalate
from tests.reliability.procs import Served, write_config

pytestmark = pytest.mark.e2e

SEED = int(os.environ.get("TANDEM_FAULT_SEED", "20261204"))
CLOUD_REQUESTS = int(os.environ.get("TANDEM_FAULT_REQUESTS", "1200"))
CONCURRENCY = 24
DEADLINE_SLACK_S = 0.5  # scheduling on two shared cores; the deadline itself is enforced by gRPC
TYPED = (DeadlineExceeded, Overloaded, StreamTruncated, Unavailable, UpstreamError, InvalidRequest)
# Short waits only: a long Retry-After cools its upstream down for that long (tested on its own elsewhere).
RETRY_AFTERS = ["0", "0.05", "0.3", None, "soon", "Wed, 21 Oct 2015 07:28:00 GMT"]


def random_plan(rng: random.Random) -> Plan:
    """A random fate for one upstream attempt (about one in six succeeds)."""
    fault = rng.choice([*Fault, Fault.OK])
    return Plan(
        fault=fault,
        at=rng.randrange(len(ANSWER_WORDS) + 1),
        delay_s=rng.choice([0.0, 0.0, 0.01, 0.3]) if fault is not Fault.SLOW else 0.3,
        retry_after=rng.choice(RETRY_AFTERS),
    )


@pytest.fixture
def no_unhandled(loop: BackgroundLoop, caplog: pytest.LogCaptureFixture) -> Any:
    """Fails the test on any unhandled exception: loop handler calls and ERROR logs from Tandem."""
    seen: list[str] = []
    previous = loop.loop.get_exception_handler()
    loop.loop.set_exception_handler(lambda _loop, context: seen.append(str(context.get("message"))))
    caplog.set_level(logging.WARNING)
    yield seen
    loop.loop.set_exception_handler(previous)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.name.split(".")[0] in ("cloud", "edge", "shared")]
    assert not errors, f"unhandled errors logged: {errors[:5]}"
    assert not seen, f"unhandled exceptions on the loop: {seen[:5]}"


@pytest.mark.slow
def test_cloud_under_randomized_upstream_faults(loop: BackgroundLoop, make_cloud: CloudFactory, no_unhandled: Any) -> None:
    rng = random.Random(SEED)
    primary, fallback = FakeUpstream(chooser=lambda _n: random_plan(rng)), FakeUpstream(chooser=lambda _n: random_plan(rng))
    for fake in (primary, fallback):
        loop.run(fake.start())
    try:
        cloud = make_cloud(
            primary,
            fallback,
            breaker={"failure_threshold": 30, "open_s": 0.05},  # opens on long failure runs only
            limits={"requests_per_minute_per_token": 0, "max_concurrent_streams": 64},
        )

        async def one(channel: grpc.aio.Channel, deadline: float) -> tuple[EscalateResult, float, float]:
            started = time.monotonic()
            result = await escalate(channel, cloud.metadata, ask_cloud(max_tokens=4), deadline)
            return result, time.monotonic() - started, deadline

        async def run_all() -> list[tuple[EscalateResult, float, float]]:
            gate = asyncio.Semaphore(CONCURRENCY)
            async with grpc.aio.insecure_channel(cloud.target) as channel:

                async def gated(deadline: float) -> tuple[EscalateResult, float, float]:
                    async with gate:
                        return await one(channel, deadline)

                return await asyncio.gather(*(gated(rng.uniform(0.5, 2.0)) for _ in range(CLOUD_REQUESTS)))

        results = loop.run(run_all(), timeout=600)
    finally:
        for fake in (primary, fallback):
            loop.run(fake.stop())

    attempts = primary.chat_records + fallback.chat_records
    fault_points = sum(1 for r in attempts if r.plan.fault is not Fault.OK)
    outcomes: Counter[str] = Counter()
    for result, elapsed, deadline in results:
        assert elapsed <= deadline + DEADLINE_SLACK_S, f"took {elapsed:.2f}s past a {deadline:.2f}s deadline"
        if result.error is None:
            # Complete means complete: the whole answer and its final message, never a silent cut.
            assert result.done is not None and result.done.finish_reason == "stop" and result.text == ANSWER
            outcomes["complete"] += 1
        else:
            assert isinstance(result.error, TYPED), f"untyped or unexpected error: {result.error!r}"
            if result.done is not None:
                # gRPC's deadline can fire after the final message arrived but before the OK status: the call
                # reports the deadline, and what came before it must then be the whole answer, never a cut one.
                assert isinstance(result.error, DeadlineExceeded), f"a final message, then {result.error!r}"
                assert result.done.finish_reason == "stop" and result.text == ANSWER
            outcomes[type(result.error).__name__] += 1
    print(f"\nfault injection (cloud): {len(results)} requests, {len(attempts)} upstream attempts, "
          f"{fault_points} fault points, outcomes {dict(outcomes)}")  # fmt: skip
    assert fault_points >= 1000
    assert outcomes["complete"] > 0 and len(outcomes) > 3


@pytest.mark.slow
def test_pipeline_under_randomized_faults_never_passes_off_a_cut_answer(
    fake: FakeUpstream, make_cloud: CloudFactory, make_daemon: DaemonFactory, no_unhandled: Any
) -> None:
    rng = random.Random(SEED + 1)
    fake.chooser = lambda _n: random_plan(rng)
    cloud = make_cloud(fake, breaker={"failure_threshold": 1000}, limits={"requests_per_minute_per_token": 0})
    daemon = make_daemon(cloud.target, cloud.token, cloud={"target": cloud.target, "token": cloud.token, "timeout_s": 3, "offline_after_failures": 100})
    outcomes: Counter[str] = Counter()
    with EdgeClient(daemon.socket_path) as client:
        for _ in range(40):
            deadline = rng.uniform(2.0, 4.0)
            started = time.monotonic()
            try:
                answer = client.ask("Name the capital city of Japan.", prefer="cloud", max_tokens=4, timeout=deadline)
            except TandemError as exc:
                # A cut cloud answer becomes a typed error; only time can run out otherwise.
                assert isinstance(exc, StreamTruncated | DeadlineExceeded), repr(exc)
                outcomes[type(exc).__name__] += 1
            else:
                if answer.route == "cloud":
                    assert answer.text == ANSWER and not answer.degraded
                    outcomes["cloud"] += 1
                else:
                    assert answer.route == "local" and answer.degraded and answer.cloud_error
                    outcomes["local-degraded"] += 1
            assert time.monotonic() - started <= deadline + DEADLINE_SLACK_S
    print(f"\nfault injection (pipeline): 40 asks, {len(fake.chat_records)} upstream attempts, outcomes {dict(outcomes)}")
    assert outcomes["cloud"] > 0 and outcomes["local-degraded"] > 0


def _ask_cloud_stream(socket_path: Path, signal_after_chunks: int, got: threading.Event, result: list[Any]) -> None:
    """One streamed ask; sets `got` after that many chunks; appends the Answer or the typed error."""
    chunks = 0
    try:
        with EdgeClient(socket_path) as client:
            stream = client.stream("Say something.", prefer="cloud", max_tokens=16, timeout=30)
            for _ in stream:
                chunks += 1
                if chunks >= signal_after_chunks:
                    got.set()
            result.append(stream.answer)
    except TandemError as exc:
        result.append(exc)
    got.set()


@pytest.mark.slow
def test_sigkill_of_the_cloud_mid_stream(loop: BackgroundLoop, fake: FakeUpstream, make_daemon: DaemonFactory) -> None:
    fake.default = Plan(words=ANSWER_WORDS * 4, delay_s=0.1)  # a few seconds of streaming
    rng = random.Random(SEED + 2)
    outcomes: Counter[str] = Counter()
    workdir = short_tmpdir()
    for round_ in range(4):
        port = free_port()
        config = write_config(
            workdir / f"cloud{round_}.yaml",
            {
                "listen": {"host": "127.0.0.1", "port": port},
                "auth": {"tokens": ["kill-token"]},
                "upstreams": [{"base_url": fake.base_url, "model": "fake-model"}],
                "log_level": "WARNING",
            },
        )
        served = Served("cloud", config)
        daemon = make_daemon(served.where, "kill-token", cloud={"target": served.where, "token": "kill-token", "timeout_s": 20})
        try:
            # Kill before the first token in some rounds, mid-stream in the others.
            kill_after_chunks = rng.choice([0, 1, 3]) if round_ else 0
            got = threading.Event()
            result: list[Any] = []
            thread = threading.Thread(target=_ask_cloud_stream, args=(daemon.socket_path, kill_after_chunks, got, result))
            thread.start()
            if kill_after_chunks == 0:
                deadline = time.monotonic() + 10
                while not fake.chat_records or fake.chat_records[-1].ended is not None:
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
            else:
                assert got.wait(30)
            os.kill(served.pid, signal.SIGKILL)
            thread.join(30)
            outcome = result[0]
            if isinstance(outcome, TandemError):
                assert isinstance(outcome, StreamTruncated), repr(outcome)
                outcomes["truncated-error"] += 1
            else:
                assert outcome.route == "local" and outcome.degraded, outcome
                outcomes["local-degraded"] += 1
        finally:
            served.kill()
    print(f"\nSIGKILL of the cloud: outcomes {dict(outcomes)}")
    assert sum(outcomes.values()) == 4
