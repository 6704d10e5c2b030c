"""The asyncio SDK client, mirroring `EdgeClient` name for name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc

from edge.sdk.core import (
    DEFAULT_TIMEOUT_S,
    Answer,
    AnswerChunk,
    ContextInput,
    Health,
    StreamState,
    build_request,
    health_from_proto,
    resolve_target,
)
from protos import edge_pb2, edge_pb2_grpc
from shared.errors import from_rpc_error


class AsyncAnswerStream:
    """Iterate with `async for` for chunks; `.answer` holds the final Answer once the stream is done."""

    def __init__(self, call: Any) -> None:
        self._call = call
        self._state = StreamState()

    async def __aiter__(self) -> AsyncIterator[AnswerChunk]:
        try:
            async for response in self._call:
                chunk = self._state.accept(response)
                if chunk is not None and chunk.text:
                    yield chunk
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        self._state.finish()

    @property
    def answer(self) -> Answer:
        """The final answer (after iteration)."""
        return self._state.finish()

    def cancel(self) -> None:
        """Stop the request."""
        self._call.cancel()


class AsyncEdgeClient:
    """Talks to the edge daemon over its Unix socket (or `target`), with asyncio."""

    def __init__(self, socket_path: str | Path | None = None, *, target: str | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.target = resolve_target(socket_path, target)
        self.timeout = timeout
        self._channel = grpc.aio.insecure_channel(self.target)
        self._stub = edge_pb2_grpc.EdgeStub(self._channel)

    async def ask(
        self,
        prompt: str,
        *,
        context: ContextInput = None,
        session_id: str | None = None,
        prefer: str = "auto",
        max_tokens: int | None = None,
        temperature: float | None = None,
        timeout: float | None = None,
    ) -> Answer:
        """Ask and wait for the whole answer."""
        stream = self.stream(
            prompt, context=context, session_id=session_id, prefer=prefer, max_tokens=max_tokens,
            temperature=temperature, timeout=timeout,
        )  # fmt: skip
        async for _ in stream:
            pass
        return stream.answer

    def stream(
        self,
        prompt: str,
        *,
        context: ContextInput = None,
        session_id: str | None = None,
        prefer: str = "auto",
        max_tokens: int | None = None,
        temperature: float | None = None,
        timeout: float | None = None,
    ) -> AsyncAnswerStream:
        """Ask and iterate over the answer's chunks as they arrive."""
        deadline = timeout or self.timeout
        request = build_request(prompt, context, session_id, prefer, max_tokens, temperature, deadline)
        return AsyncAnswerStream(self._stub.Ask(request, timeout=deadline))

    async def health(self, timeout: float = 10.0) -> Health:
        """The daemon's state."""
        try:
            return health_from_proto(await self._stub.Health(edge_pb2.HealthRequest(), timeout=timeout))
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()

    async def __aenter__(self) -> AsyncEdgeClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()
