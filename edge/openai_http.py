"""The daemon's OpenAI-compatible HTTP endpoint on 127.0.0.1: chat completions, models, health, metrics.

A thin transport over the same `AskPipeline` the gRPC servicer uses; nothing here decides a route.

How an OpenAI chat maps onto one Ask:
- the last message must come from the user; its text is the prompt;
- system messages become one context document named ``system``;
- earlier user/assistant turns become one context document named ``conversation``
  (``user: ...`` / ``assistant: ...`` lines), so they pass the privacy filter like any
  private document, and the planner picks what of them may leave;
- ``model`` picks the preference: ``tandem-auto``, ``tandem-local``, ``tandem-cloud``;
- an extra ``tandem`` object may carry ``session_id`` and ``context`` (name → text),
  e.g. ``extra_body={"tandem": {"context": {"notes.txt": "..."}}}`` with the openai client.

The answer carries a ``tandem`` field (route, confidence, reason, sent_chars, degraded,
session_id, entities) and, when not streamed, ``x-tandem-route`` / ``x-tandem-confidence``
headers. A stream's route is only settled at its end, so it comes in the last chunk's
``tandem`` field. Errors use OpenAI's shape ``{"error": {"message", "type", "param", "code"}}``
with the HTTP status from `edge.openai_protocol.HTTP_STATUS_BY_ERROR`, also inside a stream.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route as HttpRoute

from edge.metrics import EdgeMetrics
from edge.openai_protocol import (
    MODEL_PREFER,
    ChatRequest,
    Completion,
    error_body,
    finish_reason,
    http_status_for,
    parse_chat_request,
    route_headers,
    sse,
    tandem_field,
    usage,
)
from edge.pipeline import AskPipeline, Chunk, Event, Final
from shared.errors import InternalError, InvalidRequest, TandemError

log = logging.getLogger(__name__)

ALLOWED_HOST_HEADERS = ["127.0.0.1", "localhost", "[::1]"]  # refuses DNS-rebinding pages
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def error_response(error: TandemError) -> JSONResponse:
    """An HTTP error response for `error`, in OpenAI's shape."""
    status, _ = http_status_for(error)
    return JSONResponse(error_body(error), status_code=status)


class OpenAIEndpoint:
    """The HTTP handlers over one pipeline."""

    def __init__(self, pipeline: AskPipeline, metrics: EdgeMetrics | None, max_body_bytes: int) -> None:
        self.pipeline = pipeline
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    def app(self) -> Starlette:
        """The Starlette application."""
        return Starlette(
            routes=[
                HttpRoute("/v1/chat/completions", self.chat_completions, methods=["POST"]),
                HttpRoute("/v1/models", self.models, methods=["GET"]),
                HttpRoute("/health", self.health, methods=["GET"]),
                HttpRoute("/metrics", self.render_metrics, methods=["GET"]),
            ],
            middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=ALLOWED_HOST_HEADERS)],
        )

    async def models(self, request: Request) -> JSONResponse:
        """GET /v1/models: the three policy names."""
        created = int(time.time())
        data = [{"id": name, "object": "model", "created": created, "owned_by": "tandem"} for name in MODEL_PREFER]
        return JSONResponse({"object": "list", "data": data})

    async def health(self, request: Request) -> JSONResponse:
        """GET /health: cheap liveness, no cloud probe."""
        runner = self.pipeline.runner
        return JSONResponse(
            {
                "status": "ok",
                "local_model": runner.model.name,
                "cloud_configured": self.pipeline.cloud is not None,
                "queue_depth": runner.queue_depth,
                "queue_limit": runner.queue_limit,
            }
        )

    async def render_metrics(self, request: Request) -> Response:
        """GET /metrics in the Prometheus text format."""
        if self.metrics is None:
            return error_response(InvalidRequest("metrics are not enabled on this daemon"))
        return Response(self.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    async def _parse(self, request: Request) -> ChatRequest:
        # A JSON content type forces a CORS preflight, so a web page cannot post here behind the user's back.
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise InvalidRequest("content-type: must be application/json")
        body = await request.body()
        if len(body) > self.max_body_bytes:
            raise InvalidRequest(f"body: {len(body)} bytes exceeds the limit of {self.max_body_bytes}")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidRequest("body: not valid JSON") from None
        chat = parse_chat_request(data)
        self.pipeline.validate(chat.ask)
        return chat

    async def chat_completions(self, request: Request) -> Response:
        """POST /v1/chat/completions, streamed (SSE) or not."""
        events: AsyncIterator[Event] | None = None
        try:
            chat = await self._parse(request)
            events = self.pipeline.run(chat.ask)
            # Wait for the first event before answering, so errors before any text get their real HTTP status.
            first = await anext(events)
        except TandemError as exc:
            if events is None and self.metrics is not None:
                self.metrics.observe_error(exc)  # refused before the pipeline ran, so it did not count it
            await _close(events)
            return error_response(exc)
        except StopAsyncIteration:
            return error_response(InternalError("the pipeline ended without an answer"))
        except Exception:
            await _close(events)
            # The type only: the exception's text may quote private input.
            log.error("chat completion failed unexpectedly")
            log.debug("chat completion failure detail", exc_info=True)
            return error_response(InternalError("internal error in the edge daemon"))
        if chat.stream:
            return StreamingResponse(
                self._stream(chat, first, events),
                media_type="text/event-stream",
                headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
            )
        return await self._complete(chat, first, events)

    async def _complete(self, chat: ChatRequest, first: Event, events: AsyncIterator[Event]) -> Response:
        final: Final | None = first if isinstance(first, Final) else None
        try:
            while final is None:
                event = await anext(events)
                if isinstance(event, Final):
                    final = event
        except TandemError as exc:
            return error_response(exc)
        except StopAsyncIteration:
            return error_response(InternalError("the pipeline ended without an answer"))
        finally:
            await _close(events)
        completion = Completion(chat.model)
        body = {
            "id": completion.id,
            "object": "chat.completion",
            "created": completion.created,
            "model": chat.model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": final.text}, "finish_reason": finish_reason(final)}
            ],
            "usage": usage(final.provenance),
            "tandem": tandem_field(final),
        }
        return JSONResponse(body, headers=route_headers(final))

    async def _stream(self, chat: ChatRequest, first: Event, events: AsyncIterator[Event]) -> AsyncIterator[bytes]:
        completion = Completion(chat.model)
        yield sse(completion.chunk({"role": "assistant", "content": ""}))
        event: Event | None = first
        try:
            while event is not None:
                if isinstance(event, Chunk):
                    if event.text:
                        yield sse(completion.chunk({"content": event.text}))
                elif isinstance(event, Final):
                    yield sse(completion.chunk({}, finish_reason(event), tandem=tandem_field(event)))
                    if chat.include_usage:
                        usage_chunk = completion.chunk({}, usage=usage(event.provenance))
                        usage_chunk["choices"] = []
                        yield sse(usage_chunk)
                    break
                event = await anext(events, None)
        except TandemError as exc:
            # Headers are gone: the OpenAI clients raise on an `error` event inside the stream.
            yield sse(error_body(exc))
        except Exception:
            log.error("chat completion stream failed unexpectedly")
            log.debug("chat completion stream failure detail", exc_info=True)
            yield sse(error_body(InternalError("internal error in the edge daemon")))
        finally:
            await _close(events)
        yield sse("[DONE]")


async def _close(events: AsyncIterator[Event] | None) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()
