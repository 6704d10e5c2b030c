"""The edge's client for the cloud service: TLS (or plaintext on loopback), bearer token, deadline.

The edge→cloud hop has one retry loop: gRPC's own retryPolicy (UNAVAILABLE only, bounded,
with backoff). The cloud sends its response headers before it calls any upstream, which
commits the call, so gRPC only ever retries attempts the cloud never started. Connecting is
bounded by `connect_timeout_s`, and after `offline_after_failures` unreachable-cloud failures
in a row the client goes offline for `offline_s`: escalations fail at once (the pipeline then
answers locally, marked degraded) until one probe gets through again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import grpc

from cloud.breaker import BreakerState, CircuitBreaker
from protos import cloud_pb2, cloud_pb2_grpc
from shared.config import CloudClientSettings
from shared.errors import ConfigError, DeadlineExceeded, StreamTruncated, TandemError, Unavailable, from_rpc_error
from shared.net import is_loopback_host, split_target
from shared.tracing import outgoing_metadata


@dataclass(frozen=True, slots=True)
class CloudDelta:
    """A piece of the cloud's answer (placeholders not yet restored)."""

    text: str


@dataclass(frozen=True, slots=True)
class CloudDone:
    """The end of a cloud answer."""

    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    model: str


CloudEvent = CloudDelta | CloudDone


class CloudBackend(Protocol):
    """Where escalations go."""

    destination: str

    def escalate(self, request: cloud_pb2.EscalateRequest, timeout_s: float) -> AsyncIterator[CloudEvent]:
        """Stream the answer; raise a TandemError on failure, StreamTruncated if it ends early."""
        ...

    async def reachable(self, timeout_s: float) -> bool:
        """Whether the service answers at all."""
        ...

    def check_online(self) -> None:
        """Raise Unavailable while offline mode is on, before anything is recorded or sent."""
        ...

    async def close(self) -> None:
        """Release the channel."""
        ...


RETRY_MAX_ATTEMPTS = 2  # gRPC attempts per escalation; with the cloud's upstream loop, ≤ 3 model attempts in all
RECONNECT_BACKOFF_MS = (250, 2000)  # initial, max: a cloud that comes back is found again within ~2 s
SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{"service": "tandem.v1.Cloud"}],
                "retryPolicy": {
                    "maxAttempts": RETRY_MAX_ATTEMPTS,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


def channel_options(max_message_bytes: int) -> list[tuple[str, str | int]]:
    """Channel options: message limits, the retry policy, and short reconnect backoff."""
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", SERVICE_CONFIG),
        ("grpc.initial_reconnect_backoff_ms", RECONNECT_BACKOFF_MS[0]),
        ("grpc.min_reconnect_backoff_ms", RECONNECT_BACKOFF_MS[0]),
        ("grpc.max_reconnect_backoff_ms", RECONNECT_BACKOFF_MS[1]),
    ]


def _channel(settings: CloudClientSettings, target: str, max_message_bytes: int) -> grpc.aio.Channel:
    options = channel_options(max_message_bytes)
    if settings.server_name:
        options.append(("grpc.ssl_target_name_override", settings.server_name))
    if settings.ca_cert is not None:
        try:
            root = settings.ca_cert.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cloud.ca_cert: cannot read {settings.ca_cert}: {exc.strerror}") from None
        chain = key = None
        if settings.client_cert is not None or settings.client_key is not None:
            if settings.client_cert is None or settings.client_key is None:
                raise ConfigError("cloud.client_cert: set both client_cert and client_key for mTLS")
            try:
                chain, key = settings.client_cert.read_bytes(), settings.client_key.read_bytes()
            except OSError as exc:
                raise ConfigError(f"cloud.client_cert: cannot read {exc.filename}: {exc.strerror}") from None
        credentials = grpc.ssl_channel_credentials(root_certificates=root, private_key=key, certificate_chain=chain)
        return grpc.aio.secure_channel(target, credentials, options=options)
    host, _ = split_target(target)
    if not is_loopback_host(host):
        raise ConfigError(f"cloud.target: {target} is not loopback, so cloud.ca_cert must be set (TLS is required)")
    return grpc.aio.insecure_channel(target, options=options)


def _offline_message(destination: str) -> str:
    return f"offline mode: the cloud at {destination} failed repeatedly; trying again later"


