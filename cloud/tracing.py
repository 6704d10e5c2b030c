"""OpenTelemetry spans for the cloud service's RPCs, children of the edge's span (from `traceparent` metadata).

A server interceptor opens one span per Cloud RPC and, for a completed escalation, a child
span for the upstream call, timed from the stream's `done.upstream_ms`, so the servicer and
the upstream client carry no tracing code. Attributes are counts, kinds and timings; never text.
Only installed when `tracing.enabled`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from cloud.interceptors import CloudRpcInterceptor
from cloud.metrics import error_kind
from protos import cloud_pb2
from shared.tracing import Tracing, context_from_metadata

NS_PER_MS = 1_000_000


class TracingInterceptor(CloudRpcInterceptor):
    """Wraps the Cloud service's handlers in spans."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def _end(self, span: trace.Span, context: grpc.aio.ServicerContext, error: BaseException | None) -> None:
        code = context.code()
        if error is not None or (code is not None and code != grpc.StatusCode.OK):
            kind = error_kind(context, error)
            span.set_attribute("tandem.error_kind", kind)
            span.set_status(StatusCode.ERROR, kind)
        span.end()

    def _upstream_span(self, parent: trace.Span, done: cloud_pb2.EscalateDone) -> None:
        end = time.time_ns()
        child = self._tracer.start_span(
            "tandem.cloud.upstream",
            context=trace.set_span_in_context(parent),
            kind=SpanKind.CLIENT,
            start_time=end - int(done.upstream_ms * NS_PER_MS),
            attributes={
                "tandem.upstream_model": done.model,
                "tandem.finish_reason": done.finish_reason,
                "tandem.prompt_tokens": done.usage.prompt_tokens,
                "tandem.completion_tokens": done.usage.completion_tokens,
            },
        )
        child.end(end_time=end)

    def wrap_stream(
        self, method: str, details: grpc.HandlerCallDetails, behavior: Callable[..., Any]
    ) -> Callable[..., AsyncIterator[Any]]:
        """Run the stream inside a server span, child of the edge's span."""
        parent = context_from_metadata(details.invocation_metadata)

        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            span = self._tracer.start_span(f"tandem.cloud.{method}", context=parent, kind=SpanKind.SERVER)
            error: BaseException | None = None
            try:
                async for response in behavior(request, context):
                    if isinstance(response, cloud_pb2.EscalateResponse) and response.HasField("done"):
                        self._upstream_span(span, response.done)
                    yield response
            except BaseException as exc:  # recorded, then re-raised unchanged
                error = exc
                raise
            finally:
                self._end(span, context, error)

        return wrapped

    def wrap_unary(
        self, method: str, details: grpc.HandlerCallDetails, behavior: Callable[..., Any]
    ) -> Callable[..., Awaitable[Any]]:
        """Run the call inside a server span, child of the edge's span."""
        parent = context_from_metadata(details.invocation_metadata)

        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            span = self._tracer.start_span(f"tandem.cloud.{method}", context=parent, kind=SpanKind.SERVER)
            error: BaseException | None = None
            try:
                return await behavior(request, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                self._end(span, context, error)

        return wrapped


def tracing_interceptors(tracing: Tracing) -> list[grpc.aio.ServerInterceptor]:
    """The interceptor to put first in the server's list, or none when tracing is off."""
    return [TracingInterceptor(tracing.tracer)] if tracing.tracer is not None else []
