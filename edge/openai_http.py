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
with the HTTP status from `HTTP_STATUS_BY_ERROR`, also inside a stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import socket
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route as HttpRoute

from edge.metrics import EdgeMetrics
from edge.pipeline import AskInput, AskPipeline, Chunk, Event, Final, Provenance
from edge.planner import ContextDoc
from edge.policy import Prefer, Route
from shared.errors import (
    Cancelled,
    ConfigError,
    DeadlineExceeded,
    InternalError,
    InvalidRequest,
    ModelError,
    Overloaded,
    PermissionDenied,
    PrivacyBlocked,
    StatusError,
    StreamTruncated,
    TandemError,
    TransportError,
    Unauthenticated,
    Unavailable,
    UpstreamError,
)

log = logging.getLogger(__name__)

LOOPBACK_HOST = "127.0.0.1"
ALLOWED_HOST_HEADERS = ["127.0.0.1", "localhost", "[::1]"]  # refuses DNS-rebinding pages
MODEL_PREFER = {"tandem-auto": Prefer.AUTO, "tandem-local": Prefer.LOCAL, "tandem-cloud": Prefer.CLOUD}
ROUTE_HEADER = "x-tandem-route"
CONFIDENCE_HEADER = "x-tandem-confidence"
SESSION_HEADER = "x-tandem-session-id"
ALLOWED_ROLES = frozenset({"system", "user", "assistant"})
UNSUPPORTED_FIELDS = ("tools", "functions", "tool_choice", "function_call")
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SHUTDOWN_GRACE_S = 5.0

# One table: Tandem error class → (HTTP status, OpenAI error type). The nearest mapped ancestor wins.
HTTP_STATUS_BY_ERROR: Mapping[type[TandemError], tuple[int, str]] = {
    InvalidRequest: (400, "invalid_request_error"),
    Unauthenticated: (401, "authentication_error"),
    PermissionDenied: (403, "permission_error"),
    PrivacyBlocked: (403, "privacy_blocked"),
    Overloaded: (429, "rate_limit_error"),
    ConfigError: (503, "service_unavailable"),
    ModelError: (503, "service_unavailable"),
    StatusError: (502, "upstream_error"),
    UpstreamError: (502, "upstream_error"),
    InternalError: (500, "server_error"),
    TransportError: (503, "service_unavailable"),
    Unavailable: (503, "service_unavailable"),
    DeadlineExceeded: (504, "timeout"),
    StreamTruncated: (502, "stream_truncated"),
    Cancelled: (499, "cancelled"),
}


class ModelNotFound(InvalidRequest):
    """The request named a model this endpoint does not serve (OpenAI answers 404)."""


def http_status_for(error: TandemError) -> tuple[int, str]:
    """The HTTP status and OpenAI error type for `error`."""
    if isinstance(error, ModelNotFound):
        return 404, "invalid_request_error"
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS_BY_ERROR:
            return HTTP_STATUS_BY_ERROR[cls]  # type: ignore[index]
    return 500, "server_error"


