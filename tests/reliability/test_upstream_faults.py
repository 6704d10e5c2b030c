"""The cloud's hop to the upstream: retries before the first token only, Retry-After, fallbacks, breaker,
deadlines and cancellation that reach the upstream's socket. Real gRPC, real HTTP, fake model."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from shared.errors import DeadlineExceeded, InvalidRequest, Overloaded, StreamTruncated, UpstreamError
from tests.fakes.upstream import ANSWER, FakeUpstream, Fault, Plan
from tests.helpers import BackgroundLoop
from tests.reliability.conftest import CloudFactory, ask_cloud, escalate

pytestmark = pytest.mark.e2e


def _run(loop: BackgroundLoop, target: str, metadata: object, request: object, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with grpc.aio.insecure_channel(target) as channel:
            return await escalate(channel, metadata, request, timeout)  # type: ignore[arg-type]

    return loop.run(go())


def test_a_healthy_upstream_streams_the_whole_answer(loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory) -> None:
    cloud = make_cloud(fake)
    result = _run(loop, cloud.target, cloud.metadata, ask_cloud())
    assert result.error is None and result.text == ANSWER
    assert result.done is not None and result.done.finish_reason == "stop"


def test_429_retry_after_is_honoured_then_the_retry_succeeds(loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory) -> None:
    cloud = make_cloud(fake)
    fake.script.extend([Plan(Fault.RATE_LIMIT, retry_after="0.6"), Plan()])
    result = _run(loop, cloud.target, cloud.metadata, ask_cloud())
    assert result.error is None and result.text == ANSWER
    first, second = fake.chat_records
    assert second.started - first.started >= 0.55  # waited as the upstream asked


def test_retry_after_longer_than_the_deadline_fails_fast_with_resource_exhausted(
    loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory
) -> None:
    cloud = make_cloud(fake)
    fake.default = Plan(Fault.RATE_LIMIT, retry_after="30")
    started = time.monotonic()
    result = _run(loop, cloud.target, cloud.metadata, ask_cloud(), timeout=10.0)
    assert isinstance(result.error, Overloaded) and result.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert time.monotonic() - started < 5.0  # did not sit out a wait that cannot fit (nor run into the deadline)
    assert len(fake.chat_records) == 1


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.MALFORMED_JSON, Fault.NOT_SSE, Fault.HANG])
def test_at_most_three_attempts_per_request(loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory, fault: Fault) -> None:
    cloud = make_cloud(fake, breaker={"failure_threshold": 100}, upstream={"timeout_s": 0.5})
    fake.default = Plan(fault, retry_after="0")
    result = _run(loop, cloud.target, cloud.metadata, ask_cloud(), timeout=1.5 if fault is Fault.HANG else 10)
    assert result.error is not None and result.done is None
    assert 1 <= len(fake.chat_records) <= 3
    if fault is not Fault.HANG:
        assert len(fake.chat_records) == 3


@pytest.mark.parametrize("fault", [Fault.TRUNCATED, Fault.CUT, Fault.MALFORMED_JSON, Fault.WRONG_SCHEMA])
def test_nothing_is_retried_after_the_first_token(loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory, fault: Fault) -> None:
    cloud = make_cloud(fake)
    fake.script.append(Plan(fault, at=2))
    result = _run(loop, cloud.target, cloud.metadata, ask_cloud())
    assert len(fake.chat_records) == 1
    assert result.done is None and result.text == ANSWER[: len("The answer")]
    assert isinstance(result.error, StreamTruncated | UpstreamError) or result.code == grpc.StatusCode.UNAVAILABLE
    assert result.code in (grpc.StatusCode.DATA_LOSS, grpc.StatusCode.UNAVAILABLE)


def test_a_400_is_not_retried_and_is_invalid_argument(loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory) -> None:
    cloud = make_cloud(fake)
    fake.default = Plan(Fault.BAD_REQUEST)
    result = _run(loop, cloud.target, cloud.metadata, ask_cloud())
    assert isinstance(result.error, InvalidRequest) and len(fake.chat_records) == 1


def test_fallback_upstream_answers_and_the_breaker_skips_the_failing_one(loop: BackgroundLoop, make_cloud: CloudFactory) -> None:
    broken, spare = FakeUpstream(default=Plan(Fault.SERVER_ERROR)), FakeUpstream()
    for upstream in (broken, spare):
        loop.run(upstream.start())
    try:
        cloud = make_cloud(broken, spare, breaker={"failure_threshold": 2, "open_s": 0.8})
        for _ in range(4):
            result = _run(loop, cloud.target, cloud.metadata, ask_cloud())
            assert result.error is None and result.text == ANSWER
        assert len(broken.chat_records) == 2  # opened after 2 consecutive failures, then skipped
        assert len(spare.chat_records) == 4
        time.sleep(0.9)  # half-open: one probe reaches the broken upstream again
        broken.default = Plan()
        result = _run(loop, cloud.target, cloud.metadata, ask_cloud())
        assert result.error is None and len(broken.chat_records) == 3
        result = _run(loop, cloud.target, cloud.metadata, ask_cloud())
        assert len(broken.chat_records) == 4  # closed again: the primary is first in line
    finally:
        for upstream in (broken, spare):
            loop.run(upstream.stop())


def test_all_upstreams_open_fails_fast(loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory) -> None:
    cloud = make_cloud(fake, breaker={"failure_threshold": 1, "open_s": 60})
    fake.default = Plan(Fault.SERVER_ERROR)
    _run(loop, cloud.target, cloud.metadata, ask_cloud())
    seen = len(fake.chat_records)
    started = time.monotonic()
    result = _run(loop, cloud.target, cloud.metadata, ask_cloud(), timeout=10)
    assert result.code == grpc.StatusCode.UNAVAILABLE and "cooling down" in str(result.error)
    assert time.monotonic() - started < 5.0 and len(fake.chat_records) == seen  # failed fast, not at the deadline


@pytest.mark.parametrize("fault", [Fault.SLOW, Fault.HANG])
def test_deadline_cancels_the_upstream_request_within_a_second(
    loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory, fault: Fault
) -> None:
    cloud = make_cloud(fake)
    fake.default = Plan(fault, delay_s=0.2)
    started = time.monotonic()
    result = _run(loop, cloud.target, cloud.metadata, ask_cloud(), timeout=1.0)
    assert isinstance(result.error, DeadlineExceeded) and result.done is None
    deadline = started + 1.0
    time.sleep(1.2)
    record = fake.chat_records[-1]
    assert record.client_gone_at is not None, "the upstream request was never cancelled"
    assert record.client_gone_at - deadline < 1.0
    assert len(fake.chat_records) == 1  # a deadline is not retried


def test_client_cancel_reaches_the_upstream_within_a_second(loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory) -> None:
    cloud = make_cloud(fake)
    fake.default = Plan(Fault.SLOW, delay_s=0.2)

    async def cancel_after_first_token() -> float:
        from protos import cloud_pb2_grpc

        async with grpc.aio.insecure_channel(cloud.target) as channel:
            call = cloud_pb2_grpc.CloudStub(channel).Escalate(ask_cloud(), metadata=cloud.metadata, timeout=30)
            async for _ in call:
                break
            call.cancel()
            return time.monotonic()

    cancelled_at = loop.run(cancel_after_first_token())
    for _ in range(20):
        if fake.chat_records[-1].client_gone_at is not None:
            break
        time.sleep(0.1)
    gone = fake.chat_records[-1].client_gone_at
    assert gone is not None and gone - cancelled_at < 1.0


def test_concurrency_cap_and_per_token_limits_are_resource_exhausted(
    loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory
) -> None:
    cloud = make_cloud(fake, limits={"max_concurrent_streams": 2, "max_streams_per_token": 1})
    fake.default = Plan(Fault.SLOW, delay_s=0.05)

    async def burst() -> list:  # type: ignore[type-arg]
        async with grpc.aio.insecure_channel(cloud.target) as channel:
            return await asyncio.gather(*(escalate(channel, cloud.metadata, ask_cloud(), 1.0) for _ in range(3)))

    results = loop.run(burst())
    exhausted = [r for r in results if r.code == grpc.StatusCode.RESOURCE_EXHAUSTED]
    assert len(exhausted) == 2 and all("in flight" in str(r.error) for r in exhausted)


def test_per_token_rate_limit(loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory) -> None:
    cloud = make_cloud(fake, limits={"requests_per_minute_per_token": 60, "burst_per_token": 2})
    codes = [_run(loop, cloud.target, cloud.metadata, ask_cloud()).code for _ in range(3)]
    assert codes[:2] == [None, None] and codes[2] == grpc.StatusCode.RESOURCE_EXHAUSTED
