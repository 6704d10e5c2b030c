"""Fixtures for reliability tests: the fake upstream, cloud services in front of it, and an async gRPC client."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from cloud.server import CloudService
from protos import cloud_pb2, cloud_pb2_grpc
from shared.errors import TandemError, from_rpc_error
from tests.fakes.upstream import FakeUpstream
from tests.helpers import BackgroundLoop, cloud_config


@pytest.fixture
def fake(loop: BackgroundLoop) -> Iterator[FakeUpstream]:
    """A fresh fake upstream on a free loopback port."""
    upstream = FakeUpstream()
    loop.run(upstream.start())
    yield upstream
    loop.run(upstream.stop())


@dataclass
class FakeCloud:
    """A real cloud service in front of fake upstreams."""

    service: CloudService
    token: str

    @property
    def target(self) -> str:
        return self.service.target

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)


CloudFactory = Callable[..., FakeCloud]


def fake_cloud_config(token: str, upstreams: list[FakeUpstream], **overrides: Any) -> Any:
    """A loopback cloud config whose ordered upstreams are `upstreams`."""
    data: dict[str, Any] = {
        "upstreams": [{"base_url": u.base_url, "model": "fake-model", "timeout_s": 30} for u in upstreams],
        "retry": {"max_attempts": 3, "backoff_s": 0.01},
    }
    data.update(overrides)
    return cloud_config(token, **data)


@pytest.fixture
def make_cloud(loop: BackgroundLoop) -> Iterator[CloudFactory]:
    """Start cloud services in front of fake upstreams; all are stopped after the test."""
    started: list[CloudService] = []

    def factory(*upstreams: FakeUpstream, **overrides: Any) -> FakeCloud:
        token = secrets.token_urlsafe(12)
        service = CloudService(fake_cloud_config(token, list(upstreams), **overrides))
        loop.run(service.start())
        started.append(service)
        return FakeCloud(service, token)

    yield factory
    for service in started:
        loop.run(service.stop(grace=0.5))


@dataclass
class EscalateResult:
    """What an Escalate call produced."""

    text: str
    done: cloud_pb2.EscalateDone | None
    error: TandemError | None
    code: grpc.StatusCode | None


def ask_cloud(content: str = "hi", max_tokens: int = 8, **fields: Any) -> cloud_pb2.EscalateRequest:
    """A small, valid EscalateRequest."""
    return cloud_pb2.EscalateRequest(messages=[cloud_pb2.ChatMessage(role="user", content=content)], max_tokens=max_tokens, **fields)


async def escalate(
    channel: grpc.aio.Channel, metadata: Any, request: cloud_pb2.EscalateRequest, timeout: float
) -> EscalateResult:
    """Run one Escalate to the end and collect the text, the Done and any typed error."""
    stub = cloud_pb2_grpc.CloudStub(channel)
    text, done = "", None
    try:
        async for message in stub.Escalate(request, metadata=metadata, timeout=timeout):
            if message.HasField("done"):
                done = message.done
            else:
                text += message.delta
    except grpc.RpcError as exc:
        return EscalateResult(text, done, from_rpc_error(exc), exc.code())  # type: ignore[attr-defined]
    return EscalateResult(text, done, None, None)


async def open_channel(target: str) -> AsyncIterator[grpc.aio.Channel]:
    """An aio channel to `target` (plaintext loopback)."""
    async with grpc.aio.insecure_channel(target) as channel:
        yield channel
