"""The upstream model, spoken to through the `openai` client against any OpenAI-compatible server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import openai

from shared.errors import (
    DeadlineExceeded,
    InvalidRequest,
    Overloaded,
    StreamTruncated,
    TandemError,
    Unavailable,
    UpstreamError,
)


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


def map_openai_error(exc: Exception) -> TandemError:
    """The Tandem error for an `openai` client exception (never echoing the request)."""
    if isinstance(exc, openai.APITimeoutError):
        return DeadlineExceeded("the upstream model timed out")
    if isinstance(exc, openai.APIConnectionError):
        return Unavailable("the upstream model is unreachable")
    if isinstance(exc, openai.RateLimitError):
        return Overloaded("the upstream model is rate-limiting (429)")
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code in (400, 413, 422):
            return InvalidRequest(f"the upstream model rejected the request ({exc.status_code})")
        return UpstreamError(f"the upstream model answered {exc.status_code}")
    if isinstance(exc, openai.APIResponseValidationError):
        return UpstreamError("the upstream model's response did not match the OpenAI schema")
    return UpstreamError(f"the upstream model failed ({type(exc).__name__})")


class Upstream:
    """Streams chat completions from one OpenAI-compatible server."""

    def __init__(self, base_url: str, api_key: str, model: str, timeout_s: float, max_retries: int) -> None:
        self.base_url = base_url
        self.default_model = model
        # Retries here only happen before the first token: the client retries the initial request, never a stream.
        self._client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=max_retries)

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
        except openai.OpenAIError as exc:
            raise map_openai_error(exc) from None
        return [(m.id, getattr(m, "owned_by", "") or "") for m in page.data]

    async def stream_chat(
        self,
        messages: Sequence[dict[str, str]],
        max_tokens: int,
        temperature: float | None,
        model: str,
        timeout_s: float,
    ) -> AsyncIterator[UpstreamEvent]:
        """Stream one chat completion; raise a TandemError on failure or a stream cut short."""
        started = time.perf_counter()
        kwargs: dict[str, Any] = {}
        if temperature is not None:
            kwargs["temperature"] = temperature
        name = model or self.default_model
        finish_reason = ""
        prompt_tokens = completion_tokens = 0
        pieces = 0
        try:
            stream = await self._client.chat.completions.create(
                model=name,
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                stream=True,
                stream_options={"include_usage": True},
                timeout=timeout_s,
                **kwargs,
            )
            async with stream:
                async for chunk in stream:
                    if chunk.usage is not None:
                        prompt_tokens = chunk.usage.prompt_tokens or 0
                        completion_tokens = chunk.usage.completion_tokens or 0
                    for choice in chunk.choices or ():
                        text = choice.delta.content if choice.delta else None
                        if text:
                            pieces += 1
                            yield UpstreamDelta(text)
                        if choice.finish_reason:
                            finish_reason = choice.finish_reason
        except openai.OpenAIError as exc:
            raise map_openai_error(exc) from None
        if not finish_reason:
            raise StreamTruncated("the upstream's stream ended without a finish reason")
        yield UpstreamDone(
            finish_reason, prompt_tokens, completion_tokens or pieces, name, (time.perf_counter() - started) * 1000.0
        )

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.close()
