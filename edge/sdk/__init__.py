"""The local client SDK: `EdgeClient` and `AsyncEdgeClient`, mirrored, over the daemon's socket."""

from edge.sdk.async_client import AsyncAnswerStream, AsyncEdgeClient
from edge.sdk.client import AnswerStream, EdgeClient
from edge.sdk.core import Answer, AnswerChunk, Health

__all__ = ["Answer", "AnswerChunk", "AnswerStream", "AsyncAnswerStream", "AsyncEdgeClient", "EdgeClient", "Health"]
