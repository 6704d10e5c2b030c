"""The edge→cloud hop: gRPC's retryPolicy (UNAVAILABLE only, bounded, never after the cloud started),
bounded connect, offline mode. A tiny real gRPC server plays the cloud; no model needed."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest

from edge.cloud_client import RETRY_MAX_ATTEMPTS, CloudDelta, CloudDone, GrpcCloudClient
from protos import cloud_pb2, cloud_pb2_grpc, common_pb2
from shared.config import CloudClientSettings
from shared.errors import InvalidRequest, StreamTruncated, TandemError, Unavailable
from shared.net import free_port
from tests.helpers import BackgroundLoop

pytestmark = pytest.mark.e2e


class ScriptedCloud(cloud_pb2_grpc.CloudServicer):
    """Answers Escalate by script: 'unavailable' (before headers), 'headers-then-unavailable', 'invalid', 'ok'."""

    def __init__(self) -> None:
        self.script: list[str] = []
        self.default = "ok"
        self.calls = 0

    async def Escalate(self, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:  # noqa: N802
        self.calls += 1
        action = self.script.pop(0) if self.script else self.default
        if action == "unavailable":
            await context.abort(grpc.StatusCode.UNAVAILABLE, "not now")
        if action == "invalid":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "messages: bad")
        await context.send_initial_metadata(())
        if action == "headers-then-unavailable":
            await context.abort(grpc.StatusCode.UNAVAILABLE, "upstream gone")
        yield cloud_pb2.EscalateResponse(delta="hello")
        if action == "cut":
            await context.abort(grpc.StatusCode.UNAVAILABLE, "connection lost")
        yield cloud_pb2.EscalateResponse(done=cloud_pb2.EscalateDone(finish_reason="stop", usage=common_pb2.Usage()))


@pytest.fixture
def scripted(loop: BackgroundLoop) -> Iterator[tuple[ScriptedCloud, str]]:
    servicer = ScriptedCloud()

    async def start() -> tuple[grpc.aio.Server, int]:
        server = grpc.aio.server()
        cloud_pb2_grpc.add_CloudServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        return server, port

    server, port = loop.run(start())
    yield servicer, f"127.0.0.1:{port}"
    loop.run(server.stop(0))


def _client(target: str, **settings: Any) -> GrpcCloudClient:
    return GrpcCloudClient(CloudClientSettings(target=target, **settings), 4 * 1024 * 1024)


def _escalate(loop: BackgroundLoop, client: GrpcCloudClient, timeout: float = 10.0) -> tuple[list[Any], TandemError | None]:
    async def go() -> tuple[list[Any], TandemError | None]:
        events: list[Any] = []
        request = cloud_pb2.EscalateRequest(messages=[cloud_pb2.ChatMessage(role="user", content="hi")])
        try:
            async for event in client.escalate(request, timeout):
                events.append(event)
        except TandemError as exc:
            return events, exc
        return events, None

    return loop.run(go())


def test_unavailable_before_the_cloud_starts_is_retried_once(loop: BackgroundLoop, scripted: tuple[ScriptedCloud, str]) -> None:
    servicer, target = scripted
    client = _client(target)
    servicer.script = ["unavailable"]
    events, error = _escalate(loop, client)
    assert error is None and isinstance(events[-1], CloudDone) and servicer.calls == 2
    loop.run(client.close())


def test_retries_are_bounded(loop: BackgroundLoop, scripted: tuple[ScriptedCloud, str]) -> None:
    servicer, target = scripted
    client = _client(target, offline_after_failures=100)
    servicer.default = "unavailable"
    _, error = _escalate(loop, client)
    assert isinstance(error, Unavailable) and servicer.calls == RETRY_MAX_ATTEMPTS
    loop.run(client.close())


@pytest.mark.parametrize(("action", "kind"), [("headers-then-unavailable", Unavailable), ("invalid", InvalidRequest), ("cut", Unavailable)])
def test_no_retry_once_the_cloud_started_or_for_other_codes(
    loop: BackgroundLoop, scripted: tuple[ScriptedCloud, str], action: str, kind: type
) -> None:
    servicer, target = scripted
    client = _client(target)
    servicer.default = action
    events, error = _escalate(loop, client)
    assert isinstance(error, kind) and servicer.calls == 1
    if action == "cut":
        assert [type(e) for e in events] == [CloudDelta]  # the pipeline turns this into StreamTruncated
    loop.run(client.close())


def test_stream_without_done_is_truncated(loop: BackgroundLoop) -> None:
    class NoDone(ScriptedCloud):
        async def Escalate(self, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:  # noqa: N802
            yield cloud_pb2.EscalateResponse(delta="partial")

    async def start() -> tuple[grpc.aio.Server, int]:
        server = grpc.aio.server()
        cloud_pb2_grpc.add_CloudServicer_to_server(NoDone(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        return server, port

    server, port = loop.run(start())
    client = _client(f"127.0.0.1:{port}")
    _, error = _escalate(loop, client)
    assert isinstance(error, StreamTruncated)
    loop.run(client.close())
    loop.run(server.stop(0))


def test_dead_cloud_fails_fast_then_goes_offline(loop: BackgroundLoop) -> None:
    client = _client(f"127.0.0.1:{free_port()}", offline_after_failures=2, offline_s=60)
    for _ in range(2):
        started = time.monotonic()
        _, error = _escalate(loop, client, timeout=30)
        assert isinstance(error, Unavailable) and time.monotonic() - started < 5
    started = time.monotonic()
    _, error = _escalate(loop, client, timeout=30)
    assert isinstance(error, Unavailable) and "offline mode" in error.message
    assert time.monotonic() - started < 2.0  # at once, not after a connect attempt or the 30 s deadline
    loop.run(client.close())


def test_offline_mode_ends_when_the_cloud_comes_back(loop: BackgroundLoop, scripted: tuple[ScriptedCloud, str]) -> None:
    servicer, target = scripted
    client = _client(target, offline_after_failures=1, offline_s=0.3)
    servicer.default = "unavailable"
    _escalate(loop, client)
    _, error = _escalate(loop, client)
    assert error is not None and "offline mode" in error.message
    servicer.default = "ok"
    time.sleep(0.35)
    events, error = _escalate(loop, client)
    assert error is None and isinstance(events[-1], CloudDone)
    loop.run(client.close())


def test_a_cloud_that_never_handshakes_is_bounded_by_the_connect_timeout(loop: BackgroundLoop) -> None:
    # The kernel accepts the TCP connection, but nobody ever speaks HTTP/2 on it.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        client = _client(f"127.0.0.1:{silent.getsockname()[1]}", connect_timeout_s=0.5)
        started = time.monotonic()
        _, error = _escalate(loop, client, timeout=30)
        assert isinstance(error, Unavailable) and time.monotonic() - started < 3
        loop.run(client.close())
    finally:
        silent.close()
