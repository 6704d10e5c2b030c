"""One upstream model, spoken to through the `openai` client against any OpenAI-compatible server.

`Upstream.stream_chat` makes exactly one attempt: the `openai` client's own retries are off,
because the retry loop for this hop lives in `cloud.fallback` (one retry loop per hop). A
failure is raised as `AttemptFailed`, which says whether a retry may help, how long the
upstream asked us to wait (Retry-After), and whether any token had already gone out.

The `openai` client sends the request and raises its typed errors, but the event stream is
read as raw bytes and decoded here (cloud.sse): building the client's pydantic chunk objects
cost about 0.9 ms of CPU per escalation, a fifth of the cloud service's whole cost per request
(bench/perf, "Cloud hop"). The deltas of all the events one network read completed are merged
into one `UpstreamDelta`.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx  # the HTTP library the openai client is built on
import openai

from cloud.sse import event_batches
from shared.errors import (
    DeadlineExceeded,
    InvalidRequest,
    Overloaded,
    StreamTruncated,
    TandemError,
    Unavailable,
    UpstreamError,
)

# Connecting to an upstream should take milliseconds; a dead one must not eat the request's deadline.
CONNECT_TIMEOUT_S = 3.0
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class UpstreamDelta:
    """A piece of the upstream's answer."""

    text: str


@dataclass(frozen=True, slots=True)
class UpstreamDone:
    """The end of the upstream's answer."""

    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    upstream_ms: float


UpstreamEvent = UpstreamDelta | UpstreamDone


