"""LP pricing: spread per side, size widening, inventory skew, rounding against the requester."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.lp_bots.config import LpConfig, SizeTier
from services.lp_bots.domain import Side, price_for, size_widening_bps, skew_bps

MID = Decimal("1.10000")
CFG = LpConfig(
    lp_id="lp-a",
    half_spread_bps=Decimal("2"),
    size_tiers=(SizeTier(Decimal("5000000"), Decimal("1")), SizeTier(Decimal("1e7"), Decimal("3"))),
    skew_bps_at_limit=Decimal("4"),
    inventory_limit=Decimal("10000000"),
)
ONE_M = Decimal("1000000")


def test_buyer_gets_offer_above_mid_and_seller_bid_below() -> None:
    assert price_for(CFG, MID, Side.BUY, ONE_M, Decimal(0)) == Decimal("1.10022")
    assert price_for(CFG, MID, Side.SELL, ONE_M, Decimal(0)) == Decimal("1.09978")


@pytest.mark.parametrize(
    ("quantity", "extra"), [("1000000", "0"), ("5000000", "1"), ("9999999", "1"), ("2e7", "3")]
)
def test_larger_sizes_widen_the_spread(quantity: str, extra: str) -> None:
    assert size_widening_bps(CFG, Decimal(quantity)) == Decimal(extra)


def test_size_widening_moves_price_away_from_mid() -> None:
    small = price_for(CFG, MID, Side.BUY, ONE_M, Decimal(0))
    large = price_for(CFG, MID, Side.BUY, Decimal("2e7"), Decimal(0))
    assert large > small
    assert large == Decimal("1.10055")


def test_long_inventory_lowers_prices_to_shed_position() -> None:
    flat = price_for(CFG, MID, Side.BUY, ONE_M, Decimal(0))
    long = price_for(CFG, MID, Side.BUY, ONE_M, Decimal("5000000"))
    short = price_for(CFG, MID, Side.SELL, ONE_M, Decimal("-5000000"))
    assert long < flat
    assert long == Decimal("1.10000")
    assert short > price_for(CFG, MID, Side.SELL, ONE_M, Decimal(0))


def test_skew_is_bounded_at_the_inventory_limit() -> None:
    assert skew_bps(CFG, Decimal("1e9")) == Decimal("-4")
    assert skew_bps(CFG, Decimal("-1e9")) == Decimal("4")
    assert skew_bps(LpConfig("x", inventory_limit=Decimal(0)), Decimal(5)) == Decimal(0)


def test_rounding_never_improves_the_requester_price() -> None:
    cfg = LpConfig("lp-r", half_spread_bps=Decimal("1.234"), price_decimals=4)
    offer = price_for(cfg, MID, Side.BUY, ONE_M, Decimal(0))
    bid = price_for(cfg, MID, Side.SELL, ONE_M, Decimal(0))
    assert offer == Decimal("1.1002")
    assert bid == Decimal("1.0998")
