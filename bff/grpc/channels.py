"""Downstream channels, created once in the app lifespan and closed on shutdown."""

from __future__ import annotations

from dataclasses import dataclass, field

from grpc import aio

from bff.grpc.breaker import CircuitBreaker
from bff.grpc.calls import CallPolicy, Downstream
from bff.grpc.preferences import PreferencesApi, PreferencesClient
from bff.grpc.refdata import RefDataClient
from bff.grpc.rfq import RfqClient
from bff.grpc.rfq_audit import AuditTrail
from bff.grpc.rfq_feed import RfqChangeFeed
from bff.grpc.rfq_trades import TradeBlotter
from core.db import Database
from eventbus.readmodel import ReadModelStore

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
    # The RFQ service; None leaves the RFQ fields answering "unavailable".
    rfq_addr: str | None = None
    # Which RFQs changed (pushes rfqUpdates); None: they poll the RFQ service.
    rfq_changes: RfqChangeFeed | None = None
    # Where the trade blotter read model lives (Redis or the embedded in-process store).
    read_models: ReadModelStore | None = None
    # The audit trail (read only), shown on RFQs and trades.
    audit_db: Database | None = None
    # The identity service's gRPC API (ui preferences); None: uiPreferences answers "unavailable".
    identity_addr: str | None = None


def _channel(addr: str, tracing: bool) -> aio.Channel:
    interceptors = []
    if tracing:
        from opentelemetry.instrumentation.grpc import aio_client_interceptors

        interceptors = aio_client_interceptors()  # type: ignore[no-untyped-call]
    return aio.insecure_channel(addr, options=_CHANNEL_OPTIONS, interceptors=interceptors)


def _downstream(name: str, addr: str, config: DownstreamConfig) -> Downstream:
    breaker = CircuitBreaker(name, config.breaker_failures, config.breaker_reset_s)
    return Downstream(name, _channel(addr, config.tracing), config.policy, breaker)


def _rfq(config: DownstreamConfig) -> RfqClient | None:
    if not config.rfq_addr:
        return None
    return RfqClient(_downstream("rfq", config.rfq_addr, config), config.rfq_changes)


def _preferences(config: DownstreamConfig) -> PreferencesClient | None:
    if not config.identity_addr:
        return None
    return PreferencesClient(_downstream("identity", config.identity_addr, config))


@dataclass
class Downstreams:
    """Every downstream client of this process; `close` closes every channel once."""

    refdata: RefDataClient
    rfq: RfqClient | None = None
    trades: TradeBlotter | None = None
    audit: AuditTrail | None = None
    preferences: PreferencesApi | None = None

    @classmethod
    def connect(cls, config: DownstreamConfig) -> Downstreams:
        return cls(
            refdata=RefDataClient(_downstream("refdata", config.refdata_addr, config)),
            rfq=_rfq(config),
            trades=TradeBlotter(config.read_models) if config.read_models is not None else None,
            audit=AuditTrail(config.audit_db) if config.audit_db is not None else None,
            preferences=_preferences(config),
        )

    def all(self) -> list[Downstream]:
        extra = [self.rfq.downstream] if self.rfq is not None else []
        if isinstance(self.preferences, PreferencesClient):
            extra.append(self.preferences.downstream)
        return [self.refdata.downstream, *extra]

    async def close(self) -> None:
        for downstream in self.all():
            await downstream.channel.close()
        if self.rfq is not None and self.rfq.changes is not None:
            await self.rfq.changes.close()
