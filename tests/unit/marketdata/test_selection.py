"""Parsing marketData documents into hub selections: variables, watchlists, rates, refusals."""

from __future__ import annotations

import pytest

from bff.streaming.model import TICK_FIELDS
from bff.streaming.selection import WATCHLISTS, SelectionError, selection_from


def test_variables_fields_and_alias_shape_the_selection_key() -> None:
    key = selection_from(
        "subscription S($ids: [ID!]) { md: marketData(instrumentIds: $ids, maxRateHz: 7) "
        "{ seq ticks { bid instrumentId } } }",
        {"ids": ["FX.GBPUSD", "FX.EURUSD", "FX.GBPUSD"]},
    )
    assert key.instruments == ("FX.EURUSD", "FX.GBPUSD")
    assert key.update_fields == ("seq", "ticks")
    assert key.tick_fields == ("bid", "instrumentId")
    assert key.rate_hz == 5  # snapped down to an allowed rate
    assert key.response_key == "md"


def test_equal_documents_with_reordered_ids_share_a_key() -> None:
    doc = "subscription($i: [ID!]) { marketData(instrumentIds: $i) { seq } }"
    assert selection_from(doc, {"i": ["B", "A"]}) == selection_from(doc, {"i": ["A", "B"]})


def test_watchlist_expands_and_merges_with_ids() -> None:
    key = selection_from(
        'subscription { marketData(watchlist: "UST", instrumentIds: ["FX.EURUSD"]) '
        "{ ticks { instrumentId } } }",
        None,
    )
    assert set(key.instruments) == {*WATCHLISTS["UST"], "FX.EURUSD"}
    assert key.rate_hz == 10


def test_default_selection_covers_every_tick_field_when_all_are_asked() -> None:
    fields = " ".join(TICK_FIELDS)
    key = selection_from(
        f'subscription {{ marketData(watchlist: "G10") {{ ticks {{ {fields} }} }} }}', None
    )
    assert key.tick_fields == TICK_FIELDS


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("query { marketData { seq } }", "only subscriptions"),
        ("subscription { heartbeat { sequence } }", "only marketData"),
        ('subscription { marketData(watchlist: "NOPE") { seq } }', "unknown watchlist"),
        ("subscription { marketData { seq } }", "give instrumentIds or a watchlist"),
        ('subscription { marketData(watchlist: "G10") { ticks { x: bid } } }', "aliases"),
        (
            'subscription { marketData(watchlist: "G10") { ...F } } fragment F on X { seq }',
            "exactly one",
        ),
        ('subscription { marketData(watchlist: "G10", maxRateHz: 0) { seq } }', "maxRateHz"),
        ("subscription { marketData(", "Syntax Error"),
    ],
)
def test_unsupported_documents_are_refused_with_a_reason(document: str, message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        selection_from(document, None)
