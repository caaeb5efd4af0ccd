"""Trade entity, read from the trade blotter read model (rm_trade_blotter)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from bff.common.fields import field
from bff.context import Info
from bff.workstation.rfq.audit import AuditEntry, audit_of
from bff.workstation.rfq.types import Side


def _time(text: Any) -> datetime | None:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None


def _id(value: Any) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value else None


@strawberry.federation.type(keys=["id"], description="An executed trade")
class Trade:
    id: strawberry.ID
    correlation_id: str
    rfq_id: strawberry.ID | None
    quote_id: strawberry.ID | None
    instrument_id: strawberry.ID
    side: Side = strawberry.field(description="The requester's side")
    quantity: Decimal
    price: Decimal
    notional: Decimal = strawberry.field(description="quantity x price")
    lp_id: strawberry.ID | None
    lp_name: str | None = strawberry.field(description="The LP id (no LP directory yet)")
    status: str = strawberry.field(description="EXECUTED: trades are immutable; no settlement yet")
    requester_id: strawberry.ID | None
    buyer_id: strawberry.ID | None
    seller_id: strawberry.ID | None
    venue_id: strawberry.ID | None
    accepted_at: datetime | None
    executed_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Trade:
        quantity, price = Decimal(row.get("quantity") or 0), Decimal(row.get("price") or 0)
        side = str(row.get("side", "SIDE_BUY")).removeprefix("SIDE_")
        return cls(
            id=strawberry.ID(str(row.get("trade_id", ""))),
            correlation_id=str(row.get("correlation_id", "")),
            rfq_id=_id(row.get("rfq_id")),
            quote_id=_id(row.get("quote_id")),
            instrument_id=strawberry.ID(str(row.get("instrument_id", ""))),
            side=Side(side) if side in ("BUY", "SELL") else Side.BUY,
            quantity=quantity,
            price=price,
            notional=quantity * price,
            lp_id=_id(row.get("lp_id")),
            lp_name=str(row["lp_id"]) if row.get("lp_id") else None,
            status="EXECUTED",
            requester_id=_id(row.get("requester_id")),
            buyer_id=_id(row.get("buyer_id")),
            seller_id=_id(row.get("seller_id")),
            venue_id=_id(row.get("venue_id")),
            accepted_at=_time(row.get("accepted_at")),
            executed_at=_time(row.get("executed_at")),
        )

    @field("Quote currency from reference data; null when it is unknown")
    async def currency(self, info: Info) -> str | None:
        row = await info.context.loaders.instruments.load(str(self.instrument_id))
        return row.currency if row is not None else None

    @field("Audit trail of this trade's correlation id (the acceptance); null: no audit store")
    async def audit(self, info: Info) -> list[AuditEntry] | None:
        return await audit_of(info, self.correlation_id)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Trade | None:
        """Gateway entity lookup in the caller's tenant's blotter: null when unknown."""
        principal = info.context.require_principal()
        blotter = info.context.downstreams.trades
        if blotter is None:
            return None
        row = await blotter.get(principal.tenant_id, str(id))
        return None if row is None else cls.from_row(row.data)
