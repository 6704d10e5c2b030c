"""Tandem's one typed error tree, and its mapping to gRPC status codes.

    TandemError
    ├── ConfigError            bad or missing configuration (names the field)
    ├── ModelError             the GGUF model is missing, corrupt or fails to load
    ├── InvalidRequest         the caller sent something malformed or oversized
    ├── Unauthenticated        missing or wrong token
    ├── PermissionDenied       authenticated, but not allowed
    ├── Overloaded             a queue, rate limit or budget is full; try later
    ├── PrivacyBlocked         sending would leak private data, so nothing was sent
    ├── StatusError            the other side answered, with an error
    │   ├── UpstreamError      the cloud's upstream model failed or answered badly
    │   └── InternalError      a bug on the other side
    └── TransportError         the other side could not be reached in time (retryable)
        ├── Unavailable        connection refused, reset, or the service is shutting down
        ├── DeadlineExceeded   the deadline passed
        ├── StreamTruncated    a stream ended before its final message
        └── Cancelled          the caller went away

Each class maps to one gRPC status code in `STATUS_BY_ERROR`. A servicer raises a
TandemError; `abort_with()` turns it into a status plus trailing metadata naming the
exact class, and `from_rpc_error()` turns it back on the client, so a typed error
crosses every hop without losing its type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import grpc

ERROR_KIND_METADATA_KEY = "tandem-error-kind"


class TandemError(Exception):
    """The base of every error Tandem raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(TandemError):
    """The configuration is malformed; the message names the field."""


class ModelError(TandemError):
    """The model file is missing, corrupt, or failed to load."""


class InvalidRequest(TandemError):
    """The request is malformed or exceeds a limit."""


class Unauthenticated(TandemError):
    """No valid credentials were presented."""


class PermissionDenied(TandemError):
    """The caller is known but not allowed to do this."""


class Overloaded(TandemError):
    """A queue, concurrency cap, rate limit or budget is exhausted."""


class PrivacyBlocked(TandemError):
    """Sending would expose private data (or the check itself failed), so nothing was sent."""


class StatusError(TandemError):
    """The other side was reached and answered with an error."""


class UpstreamError(StatusError):
    """The upstream model (behind the cloud service) failed or answered badly."""


class InternalError(StatusError):
    """An unexpected failure; a bug, not the caller's fault."""


class TransportError(TandemError):
    """The other side could not be reached or did not finish in time."""

    retryable = True


class Unavailable(TransportError):
    """The service is unreachable or shutting down."""


class DeadlineExceeded(TransportError):
    """The request's deadline passed."""


class StreamTruncated(TransportError):
    """A stream ended before its final message; what arrived is incomplete."""


class Cancelled(TransportError):
    """The caller cancelled the request."""

    retryable = False


STATUS_BY_ERROR: Mapping[type[TandemError], grpc.StatusCode] = {
    ConfigError: grpc.StatusCode.FAILED_PRECONDITION,
    ModelError: grpc.StatusCode.FAILED_PRECONDITION,
    InvalidRequest: grpc.StatusCode.INVALID_ARGUMENT,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    Overloaded: grpc.StatusCode.RESOURCE_EXHAUSTED,
    PrivacyBlocked: grpc.StatusCode.FAILED_PRECONDITION,
    StatusError: grpc.StatusCode.UNKNOWN,
    UpstreamError: grpc.StatusCode.UNAVAILABLE,
    InternalError: grpc.StatusCode.INTERNAL,
    TransportError: grpc.StatusCode.UNAVAILABLE,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
    StreamTruncated: grpc.StatusCode.DATA_LOSS,
    Cancelled: grpc.StatusCode.CANCELLED,
}

ERROR_BY_NAME: Mapping[str, type[TandemError]] = {cls.__name__: cls for cls in STATUS_BY_ERROR}

# The reverse direction, for statuses raised by gRPC itself (no kind in the trailers).
ERROR_BY_STATUS: Mapping[grpc.StatusCode, type[TandemError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidRequest,
    grpc.StatusCode.OUT_OF_RANGE: InvalidRequest,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: Overloaded,
    grpc.StatusCode.FAILED_PRECONDITION: PrivacyBlocked,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.DATA_LOSS: StreamTruncated,
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.INTERNAL: InternalError,
    grpc.StatusCode.UNKNOWN: InternalError,
    grpc.StatusCode.UNIMPLEMENTED: InvalidRequest,
    grpc.StatusCode.ABORTED: Unavailable,
}


def status_for(error: TandemError) -> grpc.StatusCode:
    """The gRPC status code for an error (the nearest mapped ancestor's)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]  # type: ignore[index]
    return grpc.StatusCode.UNKNOWN


def trailing_metadata_for(error: TandemError) -> tuple[tuple[str, str], ...]:
    """Trailing metadata that names the error's exact class."""
    return ((ERROR_KIND_METADATA_KEY, type(error).__name__),)


async def abort_with(context: grpc.aio.ServicerContext, error: TandemError) -> None:
    """End an aio RPC with the status and kind for `error` (raises, never returns)."""
    context.set_trailing_metadata(trailing_metadata_for(error))
    await context.abort(status_for(error), error.message)


def _metadata_value(metadata: Sequence[Any] | None, key: str) -> str | None:
    for item in metadata or ():
        k, v = (item.key, item.value) if hasattr(item, "key") else item
        if k == key:
            return v.decode() if isinstance(v, bytes) else str(v)
    return None


def from_status(
    code: grpc.StatusCode, details: str | None, trailing_metadata: Sequence[Any] | None = None
) -> TandemError:
    """Rebuild the typed error from a status code, its details and trailing metadata."""
    kind = _metadata_value(trailing_metadata, ERROR_KIND_METADATA_KEY)
    cls = ERROR_BY_NAME.get(kind or "") or ERROR_BY_STATUS.get(code, InternalError)
    return cls(details or code.name)


def from_rpc_error(error: grpc.RpcError) -> TandemError:
    """Turn a grpc.RpcError (sync or aio) into the typed error it carries."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    return from_status(code, details, trailers)
