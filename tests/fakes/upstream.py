"""A fake OpenAI-compatible upstream on loopback (raw asyncio HTTP/1.1) that fails on command.

Real HTTP, real SSE, real sockets: only the model is fake, because the fault behaviour is
what is under test. Each request follows a `Plan` (taken from `script`, else from `chooser`,
else `default`), and leaves a `RequestRecord`, including when the client hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

FAKE_MODEL = "fake-model"
ANSWER_WORDS = ("The", " answer", " is", " forty", "-two", ".")
ANSWER = "".join(ANSWER_WORDS)


class Fault(Enum):
    """What the fake does with a request."""

    OK = "ok"
    SLOW = "slow"  # tokens every `delay_s`; long enough to pass a deadline
    HANG = "hang"  # accept, then say nothing until the client gives up
    MALFORMED_JSON = "malformed_json"  # an SSE event whose data is not JSON, after `at` tokens
    WRONG_SCHEMA = "wrong_schema"  # a chunk of the wrong shape, after `at` tokens
    TRUNCATED = "truncated"  # `at` tokens, then a clean end without finish_reason or [DONE]
    CUT = "cut"  # `at` tokens, then the connection is dropped mid-body
    RATE_LIMIT = "rate_limit"  # 429 with Retry-After
    SERVER_ERROR = "server_error"  # 500
    BAD_REQUEST = "bad_request"  # 400 (not retryable)
    NOT_SSE = "not_sse"  # 200 with a plain JSON body instead of an event stream


@dataclass(frozen=True)
class Plan:
    """One request's fate."""

    fault: Fault = Fault.OK
    at: int = 0  # tokens sent before the fault strikes
    delay_s: float = 0.0  # between tokens
    retry_after: str | None = "0"  # the Retry-After header of a 429 (None: no header)
    words: tuple[str, ...] = ANSWER_WORDS  # the answer, token by token


@dataclass
class RequestRecord:
    """What the fake saw of one request."""

    path: str
    body: dict[str, Any]
    plan: Plan
    started: float
    ended: float | None = None
    client_gone_at: float | None = None  # when the client closed its side early
    tokens_sent: int = 0


@dataclass
class FakeUpstream:
    """The server; start() binds 127.0.0.1 on a free port."""

    default: Plan = field(default_factory=Plan)
    chooser: Callable[[int], Plan] | None = None
    script: deque[Plan] = field(default_factory=deque)
    records: list[RequestRecord] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _chat_count: int = 0

    @property
    def base_url(self) -> str:
        """The OpenAI base URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_records(self) -> list[RequestRecord]:
        """Records of chat-completion requests only."""
        return [r for r in self.records if r.path.endswith("/chat/completions")]

    async def start(self) -> None:
        """Bind and serve."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop serving and drop open connections."""
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    def _next_plan(self) -> Plan:
        self._chat_count += 1
        if self.script:
            return self.script.popleft()
        if self.chooser is not None:
            return self.chooser(self._chat_count)
        return self.default

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve_one(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # stop() cancels open handlers. The task must still end normally: Python 3.11's
            # StreamReaderProtocol calls task.exception() on it, which raises for a cancelled task
            # and shows up as an unhandled "Exception in callback" on the loop.
            pass
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        length = int(headers.get("content-length", "0") or 0)
        raw = await reader.readexactly(length) if length else b""
        body = json.loads(raw) if raw else {}
        if method == "GET" and path.endswith("/models"):
            self.records.append(RequestRecord(path, body, Plan(), time.monotonic(), time.monotonic()))
            await _send_json(writer, 200, {"object": "list", "data": [{"id": FAKE_MODEL, "object": "model", "owned_by": "fake"}]})
            return
        if not path.endswith("/chat/completions"):
            await _send_json(writer, 404, {"error": {"message": "not found"}})
            return
        plan = self._next_plan()
        record = RequestRecord(path, body, plan, time.monotonic())
        self.records.append(record)
        # Watch for the client hanging up while we stream (reads return b"" at EOF).
        gone = asyncio.ensure_future(reader.read())
        try:
            await self._respond(plan, record, writer, gone)
        finally:
            record.ended = time.monotonic()
            if gone.done() and record.client_gone_at is None:
                record.client_gone_at = time.monotonic()
            gone.cancel()

    async def _respond(self, plan: Plan, record: RequestRecord, writer: asyncio.StreamWriter, gone: asyncio.Future[bytes]) -> None:
        fault = plan.fault
        if fault is Fault.RATE_LIMIT:
            extra = {"retry-after": plan.retry_after} if plan.retry_after is not None else {}
            await _send_json(writer, 429, {"error": {"message": "slow down", "type": "rate_limit"}}, extra)
            return
        if fault is Fault.SERVER_ERROR:
            await _send_json(writer, 500, {"error": {"message": "boom", "type": "server_error"}})
            return
        if fault is Fault.BAD_REQUEST:
            await _send_json(writer, 400, {"error": {"message": "bad", "type": "invalid_request_error"}})
            return
        if fault is Fault.NOT_SSE:
            await _send_json(writer, 200, {"id": "x", "object": "chat.completion", "choices": []})
            return
        if fault is Fault.HANG:
            await gone
            record.client_gone_at = time.monotonic()
            return
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        await writer.drain()
        words = plan.words * (50 if fault is Fault.SLOW else 1)
        for index, word in enumerate(words):
            if fault in (Fault.MALFORMED_JSON, Fault.WRONG_SCHEMA, Fault.TRUNCATED, Fault.CUT) and index == plan.at:
                await self._fault_mid_stream(fault, writer)
                return
            if plan.delay_s:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(gone), plan.delay_s)
                if gone.done():
                    record.client_gone_at = time.monotonic()
                    return
            await _send_chunk(writer, _event(_chunk(content=word)))
            record.tokens_sent += 1
        if fault in (Fault.MALFORMED_JSON, Fault.WRONG_SCHEMA, Fault.TRUNCATED, Fault.CUT):
            await self._fault_mid_stream(fault, writer)
            return
        await _send_chunk(writer, _event(_chunk(finish_reason="stop")))
        usage = {"prompt_tokens": 7, "completion_tokens": len(words), "total_tokens": 7 + len(words)}
        await _send_chunk(writer, _event({**_chunk(), "choices": [], "usage": usage}))
        await _send_chunk(writer, b"data: [DONE]\n\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def _fault_mid_stream(self, fault: Fault, writer: asyncio.StreamWriter) -> None:
        if fault is Fault.MALFORMED_JSON:
            await _send_chunk(writer, b'data: {"id": "x", "choices": [{"delta": {"content": "oops"\n\n')
        elif fault is Fault.WRONG_SCHEMA:
            await _send_chunk(writer, _event({"id": "x", "object": "chat.completion.chunk", "choices": [{"delta": {"content": 5}}]}))
        elif fault is Fault.CUT:
            # Drop the connection in the middle of the chunked body: no terminating chunk.
            writer.write(b"40\r\ndata: {\"id\": \"x\"")
            await writer.drain()
            transport = writer.transport
            transport.abort()
            return
        writer.write(b"0\r\n\r\n")
        await writer.drain()


def _chunk(content: str | None = None, finish_reason: str | None = None) -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": FAKE_MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _event(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"


async def _send_chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await writer.drain()


async def _send_json(writer: asyncio.StreamWriter, status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
    payload = json.dumps(body).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}[status]
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\nconnection: close\r\n"
    for key, value in (extra or {}).items():
        head += f"{key}: {value}\r\n"
    writer.write(head.encode() + b"\r\n" + payload)
    await writer.drain()
