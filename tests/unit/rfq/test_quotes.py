"""Quote intake and ranking: duplicates, late quotes, size, best price per side, impact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.rfq import events as ev
from services.rfq.domain import QuoteOutcome
from services.rfq.events import RfqState, Side
from services.rfq.ranking import impact_bps, rank_quotes
from tests.unit.rfq.factories import at, new_rfq, quote, quoting_rfq, sent_rfq


def _discard_reason(events: list[ev.Event]) -> str:
    [discarded] = events
    assert isinstance(discarded, ev.QuoteDiscarded)
    return discarded.reason


def test_duplicate_quote_is_deduplicated_by_quote_id() -> None:
    rfq = quoting_rfq(quote("q1", "1.1002"))
    version = rfq.version
    assert rfq.receive_quote(quote("q1", "1.0999", received=2), at(2)) is QuoteOutcome.DUPLICATE
    assert rfq.quotes["q1"].price == Decimal("1.1002")
    assert rfq.version == version
    assert _discard_reason(rfq.pull_events()) == "duplicate"


def test_late_quote_is_discarded_and_recorded() -> None:
    rfq = sent_rfq()
    rfq.pull_events()
    assert rfq.receive_quote(quote("q1", "1.1", received=10), at(10)) is QuoteOutcome.LATE
    assert rfq.quotes == {}
    assert rfq.state is RfqState.SENT
    assert _discard_reason(rfq.pull_events()) == "late"


def test_quote_after_rfq_closed_is_discarded() -> None:
    rfq = quoting_rfq(quote("q1", "1.1002"))
    rfq.cancel("alice", "changed my mind", at(2))
    rfq.pull_events()
    outcome = rfq.receive_quote(quote("q2", "1.1001", received=3), at(3))
    assert outcome is QuoteOutcome.RFQ_CLOSED
    assert _discard_reason(rfq.pull_events()) == "rfq_closed"


def test_quote_before_rfq_was_sent_is_discarded() -> None:
    rfq = new_rfq()
    rfq.pull_events()
    assert rfq.receive_quote(quote("q1", "1.1"), at(1)) is QuoteOutcome.RFQ_CLOSED


def test_quote_already_expired_on_arrival_is_discarded() -> None:
    rfq = sent_rfq()
    stale = quote("q1", "1.1", received=1, valid_for=0.5)
    assert rfq.receive_quote(stale, at(2)) is QuoteOutcome.QUOTE_EXPIRED


def test_quote_smaller_than_requested_is_discarded_unless_partial_allowed() -> None:
    rfq = sent_rfq()
    small = quote("q1", "1.1", quantity="500000")
    assert rfq.receive_quote(small, at(1)) is QuoteOutcome.SIZE_TOO_SMALL
    partial = sent_rfq(partial_allowed=True, min_quantity="400000")
    assert partial.receive_quote(small, at(1)) is QuoteOutcome.ADMITTED
    tiny = quote("q2", "1.1", quantity="100000")
    assert partial.receive_quote(tiny, at(1)) is QuoteOutcome.SIZE_TOO_SMALL


def test_buyer_ranks_lowest_offer_first() -> None:
    rfq = quoting_rfq(
        quote("q1", "1.1004", lp_id="lp-a"),
        quote("q2", "1.1001", lp_id="lp-b"),
        quote("q3", "1.1003", lp_id="lp-c"),
    )
    assert [r.quote.quote_id for r in rfq.ranked(at(2))] == ["q2", "q3", "q1"]
    assert [r.rank for r in rfq.ranked(at(2))] == [1, 2, 3]


def test_seller_ranks_highest_bid_first() -> None:
    rfq = quoting_rfq(
        quote("q1", "1.0996"), quote("q2", "1.0999"), quote("q3", "1.0990"), side=Side.SELL
    )
    assert [r.quote.quote_id for r in rfq.ranked(at(2))] == ["q2", "q1", "q3"]


def test_equal_prices_rank_by_earliest_receipt() -> None:
    rfq = quoting_rfq(quote("q-late", "1.1002", received=3), quote("q-early", "1.1002", received=1))
    assert [r.quote.quote_id for r in rfq.ranked(at(3.5))] == ["q-early", "q-late"]


def test_expired_quotes_drop_out_of_the_ranking() -> None:
    rfq = quoting_rfq(quote("short", "1.1000", valid_for=1), quote("long", "1.1005", valid_for=8))
    assert [r.quote.quote_id for r in rfq.ranked(at(1.5))] == ["short", "long"]
    assert [r.quote.quote_id for r in rfq.ranked(at(2.5))] == ["long"]


@pytest.mark.parametrize(
    ("side", "price", "expected"),
    [
        (Side.BUY, "1.1011", Decimal("10.00")),
        (Side.BUY, "1.0989", Decimal("-10.00")),
        (Side.SELL, "1.0989", Decimal("10.00")),
        (Side.SELL, "1.1000", Decimal("0.00")),
    ],
)
def test_impact_is_cost_against_mid_in_bps(side: Side, price: str, expected: Decimal) -> None:
    assert impact_bps(Decimal(price), Decimal("1.1000"), side) == expected


def test_impact_is_absent_without_mid() -> None:
    q = quote("q1", "1.1")
    [ranked] = rank_quotes([q], Side.BUY, None, at(1))
    assert ranked.impact_bps is None
    assert impact_bps(Decimal("1.1"), Decimal(0), Side.BUY) is None
