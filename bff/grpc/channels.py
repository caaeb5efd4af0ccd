"""Downstream channels, created once in the app lifespan and closed on shutdown."""

from __future__ import annotations

from dataclasses import dataclass, field

from grpc import aio

from bff.grpc.breaker import CircuitBreaker
from bff.grpc.calls import CallPolicy, Downstream
from bff.grpc.refdata import RefDataClient

_CHANNEL_OPTIONS = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.max_receive_message_length", 4 * 1024 * 1024),
    # Reconnect quickly after a downstream restart instead of backing off for up to 2 minutes.
    ("grpc.max_reconnect_backoff_ms", 2_000),
)


@dataclass(frozen=True)
class DownstreamConfig:
    refdata_addr: str
    policy: CallPolicy = field(default_factory=CallPolicy)
    breaker_failures: int = 5
    breaker_reset_s: float = 5.0
    tracing: bool = True


def _channel(addr: str, tracing: bool) -> aio.Channel:
    interceptors = []
    if tracing:
        from opentelemetry.instrumentation.grpc import aio_client_interceptors

        interceptors = aio_client_interceptors()  # type: ignore[no-untyped-call]
    return aio.insecure_channel(addr, options=_CHANNEL_OPTIONS, interceptors=interceptors)


@dataclass
class Downstreams:
    """Every downstream client of this process; `close` closes every channel once."""

    refdata: RefDataClient

    @classmethod
    def connect(cls, config: DownstreamConfig) -> Downstreams:
        breaker = CircuitBreaker("refdata", config.breaker_failures, config.breaker_reset_s)
        channel = _channel(config.refdata_addr, config.tracing)
        return cls(refdata=RefDataClient(Downstream("refdata", channel, config.policy, breaker)))

    def all(self) -> list[Downstream]:
        return [self.refdata.downstream]

    async def close(self) -> None:
        for downstream in self.all():
            await downstream.channel.close()
