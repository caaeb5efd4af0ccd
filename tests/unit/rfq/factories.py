"""Builders for RFQ unit tests: a fixed clock origin and compact constructors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.rfq.domain import Rfq, RfqSpec
from services.rfq.events import Quote, RfqState, Side

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=10)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_rfq(
    side: Side = Side.BUY,
    quantity: str = "1000000",
    mid: str | None = "1.1000",
    min_quantity: str | None = None,
    partial_allowed: bool = False,
) -> Rfq:
    spec = RfqSpec(
        instrument_id="EURUSD",
        side=side,
        quantity=Decimal(quantity),
        time_to_live=TTL,
        min_quantity=None if min_quantity is None else Decimal(min_quantity),
        partial_allowed=partial_allowed,
    )
    return Rfq.create(spec, "rfq-1", "t1", "alice", T0, mid=None if mid is None else Decimal(mid))


def quote(
    quote_id: str,
    price: str,
    received: float = 1.0,
    lp_id: str = "lp-a",
    quantity: str = "1000000",
    valid_for: float = 5.0,
    last_look: bool = False,
) -> Quote:
    return Quote(
        quote_id=quote_id,
        rfq_id="rfq-1",
        lp_id=lp_id,
        price=Decimal(price),
        quantity=Decimal(quantity),
        received_at=at(received),
        valid_until=at(received + valid_for),
        last_look=last_look,
    )


def sent_rfq(**kwargs: object) -> Rfq:
    rfq = new_rfq(**kwargs)  # type: ignore[arg-type]
    rfq.send(("lp-a", "lp-b", "lp-c"), T0)
    return rfq


def quoting_rfq(*quotes: Quote, side: Side = Side.BUY) -> Rfq:
    rfq = sent_rfq(side=side)
    for q in quotes or (quote("q1", "1.1002"),):
        rfq.receive_quote(q, q.received_at)
    assert rfq.state is RfqState.QUOTING
    rfq.pull_events()
    return rfq
