"""The OpenAI chat-completions protocol on the edge: request parsing, answer and error shapes.

Pure functions and data, no HTTP: `edge/openai_http.py` serves them. How an OpenAI chat
maps onto one Ask, and what comes back, is described in that module's docstring.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edge.pipeline import AskInput, Final, Provenance
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

MODEL_PREFER = {"tandem-auto": Prefer.AUTO, "tandem-local": Prefer.LOCAL, "tandem-cloud": Prefer.CLOUD}
ROUTE_HEADER = "x-tandem-route"
CONFIDENCE_HEADER = "x-tandem-confidence"
SESSION_HEADER = "x-tandem-session-id"
ALLOWED_ROLES = frozenset({"system", "user", "assistant"})
UNSUPPORTED_FIELDS = ("tools", "functions", "tool_choice", "function_call")
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


def usage(p: Provenance) -> dict[str, int]:
    # The tokens of the model that answered; both sides' counts are in the provenance.
    prompt, completion = (
        (p.cloud_prompt_tokens, p.cloud_completion_tokens) if p.route is Route.CLOUD else (p.local_prompt_tokens, p.local_completion_tokens)
    )
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def finish_reason(final: Final) -> str:
    return "content_filter" if final.provenance.route is Route.REFUSED else "stop"


def route_headers(final: Final) -> dict[str, str]:
    return {
        ROUTE_HEADER: final.provenance.route.value,
        CONFIDENCE_HEADER: f"{final.provenance.confidence:.4f}",
        SESSION_HEADER: final.session_id,
    }


class Completion:
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


def sse(data: Mapping[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"data: {text}\n\n".encode()
