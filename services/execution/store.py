"""Trades table: one row per trade, the trade id unique, every query filtered by tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, String, UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import UtcDateTime, as_utc
from services.execution.domain import Side, Trade


class TradeRow(SQLModel, table=True):
    __tablename__ = "trades"
    # One trade per accepted quote, whatever the redeliveries (PRD §9.12).
    __table_args__ = (UniqueConstraint("tenant_id", "rfq_id", "quote_id", name="uq_trade_quote"),)

    trade_id: str = Field(sa_column=Column(String(64), primary_key=True))
    tenant_id: str = Field(sa_column=Column(String(64), nullable=False))
    rfq_id: str = Field(sa_column=Column(String(64), nullable=False))
    quote_id: str = Field(sa_column=Column(String(128), nullable=False))
    instrument_id: str = Field(sa_column=Column(String(64), nullable=False))
    side: str = Field(sa_column=Column(String(4), nullable=False))
    quantity: Decimal = Field(sa_column=Column(Numeric(28, 10), nullable=False))
    price: Decimal = Field(sa_column=Column(Numeric(28, 10), nullable=False))
    buyer_id: str = Field(sa_column=Column(String(128), nullable=False))
    seller_id: str = Field(sa_column=Column(String(128), nullable=False))
    venue_id: str = Field(sa_column=Column(String(64), nullable=False))
    requester_id: str = Field(sa_column=Column(String(128), nullable=False))
    lp_id: str = Field(sa_column=Column(String(64), nullable=False))
    accepted_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    executed_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


def _values(trade: Trade) -> dict[str, object]:
    return {
        "trade_id": trade.trade_id,
        "tenant_id": trade.tenant_id,
        "rfq_id": trade.rfq_id,
        "quote_id": trade.quote_id,
        "instrument_id": trade.instrument_id,
        "side": trade.side.value,
        "quantity": trade.quantity,
        "price": trade.price,
        "buyer_id": trade.buyer_id,
        "seller_id": trade.seller_id,
        "venue_id": trade.venue_id,
        "requester_id": trade.requester_id,
        "lp_id": trade.lp_id,
        "accepted_at": trade.accepted_at,
        "executed_at": trade.executed_at,
    }


async def insert_new(session: AsyncSession, trades: Sequence[Trade]) -> set[str]:
    """Insert the trades that do not exist yet, in one statement; returns the ids inserted now
    (a trade already there, or repeated in `trades`, is not inserted again)."""
    if not trades:
        return set()
    table = TradeRow.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values([_values(t) for t in trades]).on_conflict_do_nothing()
    conn = await session.connection()
    result = await conn.execute(stmt.returning(table.c.trade_id))
    return {str(row[0]) for row in result}


async def insert_once(session: AsyncSession, trade: Trade) -> bool:
    """Insert unless the trade exists already; True only for the first insert."""
    return trade.trade_id in await insert_new(session, [trade])


def from_row(row: TradeRow) -> Trade:
    return Trade(
        trade_id=row.trade_id,
        tenant_id=row.tenant_id,
        rfq_id=row.rfq_id,
        quote_id=row.quote_id,
        instrument_id=row.instrument_id,
        side=Side(row.side),
        quantity=Decimal(row.quantity).normalize(),
        price=Decimal(row.price).normalize(),
        buyer_id=row.buyer_id,
        seller_id=row.seller_id,
        venue_id=row.venue_id,
        requester_id=row.requester_id,
        lp_id=row.lp_id,
        accepted_at=as_utc(row.accepted_at),
        executed_at=as_utc(row.executed_at),
    )


async def trades_of_rfq(session: AsyncSession, tenant_id: str, rfq_id: str) -> list[Trade]:
    stmt = select(TradeRow).where(TradeRow.tenant_id == tenant_id, TradeRow.rfq_id == rfq_id)
    return [from_row(r) for r in (await session.exec(stmt)).all()]
