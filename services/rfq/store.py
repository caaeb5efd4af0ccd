"""RFQ storage: the `rfqs` table (aggregate snapshot + version) and idempotency keys, per tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import BigInteger, Column, Index, String, Text, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import services.rfq.pg_functions  # noqa: F401  (registers the Postgres functions' DDL)
from core.db import UtcDateTime, as_utc
from services.rfq.domain import OPEN_STATES, Rfq
from services.rfq.errors import RfqError
from services.rfq.events import Quote, RfqState, Side


class ConcurrentModification(RfqError):
    """Another writer saved the RFQ first; reload and decide again."""

    code = "CONCURRENT_MODIFICATION"


class RfqRow(SQLModel, table=True):
    __tablename__ = "rfqs"
    __table_args__ = (
        Index("ix_rfqs_tenant_created", "tenant_id", "created_at", "rfq_id"),
        Index("ix_rfqs_open_expiry", "state", "expires_at"),
    )

    rfq_id: str = Field(sa_column=Column(String(64), primary_key=True))
    tenant_id: str = Field(sa_column=Column(String(64), nullable=False))
    requester_id: str = Field(sa_column=Column(String(128), nullable=False))
    instrument_id: str = Field(sa_column=Column(String(64), nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    # Entity sequence of the last event emitted for this RFQ (envelope.entity.sequence).
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    correlation_id: str = Field(sa_column=Column(String(128), nullable=False))
    doc: str = Field(sa_column=Column(Text, nullable=False))


class RfqIdempotency(SQLModel, table=True):
    """First result of a client command, so a retry with the same key returns it."""

    __tablename__ = "rfq_idempotency"

    tenant_id: str = Field(sa_column=Column(String(64), primary_key=True))
    command: str = Field(sa_column=Column(String(32), primary_key=True))
    idempotency_key: str = Field(sa_column=Column(String(128), primary_key=True))
    rfq_id: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


def _quote_doc(q: Quote) -> dict[str, Any]:
    return {
        "quote_id": q.quote_id, "lp_id": q.lp_id, "price": str(q.price),
        "quantity": str(q.quantity), "received_at": q.received_at.isoformat(),
        "valid_until": q.valid_until.isoformat(), "last_look": q.last_look,
    }  # fmt: skip


def _quote_from(rfq_id: str, d: dict[str, Any]) -> Quote:
    return Quote(
        quote_id=d["quote_id"], rfq_id=rfq_id, lp_id=d["lp_id"], price=Decimal(d["price"]),
        quantity=Decimal(d["quantity"]), received_at=datetime.fromisoformat(d["received_at"]),
        valid_until=datetime.fromisoformat(d["valid_until"]), last_look=d["last_look"],
    )  # fmt: skip


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def to_doc(rfq: Rfq) -> str:
    """Everything not in its own column: quotes, seen ids, routing and outcome details."""
    doc = {
        "side": rfq.side.value, "quantity": str(rfq.quantity),
        "min_quantity": _opt(rfq.min_quantity), "partial_allowed": rfq.partial_allowed,
        "venue_id": rfq.venue_id, "mid": _opt(rfq.mid),
        "quotes": [_quote_doc(q) for q in rfq.quotes.values()],
        "seen_quote_ids": sorted(rfq.seen_quote_ids), "lp_ids": list(rfq.lp_ids),
        "accepted_quote_id": rfq.accepted_quote_id, "awaiting_last_look": rfq.awaiting_last_look,
        "trade_id": rfq.trade_id, "reason": rfq.reason,
    }  # fmt: skip
    return orjson.dumps(doc).decode()


def from_row(row: RfqRow | Any) -> Rfq:
    """An aggregate from a row of `rfqs` (an RfqRow, or any object with its column attributes)."""
    d = orjson.loads(row.doc)
    quotes = [_quote_from(row.rfq_id, q) for q in d["quotes"]]
    return Rfq(
        rfq_id=row.rfq_id, tenant_id=row.tenant_id, requester_id=row.requester_id,
        instrument_id=row.instrument_id, side=Side(d["side"]), quantity=Decimal(d["quantity"]),
        created_at=as_utc(row.created_at), expires_at=as_utc(row.expires_at),
        min_quantity=None if d["min_quantity"] is None else Decimal(d["min_quantity"]),
        partial_allowed=d["partial_allowed"], venue_id=d["venue_id"],
        mid=None if d["mid"] is None else Decimal(d["mid"]),
        correlation_id=row.correlation_id, state=RfqState(row.state), version=row.version,
        quotes={q.quote_id: q for q in quotes}, seen_quote_ids=set(d["seen_quote_ids"]),
        lp_ids=tuple(d["lp_ids"]), accepted_quote_id=d["accepted_quote_id"],
        awaiting_last_look=d["awaiting_last_look"], trade_id=d["trade_id"], reason=d["reason"],
    )  # fmt: skip


@dataclass
class Loaded:
    """An aggregate with the version and event sequence it had when read."""

    rfq: Rfq
    version: int
    sequence: int


class RfqRepository:
    """Every query names the tenant: one tenant can never read or write another's RFQs."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, rfq_id: str) -> Loaded | None:
        stmt = select(RfqRow).where(RfqRow.tenant_id == tenant_id, RfqRow.rfq_id == rfq_id)
        row = (await self.session.exec(stmt)).first()
        return None if row is None else Loaded(from_row(row), row.version, row.sequence)

    async def add(self, rfq: Rfq, sequence: int) -> None:
        self.session.add(
            RfqRow(
                rfq_id=rfq.rfq_id, tenant_id=rfq.tenant_id, requester_id=rfq.requester_id,
                instrument_id=rfq.instrument_id, state=rfq.state.value, version=rfq.version,
                sequence=sequence, created_at=rfq.created_at, expires_at=rfq.expires_at,
                correlation_id=rfq.correlation_id, doc=to_doc(rfq),
            )
        )  # fmt: skip
        await self.session.flush()

    async def save(self, loaded: Loaded, sequence: int) -> None:
        """Write back only if nobody else did since `loaded` was read (optimistic concurrency)."""
        rfq = loaded.rfq
        table = RfqRow.__table__  # type: ignore[attr-defined]
        stmt = (
            update(table)
            .where(
                table.c.tenant_id == rfq.tenant_id,
                table.c.rfq_id == rfq.rfq_id,
                table.c.version == loaded.version,
            )
            .values(state=rfq.state.value, version=rfq.version, sequence=sequence, doc=to_doc(rfq))
        )
        conn = await self.session.connection()
        result = await conn.execute(stmt)
        if result.rowcount != 1:
            raise ConcurrentModification(f"RFQ {rfq.rfq_id} changed since version {loaded.version}")

    async def list(
        self,
        tenant_id: str,
        *,
        states: set[RfqState] | None = None,
        instrument_id: str | None = None,
        limit: int = 50,
        before: tuple[datetime, str] | None = None,
    ) -> list[Rfq]:
        """Newest first; `before` is the (created_at, rfq_id) cursor of the previous page."""
        stmt = select(RfqRow).where(RfqRow.tenant_id == tenant_id)
        if states:
            stmt = stmt.where(col(RfqRow.state).in_([s.value for s in states]))
        if instrument_id:
            stmt = stmt.where(RfqRow.instrument_id == instrument_id)
        if before is not None:
            created, rfq_id = before
            stmt = stmt.where(
                (col(RfqRow.created_at) < created)
                | ((col(RfqRow.created_at) == created) & (col(RfqRow.rfq_id) < rfq_id))
            )
        stmt = stmt.order_by(col(RfqRow.created_at).desc(), col(RfqRow.rfq_id).desc()).limit(limit)
        return [from_row(r) for r in (await self.session.exec(stmt)).all()]

    async def idempotent_result(self, tenant_id: str, command: str, key: str) -> str | None:
        stmt = select(RfqIdempotency.rfq_id).where(
            RfqIdempotency.tenant_id == tenant_id,
            RfqIdempotency.command == command,
            RfqIdempotency.idempotency_key == key,
        )
        found = (await self.session.exec(stmt)).first()
        return None if found is None else str(found)

    def remember(self, tenant_id: str, command: str, key: str, rfq_id: str, now: datetime) -> None:
        self.session.add(
            RfqIdempotency(
                tenant_id=tenant_id, command=command, idempotency_key=key, rfq_id=rfq_id,
                created_at=now,
            )
        )  # fmt: skip


async def open_rfqs(session: AsyncSession) -> list[tuple[str, str, datetime]]:
    """(tenant, rfq id, expiry) of every RFQ an expiry timer must watch, across tenants."""
    stmt = select(RfqRow.tenant_id, RfqRow.rfq_id, RfqRow.expires_at).where(
        col(RfqRow.state).in_([s.value for s in OPEN_STATES])
    )
    rows = (await session.exec(stmt)).all()
    return [(str(t), str(r), as_utc(e)) for t, r, e in rows]
