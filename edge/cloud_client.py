"""The edge's client for the cloud service: TLS (or plaintext on loopback), bearer token, deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import grpc

from protos import cloud_pb2, cloud_pb2_grpc
from shared.config import CloudClientSettings
from shared.errors import ConfigError, StreamTruncated, from_rpc_error
from shared.net import is_loopback_host, split_target


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

    async def close(self) -> None:
        """Release the channel."""
        ...


def _channel(settings: CloudClientSettings, target: str, max_message_bytes: int) -> grpc.aio.Channel:
    options = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]
    if settings.server_name:
        options.append(("grpc.ssl_target_name_override", settings.server_name))
    if settings.ca_cert is not None:
        try:
            root = settings.ca_cert.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cloud.ca_cert: cannot read {settings.ca_cert}: {exc.strerror}") from None
        return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=root), options=options)
    host, _ = split_target(target)
    if not is_loopback_host(host):
        raise ConfigError(f"cloud.target: {target} is not loopback, so cloud.ca_cert must be set (TLS is required)")
    return grpc.aio.insecure_channel(target, options=options)


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

    async def escalate(self, request: cloud_pb2.EscalateRequest, timeout_s: float) -> AsyncIterator[CloudEvent]:
        """Stream the answer to `request`, mapping every gRPC failure to a typed error."""
        call = self._stub.Escalate(request, timeout=timeout_s, metadata=self._metadata)
        done = False
        try:
            async for message in call:
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

