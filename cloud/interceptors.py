"""A base for server interceptors that wrap each Cloud RPC's handler (metrics, tracing)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from protos import cloud_pb2

CLOUD_SERVICE_PREFIX = "/" + cloud_pb2.DESCRIPTOR.services_by_name["Cloud"].full_name + "/"


class CloudRpcInterceptor(grpc.aio.ServerInterceptor):
    """Rewraps the Cloud service's unary and server-streaming handlers; other services pass through."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        """The handler, wrapped when it belongs to the Cloud service."""
        handler = await continuation(handler_call_details)
        full = handler_call_details.method or ""
        if handler is None or not full.startswith(CLOUD_SERVICE_PREFIX):
            return handler
        method = full[len(CLOUD_SERVICE_PREFIX):]
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self.wrap_stream(method, handler_call_details, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self.wrap_unary(method, handler_call_details, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def wrap_stream(
        self, method: str, details: grpc.HandlerCallDetails, behavior: Callable[..., Any]
    ) -> Callable[..., AsyncIterator[Any]]:
        """The server-streaming behaviour to run instead of `behavior`."""
        raise NotImplementedError

    def wrap_unary(
        self, method: str, details: grpc.HandlerCallDetails, behavior: Callable[..., Any]
    ) -> Callable[..., Awaitable[Any]]:
        """The unary behaviour to run instead of `behavior`."""
        raise NotImplementedError
