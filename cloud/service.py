"""The cloud's gRPC servicer: checks limits, converts messages, streams the upstream's answer back."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator

import grpc

from cloud.auth import bearer_token
from cloud.fallback import UpstreamPool
from cloud.ratelimit import HolderLimiter, holder_key
from cloud.upstream import UpstreamDelta, UpstreamDone
from protos import cloud_pb2, cloud_pb2_grpc, common_pb2
from shared.config import CloudConfig
from shared.errors import DeadlineExceeded, InternalError, InvalidRequest, Overloaded, TandemError, abort_with

log = logging.getLogger(__name__)

ALLOWED_ROLES = frozenset({"system", "user", "assistant"})
MAX_ESCALATION_TOKENS = 32768
DEFAULT_ESCALATION_TOKENS = 256
MAX_MODEL_NAME_CHARS = 256
MAX_REQUEST_ID_CHARS = 128


def validate_escalation(request: cloud_pb2.EscalateRequest, max_chars: int, max_messages: int = 64) -> list[dict[str, str]]:
    """The request's messages as OpenAI chat messages; InvalidRequest naming the first problem."""
    if not request.messages:
        raise InvalidRequest("messages: must not be empty")
    if len(request.messages) > max_messages:
        raise InvalidRequest(f"messages: {len(request.messages)} messages exceeds the limit of {max_messages}")
    total = 0
    messages = []
    for index, message in enumerate(request.messages):
        if message.role not in ALLOWED_ROLES:
            raise InvalidRequest(f"messages[{index}].role: must be one of {', '.join(sorted(ALLOWED_ROLES))}")
        total += len(message.content)
        messages.append({"role": message.role, "content": message.content})
    if total > max_chars:
        raise InvalidRequest(f"messages: {total} characters exceeds the limit of {max_chars}")
    if not any(m["content"].strip() for m in messages):
        raise InvalidRequest("messages: every message is empty")
    if request.max_tokens > MAX_ESCALATION_TOKENS:
        raise InvalidRequest(f"max_tokens: must be at most {MAX_ESCALATION_TOKENS}")
    if request.HasField("temperature") and not (math.isfinite(request.temperature) and 0.0 <= request.temperature <= 2.0):
        raise InvalidRequest("temperature: must be between 0 and 2")
    if len(request.model) > MAX_MODEL_NAME_CHARS:
        raise InvalidRequest(f"model: longer than {MAX_MODEL_NAME_CHARS} characters")
    if len(request.request_id) > MAX_REQUEST_ID_CHARS:
        raise InvalidRequest(f"request_id: longer than {MAX_REQUEST_ID_CHARS} characters")
    return messages


class CloudServicer(cloud_pb2_grpc.CloudServicer):
    """Escalate and ListModels over an ordered pool of upstreams."""

    def __init__(self, config: CloudConfig, pool: UpstreamPool) -> None:
        self._config = config
        self._pool = pool
        limits = config.limits
        # No wait line: past the cap a request is refused at once, so memory stays flat under overload.
        self._streams = asyncio.Semaphore(limits.max_concurrent_streams)
        self._holders = HolderLimiter(
            limits.requests_per_minute_per_token, limits.burst_per_token, limits.max_streams_per_token, limits.max_tracked_tokens
        )

    def _deadline(self, context: grpc.aio.ServicerContext) -> float:
        timeout = self._config.upstream.timeout_s
        remaining = context.time_remaining()
        if remaining is not None:
            timeout = min(timeout, remaining)
        return time.monotonic() + max(timeout, 0.0)

    async def Escalate(  # noqa: N802 - gRPC method name
        self, request: cloud_pb2.EscalateRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[cloud_pb2.EscalateResponse]:
        """Stream the upstream's answer to one sanitized sub-query."""
        try:
            limits = self._config.limits
            messages = validate_escalation(request, limits.max_prompt_chars, limits.max_messages)
            if self._streams.locked():
                raise Overloaded("the cloud service is at its concurrent-stream limit")
            key = holder_key(bearer_token(context.invocation_metadata()))
            with self._holders.admit(key):
                async with self._streams:
                    # Headers now: the edge's gRPC retry stops here, so an upstream attempt is never repeated by it.
                    await context.send_initial_metadata(())
                    deadline = self._deadline(context)
                    try:
                        async with asyncio.timeout(deadline - time.monotonic()):
                            async for event in self._pool.stream_chat(
                                messages,
                                max_tokens=request.max_tokens or DEFAULT_ESCALATION_TOKENS,
                                temperature=request.temperature if request.HasField("temperature") else None,
                                model=request.model,
                                deadline=deadline,
                            ):
                                if isinstance(event, UpstreamDelta):
                                    yield cloud_pb2.EscalateResponse(delta=event.text)
                                elif isinstance(event, UpstreamDone):
                                    yield cloud_pb2.EscalateResponse(done=_done(event))
                    except TimeoutError:
                        raise DeadlineExceeded("the deadline passed while the upstream model was answering") from None
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
        """The primary upstream's models."""
        try:
            models = await self._pool.primary.list_models()
        except TandemError as exc:
            await abort_with(context, exc)
            raise  # unreachable: abort raises
        return cloud_pb2.ListModelsResponse(
            models=[cloud_pb2.ModelInfo(id=i, owned_by=o) for i, o in models],
            default_model=self._pool.default_model,
        )


def _done(event: UpstreamDone) -> cloud_pb2.EscalateDone:
    return cloud_pb2.EscalateDone(
        finish_reason=event.finish_reason,
        usage=common_pb2.Usage(prompt_tokens=event.prompt_tokens, completion_tokens=event.completion_tokens),
        model=event.model,
        upstream_ms=event.upstream_ms,
    )
