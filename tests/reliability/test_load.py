"""A bounded load test: N concurrent SDK clients against a real daemon and cloud (fake upstream).
0 errors at the designed concurrency; past the bounds, clean RESOURCE_EXHAUSTED, never a pile-up."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from bench.reliability.load import RssSampler, run_load
from tests.conftest import DaemonFactory
from tests.fakes.upstream import ANSWER, FakeUpstream, Plan
from tests.helpers import BackgroundLoop
from tests.reliability.conftest import CloudFactory, ask_cloud, escalate

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLIENTS = 8
REQUESTS_PER_CLIENT = 5


def test_designed_concurrency_has_no_errors(fake: FakeUpstream, make_cloud: CloudFactory, make_daemon: DaemonFactory) -> None:
    fake.default = Plan(delay_s=0.01)
    cloud = make_cloud(fake, limits={"requests_per_minute_per_token": 0})
    daemon = make_daemon(cloud.target, cloud.token)
    report = run_load(daemon.socket_path, CLIENTS, REQUESTS_PER_CLIENT, prefer="cloud", timeout=60)
    print(f"\nload: {report}")
    assert report.errors == {} and report.ok == CLIENTS * REQUESTS_PER_CLIENT
    assert report.routes == {"cloud": CLIENTS * REQUESTS_PER_CLIENT}
    assert report.p99_ms >= report.p50_ms > 0


def test_past_the_cloud_stream_cap_is_resource_exhausted_not_queued(
    loop: BackgroundLoop, fake: FakeUpstream, make_cloud: CloudFactory
) -> None:
    fake.default = Plan(delay_s=0.1)
    cloud = make_cloud(fake, limits={"max_concurrent_streams": 4, "requests_per_minute_per_token": 0})

    async def burst() -> list:  # type: ignore[type-arg]
        async with grpc.aio.insecure_channel(cloud.target) as channel:
            return await asyncio.gather(*(escalate(channel, cloud.metadata, ask_cloud(), 10) for _ in range(40)))

    with RssSampler() as rss:
        results = loop.run(burst())
    codes = [r.code for r in results]
    print(f"\noverload: {codes.count(None)} complete, {codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED)} refused, peak RSS {rss.peak_mb:.0f} MB")
    assert set(codes) == {None, grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert all(r.text == ANSWER for r in results if r.code is None)
    assert codes.count(None) >= 4 and codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED) >= 20
    assert len(fake.chat_records) == codes.count(None)  # refused requests never reached the upstream


def test_past_the_edge_queue_bound_is_resource_exhausted(make_daemon: DaemonFactory) -> None:
    daemon = make_daemon(limits={"queue_limit": 1})
    report = run_load(daemon.socket_path, 6, 1, prefer="local", max_tokens=24, timeout=120)
    print(f"\nedge overload: {report}")
    assert set(report.errors) <= {"Overloaded"} and report.errors.get("Overloaded", 0) >= 1
    assert report.ok + report.errors["Overloaded"] == 6 and report.ok >= 2
