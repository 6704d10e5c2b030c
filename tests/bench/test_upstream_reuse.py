"""The cloud's upstream client keeps its keep-alive connection across escalations (a new one each time cost a
TCP, and against a real upstream a TLS, handshake per request; bench/perf found it in a profile)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bench.perf.procs import Server, free_port, python_module
from bench.perf.upstream_stub import ANSWER_PIECES
from cloud.upstream import Upstream, UpstreamDelta, UpstreamDone


def _pool_connections(upstream: Upstream) -> list[Any]:
    client: Any = upstream._client  # openai.AsyncOpenAI → httpx AsyncClient → transport → httpcore pool
    return list(client._client._transport._pool.connections)


@pytest.mark.e2e
def test_escalations_reuse_one_upstream_connection(tmp_path: Path) -> None:
    port = free_port()
    with Server(python_module("bench.perf.upstream_stub", "--port", str(port)), "ready", tmp_path / "stub.log"):

        async def run() -> tuple[list[str], int]:
            upstream = Upstream(f"http://127.0.0.1:{port}/v1", "key", "stub", timeout_s=10.0)
            answers = []
            try:
                for _ in range(5):
                    text, done = "", None
                    async for event in upstream.stream_chat([{"role": "user", "content": "hi"}], 16, None, "", 10.0):
                        if isinstance(event, UpstreamDelta):
                            text += event.text
                        elif isinstance(event, UpstreamDone):
                            done = event
                    assert done is not None and done.finish_reason == "stop" and done.prompt_tokens == 10
                    answers.append(text)
                return answers, len(_pool_connections(upstream))
            finally:
                await upstream.close()

        answers, connections = asyncio.run(run())
    assert answers == ["".join(ANSWER_PIECES)] * 5
    assert connections == 1
