"""The cloud's gRPC servicer: checks limits, converts messages, streams the upstream's answer back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import grpc

from cloud.upstream import Upstream, UpstreamDelta, UpstreamDone
from protos import cloud_pb2, cloud_pb2_grpc, common_pb2
from shared.config import CloudConfig
from shared.errors import InternalError, InvalidRequest, Overloaded, TandemError, abort_with

log = logging.getLogger(__name__)

ALLOWED_ROLES = frozenset({"system", "user", "assistant"})
MAX_ESCALATION_TOKENS = 32768


def validate_escalation(request: cloud_pb2.EscalateRequest, max_chars: int) -> list[dict[str, str]]:
    """The request's messages as OpenAI chat messages; InvalidRequest naming the first problem."""
    if not request.messages:
        raise InvalidRequest("messages: must not be empty")
    total = 0
    messages = []
    for index, message in enumerate(request.messages):
        if message.role not in ALLOWED_ROLES:
            raise InvalidRequest(f"messages[{index}].role: must be one of {', '.join(sorted(ALLOWED_ROLES))}")
        total += len(message.content)
        messages.append({"role": message.role, "content": message.content})
    if total > max_chars:
        raise InvalidRequest(f"messages: {total} characters exceeds the limit of {max_chars}")
    if request.max_tokens > MAX_ESCALATION_TOKENS:
        raise InvalidRequest(f"max_tokens: must be at most {MAX_ESCALATION_TOKENS}")
    if request.HasField("temperature") and not 0.0 <= request.temperature <= 2.0:
        raise InvalidRequest("temperature: must be between 0 and 2")
    return messages


class CloudServicer(cloud_pb2_grpc.CloudServicer):
    """Escalate and ListModels over one upstream."""

    def __init__(self, config: CloudConfig, upstream: Upstream) -> None:
        self._config = config
        self._upstream = upstream
        self._streams = asyncio.Semaphore(config.limits.max_concurrent_streams)

    async def Escalate(  # noqa: N802 - gRPC method name
        self, request: cloud_pb2.EscalateRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[cloud_pb2.EscalateResponse]:
        """Stream the upstream's answer to one sanitized sub-query."""
        try:
            messages = validate_escalation(request, self._config.limits.max_prompt_chars)
            if self._streams.locked():
                raise Overloaded("the cloud service is at its concurrent-stream limit")
            async with self._streams:
                remaining = context.time_remaining()
                timeout = min(self._config.upstream.timeout_s, remaining) if remaining else self._config.upstream.timeout_s
                async for event in self._upstream.stream_chat(
                    messages,
                    max_tokens=request.max_tokens or 256,
                    temperature=request.temperature if request.HasField("temperature") else None,
                    model=request.model,
                    timeout_s=timeout,
                ):
                    if isinstance(event, UpstreamDelta):
                        yield cloud_pb2.EscalateResponse(delta=event.text)
                    elif isinstance(event, UpstreamDone):
                        yield cloud_pb2.EscalateResponse(
                            done=cloud_pb2.EscalateDone(
                                finish_reason=event.finish_reason,
                                usage=common_pb2.Usage(
                                    prompt_tokens=event.prompt_tokens, completion_tokens=event.completion_tokens
                                ),
                                model=event.model,
                                upstream_ms=event.upstream_ms,
                            )
                        )
        except TandemError as exc:
            log.warning("escalation failed: %s", type(exc).__name__)
            await abort_with(context, exc)
        except Exception:
            log.error("escalation failed unexpectedly")
            log.debug("escalation failure detail", exc_info=True)
            await abort_with(context, InternalError("internal error in the cloud service"))

    async def ListModels(  # noqa: N802 - gRPC method name
        self, request: cloud_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> cloud_pb2.ListModelsResponse:
        """The upstream's models."""
        try:
            models = await self._upstream.list_models()
        except TandemError as exc:
            await abort_with(context, exc)
            raise  # unreachable: abort raises
        return cloud_pb2.ListModelsResponse(
            models=[cloud_pb2.ModelInfo(id=i, owned_by=o) for i, o in models],
            default_model=self._upstream.default_model,
        )
