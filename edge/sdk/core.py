"""What the sync and async clients share: targets, request building, and answer objects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from protos import common_pb2, edge_pb2
from shared.config import default_socket_path
from shared.errors import InvalidRequest, StreamTruncated

ROUTE_NAMES = {
    common_pb2.ROUTE_LOCAL: "local",
    common_pb2.ROUTE_CLOUD: "cloud",
    common_pb2.ROUTE_REFUSED: "refused",
}
PREFER_VALUES = {
    "auto": common_pb2.PREFER_AUTO,
    "local": common_pb2.PREFER_LOCAL,
    "cloud": common_pb2.PREFER_CLOUD,
}
DEFAULT_TIMEOUT_S = 300.0
ContextInput = Mapping[str, str] | Iterable[str] | None


@dataclass(frozen=True)
class AnswerChunk:
    """A piece of a streamed answer."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Answer:
    """An answer with its provenance: where it came from, why, and what left the device."""

    text: str
    route: str
    confidence: float
    reason: str
    session_id: str
    sent_text: str = ""
    degraded: bool = False
    local_model: str = ""
    cloud_model: str = ""
    local_tokens: int = 0
    cloud_tokens: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)
    entities: dict[str, int] = field(default_factory=dict)
    cloud_error: str = ""

    @property
    def escalated(self) -> bool:
        """Whether the cloud answered."""
        return self.route == "cloud"


@dataclass(frozen=True)
class Health:
    """The daemon's state."""

    status: str
    version: str
    local_model: str
    cloud_configured: bool
    cloud_reachable: bool
    queue_depth: int
    queue_limit: int


def resolve_target(socket_path: str | Path | None, target: str | None) -> str:
    """A gRPC target: an explicit one, else the daemon's Unix socket."""
    if target:
        return target
    return f"unix://{Path(socket_path) if socket_path else default_socket_path()}"


def _context_docs(context: ContextInput) -> list[edge_pb2.ContextDocument]:
    if context is None:
        return []
    if isinstance(context, Mapping):
        return [edge_pb2.ContextDocument(name=str(k), text=str(v)) for k, v in context.items()]
    if isinstance(context, str):
        return [edge_pb2.ContextDocument(name="context", text=context)]
    return [edge_pb2.ContextDocument(name=f"doc{i + 1}", text=str(t)) for i, t in enumerate(context)]


def build_request(
    prompt: str,
    context: ContextInput = None,
    session_id: str | None = None,
    prefer: str = "auto",
    max_tokens: int | None = None,
    temperature: float | None = None,
    deadline_s: float | None = None,
) -> edge_pb2.AskRequest:
    """An AskRequest from the SDK's keyword arguments."""
    if prefer not in PREFER_VALUES:
        raise InvalidRequest(f"prefer: must be one of {', '.join(PREFER_VALUES)}, not {prefer!r}")
    options = edge_pb2.AskOptions(
        prefer=PREFER_VALUES[prefer],  # type: ignore[arg-type]
        max_tokens=max_tokens or 0,
        deadline_ms=int(deadline_s * 1000) if deadline_s else 0,
    )
    if temperature is not None:
        options.temperature = temperature
    return edge_pb2.AskRequest(prompt=prompt, context=_context_docs(context), session_id=session_id or "", options=options)


def answer_from_final(final: edge_pb2.AnswerFinal) -> Answer:
    """An Answer from the stream's final message."""
    p = final.provenance
    t = p.timings
    error = f"{p.cloud_error.kind}: {p.cloud_error.message}" if p.HasField("cloud_error") else ""
    return Answer(
        text=final.text,
        route=ROUTE_NAMES.get(p.route, "unknown"),
        confidence=p.confidence,
        reason=p.reason,
        session_id=final.session_id,
        sent_text=p.sent_text,
        degraded=p.degraded,
        local_model=p.local_model,
        cloud_model=p.cloud_model,
        local_tokens=p.local_usage.prompt_tokens + p.local_usage.completion_tokens,
        cloud_tokens=p.cloud_usage.prompt_tokens + p.cloud_usage.completion_tokens,
        timings_ms={
            "total": t.total_ms,
            "queue": t.queue_ms,
            "local": t.local_ms,
            "privacy": t.privacy_ms,
            "cloud": t.cloud_ms,
            "first_token": t.first_token_ms,
        },
        entities=dict(p.entities),
        cloud_error=error,
    )


def health_from_proto(message: edge_pb2.HealthResponse) -> Health:
    """A Health from its message."""
    return Health(
        message.status,
        message.version,
        message.local_model,
        message.cloud_configured,
        message.cloud_reachable,
        message.queue_depth,
        message.queue_limit,
    )


class StreamState:
    """Turns AskResponses into chunks and remembers the final answer."""

    def __init__(self) -> None:
        self.answer: Answer | None = None

    def accept(self, response: edge_pb2.AskResponse) -> AnswerChunk | None:
        """The chunk in `response`, or None for the final message."""
        if response.HasField("final"):
            self.answer = answer_from_final(response.final)
            return None
        return AnswerChunk(response.chunk.text)

    def finish(self) -> Answer:
        """The final answer; StreamTruncated if the stream ended without one."""
        if self.answer is None:
            raise StreamTruncated("the daemon's stream ended before its final message")
        return self.answer
