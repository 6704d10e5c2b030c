"""The edge daemon's gRPC servicer: converts messages and calls the pipeline, nothing more."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import grpc

import shared
from edge.pipeline import AskInput, AskPipeline, Chunk, Event, Final
from edge.planner import ContextDoc
from edge.policy import Prefer, Route
from protos import common_pb2, edge_pb2, edge_pb2_grpc
from shared.errors import InternalError, InvalidRequest, TandemError, abort_with

log = logging.getLogger(__name__)

PREFER_FROM_PROTO = {
    common_pb2.PREFER_UNSPECIFIED: Prefer.AUTO,
    common_pb2.PREFER_AUTO: Prefer.AUTO,
    common_pb2.PREFER_LOCAL: Prefer.LOCAL,
    common_pb2.PREFER_CLOUD: Prefer.CLOUD,
}
HEALTH_CLOUD_PROBE_S = 2.0
ROUTE_TO_PROTO = {Route.LOCAL: common_pb2.ROUTE_LOCAL, Route.CLOUD: common_pb2.ROUTE_CLOUD, Route.REFUSED: common_pb2.ROUTE_REFUSED}


def ask_input_from_proto(request: edge_pb2.AskRequest, time_remaining: float | None) -> AskInput:
    """The pipeline's input from an AskRequest; the tighter of the option and the gRPC deadline wins."""
    options = request.options
    if options.prefer not in PREFER_FROM_PROTO:
        raise InvalidRequest(f"options.prefer: unknown value {options.prefer}")
    deadline = options.deadline_ms / 1000.0 if options.deadline_ms else None
    if time_remaining is not None:
        deadline = min(deadline, time_remaining) if deadline is not None else time_remaining
        if deadline <= 0:
            deadline = 0.001
    return AskInput(
        prompt=request.prompt,
        context=tuple(ContextDoc(d.name, d.text) for d in request.context),
        session_id=request.session_id,
        prefer=PREFER_FROM_PROTO[options.prefer],
        max_tokens=options.max_tokens or None,
        temperature=options.temperature if options.HasField("temperature") else None,
        deadline_s=deadline,
    )


def event_to_proto(event: Event) -> edge_pb2.AskResponse:
    """An AskResponse for one pipeline event."""
    if isinstance(event, Chunk):
        return edge_pb2.AskResponse(chunk=edge_pb2.AnswerChunk(text=event.text))
    assert isinstance(event, Final)
    p = event.provenance
    t = p.timings_ms
    provenance = edge_pb2.Provenance(
        route=ROUTE_TO_PROTO[p.route],
        confidence=p.confidence,
        reason=p.reason,
        sent_text=p.sent_text,
        local_usage=common_pb2.Usage(prompt_tokens=p.local_prompt_tokens, completion_tokens=p.local_completion_tokens),
        cloud_usage=common_pb2.Usage(prompt_tokens=p.cloud_prompt_tokens, completion_tokens=p.cloud_completion_tokens),
        timings=edge_pb2.Timings(
            total_ms=t.get("total_ms", 0.0),
            queue_ms=t.get("queue_ms", 0.0),
            local_ms=t.get("local_ms", 0.0),
            privacy_ms=t.get("privacy_ms", 0.0),
            cloud_ms=t.get("cloud_ms", 0.0),
            first_token_ms=t.get("first_token_ms", 0.0),
        ),
        degraded=p.degraded,
        local_model=p.local_model,
        cloud_model=p.cloud_model,
        entities=p.entities,
    )
    if p.cloud_error_kind:
        provenance.cloud_error.CopyFrom(common_pb2.ErrorInfo(kind=p.cloud_error_kind, message=p.cloud_error_message))
    return edge_pb2.AskResponse(final=edge_pb2.AnswerFinal(text=event.text, provenance=provenance, session_id=event.session_id))


class EdgeServicer(edge_pb2_grpc.EdgeServicer):
    """Serves Ask and Health over the pipeline."""

    def __init__(self, pipeline: AskPipeline) -> None:
        self._pipeline = pipeline

    async def Ask(  # noqa: N802 - gRPC method name
        self, request: edge_pb2.AskRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[edge_pb2.AskResponse]:
        """Stream the answer to one request."""
        try:
            ask = ask_input_from_proto(request, context.time_remaining())
            async for event in self._pipeline.run(ask):
                yield event_to_proto(event)
        except TandemError as exc:
            await abort_with(context, exc)
        except Exception:
            # Log the type and place only: the exception's text may quote private input.
            log.error("Ask failed unexpectedly", exc_info=False, stack_info=False)
            log.debug("Ask failure detail", exc_info=True)
            await abort_with(context, InternalError("internal error in the edge daemon"))

    async def Health(  # noqa: N802 - gRPC method name
        self, request: edge_pb2.HealthRequest, context: grpc.aio.ServicerContext
    ) -> edge_pb2.HealthResponse:
        """The daemon's state."""
        runner = self._pipeline.runner
        cloud = self._pipeline.cloud
        reachable = await cloud.reachable(HEALTH_CLOUD_PROBE_S) if cloud is not None else False
        return edge_pb2.HealthResponse(
            status="SERVING",
            version=shared.__version__,
            local_model=runner.model.name,
            cloud_configured=self._pipeline.cloud is not None,
            cloud_reachable=reachable,
            queue_depth=runner.queue_depth,
            queue_limit=runner.queue_limit,
        )
