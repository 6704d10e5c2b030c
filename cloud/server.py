"""The cloud service: gRPC (TLS + token) in front of the upstream, with health and reflection."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from cloud.auth import AuthInterceptor, TokenVerifier
from cloud.embedded import EmbeddedUpstream, embedded_log_path
from cloud.fallback import UpstreamPool, build_pool
from cloud.metrics import CloudMetrics
from cloud.service import CloudServicer
from cloud.tracing import tracing_interceptors
from cloud.upstream import Upstream
from protos import cloud_pb2, cloud_pb2_grpc
from shared.config import CloudConfig
from shared.errors import ConfigError
from shared.net import is_loopback_host
from shared.tracing import Tracing

log = logging.getLogger(__name__)


def _read(path: object, field: str) -> bytes:
    try:
        return open(path, "rb").read()  # type: ignore[call-overload]
    except OSError as exc:
        raise ConfigError(f"{field}: cannot read {path}: {exc.strerror}") from None


def server_credentials(config: CloudConfig) -> grpc.ServerCredentials | None:
    """TLS credentials from config, or None for plaintext (allowed on loopback only)."""
    tls = config.tls
    if not tls.enabled:
        if not is_loopback_host(config.listen.host):
            raise ConfigError(f"tls.cert: required when listening on {config.listen.host} (plaintext is loopback-only)")
        return None
    if tls.key is None:
        raise ConfigError("tls.key: required when tls.cert is set")
    cert, key = _read(tls.cert, "tls.cert"), _read(tls.key, "tls.key")
    client_ca = _read(tls.client_ca, "tls.client_ca") if tls.client_ca else None
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None)


class CloudService:
    """Owns the upstream (embedded or configured) and the gRPC server."""

    def __init__(self, config: CloudConfig) -> None:
        self.config = config
        self.verifier = TokenVerifier.from_settings(config.auth)
        self.credentials = server_credentials(config)
        self.embedded: EmbeddedUpstream | None = None
        self.upstream: Upstream | None = None
        self.pool: UpstreamPool | None = None
        self.port: int | None = None
        self.metrics = CloudMetrics()
        self.tracing = Tracing.from_settings(config.tracing, "tandem-cloud")
        self._server: grpc.aio.Server | None = None
        self._health: health.aio.HealthServicer | None = None

    async def start(self) -> None:
        """Start the upstream if embedded, then serve."""
        embedded_url, embedded_model = None, ""
        if not self.config.upstreams and self.config.upstream.base_url is None:
            self.embedded = EmbeddedUpstream(self.config.embedded, embedded_log_path())
            await self.embedded.start()
            embedded_url, embedded_model = self.embedded.base_url, self.embedded.model_alias
        self.pool = build_pool(self.config, embedded_url, embedded_model)
        self.metrics.watch_pool(self.pool)
        self.upstream = self.pool.primary
        try:
            for endpoint in self.pool.endpoints:
                await endpoint.upstream.resolve_default_model()
        except Exception:
            log.warning("could not list the upstream's models yet; requests must name a model")

        limit = self.config.limits.max_message_bytes
        server = grpc.aio.server(
            # Metrics first, so calls the auth interceptor refuses are counted too.
            interceptors=[*tracing_interceptors(self.tracing), self.metrics.interceptor(), AuthInterceptor(self.verifier)],
            # A hard cap on RPCs held at once (past it gRPC answers RESOURCE_EXHAUSTED), so memory stays bounded.
            maximum_concurrent_rpcs=4 * self.config.limits.max_concurrent_streams,
            options=[("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit)],
        )
        cloud_pb2_grpc.add_CloudServicer_to_server(CloudServicer(self.config, self.pool), server)
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        names = (cloud_pb2.DESCRIPTOR.services_by_name["Cloud"].full_name, health.SERVICE_NAME, reflection.SERVICE_NAME)
        reflection.enable_server_reflection(names, server)
        address = f"{self.config.listen.host}:{self.config.listen.port}"
        if self.credentials is not None:
            self.port = server.add_secure_port(address, self.credentials)
        else:
            self.port = server.add_insecure_port(address)
        await server.start()
        self.metrics.start_http(self.config.metrics)
        await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        self._health = health_servicer
        self._server = server
        log.info("cloud service serving on %s:%d (%s)", self.config.listen.host, self.port, "TLS" if self.credentials else "plaintext, loopback")

    @property
    def target(self) -> str:
        """host:port the service is reachable at."""
        return f"{self.config.listen.host}:{self.port}"

    async def stop(self, grace: float | None = None) -> None:
        """Let in-flight streams finish within the grace period, then stop the upstream."""
        if self._health is not None:
            # Probes and load balancers see NOT_SERVING while in-flight streams drain.
            await self._health.enter_graceful_shutdown()
            self._health = None
        if self._server is not None:
            await self._server.stop(self.config.shutdown_grace_s if grace is None else grace)
            self._server = None
        self.metrics.stop_http()
        self.tracing.shutdown()
        if self.pool is not None:
            for endpoint in self.pool.endpoints:
                await endpoint.upstream.close()
        if self.embedded is not None:
            await self.embedded.stop()


async def serve(config: CloudConfig, on_ready: Callable[[CloudService], None] | None = None) -> None:
    """Run the service until SIGTERM or SIGINT."""
    # Handlers first, so a signal during start-up still reaps the embedded upstream.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    service = CloudService(config)
    try:
        await service.start()
        if on_ready and not stop.is_set():
            on_ready(service)
        await stop.wait()
        log.info("cloud service shutting down")
    finally:
        await service.stop()
