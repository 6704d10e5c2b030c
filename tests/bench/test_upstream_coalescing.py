"""The cloud's upstream client merges the deltas of one network read into one UpstreamDelta (one gRPC message
per read instead of one per token), while a live upstream that sends token by token still streams token by token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2 as httpx
import openai
import pytest

from cloud.upstream import AttemptFailed, Upstream, UpstreamDelta, UpstreamDone
from shared.errors import UpstreamError
from tests.fakes.upstream import ANSWER_WORDS, FakeUpstream, Plan


def _event(content: str | None = None, finish: str | None = None, usage: dict[str, int] | None = None) -> bytes:
    chunk: dict[str, Any] = {"choices": [{"delta": {"content": content} if content else {}, "finish_reason": finish}]}
    if usage is not None:
        chunk = {"choices": [], "usage": usage}
    return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"


END = _event(finish="stop") + _event(usage={"prompt_tokens": 4, "completion_tokens": 3}) + b"data: [DONE]\n\n"


def _stream(reads: list[bytes]) -> tuple[list[Any], list[bytes]]:
    """The events stream_chat yields when the upstream's body arrives in exactly these reads; and the reads taken."""
    taken: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        for read in reads:
            taken.append(read)
            yield read

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    upstream = Upstream("http://upstream.test/v1", "key", "m", timeout_s=5.0)
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    upstream._client = openai.AsyncOpenAI(base_url="http://upstream.test/v1", api_key="key", max_retries=0, http_client=client)

    async def run() -> list[Any]:
        events: list[Any] = []
        try:
            async for event in upstream.stream_chat([{"role": "user", "content": "hi"}], 16, None, "", 5.0):
                events.append(event)
        except AttemptFailed as failure:
            events.append(failure)
        finally:
            await upstream.close()
        return events

    return asyncio.run(run()), taken


def test_events_that_arrive_in_one_read_become_one_delta() -> None:
    events, _ = _stream([_event("The") + _event(" answer") + _event(" is"), END])
    assert events[0] == UpstreamDelta("The answer is")
    assert isinstance(events[1], UpstreamDone) and events[1].finish_reason == "stop"
    assert (events[1].prompt_tokens, events[1].completion_tokens) == (4, 3)
    assert len(events) == 2


def test_one_delta_per_read_when_each_read_holds_one_event() -> None:
    events, _ = _stream([_event("The"), _event(" answer"), END])
    assert events[:2] == [UpstreamDelta("The"), UpstreamDelta(" answer")]


def test_an_event_split_across_reads_and_a_split_multibyte_character() -> None:
    whole = _event("Zoë 漢字") + _event("!")
    cut = whole.index("漢".encode()) + 2  # inside the character's three bytes
    events, _ = _stream([whole[:cut], whole[cut:], END])
    assert events[0] == UpstreamDelta("Zoë 漢字!")


def test_bytes_after_done_are_read_and_ignored() -> None:
    events, taken = _stream([_event("hi") + END + b"data: {not json}\n\n", b"data: more\n\n"])
    assert events[0] == UpstreamDelta("hi") and isinstance(events[1], UpstreamDone)
    assert len(taken) == 2  # the body was read to its end


def test_text_before_a_malformed_event_in_the_same_read_goes_out_first() -> None:
    events, _ = _stream([_event("The") + _event(" answer") + b'data: {"choices": [\n\n'])
    assert events[0] == UpstreamDelta("The answer")
    failure = events[1]
    assert isinstance(failure, AttemptFailed) and failure.streamed and not failure.retryable
    assert isinstance(failure.error, UpstreamError)


def test_a_mid_stream_error_event_fails_the_attempt_after_the_text_before_it() -> None:
    events, _ = _stream([_event("The") + b'data: {"error": {"message": "overloaded"}}\n\n'])
    assert events[0] == UpstreamDelta("The")
    assert isinstance(events[1], AttemptFailed) and isinstance(events[1].error, UpstreamError) and events[1].streamed


@pytest.mark.e2e
def test_a_live_upstream_streams_token_by_token() -> None:
    async def run() -> list[Any]:
        fake = FakeUpstream(default=Plan(delay_s=0.05))  # a pause before each token: every read holds one event
        await fake.start()
        upstream = Upstream(fake.base_url, "key", "fake-model", timeout_s=10.0)
        try:
            return [event async for event in upstream.stream_chat([{"role": "user", "content": "hi"}], 16, None, "", 10.0)]
        finally:
            await upstream.close()
            await fake.stop()

    events = asyncio.run(run())
    assert [e.text for e in events if isinstance(e, UpstreamDelta)] == list(ANSWER_WORDS)
    assert isinstance(events[-1], UpstreamDone)
