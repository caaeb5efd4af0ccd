"""Domain ↔ proto for the RFQ service: events, quotes and the Rfq view, in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from orion.rfq.v1 import events_pb2 as pb
from orion.rfq.v1 import rfq_pb2
from services.rfq import events as ev
from services.rfq.domain import Rfq
from services.rfq.events import Quote, RfqState, Side
from services.rfq.ranking import impact_bps, rank_quotes

SIDE_TO_PB = {Side.BUY: rfq_pb2.SIDE_BUY, Side.SELL: rfq_pb2.SIDE_SELL}
SIDE_FROM_PB = {v: k for k, v in SIDE_TO_PB.items()}
STATE_TO_PB = {s: rfq_pb2.RfqState.Value(f"RFQ_STATE_{s.value}") for s in RfqState}
STATE_FROM_PB = {v: k for k, v in STATE_TO_PB.items()}


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def from_ts(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def dec(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def parse_dec(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def quote_pb(quote: Quote, rank: int = 0, impact: Decimal | None = None) -> rfq_pb2.Quote:
    return rfq_pb2.Quote(
        quote_id=quote.quote_id, rfq_id=quote.rfq_id, lp_id=quote.lp_id, price=str(quote.price),
        quantity=str(quote.quantity), received_at=ts(quote.received_at),
        valid_until=ts(quote.valid_until), rank=rank, impact_bps=dec(impact),
        last_look=quote.last_look,
    )  # fmt: skip


def quote_from_pb(msg: rfq_pb2.Quote) -> Quote:
    return Quote(
        quote_id=msg.quote_id, rfq_id=msg.rfq_id, lp_id=msg.lp_id, price=Decimal(msg.price),
        quantity=Decimal(msg.quantity), received_at=from_ts(msg.received_at),
        valid_until=from_ts(msg.valid_until), last_look=msg.last_look,
    )  # fmt: skip


def quote_from_submitted(msg: pb.QuoteSubmitted, received_at: datetime) -> Quote:
    """An LP's submission as the RFQ service sees it: stamped with the receipt time."""
    return Quote(
        quote_id=msg.quote_id, rfq_id=msg.rfq_id, lp_id=msg.lp_id, price=Decimal(msg.price),
        quantity=Decimal(msg.quantity), received_at=received_at,
        valid_until=from_ts(msg.valid_until), last_look=msg.last_look,
    )  # fmt: skip


def rfq_pb(rfq: Rfq, now: datetime) -> rfq_pb2.Rfq:
    """The query view: live quotes ranked at `now`, with impact vs mid."""
    ranked = rank_quotes(rfq.quotes.values(), rfq.side, rfq.mid, now)
    return rfq_pb2.Rfq(
        rfq_id=rfq.rfq_id, tenant_id=rfq.tenant_id, requester_id=rfq.requester_id,
        instrument_id=rfq.instrument_id, side=SIDE_TO_PB[rfq.side], quantity=str(rfq.quantity),
        min_quantity=dec(rfq.min_quantity), partial_allowed=rfq.partial_allowed,
        venue_id=rfq.venue_id or "", state=STATE_TO_PB[rfq.state], version=rfq.version,
        created_at=ts(rfq.created_at), expires_at=ts(rfq.expires_at),
        quotes=[quote_pb(r.quote, r.rank, r.impact_bps) for r in ranked],
        accepted_quote_id=rfq.accepted_quote_id or "", trade_id=rfq.trade_id or "",
        correlation_id=rfq.correlation_id, reason=rfq.reason, mid=dec(rfq.mid),
        lp_ids=list(rfq.lp_ids),
    )  # fmt: skip


def _created(e: ev.RfqCreated) -> Message:
    return pb.RfqCreated(
        rfq_id=e.rfq_id, requester_id=e.requester_id, instrument_id=e.instrument_id,
        side=SIDE_TO_PB[e.side], quantity=str(e.quantity), min_quantity=dec(e.min_quantity),
        partial_allowed=e.partial_allowed, venue_id=e.venue_id or "",
        created_at=ts(e.occurred_at), expires_at=ts(e.expires_at), mid=dec(e.mid),
    )  # fmt: skip


def _sent(e: ev.RfqSent) -> Message:
    return pb.RfqSent(
        rfq_id=e.rfq_id, lp_ids=list(e.lp_ids), sent_at=ts(e.occurred_at),
        expires_at=ts(e.expires_at), instrument_id=e.instrument_id, side=SIDE_TO_PB[e.side],
        quantity=str(e.quantity),
    )  # fmt: skip


def _accepted(e: ev.QuoteAccepted) -> Message:
    return pb.QuoteAccepted(
        rfq_id=e.rfq_id, quote=quote_pb(e.quote), requester_id=e.requester_id,
        instrument_id=e.instrument_id, side=SIDE_TO_PB[e.side], venue_id=e.venue_id or "",
        accepted_at=ts(e.occurred_at),
    )  # fmt: skip


def _rejected(e: ev.QuoteAcceptanceRejected) -> Message:
    return pb.QuoteAcceptanceRejected(
        rfq_id=e.rfq_id, quote_id=e.quote_id, lp_id=e.lp_id, reason=e.reason,
        resulting_state=STATE_TO_PB[e.resulting_state], rejected_at=ts(e.occurred_at),
    )  # fmt: skip


def _breach(e: ev.RiskLimitBreached) -> Message:
    return pb.RiskLimitBreached(
        rfq_id=e.rfq_id, requester_id=e.requester_id, check=e.check, reason=e.reason,
        limit=e.limit, observed=e.observed, decided_at=ts(e.occurred_at),
    )  # fmt: skip


_MAPPERS: dict[type[ev.Event], Callable[[Any], Message]] = {
    ev.RfqCreated: _created,
    ev.RfqSent: _sent,
    ev.QuoteReceived: lambda e: pb.QuoteReceived(quote=quote_pb(e.quote)),
    ev.QuoteDiscarded: lambda e: pb.QuoteDiscarded(
        rfq_id=e.rfq_id,
        quote_id=e.quote_id,
        lp_id=e.lp_id,
        reason=e.reason,
        discarded_at=ts(e.occurred_at),
    ),
    ev.QuoteAcceptanceRequested: lambda e: pb.QuoteAcceptanceRequested(
        rfq_id=e.rfq_id, quote=quote_pb(e.quote), requested_at=ts(e.occurred_at)
    ),
    ev.QuoteAccepted: _accepted,
    ev.QuoteAcceptanceRejected: _rejected,
    ev.RfqExpired: lambda e: pb.RfqExpired(
        rfq_id=e.rfq_id, expired_at=ts(e.occurred_at), quote_count=e.quote_count
    ),
    ev.RfqCancelled: lambda e: pb.RfqCancelled(
        rfq_id=e.rfq_id,
        reason=e.reason,
        cancelled_by=e.cancelled_by,
        cancelled_at=ts(e.occurred_at),
    ),
    ev.RfqTraded: lambda e: pb.RfqTraded(
        rfq_id=e.rfq_id, trade_id=e.trade_id, quote_id=e.quote_id, traded_at=ts(e.occurred_at)
    ),
    ev.RiskLimitBreached: _breach,
}


def event_pb(event: ev.Event) -> Message:
    """The proto payload of a domain event (every event type has exactly one mapper)."""
    return _MAPPERS[type(event)](event)


def impact_of(quote: Quote, rfq: Rfq) -> Decimal | None:
    return impact_bps(quote.price, rfq.mid, rfq.side)
