"""The upstream request the cloud sends through the `openai` client: the exact chat body, passed without the
client's per-message TypedDict walk (cloud/upstream.py sends it as `extra_body`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2 as httpx
import openai

from cloud.upstream import Upstream, UpstreamDelta, UpstreamDone

_SSE = (
    'data: {"choices":[{"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
    'data: {"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\n'
    "data: [DONE]\n\n"
)


def _stream(temperature: float | None) -> tuple[list[Any], dict[str, Any]]:
    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["path"] = request.url.path
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=_SSE.encode())

    upstream = Upstream("http://upstream.test/v1", "key", "big-model", timeout_s=5.0)
    transport = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    upstream._client = openai.AsyncOpenAI(base_url="http://upstream.test/v1", api_key="key", max_retries=0, http_client=transport)
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Who is <PERSON_1>?"}]

    async def run() -> list[Any]:
        try:
            return [event async for event in upstream.stream_chat(messages, 16, temperature, "", 5.0)]
        finally:
            await upstream.close()

    return asyncio.run(run()), seen


def test_the_upstream_gets_the_whole_chat_body() -> None:
    events, seen = _stream(0.3)
    assert seen["path"] == "/v1/chat/completions"
    assert seen["body"] == {
        "model": "big-model",
        "stream": True,
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Who is <PERSON_1>?"}],
        "max_tokens": 16,
        "stream_options": {"include_usage": True},
        "temperature": 0.3,
    }
    assert events[0] == UpstreamDelta("hi")
    assert isinstance(events[1], UpstreamDone) and events[1].prompt_tokens == 3


def test_no_temperature_means_the_upstream_default() -> None:
    _events, seen = _stream(None)
    assert "temperature" not in seen["body"]
