"""An RFQ service wired to SQLite with a settable clock, for handler tests (no network)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

import eventbus.consumer  # noqa: F401  (processed_events table)
import services.rfq.event_specs  # noqa: F401  (registers RFQ events)
from core.db import Database
from eventbus.envelope import build_envelope
from eventbus.outbox import decode_headers
from orion.common.v1.envelope_pb2 import Envelope
from orion.rfq.v1 import events_pb2 as pb
from services.rfq.consumers import handlers
from services.rfq.handlers import RfqDeps
from services.rfq.mapping import ts
from services.rfq.risk import RateLimiter, RiskLimits
from services.rfq.routing import LpProfile, Router

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0
    armed: list[tuple[str, str, datetime]] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_deps(db: Database, clock: Clock, max_notional: str = "1e9") -> RfqDeps:
    return RfqDeps(
        db=db,
        env="test",
        clock=clock,
        router=Router(tuple(LpProfile(f"lp-{c}") for c in "abc")),
        limiter=RateLimiter(RiskLimits(Decimal(max_notional), 100.0, 100.0)),
        entitlements=lambda _t, _u: {"EURUSD"},
        mids=lambda _i: Decimal("1.1000"),
        on_open=lambda t, r, e: clock.armed.append((t, r, e)),
    )


async def deliver(
    deps: RfqDeps,
    event_type: str,
    payload: pb.QuoteSubmitted | object,
    tenant: str = "t1",
    correlation: str = "corr-1",
) -> Envelope:
    """Run the RFQ service's consumer handler for one event, in its own transaction."""
    envelope = build_envelope(
        payload,  # type: ignore[arg-type]
        sequence=1,
        tenant_id=tenant,
        correlation_id=correlation,
    )
    # In the envelope's tenant, as ConsumerRunner does (row-level security on Postgres).
    async with deps.db.tenant_session(tenant) as session, session.begin():
        await handlers(deps)[event_type](envelope, payload, session)
    return envelope


def submitted(
    rfq_id: str, lp: str, price: str, clock: Clock, ttl_s: float = 5, last_look: bool = False
) -> pb.QuoteSubmitted:
    return pb.QuoteSubmitted(
        quote_id=f"{rfq_id}/{lp}",
        rfq_id=rfq_id,
        lp_id=lp,
        price=price,
        quantity="1000000",
        quoted_at=ts(clock.now),
        valid_until=ts(clock.now + timedelta(seconds=ttl_s)),
        last_look=last_look,
    )


async def outbox_types(session: AsyncSession) -> list[str]:
    conn = await session.connection()
    rows = await conn.execute(text("SELECT headers FROM outbox_events ORDER BY id"))
    return [dict(decode_headers(bytes(r[0])))["event_type"].decode() for r in rows]


def only(types: Sequence[str], name: str) -> int:
    return sum(1 for t in types if t == name)
