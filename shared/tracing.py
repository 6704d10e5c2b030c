"""OpenTelemetry tracing for both sides: off by default, and spans never carry private text.

Each component (a daemon, a cloud service) owns its own `Tracing`: a TracerProvider when
`tracing.enabled`, else nothing at all (no context is attached, no metadata is sent). The
trace context crosses the edge → cloud hop as W3C `traceparent` gRPC metadata.

Span attributes are counts, routes, kinds and timings only; prompts, answers, sent text and
entity values never become attributes or events. Keep it that way when adding one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.config import TracingSettings
from shared.errors import ConfigError

log = logging.getLogger(__name__)

_PROPAGATOR = TraceContextTextMapPropagator()
TRACE_METADATA_KEYS = ("traceparent", "tracestate")


class Tracing:
    """A component's tracer, or nothing when tracing is off."""

    def __init__(self, provider: Any | None, service_name: str) -> None:
        self.provider = provider
        self.service_name = service_name
        self.tracer: trace.Tracer | None = provider.get_tracer("tandem") if provider is not None else None

    @property
    def enabled(self) -> bool:
        """Whether spans are recorded."""
        return self.tracer is not None

    @classmethod
    def from_settings(cls, settings: TracingSettings, default_service_name: str) -> Tracing:
        """Tracing per `settings`; ConfigError naming the field when its exporter is not installed."""
        name = settings.service_name or default_service_name
        if not settings.enabled:
            return cls(None, name)
        try:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
        except ImportError:
            raise ConfigError("tracing.enabled: needs opentelemetry-sdk (pip install 'tandem[tracing]')") from None
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        if settings.exporter == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif settings.exporter == "otlp":
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            except ImportError:
                raise ConfigError(
                    "tracing.exporter: 'otlp' needs opentelemetry-exporter-otlp-proto-http; install it or use 'console'"
                ) from None
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.endpoint)))
        # "none": spans are recorded for processors added in-process (tests), exported nowhere.
        return cls(provider, name)

    def shutdown(self) -> None:
        """Flush and stop the exporters."""
        if self.provider is not None:
            with contextlib.suppress(Exception):
                self.provider.shutdown()


def outgoing_metadata() -> tuple[tuple[str, str], ...]:
    """`traceparent` (and `tracestate`) for the current span, or nothing when no span is recording."""
    if not trace.get_current_span().get_span_context().is_valid:
        return ()
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return tuple((k, v) for k, v in carrier.items() if k in TRACE_METADATA_KEYS)


def context_from_metadata(metadata: Iterable[Any] | None) -> otel_context.Context:
    """The remote parent carried in gRPC invocation metadata (an empty context when there is none)."""
    carrier: dict[str, str] = {}
    for item in metadata or ():
        key, value = (item.key, item.value) if hasattr(item, "key") else item
        if key in TRACE_METADATA_KEYS:
            carrier[key] = value.decode() if isinstance(value, bytes) else str(value)
    return _PROPAGATOR.extract(carrier)


def attach_span(span: trace.Span) -> object:
    """Make `span` current (so the cloud call can propagate it); returns the token for `detach`."""
    return otel_context.attach(trace.set_span_in_context(span))


def detach(token: object) -> None:
    """Undo `attach_span` (OpenTelemetry logs, never raises, if a generator is closed from another context)."""
    otel_context.detach(token)  # type: ignore[arg-type]
