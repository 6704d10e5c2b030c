"""A minimal OpenAI-compatible upstream that answers at once, so a benchmark measures only what sits in front of it.

`/v1/chat/completions` streams a fixed short answer as server-sent events (pre-encoded, so the
stub itself costs next to nothing); a model named `hold-<ms>` keeps the stream open that long
before finishing, for memory-per-open-stream measurements; a model named `pace-<ms>` sends each
delta that long after the one before, like a model generating tokens, so that many concurrent
streams can be held open without the cores saturating. `/v1/models` lists the one model.

Run: python -m bench.perf.upstream_stub --port PORT   (prints "stub upstream ready" once serving)
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODEL = "stub"
ANSWER_PIECES = ("The", " answer", " is", " 42", ".")
HOLD_PREFIX = "hold-"
PACE_PREFIX = "pace-"


def _event(payload: dict[str, object]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def _chunk(delta: dict[str, str], finish: str | None) -> dict[str, object]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


ANSWER_HEAD = _event(_chunk({"role": "assistant", "content": ""}, None))
ANSWER_DELTAS = tuple(_event(_chunk({"content": piece}, None)) for piece in ANSWER_PIECES)


def _encoded_answer() -> tuple[bytes, bytes]:
    """(the deltas, the ending) as SSE bytes, built once."""
    head = ANSWER_HEAD
    body = b"".join(ANSWER_DELTAS)
    usage = {
        "id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0, "model": MODEL, "choices": [],
        "usage": {"prompt_tokens": 10, "completion_tokens": len(ANSWER_PIECES), "total_tokens": 10 + len(ANSWER_PIECES)},
    }  # fmt: skip
    tail = _event(_chunk({}, "stop")) + _event(usage) + b"data: [DONE]\n\n"
    return head + body, tail


ANSWER_BODY, ANSWER_TAIL = _encoded_answer()


async def _stream(hold_s: float) -> AsyncIterator[bytes]:
    yield ANSWER_BODY
    if hold_s > 0:
        await asyncio.sleep(hold_s)
    yield ANSWER_TAIL


async def _paced_stream(pace_s: float) -> AsyncIterator[bytes]:
    yield ANSWER_HEAD
    for delta in ANSWER_DELTAS:
        await asyncio.sleep(pace_s)
        yield delta
    yield ANSWER_TAIL


def _ms_after(model: str, prefix: str) -> float:
    """Seconds named by a `<prefix><ms>` model name, 0 for any other model."""
    return float(model[len(prefix):]) / 1000.0 if model.startswith(prefix) else 0.0


async def chat_completions(request: Request) -> Response:
    """Answer any chat completion with the fixed answer, streamed or whole."""
    body = await request.json()
    model = str(body.get("model") or MODEL)
    if body.get("stream"):
        if model.startswith(PACE_PREFIX):
            return StreamingResponse(_paced_stream(_ms_after(model, PACE_PREFIX)), media_type="text/event-stream")
        return StreamingResponse(_stream(_ms_after(model, HOLD_PREFIX)), media_type="text/event-stream")
    text = "".join(ANSWER_PIECES)
    return JSONResponse({
        "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": len(ANSWER_PIECES), "total_tokens": 10 + len(ANSWER_PIECES)},
    })  # fmt: skip


async def models(request: Request) -> Response:
    """The one model."""
    return JSONResponse({"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "bench"}]})


app = Starlette(routes=[Route("/v1/chat/completions", chat_completions, methods=["POST"]), Route("/v1/models", models)])


async def _serve(port: int) -> None:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
            return
        await asyncio.sleep(0.02)
    print("stub upstream ready", flush=True)
    await task


def main() -> None:
    """Serve the stub on 127.0.0.1:--port."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(_serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