class GrpcCloudClient:
    """Escalates over gRPC to `tandem cloud serve`."""

    def __init__(self, settings: CloudClientSettings, max_message_bytes: int) -> None:
        if not settings.target:
            raise ConfigError("cloud.target: not set")
        try:
            split_target(settings.target)
        except ValueError as exc:
            raise ConfigError(f"cloud.target: {exc}") from None
        self.destination = settings.target
        token = settings.resolved_token()
        self._metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {token}"),) if token else ()
        self._settings = settings
        self._max_message_bytes = max_message_bytes
        self.link = CircuitBreaker(settings.offline_after_failures, settings.offline_s)
        # grpc.aio channels bind to the event loop that creates them, so create it on first use.
        self._channel: grpc.aio.Channel | None = None
        self._stub_instance: cloud_pb2_grpc.CloudStub | None = None
        if settings.ca_cert is None:
            host, _ = split_target(settings.target)
            if not is_loopback_host(host):
                raise ConfigError(f"cloud.target: {settings.target} is not loopback, so cloud.ca_cert must be set (TLS is required)")

    @property
    def _stub(self) -> cloud_pb2_grpc.CloudStub:
        if self._stub_instance is None:
            self._channel = _channel(self._settings, self.destination, self._max_message_bytes)
            self._stub_instance = cloud_pb2_grpc.CloudStub(self._channel)
        return self._stub_instance

    @property
    def offline(self) -> bool:
        """Whether offline mode is on (the cloud failed repeatedly and its pause has not passed)."""
        return self.link.state is BreakerState.OPEN

    def check_online(self) -> None:
        """Raise Unavailable while offline mode is on."""
        if self.offline:
            raise Unavailable(_offline_message(self.destination))

    async def _connect(self, budget_s: float) -> None:
        """Wait until the channel is connected, at most `budget_s`; Unavailable if it cannot be."""
        _ = self._stub  # creates the channel on first use
        channel = self._channel
        assert channel is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget_s
        state = channel.get_state(try_to_connect=True)
        while state is not grpc.ChannelConnectivity.READY:
            if state in (grpc.ChannelConnectivity.TRANSIENT_FAILURE, grpc.ChannelConnectivity.SHUTDOWN):
                raise Unavailable(f"cannot connect to the cloud at {self.destination}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise Unavailable(f"could not connect to the cloud at {self.destination} within {budget_s:.1f}s")
            try:
                await asyncio.wait_for(channel.wait_for_state_change(state), remaining)
            except TimeoutError:
                raise Unavailable(f"could not connect to the cloud at {self.destination} within {budget_s:.1f}s") from None
            state = channel.get_state(try_to_connect=True)

    async def escalate(self, request: cloud_pb2.EscalateRequest, timeout_s: float) -> AsyncIterator[CloudEvent]:
        """Stream the answer to `request`, mapping every gRPC failure to a typed error."""
        if not self.link.allow():
            raise Unavailable(_offline_message(self.destination))
        received = False
        try:
            await self._connect(min(self._settings.connect_timeout_s, timeout_s))
            # outgoing_metadata() is empty unless tracing is on: then the edge's span is the cloud's parent.
            call = self._stub.Escalate(request, timeout=timeout_s, metadata=self._metadata + outgoing_metadata())
            done = False
            try:
                async for message in call:
                    received = True
                    if message.HasField("done"):
                        d = message.done
                        done = True
                        yield CloudDone(d.finish_reason, d.usage.prompt_tokens, d.usage.completion_tokens, d.model)
                    else:
                        yield CloudDelta(message.delta)
            except grpc.RpcError as exc:
                raise from_rpc_error(exc) from None
            finally:
                call.cancel()
            if not done:
                raise StreamTruncated("the cloud's answer ended before its final message")
        except (Unavailable, DeadlineExceeded) as exc:
            # Only a cloud that could not be reached counts toward offline mode; its own errors do not.
            if received or exc.message.startswith("offline mode"):
                self.link.record_success()
            else:
                self.link.record_failure()
            raise
        except TandemError:
            self.link.record_success()
            raise
        except BaseException:
            self.link.release()
            raise
        self.link.record_success()

    async def reachable(self, timeout_s: float) -> bool:
        """Whether ListModels answers within `timeout_s`."""
        try:
            await self._stub.ListModels(cloud_pb2.ListModelsRequest(), timeout=timeout_s, metadata=self._metadata)
        except grpc.RpcError:
            return False
        return True

    async def close(self) -> None:
        """Close the channel."""
        if self._channel is not None:
            await self._channel.close()
            self._channel = self._stub_instance = None

