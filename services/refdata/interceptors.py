"""Server interceptor: correlation id and tenant from gRPC metadata into the logging contextvars."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
from grpc import aio
from opentelemetry import trace

from core.logging import correlation_id_var, tenant_id_var

CORRELATION_KEY = "x-correlation-id"
TENANT_KEY = "x-tenant-id"

log = logging.getLogger("services.refdata.rpc")
if TYPE_CHECKING:  # the stubs are generic, the runtime class is not
    Handler = grpc.RpcMethodHandler[Any, Any]


def metadata_value(metadata: Any, key: str) -> str | None:
    """The first value of `key` in gRPC metadata (a sequence of key/value pairs), or None."""
    for item_key, value in metadata or ():
        if item_key == key:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


class ContextInterceptor(aio.ServerInterceptor):
    """Wraps unary handlers so the contextvars are set inside the task that runs the method."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        details = handler_call_details
        correlation = metadata_value(details.invocation_metadata, CORRELATION_KEY)
        tenant = metadata_value(details.invocation_metadata, TENANT_KEY)
        inner: Any = handler.unary_unary
        method = details.method

        async def behaviour(request: Any, context: Any) -> Any:
            correlation_id_var.set(correlation)
            tenant_id_var.set(tenant)
            span = trace.get_current_span()  # the OTel server interceptor's span, if tracing
            span.set_attribute("orion.correlation_id", correlation or "")
            span.set_attribute("orion.tenant_id", tenant or "")
            started = time.perf_counter()
            try:
                return await inner(request, context)
            finally:
                elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
                log.info("rpc", extra={"method": method, "elapsed_ms": elapsed_ms})

        return grpc.unary_unary_rpc_method_handler(
            behaviour,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
