"""Prometheus metrics of the cloud service: counts and latencies only, never any text.

Recorded by a gRPC server interceptor around the Cloud service's methods, once per RPC
(the upstream latency and token counts come from each stream's final `done` message), so
the servicer's streaming loop carries no instrumentation. Served on `metrics.port` by
prometheus_client's own small HTTP server.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIServer

import grpc
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from cloud.breaker import BreakerState
from cloud.fallback import UpstreamPool
from cloud.interceptors import CloudRpcInterceptor
from protos import cloud_pb2
from shared.config import MetricsSettings
from shared.errors import ERROR_KIND_METADATA_KEY, ConfigError

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class CloudMetrics:
    """The service's metric families, in one registry, and the interceptor that records them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("tandem_cloud_requests", "Cloud RPCs by method and outcome (ok, error).", ["method", "outcome"], registry=r)
        self.errors = Counter("tandem_cloud_errors", "Failed Cloud RPCs by Tandem error kind.", ["method", "kind"], registry=r)
        self.inflight = Gauge("tandem_cloud_inflight_streams", "Escalation streams being served now.", registry=r)
        self.upstream_latency = Histogram(
            "tandem_cloud_upstream_latency_seconds", "Upstream time per completed escalation.", buckets=LATENCY_BUCKETS, registry=r
        )
        self.upstream_tokens = Counter(
            "tandem_cloud_upstream_tokens", "Tokens the upstream reported, by kind (prompt, completion).", ["kind"], registry=r
        )
        self._http: WSGIServer | None = None
        self._http_thread: threading.Thread | None = None
        self.port: int | None = None

    # ------------------------------------------------------------ recording

    def observe_done(self, done: cloud_pb2.EscalateDone) -> None:
        """Record a completed escalation's upstream latency and token counts."""
        self.upstream_latency.observe(done.upstream_ms / 1000.0)
        self.upstream_tokens.labels("prompt").inc(done.usage.prompt_tokens)
        self.upstream_tokens.labels("completion").inc(done.usage.completion_tokens)

    def observe_end(self, method: str, context: grpc.aio.ServicerContext, error: BaseException | None) -> None:
        """Record one finished RPC: its outcome and, if it failed, the error's kind (a class name)."""
        code = context.code()
        failed = error is not None or (code is not None and code != grpc.StatusCode.OK)
        self.requests.labels(method, "error" if failed else "ok").inc()
        if failed:
            self.errors.labels(method, error_kind(context, error)).inc()

    def watch_pool(self, pool: UpstreamPool) -> None:
        """Report each upstream's circuit-breaker state and the pool's attempts, read at scrape time."""
        self.registry.register(_PoolCollector(pool))

    def interceptor(self) -> MetricsInterceptor:
        """A server interceptor recording the Cloud service's RPCs; put it first, so refused calls count too."""
        return MetricsInterceptor(self)

    # ------------------------------------------------------------ serving

    def start_http(self, settings: MetricsSettings) -> None:
        """Serve /metrics on settings.host:settings.port (a daemon thread); ConfigError if the port is taken."""
        if settings.port is None:
            return
        try:
            self._http, self._http_thread = start_http_server(settings.port, addr=settings.host, registry=self.registry)
        except OSError as exc:
            raise ConfigError(f"metrics.port: cannot bind {settings.host}:{settings.port} ({exc.strerror})") from None
        self.port = int(self._http.server_port)
        log.info("metrics on http://%s:%d/metrics", settings.host, self.port)

    def stop_http(self) -> None:
        """Stop the /metrics server."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            if self._http_thread is not None:
                self._http_thread.join(5)
            self._http = self._http_thread = None


class _PoolCollector(Collector):
    """Breaker state per upstream (a state set: one series per state, 1 for the current one)."""

    def __init__(self, pool: UpstreamPool) -> None:
        self._pool = pool

    def describe(self) -> Iterable[Metric]:
        """No fixed description: the upstream list comes from config."""
        return []

    def collect(self) -> Iterable[Metric]:
        """The current breaker states and attempt count."""
        states = GaugeMetricFamily(
            "tandem_cloud_upstream_breaker_state",
            "Circuit-breaker state per upstream (1 for the current state).",
            labels=["upstream", "state"],
        )
        for index, endpoint in enumerate(self._pool.endpoints):
            current = endpoint.breaker.state
            name = f"{index}:{_host_of(endpoint.upstream.base_url)}"
            for state in BreakerState:
                states.add_metric([name, state.value], 1.0 if state is current else 0.0)
        yield states
        attempts = CounterMetricFamily("tandem_cloud_upstream_attempts", "Upstream calls made, retries and fallbacks included.")
        attempts.add_metric([], float(self._pool.attempts_made))
        yield attempts


def _host_of(base_url: str) -> str:
    # host:port only: a base URL could carry credentials or a path an operator would rather not export.
    return urlsplit(base_url).netloc.rsplit("@", 1)[-1] or "unknown"


def error_kind(context: grpc.aio.ServicerContext, error: BaseException | None) -> str:
    for key, value in context.trailing_metadata() or ():
        if key == ERROR_KIND_METADATA_KEY:
            return value.decode() if isinstance(value, bytes) else str(value)
    code = context.code()
    if code is not None and code != grpc.StatusCode.OK:
        return code.name
    return "Cancelled" if error is not None and not isinstance(error, Exception) else "InternalError"


class MetricsInterceptor(CloudRpcInterceptor):
    """Wraps the Cloud service's handlers to record one outcome per RPC."""

    def __init__(self, metrics: CloudMetrics) -> None:
        self._metrics = metrics

    def wrap_stream(
        self, method: str, details: grpc.HandlerCallDetails, behavior: Callable[..., Any]
    ) -> Callable[..., AsyncIterator[Any]]:
        """Count the stream in flight and record its outcome."""
        metrics = self._metrics

        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            metrics.inflight.inc()
            error: BaseException | None = None
            try:
                result = behavior(request, context)
                if inspect.isasyncgen(result) or hasattr(result, "__aiter__"):
                    async for response in result:
                        if isinstance(response, cloud_pb2.EscalateResponse) and response.HasField("done"):
                            metrics.observe_done(response.done)
                        yield response
                else:
                    await result
            except BaseException as exc:  # recorded, then re-raised unchanged (aborts and cancellations too)
                error = exc
                raise
            finally:
                metrics.inflight.dec()
                metrics.observe_end(method, context, error)

        return wrapped

    def wrap_unary(
        self, method: str, details: grpc.HandlerCallDetails, behavior: Callable[..., Any]
    ) -> Callable[..., Awaitable[Any]]:
        """Record the call's outcome."""
        metrics = self._metrics

        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            error: BaseException | None = None
            try:
                return await behavior(request, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                metrics.observe_end(method, context, error)

        return wrapped
