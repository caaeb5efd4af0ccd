"""Pure trade creation: an immutable Trade from an accepted quote, with a deterministic id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

_TRADE_NS = uuid.UUID("2d0e8a57-3b7f-4f57-8a4e-5b1c7d9e6a10")


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class InvalidAcceptance(ValueError):
    """The acceptance cannot become a trade (missing or non-positive price/quantity)."""


@dataclass(frozen=True)
class Acceptance:
    """What execution needs from a QuoteAccepted event."""

    tenant_id: str
    rfq_id: str
    quote_id: str
    instrument_id: str
    side: Side
    quantity: Decimal
    price: Decimal
    requester_id: str
    lp_id: str
    venue_id: str | None
    accepted_at: datetime


@dataclass(frozen=True)
class Trade:
    trade_id: str
    tenant_id: str
    rfq_id: str
    quote_id: str
    instrument_id: str
    side: Side
    quantity: Decimal
    price: Decimal
    buyer_id: str
    seller_id: str
    venue_id: str
    requester_id: str
    lp_id: str
    accepted_at: datetime
    executed_at: datetime

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price


DEFAULT_VENUE = "ORION-RFQ"


def trade_id_for(tenant_id: str, rfq_id: str, quote_id: str) -> str:
    """Same (tenant, rfq, quote) → same id, so a redelivered acceptance hits the unique key."""
    return str(uuid.uuid5(_TRADE_NS, f"{tenant_id}/{rfq_id}/{quote_id}"))


def execute(acceptance: Acceptance, now: datetime) -> Trade:
    """The trade of an acceptance: the requester's side decides who is buyer and seller."""
    if acceptance.quantity <= 0 or acceptance.price <= 0:
        raise InvalidAcceptance("quantity and price must be positive")
    if not acceptance.rfq_id or not acceptance.quote_id:
        raise InvalidAcceptance("rfq id and quote id are required")
    buyer, seller = (
        (acceptance.requester_id, acceptance.lp_id)
        if acceptance.side is Side.BUY
        else (acceptance.lp_id, acceptance.requester_id)
    )
    return Trade(
        trade_id=trade_id_for(acceptance.tenant_id, acceptance.rfq_id, acceptance.quote_id),
        tenant_id=acceptance.tenant_id,
        rfq_id=acceptance.rfq_id,
        quote_id=acceptance.quote_id,
        instrument_id=acceptance.instrument_id,
        side=acceptance.side,
        quantity=acceptance.quantity,
        price=acceptance.price,
        buyer_id=buyer,
        seller_id=seller,
        venue_id=acceptance.venue_id or DEFAULT_VENUE,
        requester_id=acceptance.requester_id,
        lp_id=acceptance.lp_id,
        accepted_at=acceptance.accepted_at,
        executed_at=max(now, acceptance.accepted_at),
    )
