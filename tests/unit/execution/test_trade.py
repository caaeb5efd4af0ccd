"""Trade creation from an acceptance: parties, immutability, deterministic id, validation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.execution.domain import (
    DEFAULT_VENUE,
    Acceptance,
    InvalidAcceptance,
    Side,
    execute,
    trade_id_for,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def acceptance(side: Side = Side.BUY, **changes: Any) -> Acceptance:
    base = Acceptance(
        tenant_id="t1", rfq_id="rfq-1", quote_id="q-1", instrument_id="EURUSD", side=side,
        quantity=Decimal("1000000"), price=Decimal("1.10022"), requester_id="alice",
        lp_id="lp-a", venue_id=None, accepted_at=T0,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def test_buyer_requester_buys_from_the_lp() -> None:
    trade = execute(acceptance(Side.BUY), T0 + timedelta(milliseconds=3))
    assert (trade.buyer_id, trade.seller_id) == ("alice", "lp-a")
    assert trade.price == Decimal("1.10022")
    assert trade.notional == Decimal("1100220.00000")
    assert trade.executed_at == T0 + timedelta(milliseconds=3)
    assert trade.venue_id == DEFAULT_VENUE


def test_seller_requester_sells_to_the_lp_on_the_named_venue() -> None:
    trade = execute(acceptance(Side.SELL, venue_id="XOFF"), T0)
    assert (trade.buyer_id, trade.seller_id) == ("lp-a", "alice")
    assert trade.venue_id == "XOFF"


def test_redelivered_acceptance_yields_the_same_trade_id() -> None:
    first = execute(acceptance(), T0)
    again = execute(acceptance(), T0 + timedelta(seconds=5))
    assert first.trade_id == again.trade_id == trade_id_for("t1", "rfq-1", "q-1")


def test_trade_id_differs_per_quote_rfq_and_tenant() -> None:
    ids = {
        trade_id_for("t1", "rfq-1", "q-1"),
        trade_id_for("t1", "rfq-1", "q-2"),
        trade_id_for("t1", "rfq-2", "q-1"),
        trade_id_for("t2", "rfq-1", "q-1"),
    }
    assert len(ids) == 4


def test_trade_is_immutable() -> None:
    trade = execute(acceptance(), T0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        trade.price = Decimal(1)  # type: ignore[misc]


def test_execution_time_never_precedes_acceptance() -> None:
    trade = execute(acceptance(), T0 - timedelta(seconds=1))
    assert trade.executed_at == T0


@pytest.mark.parametrize(
    "changes",
    [{"quantity": Decimal(0)}, {"price": Decimal("-1")}, {"rfq_id": ""}, {"quote_id": ""}],
)
def test_invalid_acceptance_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidAcceptance):
        execute(acceptance(**changes), T0)
