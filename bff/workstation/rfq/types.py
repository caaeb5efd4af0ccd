"""Rfq and Quote (from the RFQ service's proto), the typed refusals, and the result unions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from google.protobuf.timestamp_pb2 import Timestamp

from bff.common.fields import field
from bff.common.types import NotEntitled
from bff.context import Info
from bff.workstation.rfq.audit import AuditEntry, audit_of
from orion.rfq.v1 import rfq_pb2 as pb

TERMINAL = frozenset({"REJECTED", "EXPIRED", "CANCELLED", "TRADED"})


@strawberry.enum(description="The requester's side: a buyer is quoted offers, a seller bids")
class Side(Enum):
    BUY = "BUY"
    SELL = "SELL"

    def to_pb(self) -> pb.Side.ValueType:
        return pb.Side.Value(f"SIDE_{self.value}")

    @classmethod
    def from_pb(cls, value: int) -> Side:
        return cls(pb.Side.Name(value).removeprefix("SIDE_"))  # type: ignore[arg-type]


@strawberry.enum(description="RFQ lifecycle state, exactly as the RFQ service's state machine")
class RfqStatus(Enum):
    UNSPECIFIED = "UNSPECIFIED"
    CREATED = "CREATED"
    SENT = "SENT"
    QUOTING = "QUOTING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    TRADED = "TRADED"

    def to_pb(self) -> pb.RfqState.ValueType:
        return pb.RfqState.Value(f"RFQ_STATE_{self.value}")

    @classmethod
    def from_pb(cls, value: int) -> RfqStatus:
        return cls(pb.RfqState.Name(value).removeprefix("RFQ_STATE_"))  # type: ignore[arg-type]


def ts(value: Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


@strawberry.enum(description="Where a quote stands, derived from the RFQ service's view")
class QuoteStatus(Enum):
    ACTIVE = "ACTIVE"
    ACCEPTED = "ACCEPTED"
    EXPIRED = "EXPIRED"
    WITHDRAWN = "WITHDRAWN"


def _quote_status(q: pb.Quote, accepted_quote_id: str, now: datetime) -> QuoteStatus:
    if q.quote_id == accepted_quote_id:
        return QuoteStatus.ACCEPTED
    if q.rank > 0:
        return QuoteStatus.ACTIVE
    if ts(q.valid_until) <= now:
        return QuoteStatus.EXPIRED
    return QuoteStatus.WITHDRAWN  # not live though still valid: the RFQ closed


@strawberry.type(description="A liquidity provider's firm price for an RFQ")
class Quote:
    id: strawberry.ID
    rfq_id: strawberry.ID
    lp_id: strawberry.ID
    lp_name: str = strawberry.field(description="The LP id (no LP directory yet)")
    price: Decimal
    quantity: Decimal
    received_at: datetime
    valid_until: datetime
    rank: int = strawberry.field(description="1 = best for the requester; 0 = no longer live")
    live: bool
    status: QuoteStatus
    time_remaining_ms: int = strawberry.field(description="Until validUntil while live, else 0")
    impact_bps: Decimal | None = strawberry.field(description="Distance from mid (bps), if known")
    last_look: bool = strawberry.field(description="The LP may still reject an acceptance")
    correlation_id: str = strawberry.field(description="Correlation id of the RFQ")

    @classmethod
    def from_pb(cls, q: pb.Quote, rfq: pb.Rfq, now: datetime) -> Quote:
        remaining = (ts(q.valid_until) - now).total_seconds() * 1000 if q.rank > 0 else 0
        return cls(
            id=strawberry.ID(q.quote_id),
            rfq_id=strawberry.ID(q.rfq_id),
            lp_id=strawberry.ID(q.lp_id),
            lp_name=q.lp_id,
            price=Decimal(q.price),
            quantity=Decimal(q.quantity),
            received_at=ts(q.received_at),
            valid_until=ts(q.valid_until),
            rank=q.rank,
            live=q.rank > 0,
            status=_quote_status(q, rfq.accepted_quote_id, now),
            time_remaining_ms=max(0, int(remaining)),
            impact_bps=_decimal(q.impact_bps),
            last_look=q.last_look,
            correlation_id=rfq.correlation_id,
        )


def ranked(quotes: list[Quote]) -> list[Quote]:
    """Live quotes best first (rank 1, 2, ...), then the ones no longer live."""
    return sorted(quotes, key=lambda q: (not q.live, q.rank, q.received_at))


@strawberry.federation.type(keys=["id"], description="A request for quote")
class Rfq:
    id: strawberry.ID
    correlation_id: str
    requester_id: strawberry.ID
    instrument_id: strawberry.ID
    side: Side
    quantity: Decimal
    min_quantity: Decimal | None
    allow_partial: bool
    venue_id: strawberry.ID | None
    status: RfqStatus
    version: int = strawberry.field(description="Name it as acceptQuote's expectedVersion")
    created_at: datetime
    expires_at: datetime
    time_remaining_ms: int = strawberry.field(description="Until expiry, at the server; 0 after")
    quotes: list[Quote] = strawberry.field(description="Ranked: live quotes best first")
    accepted_quote_id: strawberry.ID | None
    trade_id: strawberry.ID | None
    trade_ids: list[strawberry.ID] = strawberry.field(description="[tradeId] once traded")
    status_reason: str | None
    mid: Decimal | None = strawberry.field(description="Reference mid at creation, if known")
    lp_ids: list[strawberry.ID]

    @classmethod
    def from_pb(cls, r: pb.Rfq, now: datetime | None = None) -> Rfq:
        now = now or datetime.now(UTC)
        expires = ts(r.expires_at)
        remaining = (expires - now).total_seconds() * 1000
        open_ = r.state in (pb.RFQ_STATE_SENT, pb.RFQ_STATE_QUOTING, pb.RFQ_STATE_CREATED)
        return cls(
            id=strawberry.ID(r.rfq_id),
            correlation_id=r.correlation_id,
            requester_id=strawberry.ID(r.requester_id),
            instrument_id=strawberry.ID(r.instrument_id),
            side=Side.from_pb(r.side),
            quantity=Decimal(r.quantity),
            min_quantity=_decimal(r.min_quantity),
            allow_partial=r.partial_allowed,
            venue_id=strawberry.ID(r.venue_id) if r.venue_id else None,
            status=RfqStatus.from_pb(r.state),
            version=r.version,
            created_at=ts(r.created_at),
            expires_at=expires,
            time_remaining_ms=max(0, int(remaining)) if open_ else 0,
            quotes=ranked([Quote.from_pb(q, r, now) for q in r.quotes]),
            accepted_quote_id=strawberry.ID(r.accepted_quote_id) if r.accepted_quote_id else None,
            trade_id=strawberry.ID(r.trade_id) if r.trade_id else None,
            trade_ids=[strawberry.ID(r.trade_id)] if r.trade_id else [],
            status_reason=r.reason or None,
            mid=_decimal(r.mid),
            lp_ids=[strawberry.ID(i) for i in r.lp_ids],
        )

    @field("Audit trail of this RFQ's correlation id, in time order; null: no audit store")
    async def audit(self, info: Info) -> list[AuditEntry] | None:
        return await audit_of(info, self.correlation_id)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Rfq | None:
        """Gateway entity lookup through the RFQ service (tenant from the token): null if none."""
        principal = info.context.require_principal()
        client = info.context.downstreams.rfq
        if client is None:
            return None
        row = await client.get_rfq(principal, str(id))
        return None if row is None else cls.from_pb(row)


@strawberry.interface(description="An expected refusal: the service's code, why, and the trace id")
class OrionError:
    code: str
    message: str
    correlation_id: str


@strawberry.type(description="No RFQ with this id in your tenant")
class RfqNotFound(OrionError):
    pass


@strawberry.type(description="The RFQ is not open for this action (state, or already accepted)")
class RfqNotOpen(OrionError):
    pass


@strawberry.type(description="The RFQ or the chosen quote expired before the acceptance")
class QuoteExpired(OrionError):
    pass


@strawberry.type(description="The RFQ changed since the version you named (e.g. a new quote)")
class VersionConflict(OrionError):
    pass


@strawberry.type(description="A pre-trade check refused the RFQ (notional, rate, routing)")
class LimitBreached(OrionError):
    rfq_id: strawberry.ID | None = None


@strawberry.type(description="The request is malformed or names an unknown quote/instrument")
class InvalidInput(OrionError):
    pass


CreateRfqResult = Annotated[
    Rfq | NotEntitled | LimitBreached | InvalidInput, strawberry.union("CreateRfqResult")
]
AcceptQuoteResult = Annotated[
    Rfq | NotEntitled | QuoteExpired | RfqNotOpen | RfqNotFound | VersionConflict | InvalidInput,
    strawberry.union("AcceptQuoteResult"),
]
CancelRfqResult = Annotated[
    Rfq | NotEntitled | RfqNotOpen | RfqNotFound | VersionConflict | InvalidInput,
    strawberry.union("CancelRfqResult"),
]
