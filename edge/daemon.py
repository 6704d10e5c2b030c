"""The edge daemon: wires the parts together and serves them on a Unix socket (0600), optionally on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from edge.budget import CloudBudget
from edge.cloud_client import CloudBackend, GrpcCloudClient
from edge.heap import hand_back_freed_memory
from edge.ledger import EgressLedger
from edge.metrics import EdgeMetrics, MeteredPipeline
from edge.model import LocalModel
from edge.policy import build_policy
from edge.privacy import EgressGuard, PrivacyFilter, Vault
from edge.runner import ModelRunner
from edge.service import EdgeServicer
from edge.sessions import SessionStore
from edge.storage import ensure_private_dir
from protos import edge_pb2, edge_pb2_grpc
from shared.config import EdgeConfig
from shared.errors import ConfigError, TandemError
from shared.tracing import Tracing

if TYPE_CHECKING:
    from edge.http_server import LocalHttpServer

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 5.0
MAX_UNIX_SOCKET_PATH = 100  # sun_path is 104–108 bytes depending on the OS


def _check_socket_path(path: Path) -> None:
    if len(str(path)) > MAX_UNIX_SOCKET_PATH:
        raise ConfigError(f"listen.socket_path: {path} is longer than {MAX_UNIX_SOCKET_PATH} characters")
    if path.exists():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # a stale socket from a daemon that died
        else:
            raise ConfigError(f"listen.socket_path: another daemon is already serving on {path}")
        finally:
            probe.close()


class EdgeDaemon:
    """Owns the model, the stores, the cloud client and the gRPC server."""

    def __init__(self, config: EdgeConfig, cloud: CloudBackend | None = None) -> None:
        self.config = config
        state = ensure_private_dir(config.resolved_state_dir())
        self.socket_path = config.resolved_socket_path()
        self.tcp_port: int | None = None
        self.model = LocalModel(config.model)
        self.runner = ModelRunner(self.model, config.limits.queue_limit)
        self.vault = Vault(state / "vault.db")
        self.sessions = SessionStore(state / "sessions.db")
        self.ledger = EgressLedger(state / "egress.db")
        if cloud is None and config.cloud.target:
            cloud = GrpcCloudClient(config.cloud, config.limits.max_message_bytes)
        self.cloud = cloud
        budget_tokens = config.cloud.daily_token_budget
        self.budget = CloudBudget(state / "budget.db", budget_tokens) if budget_tokens is not None else None
        self.metrics = EdgeMetrics(lambda: self.runner.queue_depth, config.limits.queue_limit)
        self.tracing = Tracing.from_settings(config.tracing, "tandem-edge")
        self.pipeline = MeteredPipeline(
            metrics=self.metrics,
            tracing=self.tracing,
            config=config,
            runner=self.runner,
            privacy=PrivacyFilter(config.privacy, self.vault),
            vault=self.vault,
            guard=EgressGuard.from_settings(config.privacy),
            ledger=self.ledger,
            sessions=self.sessions,
            policy=build_policy(config.policy),
            cloud=cloud,
            budget=self.budget,
        )
        self._server: grpc.aio.Server | None = None
        self.http: LocalHttpServer | None = None  # the OpenAI-compatible endpoint, when listen.http_port is set

    async def start(self) -> None:
        """Bind and start serving."""
        try:
            # Load the NER model now, not on the first request (seconds, once per process).
            await asyncio.to_thread(self.pipeline.privacy.warm_up)
        except TandemError as exc:
            # Keep serving local answers; every scan will fail closed, so nothing can escalate.
            log.warning("privacy filter unavailable (%s): escalation is disabled until it is fixed", exc.message)
        limit = self.config.limits.max_message_bytes
        server = grpc.aio.server(
            # A hard cap on RPCs held at once (past it gRPC answers RESOURCE_EXHAUSTED), so memory stays bounded.
            maximum_concurrent_rpcs=4 * (self.config.limits.queue_limit + 1) + 16,
            options=[("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit)],
        )
        edge_pb2_grpc.add_EdgeServicer_to_server(EdgeServicer(self.pipeline), server)
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        names = (edge_pb2.DESCRIPTOR.services_by_name["Edge"].full_name, health.SERVICE_NAME, reflection.SERVICE_NAME)
        reflection.enable_server_reflection(names, server)

        ensure_private_dir(self.socket_path.parent)
        _check_socket_path(self.socket_path)
        # The socket is created by gRPC's bind; a umask makes it 0600 from its first moment.
        old_umask = os.umask(0o177)
        try:
            server.add_insecure_port(f"unix://{self.socket_path}")
            if self.config.listen.tcp_port is not None:
                self.tcp_port = server.add_insecure_port(f"127.0.0.1:{self.config.listen.tcp_port}")
            await server.start()
        finally:
            os.umask(old_umask)
        os.chmod(self.socket_path, 0o600)
        await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        self._server = server
        if self.config.listen.http_port is not None:
            from edge.http_server import LocalHttpServer  # only daemons that serve HTTP need uvicorn
            from edge.openai_http import OpenAIEndpoint

            endpoint = OpenAIEndpoint(self.pipeline, self.metrics, self.config.limits.max_message_bytes)
            self.http = LocalHttpServer(endpoint.app(), self.config.listen.http_port)
            try:
                await self.http.start()
            except BaseException:
                self.http = None
                await self.stop(grace=0)  # a half-started daemon must not keep its socket
                raise
            log.info("OpenAI-compatible endpoint on http://127.0.0.1:%d/v1", self.http.port)
        log.info("edge daemon serving on unix://%s (model %s)", self.socket_path, self.model.name)

    async def stop(self, grace: float = SHUTDOWN_GRACE_S) -> None:
        """Finish in-flight requests within `grace`, then release everything."""
        if self.http is not None:
            await self.http.stop(grace)
            self.http = None
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None
        if self.cloud is not None:
            await self.cloud.close()
        self.runner.close()
        self.tracing.shutdown()
        for store in (self.vault, self.sessions, self.ledger):
            store.close()
        if self.budget is not None:
            self.budget.close()
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    async def wait(self) -> None:
        """Until the server stops."""
        if self._server is not None:
            await self._server.wait_for_termination()


async def serve(config: EdgeConfig, on_ready: Callable[[EdgeDaemon], None] | None = None) -> None:
    """Run the daemon until SIGTERM or SIGINT."""
    # Handlers first, so a signal that arrives while the model loads or the socket binds still stops cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    hand_back_freed_memory()  # before the model and NER load, whose freed scratch memory would otherwise stay resident
    daemon = EdgeDaemon(config)
    await daemon.start()
    if on_ready and not stop.is_set():
        on_ready(daemon)
    await stop.wait()
    log.info("edge daemon shutting down")
    await daemon.stop()
