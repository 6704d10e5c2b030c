"""Bearer-token auth for the cloud service: tokens stored hashed, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import grpc

from shared.config import AuthSettings
from shared.errors import ConfigError, Unauthenticated, status_for, trailing_metadata_for

HASH_PREFIX = "sha256:"
# Health checks and reflection stay open so load balancers and probes work without a token.
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def hash_token(token: str) -> str:
    """The form to store in config: 'sha256:<hex>'."""
    return HASH_PREFIX + hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenVerifier:
    """Checks presented tokens against configured ones without timing leaks."""

    def __init__(self, entries: Iterable[str]) -> None:
        digests = []
        for entry in entries:
            entry = entry.strip()
            if not entry:
                continue
            if entry.startswith(HASH_PREFIX):
                hexdigest = entry[len(HASH_PREFIX):].lower()
                if len(hexdigest) != 64 or any(c not in "0123456789abcdef" for c in hexdigest):
                    raise ConfigError("auth.tokens: a 'sha256:' entry must be followed by 64 hex digits")
                digests.append(bytes.fromhex(hexdigest))
            else:
                digests.append(hashlib.sha256(entry.encode("utf-8")).digest())
        self._digests = tuple(digests)

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> TokenVerifier:
        """From `auth.tokens` plus the variable named by `auth.tokens_env`."""
        entries = list(settings.tokens)
        if settings.tokens_env:
            entries += os.environ.get(settings.tokens_env, "").split(",")
        verifier = cls(entries)
        if not verifier._digests:
            raise ConfigError("auth.tokens: no tokens configured; the cloud service refuses to run without auth")
        return verifier

    def verify(self, token: str) -> bool:
        """Whether `token` is one of the configured tokens."""
        presented = hashlib.sha256(token.encode("utf-8")).digest()
        ok = False
        for digest in self._digests:
            # Check every entry, so the time taken does not reveal which one matched.
            ok |= hmac.compare_digest(presented, digest)
        return ok


def bearer_token(metadata: Iterable[tuple[str, Any]] | None) -> str | None:
    """The token from an 'authorization: Bearer …' header, if any."""
    for key, value in metadata or ():
        if key.lower() == "authorization":
            text = value.decode() if isinstance(value, bytes) else str(value)
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def _deny(message: str, handler: grpc.RpcMethodHandler | None) -> grpc.RpcMethodHandler:
    error = Unauthenticated(message)

    async def abort(request: Any, context: grpc.aio.ServicerContext) -> Any:
        context.set_trailing_metadata(trailing_metadata_for(error))
        await context.abort(status_for(error), error.message)

    async def abort_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await abort(request, context)
        yield  # pragma: no cover - never reached; makes this an async generator

    streaming = handler is not None and handler.response_streaming
    if streaming:
        return grpc.unary_stream_rpc_method_handler(
            abort_stream,
            request_deserializer=handler.request_deserializer if handler else None,
            response_serializer=handler.response_serializer if handler else None,
        )
    return grpc.unary_unary_rpc_method_handler(
        abort,
        request_deserializer=handler.request_deserializer if handler else None,
        response_serializer=handler.response_serializer if handler else None,
    )


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Rejects every call without a valid bearer token with UNAUTHENTICATED (health and reflection excepted)."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self._verifier = verifier

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        """Pass authenticated calls on; answer the rest with UNAUTHENTICATED."""
        method = handler_call_details.method or ""
        if method.startswith(OPEN_METHOD_PREFIXES):
            return await continuation(handler_call_details)
        token = bearer_token(handler_call_details.invocation_metadata)
        if token is None:
            return _deny("missing bearer token", await continuation(handler_call_details))
        if not self._verifier.verify(token):
            return _deny("invalid token", await continuation(handler_call_details))
        return await continuation(handler_call_details)
