"""One way to call a downstream: metadata, deadline, breaker, bounded retries, status mapping."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from grpc import aio

from bff.grpc.breaker import CircuitBreaker
from bff.grpc.errors import (
    BREAKER_STATUSES,
    CircuitOpen,
    DownstreamError,
    map_status,
)
from bff.metrics import DOWNSTREAM_CALLS, DOWNSTREAM_LATENCY
from core.logging import correlation_id_var, tenant_id_var

log = logging.getLogger("bff.grpc")
Resp = TypeVar("Resp")


@dataclass(frozen=True)
class CallPolicy:
    """Per-downstream call policy. Retries apply to idempotent reads only."""

    timeout_s: float = 1.0
    read_attempts: int = 3
    backoff_s: float = 0.05


def outgoing_metadata() -> tuple[tuple[str, str], ...]:
    """Correlation id and tenant of the current request, for the downstream's interceptor."""
    pairs = []
    if (correlation := correlation_id_var.get()) is not None:
        pairs.append(("x-correlation-id", correlation))
    if (tenant := tenant_id_var.get()) is not None:
        pairs.append(("x-tenant-id", tenant))
    return tuple(pairs)


class Downstream:
    """A named downstream: its breaker and policy. Stubs are built from its one channel."""

    def __init__(
        self, name: str, channel: aio.Channel, policy: CallPolicy, breaker: CircuitBreaker
    ) -> None:
        self.name = name
        self.channel = channel
        self.policy = policy
        self.breaker = breaker

    async def call(
        self,
        method: str,
        rpc: Callable[..., Awaitable[Resp]],
        request: Any,
        *,
        idempotent: bool,
    ) -> Resp:
        """Call `rpc(request)`; raise a typed DownstreamError on any failure."""
        attempts = self.policy.read_attempts if idempotent else 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._once(method, rpc, request)
            except DownstreamError as exc:
                retry = exc.retryable and attempt < attempts
                if not retry:
                    raise
                await asyncio.sleep(self.policy.backoff_s * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _once(self, method: str, rpc: Callable[..., Awaitable[Resp]], request: Any) -> Resp:
        if not self.breaker.allow():
            DOWNSTREAM_CALLS.labels(self.name, method, "CIRCUIT_OPEN").inc()
            raise CircuitOpen(self.name, "circuit open: failing fast")
        started = time.perf_counter()
        try:
            response = await rpc(
                request, timeout=self.policy.timeout_s, metadata=outgoing_metadata()
            )
        except aio.AioRpcError as exc:
            raise self._failed(method, exc, started) from exc
        DOWNSTREAM_LATENCY.labels(self.name, method).observe(time.perf_counter() - started)
        DOWNSTREAM_CALLS.labels(self.name, method, "OK").inc()
        self.breaker.record_success()
        return response

    def _failed(self, method: str, exc: aio.AioRpcError, started: float) -> DownstreamError:
        code = exc.code()
        DOWNSTREAM_LATENCY.labels(self.name, method).observe(time.perf_counter() - started)
        DOWNSTREAM_CALLS.labels(self.name, method, code.name).inc()
        if code in BREAKER_STATUSES:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()  # the service answered: it is healthy
        log.info(
            "downstream call failed",
            extra={"downstream": self.name, "method": method, "status": code.name},
        )
        return map_status(self.name, code, exc.details())


def with_metadata(
    rpc: Callable[..., Awaitable[Any]], extra: tuple[tuple[str, str], ...]
) -> Callable[..., Awaitable[Any]]:
    """The stub method with `extra` metadata (the caller's identity) appended to the
    Downstream's own (tenant, correlation id, traceparent)."""

    async def call(
        request: Any,
        *,
        timeout: float,  # noqa: ASYNC109 - the gRPC stub's deadline parameter, passed through
        metadata: tuple[tuple[str, str], ...],
    ) -> Any:
        return await rpc(request, timeout=timeout, metadata=(*metadata, *extra))

    return call
