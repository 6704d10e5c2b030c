"""Prometheus metrics of the edge daemon: counts and histograms only, never any text.

Each daemon owns its own `CollectorRegistry` (several daemons may share a process in
tests). Recording happens once per request, when its Final event (or its error) passes
through `MeteredPipeline.run`, never per token. The queue depth is read at scrape time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from opentelemetry.trace import StatusCode
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from edge.pipeline import AskInput, AskPipeline, Event, Final, Provenance
from edge.policy import Route
from shared.errors import TandemError
from shared.tracing import Tracing, attach_span, detach

CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0)
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class EdgeMetrics:
    """The daemon's metric families, in one registry."""

    def __init__(self, queue_depth: Callable[[], int], queue_limit: int) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "tandem_edge_requests", "Answered requests by route (local, cloud, refused).", ["route"], registry=r
        )
        self.fallbacks = Counter(
            "tandem_edge_cloud_fallbacks",
            "Escalations that failed and were answered locally instead, by error kind.",
            ["kind"],
            registry=r,
        )
        self.errors = Counter("tandem_edge_request_errors", "Requests that ended in an error, by error kind.", ["kind"], registry=r)
        self.confidence = Histogram(
            "tandem_edge_confidence", "Confidence of the local attempt.", buckets=CONFIDENCE_BUCKETS, registry=r
        )
        self.duration = Histogram(
            "tandem_edge_request_duration_seconds", "Time to the final answer, by route.", ["route"], buckets=DURATION_BUCKETS, registry=r
        )
        self.entities = Counter(
            "tandem_edge_entities_detected", "Sensitive spans found by the privacy filter, by entity type.", ["type"], registry=r
        )
        self.sent_chars = Counter("tandem_edge_sent_chars", "Characters of sanitized text sent to the cloud.", registry=r)
        self.cloud_tokens = Counter(
            "tandem_edge_cloud_tokens",
            "Tokens the cloud reported for escalations, by kind (prompt = tokens sent; 0 when the upstream does not count them).",
            ["kind"],
            registry=r,
        )
        self.local_tokens = Counter(
            "tandem_edge_local_tokens", "Tokens processed by the local model, by kind (prompt, completion).", ["kind"], registry=r
        )
        queue = Gauge("tandem_edge_queue_depth", "Requests waiting for the local model.", registry=r)
        queue.set_function(lambda: float(queue_depth()))
        Gauge("tandem_edge_queue_limit", "Requests allowed to wait for the local model.", registry=r).set(queue_limit)
        # Pre-create the route series so a rate over them exists from the first scrape.
        for route in Route:
            self.requests.labels(route.value)

    def observe_final(self, prov: Provenance) -> None:
        """Record one answered request."""
        route = prov.route.value
        self.requests.labels(route).inc()
        if prov.local_prompt_tokens:  # only requests the local model tried have a confidence
            self.confidence.observe(prov.confidence)
        self.duration.labels(route).observe(prov.timings_ms.get("total_ms", 0.0) / 1000.0)
        for entity_type, count in prov.entities.items():
            self.entities.labels(entity_type).inc(count)
        if prov.degraded:
            self.fallbacks.labels(prov.cloud_error_kind or "unknown").inc()
        if prov.sent_text:
            self.sent_chars.inc(len(prov.sent_text))
        self.cloud_tokens.labels("prompt").inc(prov.cloud_prompt_tokens)
        self.cloud_tokens.labels("completion").inc(prov.cloud_completion_tokens)
        self.local_tokens.labels("prompt").inc(prov.local_prompt_tokens)
        self.local_tokens.labels("completion").inc(prov.local_completion_tokens)

    def observe_error(self, error: BaseException) -> None:
        """Record one request that ended in an error (its class name only)."""
        kind = type(error).__name__ if isinstance(error, TandemError) else "InternalError"
        self.errors.labels(kind).inc()

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


class MeteredPipeline(AskPipeline):
    """The AskPipeline, recording one set of metrics (and, when tracing is on, one span) per request."""

    def __init__(self, *args: Any, metrics: EdgeMetrics, tracing: Tracing | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics
        self.tracing = tracing

    async def run(self, request: AskInput) -> AsyncIterator[Event]:
        """The pipeline's events, unchanged."""
        tracer = self.tracing.tracer if self.tracing is not None else None
        span = tracer.start_span("tandem.edge.ask", attributes={"tandem.prefer": request.prefer.value}) if tracer else None
        # Current while the request runs, so the escalation carries its traceparent to the cloud.
        token = attach_span(span) if span is not None else None
        try:
            async for event in super().run(request):
                if isinstance(event, Final):
                    self.metrics.observe_final(event.provenance)
                    if span is not None:
                        span.set_attributes(span_attributes(event.provenance))
                yield event
        except Exception as exc:
            self.metrics.observe_error(exc)
            if span is not None:
                kind = type(exc).__name__ if isinstance(exc, TandemError) else "InternalError"
                span.set_attribute("tandem.error_kind", kind)
                span.set_status(StatusCode.ERROR, kind)  # the class only: messages may quote input
            raise
        finally:
            if token is not None:
                detach(token)
            if span is not None:
                span.end()


def span_attributes(prov: Provenance) -> dict[str, Any]:
    """A request's span attributes: route, confidence, counts and timings, never text."""
    attributes: dict[str, Any] = {
        "tandem.route": prov.route.value,
        "tandem.confidence": prov.confidence,
        "tandem.degraded": prov.degraded,
        "tandem.sent_chars": len(prov.sent_text),
        "tandem.entities": sum(prov.entities.values()),
        "tandem.local_tokens": prov.local_prompt_tokens + prov.local_completion_tokens,
        "tandem.cloud_tokens": prov.cloud_prompt_tokens + prov.cloud_completion_tokens,
    }
    if prov.cloud_error_kind:
        attributes["tandem.cloud_error_kind"] = prov.cloud_error_kind
    for name, ms in prov.timings_ms.items():
        attributes[f"tandem.{name}"] = ms
    return attributes
