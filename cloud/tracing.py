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

from cloud.metrics import CLOUD_SERVICE_PREFIX, error_kind
from protos import cloud_pb2
from shared.tracing import Tracing, context_from_metadata

NS_PER_MS = 1_000_000


class TracingInterceptor(grpc.aio.ServerInterceptor):
    """Wraps the Cloud service's handlers in spans."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        """The handler, wrapped when it belongs to the Cloud service."""
        handler = await continuation(handler_call_details)
        full = handler_call_details.method or ""
        if handler is None or not full.startswith(CLOUD_SERVICE_PREFIX):
            return handler
        method = full[len(CLOUD_SERVICE_PREFIX):]
        parent = context_from_metadata(handler_call_details.invocation_metadata)
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(method, parent, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(method, parent, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

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

    def _wrap_stream(self, method: str, parent: Any, behavior: Callable[..., Any]) -> Callable[..., AsyncIterator[Any]]:
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

    def _wrap_unary(self, method: str, parent: Any, behavior: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
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
