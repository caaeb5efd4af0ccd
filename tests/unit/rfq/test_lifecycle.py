"""The RFQ aggregate through its life: creation, routing, quoting, acceptance, trade."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.rfq import events as ev
from services.rfq.domain import Rfq, RfqSpec
from services.rfq.errors import IllegalTransition, InvalidRfq
from services.rfq.events import RfqState, Side
from tests.unit.rfq.factories import T0, TTL, at, new_rfq, quote, quoting_rfq, sent_rfq


def test_created_rfq_records_rfq_created_with_expiry_from_ttl() -> None:
    rfq = new_rfq()
    assert rfq.state is RfqState.CREATED
    assert rfq.version == 1
    assert rfq.expires_at == T0 + TTL
    [created] = rfq.pull_events()
    assert isinstance(created, ev.RfqCreated)
    assert created.quantity == Decimal("1000000")
    assert rfq.pull_events() == []


@pytest.mark.parametrize(
    ("quantity", "min_quantity", "ttl_s"),
    [("0", None, 10), ("-1", None, 10), ("100", None, 0), ("100", "200", 10), ("100", "0", 10)],
)
def test_invalid_rfq_is_refused(quantity: str, min_quantity: str | None, ttl_s: int) -> None:
    from datetime import timedelta

    spec = RfqSpec(
        "EURUSD", Side.BUY, Decimal(quantity), timedelta(seconds=ttl_s),
        None if min_quantity is None else Decimal(min_quantity),
    )  # fmt: skip
    with pytest.raises(InvalidRfq):
        Rfq.create(spec, "r", "t1", "alice", T0)


def test_send_routes_to_lps_and_bumps_version() -> None:
    rfq = new_rfq()
    rfq.pull_events()
    rfq.send(("lp-a", "lp-b"), T0)
    assert rfq.state is RfqState.SENT
    assert rfq.version == 2
    [sent] = rfq.pull_events()
    assert isinstance(sent, ev.RfqSent)
    assert sent.lp_ids == ("lp-a", "lp-b")


def test_pre_trade_rejection_records_risk_limit_breached() -> None:
    rfq = new_rfq()
    rfq.pull_events()
    rfq.reject_pre_trade("max_notional", "above limit", "1000", "5000", T0)
    assert rfq.state is RfqState.REJECTED
    [breach] = rfq.pull_events()
    assert isinstance(breach, ev.RiskLimitBreached)
    assert (breach.check, breach.limit, breach.observed) == ("max_notional", "1000", "5000")
    with pytest.raises(IllegalTransition):
        rfq.send(("lp-a",), T0)


def test_first_quote_moves_sent_to_quoting() -> None:
    rfq = sent_rfq()
    rfq.pull_events()
    rfq.receive_quote(quote("q1", "1.1002"), at(1))
    assert rfq.state is RfqState.QUOTING
    assert rfq.version == 3
    [received] = rfq.pull_events()
    assert isinstance(received, ev.QuoteReceived)


def test_accept_without_last_look_emits_firm_quote_accepted() -> None:
    rfq = quoting_rfq(quote("q1", "1.1002"))
    accepted = rfq.accept("q1", rfq.version, at(2))
    assert accepted.quote_id == "q1"
    assert rfq.state is RfqState.ACCEPTED
    [event] = rfq.pull_events()
    assert isinstance(event, ev.QuoteAccepted)
    assert (event.requester_id, event.side, event.quote.price) == (
        "alice",
        Side.BUY,
        Decimal("1.1002"),
    )


def test_trade_closes_the_rfq_once() -> None:
    rfq = quoting_rfq(quote("q1", "1.1002"))
    rfq.accept("q1", rfq.version, at(2))
    rfq.pull_events()
    assert rfq.mark_traded("trd-1", "q1", at(3)) is True
    assert rfq.state is RfqState.TRADED
    assert rfq.mark_traded("trd-1", "q1", at(4)) is False
    [traded] = rfq.pull_events()
    assert isinstance(traded, ev.RfqTraded)
    assert traded.trade_id == "trd-1"


def test_trade_of_a_quote_that_was_not_accepted_is_refused() -> None:
    from services.rfq.errors import RfqNotOpen

    rfq = quoting_rfq(quote("q1", "1.1002"), quote("q2", "1.1003", lp_id="lp-b"))
    rfq.accept("q1", rfq.version, at(2))
    with pytest.raises(RfqNotOpen):
        rfq.mark_traded("trd-2", "q2", at(3))