def error_body(error: TandemError, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error shape for `error`; `code` is Tandem's error class."""
    _, kind = http_status_for(error)
    return {"error": {"message": error.message, "type": kind, "param": param, "code": type(error).__name__}}


def error_response(error: TandemError) -> JSONResponse:
    """An HTTP error response for `error`."""
    status, _ = http_status_for(error)
    return JSONResponse(error_body(error), status_code=status)


# ---------------------------------------------------------------- request mapping


@dataclass(frozen=True)
class ChatRequest:
    """A parsed chat-completions request."""

    model: str
    ask: AskInput
    stream: bool
    include_usage: bool


def _text_of(content: Any, where: str) -> str:
    """A message's text: a string, or OpenAI's list of {"type": "text", "text": ...} parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for i, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise InvalidRequest(f"{where}[{i}]: only text parts are supported")
            parts.append(part["text"])
        return "\n".join(parts)
    raise InvalidRequest(f"{where}: must be a string or a list of text parts")


def _optional_number(body: Mapping[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise InvalidRequest(f"{name}: must be a{'n integer' if kind is int else ' number'}")
    return kind(value)


def _tandem_extras(body: Mapping[str, Any]) -> tuple[str, list[ContextDoc]]:
    extras = body.get("tandem") or {}
    if not isinstance(extras, dict):
        raise InvalidRequest("tandem: must be an object")
    session_id = extras.get("session_id") or ""
    if not isinstance(session_id, str):
        raise InvalidRequest("tandem.session_id: must be a string")
    context = extras.get("context") or {}
    if isinstance(context, dict):
        docs = [ContextDoc(str(k), v) for k, v in context.items() if isinstance(v, str)]
        if len(docs) != len(context):
            raise InvalidRequest("tandem.context: values must be strings")
    elif isinstance(context, list) and all(isinstance(t, str) for t in context):
        docs = [ContextDoc(f"doc{i + 1}", t) for i, t in enumerate(context)]
    else:
        raise InvalidRequest("tandem.context: must be an object (name → text) or a list of strings")
    return session_id, docs


def parse_chat_request(body: Any) -> ChatRequest:
    """The pipeline input for a chat-completions body; InvalidRequest naming the first problem."""
    if not isinstance(body, dict):
        raise InvalidRequest("body: must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model: required; one of " + ", ".join(MODEL_PREFER))
    if model not in MODEL_PREFER:
        raise ModelNotFound(f"model: {model!r} does not exist here; use one of {', '.join(MODEL_PREFER)}")
    for name in UNSUPPORTED_FIELDS:
        if body.get(name):
            raise InvalidRequest(f"{name}: tool calling is not supported by the Tandem endpoint")
    if body.get("n") not in (None, 1):
        raise InvalidRequest("n: only 1 choice is supported")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages: must be a non-empty list")
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise InvalidRequest(f"messages[{i}]: must be an object")
        role = message.get("role")
        if role not in ALLOWED_ROLES:
            raise InvalidRequest(f"messages[{i}].role: must be one of {', '.join(sorted(ALLOWED_ROLES))}")
        turns.append((str(role), _text_of(message.get("content"), f"messages[{i}].content")))
    if turns[-1][0] != "user":
        raise InvalidRequest(f"messages[{len(turns) - 1}].role: the last message must come from the user")
    prompt = turns[-1][1]

    session_id, docs = _tandem_extras(body)
    system = "\n\n".join(text for role, text in turns[:-1] if role == "system" and text.strip())
    history = "\n".join(f"{role}: {text}" for role, text in turns[:-1] if role != "system" and text.strip())
    # Earlier turns are private input like any document: they go through the filter, never around it.
    history_docs = [ContextDoc(name, text) for name, text in (("system", system), ("conversation", history)) if text]

    max_tokens = _optional_number(body, "max_completion_tokens", int) or _optional_number(body, "max_tokens", int)
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidRequest("stream: must be true or false")
    stream_options = body.get("stream_options") or {}
    if not isinstance(stream_options, dict):
        raise InvalidRequest("stream_options: must be an object")
    ask = AskInput(
        prompt=prompt,
        context=tuple(history_docs + docs),
        session_id=session_id,
        prefer=MODEL_PREFER[model],
        max_tokens=max_tokens,
        temperature=_optional_number(body, "temperature", float),
    )
    return ChatRequest(model, ask, stream, bool(stream_options.get("include_usage")))


# ---------------------------------------------------------------- response mapping


def tandem_field(final: Final) -> dict[str, Any]:
    """The `tandem` field of an answer: how it was routed, never any private text."""
    p = final.provenance
    return {
        "route": p.route.value,
        "confidence": round(p.confidence, 4),
        "reason": p.reason,
        "sent_chars": len(p.sent_text),
        "degraded": p.degraded,
        "session_id": final.session_id,
        "entities": dict(p.entities),
        "local_model": p.local_model,
        "cloud_model": p.cloud_model,
    }


def _usage(p: Provenance) -> dict[str, int]:
    # The tokens of the model that answered; both sides' counts are in the provenance.
    prompt, completion = (
        (p.cloud_prompt_tokens, p.cloud_completion_tokens) if p.route is Route.CLOUD else (p.local_prompt_tokens, p.local_completion_tokens)
    )
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _finish_reason(final: Final) -> str:
    return "content_filter" if final.provenance.route is Route.REFUSED else "stop"


def _route_headers(final: Final) -> dict[str, str]:
    return {
        ROUTE_HEADER: final.provenance.route.value,
        CONFIDENCE_HEADER: f"{final.provenance.confidence:.4f}",
        SESSION_HEADER: final.session_id,
    }


class _Completion:
    """Ids and timestamps shared by one completion's chunks."""

    def __init__(self, model: str) -> None:
        self.id = "chatcmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.model = model

    def chunk(self, delta: dict[str, str], finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        body.update(extra)
        return body


def _sse(data: Mapping[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"data: {text}\n\n".encode()


# ---------------------------------------------------------------- the app


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
        completion = _Completion(chat.model)
        body = {
            "id": completion.id,
            "object": "chat.completion",
            "created": completion.created,
            "model": chat.model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": final.text}, "finish_reason": _finish_reason(final)}
            ],
            "usage": _usage(final.provenance),
            "tandem": tandem_field(final),
        }
        return JSONResponse(body, headers=_route_headers(final))

    async def _stream(self, chat: ChatRequest, first: Event, events: AsyncIterator[Event]) -> AsyncIterator[bytes]:
        completion = _Completion(chat.model)
        yield _sse(completion.chunk({"role": "assistant", "content": ""}))
        event: Event | None = first
        try:
            while event is not None:
                if isinstance(event, Chunk):
                    if event.text:
                        yield _sse(completion.chunk({"content": event.text}))
                elif isinstance(event, Final):
                    yield _sse(completion.chunk({}, _finish_reason(event), tandem=tandem_field(event)))
                    if chat.include_usage:
                        usage_chunk = completion.chunk({}, usage=_usage(event.provenance))
                        usage_chunk["choices"] = []
                        yield _sse(usage_chunk)
                    break
                event = await anext(events, None)
        except TandemError as exc:
            # Headers are gone: the OpenAI clients raise on an `error` event inside the stream.
            yield _sse(error_body(exc))
        except Exception:
            log.error("chat completion stream failed unexpectedly")
            log.debug("chat completion stream failure detail", exc_info=True)
            yield _sse(error_body(InternalError("internal error in the edge daemon")))
        finally:
            await _close(events)
        yield _sse("[DONE]")


async def _close(events: AsyncIterator[Event] | None) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()


# ---------------------------------------------------------------- the server


class _DaemonOwnedServer(uvicorn.Server):
    """Uvicorn inside the daemon's loop: the daemon, not uvicorn, owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield


class LocalHttpServer:
    """Serves the endpoint on 127.0.0.1 as a task on the running loop."""

    def __init__(self, endpoint: OpenAIEndpoint, port: int) -> None:
        self.endpoint = endpoint
        self.requested_port = port
        self.port: int | None = None
        self._server: _DaemonOwnedServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bind 127.0.0.1:port (ConfigError if taken) and start serving."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this: without it Nagle holds each small SSE chunk for the peer's delayed ACK (~40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((LOOPBACK_HOST, self.requested_port))
        except OSError as exc:
            sock.close()
            raise ConfigError(f"listen.http_port: cannot bind {LOOPBACK_HOST}:{self.requested_port} ({exc.strerror})") from None
        sock.listen(128)
        sock.setblocking(False)
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.endpoint.app(),
            lifespan="off",
            log_level="warning",
            access_log=False,  # request lines are not private, but keep the daemon's log quiet
            timeout_graceful_shutdown=int(SHUTDOWN_GRACE_S),
        )
        self._server = _DaemonOwnedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="tandem-openai-http")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # surfaces the startup error
                raise ConfigError("listen.http_port: the HTTP server stopped during startup")
            await asyncio.sleep(0.01)

    async def stop(self, grace: float = SHUTDOWN_GRACE_S) -> None:
        """Stop accepting, let open responses finish within `grace`, then stop."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=grace + 1.0)
        except (TimeoutError, asyncio.CancelledError):
            self._server.force_exit = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._server = None
        self._task = None