class AttemptFailed(Exception):
    """One upstream attempt failed; carries the typed error and what the retry loop needs to know."""

    def __init__(self, error: TandemError, retryable: bool, retry_after_s: float | None, streamed: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.retryable = retryable and not streamed  # never retry once a token went out
        self.retry_after_s = retry_after_s
        self.streamed = streamed


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date); None if absent or bad."""
    if not headers:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            value = float(raw_ms) / 1000.0
            return value if value >= 0 and value == value else None
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        value = float(raw)
        return value if value >= 0 and value == value else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def classify(exc: BaseException) -> tuple[TandemError, bool, float | None]:
    """(typed error, retryable, retry-after) for a failure of one attempt; never echoes the request."""
    if isinstance(exc, openai.APITimeoutError):
        return DeadlineExceeded("the upstream model timed out"), True, None
    if isinstance(exc, openai.APIConnectionError):
        return Unavailable("the upstream model is unreachable or dropped the connection"), True, None
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retry_after = parse_retry_after(exc.response.headers if exc.response is not None else None)
        if status == 429:
            return Overloaded("the upstream model is rate-limiting (429)"), True, retry_after
        if status in (400, 413, 422):
            return InvalidRequest(f"the upstream model rejected the request ({status})"), False, None
        if status in (401, 403):
            return UpstreamError(f"the upstream refused the cloud's credentials ({status})"), False, None
        return UpstreamError(f"the upstream model answered {status}"), status in RETRYABLE_STATUS or status >= 500, retry_after
    if isinstance(exc, openai.APIResponseValidationError):
        return UpstreamError("the upstream model's response did not match the OpenAI schema"), True, None
    if isinstance(exc, httpx.TimeoutException):
        return DeadlineExceeded("the upstream model timed out"), True, None
    if isinstance(exc, httpx.TransportError):
        return Unavailable("the upstream connection broke"), True, None
    if isinstance(exc, ValueError | KeyError | TypeError | AttributeError):
        # Malformed JSON in an SSE event, or chunks of the wrong shape.
        return UpstreamError("the upstream model sent a malformed response"), True, None
    return UpstreamError(f"the upstream model failed ({type(exc).__name__})"), True, None


def _chunk(payload: bytes) -> dict[str, Any]:
    """One decoded stream chunk; ValueError or TypeError (malformed) if it is not a JSON object, UpstreamError for an error event."""
    chunk = json.loads(payload)
    if not isinstance(chunk, dict):
        raise TypeError("a stream chunk must be a JSON object")
    if chunk.get("error"):
        raise UpstreamError("the upstream model sent an error event mid-stream")
    return chunk


def _usage(chunk: dict[str, Any]) -> tuple[int, int] | None:
    usage = chunk.get("usage")
    if usage is None:
        return None
    if not isinstance(usage, dict):
        raise TypeError("usage must be an object")
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    if not isinstance(prompt, int) or not isinstance(completion, int):
        raise TypeError("usage counts must be integers")
    return prompt, completion


def _choice_parts(chunk: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    """(text, finish_reason) for each choice, checking the shape as it goes."""
    choices = chunk.get("choices")
    if choices is None:
        return []
    if not isinstance(choices, list):
        raise TypeError("choices must be a list")
    parts = []
    for choice in choices:
        if not isinstance(choice, dict):
            raise TypeError("each choice must be an object")
        delta = choice.get("delta")
        if delta is not None and not isinstance(delta, dict):
            raise TypeError("delta must be an object")
        text = delta.get("content") if delta is not None else None
        finish = choice.get("finish_reason")
        if text is not None and not isinstance(text, str):
            raise TypeError("delta.content must be a string")
        if finish is not None and not isinstance(finish, str):
            raise TypeError("finish_reason must be a string")
        parts.append((text, finish))
    return parts


class Upstream:
    """Streams chat completions from one OpenAI-compatible server, one attempt per call."""

    def __init__(self, base_url: str, api_key: str, model: str, timeout_s: float, name: str = "") -> None:
        self.base_url = base_url
        self.name = name or base_url
        self.default_model = model
        self.timeout_s = timeout_s
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
            max_retries=0,
        )

    async def resolve_default_model(self) -> str:
        """The configured model, or the first one the upstream lists."""
        if not self.default_model:
            models = await self.list_models()
            if not models:
                raise UpstreamError("the upstream lists no models; set upstream.model")
            self.default_model = models[0][0]
        return self.default_model

    async def list_models(self) -> list[tuple[str, str]]:
        """(id, owned_by) of each model the upstream offers."""
        try:
            page = await self._client.models.list()
            return [(str(m.id), str(getattr(m, "owned_by", "") or "")) for m in page.data]
        except Exception as exc:
            raise classify(exc)[0] from None

    async def stream_chat(
        self,
        messages: Sequence[dict[str, str]],
        max_tokens: int,
        temperature: float | None,
        model: str,
        timeout_s: float,
    ) -> AsyncIterator[UpstreamEvent]:
        """Stream one chat completion; raise AttemptFailed on failure or on a stream cut short."""
        started = time.perf_counter()
        name = model or self.default_model
        # The body goes in as `extra_body`, which the client sends as it is. Passed as typed parameters, the
        # client first walks every message against its TypedDict annotations (`_transform`), a tenth of the
        # service's CPU per escalation in a py-spy profile; for plain role/content strings that walk changes
        # nothing. `stream=True` stays a real argument: it makes the client treat the answer as a stream.
        body: dict[str, Any] = {
            "messages": list(messages), "max_tokens": max_tokens, "stream_options": {"include_usage": True},
        }  # fmt: skip
        if temperature is not None:
            body["temperature"] = temperature
        finish_reason = ""
        prompt_tokens = completion_tokens = 0
        pieces = 0
        timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))
        try:
            async with self._client.chat.completions.with_streaming_response.create(  # type: ignore[call-overload]
                model=name,
                messages=(),
                stream=True,
                timeout=timeout,
                extra_body=body,
            ) as response:
                async for payloads in event_batches(response.iter_bytes()):
                    # The text of every event one read completed goes out as one delta: one gRPC message per
                    # read instead of one per token. A live upstream's reads hold one token each, so streaming
                    # stays token by token; a burst that arrived at once is sent at once.
                    texts: list[str] = []
                    failure: Exception | None = None
                    try:
                        for payload in payloads:
                            chunk = _chunk(payload)
                            usage = _usage(chunk)
                            if usage is not None:
                                prompt_tokens, completion_tokens = usage
                            for text, finish in _choice_parts(chunk):
                                if text:
                                    texts.append(text)
                                if finish:
                                    finish_reason = finish
                    except Exception as exc:  # the text before the bad event still goes out first, as it arrived
                        failure = exc
                    if texts:
                        pieces += len(texts)
                        yield UpstreamDelta("".join(texts))
                    if failure is not None:
                        raise failure
        except Exception as exc:  # every failure of the attempt is classified; cancellation passes through
            error, retryable, retry_after = classify(exc)
            raise AttemptFailed(error, retryable, retry_after, streamed=pieces > 0) from None
        if not finish_reason:
            raise AttemptFailed(
                StreamTruncated("the upstream's stream ended without a finish reason"), True, None, streamed=pieces > 0
            )
        yield UpstreamDone(
            finish_reason, prompt_tokens, completion_tokens or pieces, name, (time.perf_counter() - started) * 1000.0
        )

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.close()
