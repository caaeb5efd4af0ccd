"""Past-tense facts of the RFQ lifecycle, collected by the aggregate (proto mapping: mapping.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Side(StrEnum):
    """The requester's side: a buyer is quoted offers, a seller bids."""

    BUY = "BUY"
    SELL = "SELL"


class RfqState(StrEnum):
    CREATED = "CREATED"
    SENT = "SENT"
    QUOTING = "QUOTING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    TRADED = "TRADED"


@dataclass(frozen=True)
class Quote:
    """An LP's firm price for one RFQ."""

    quote_id: str
    rfq_id: str
    lp_id: str
    price: Decimal
    quantity: Decimal
    received_at: datetime
    valid_until: datetime
    last_look: bool = False


@dataclass(frozen=True)
class Event:
    rfq_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class RfqCreated(Event):
    requester_id: str
    instrument_id: str
    side: Side
    quantity: Decimal
    expires_at: datetime
    min_quantity: Decimal | None
    partial_allowed: bool
    venue_id: str | None
    mid: Decimal | None


@dataclass(frozen=True)
class RfqSent(Event):
    lp_ids: tuple[str, ...]
    instrument_id: str
    side: Side
    quantity: Decimal
    expires_at: datetime


@dataclass(frozen=True)
class QuoteReceived(Event):
    quote: Quote


@dataclass(frozen=True)
class QuoteDiscarded(Event):
    quote_id: str
    lp_id: str
    reason: str


@dataclass(frozen=True)
class QuoteAcceptanceRequested(Event):
    quote: Quote


@dataclass(frozen=True)
class QuoteAccepted(Event):
    quote: Quote
    requester_id: str
    instrument_id: str
    side: Side
    venue_id: str | None


@dataclass(frozen=True)
class QuoteAcceptanceRejected(Event):
    quote_id: str
    lp_id: str
    reason: str
    resulting_state: RfqState


@dataclass(frozen=True)
class RfqExpired(Event):
    quote_count: int


@dataclass(frozen=True)
class RfqCancelled(Event):
    reason: str
    cancelled_by: str


@dataclass(frozen=True)
class RfqTraded(Event):
    trade_id: str
    quote_id: str


@dataclass(frozen=True)
class RiskLimitBreached(Event):
    requester_id: str
    check: str
    reason: str
    limit: str
    observed: str
