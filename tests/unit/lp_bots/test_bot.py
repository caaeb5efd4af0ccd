"""LP bot behaviour: quoting decisions, TTL under the RFQ's, throttle, delays, last look."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.lp_bots.bot import LpBot
from services.lp_bots.config import DelayModel, LastLookRule, LpConfig
from services.lp_bots.domain import (
    Decline,
    QuotePlan,
    RfqRequest,
    Side,
    Throttle,
    drift_against_lp_bps,
    quote_id_for,
    sample_delay,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MID = Decimal("1.10000")


def ms(n: float) -> timedelta:
    return timedelta(milliseconds=n)


def request(rfq_id: str = "rfq-1", ttl_ms: float = 10_000, side: Side = Side.BUY) -> RfqRequest:
    return RfqRequest(rfq_id, "EURUSD", side, Decimal("1000000"), T0 + ms(ttl_ms))


def plan(bot: LpBot, req: RfqRequest, mid: Decimal | None = MID) -> QuotePlan:
    result = bot.on_rfq(req, mid, T0)
    assert isinstance(result, QuotePlan), result
    return result


def test_quote_id_is_deterministic_per_rfq_and_lp() -> None:
    assert quote_id_for("rfq-1", "lp-a") == quote_id_for("rfq-1", "lp-a")
    assert quote_id_for("rfq-1", "lp-a") != quote_id_for("rfq-1", "lp-b")
    bot = LpBot(LpConfig("lp-a"))
    assert plan(bot, request()).quote_id == quote_id_for("rfq-1", "lp-a")


def test_quote_ttl_is_capped_by_config_and_stays_shorter_than_the_rfq() -> None:
    bot = LpBot(LpConfig("lp-a", quote_ttl=timedelta(seconds=2), delay=DelayModel(median=ms(0))))
    long_rfq = plan(bot, request(ttl_ms=60_000))
    assert long_rfq.valid_until - long_rfq.send_at == timedelta(seconds=2)
    short_rfq = plan(bot, request("rfq-2", ttl_ms=1_000))
    assert short_rfq.valid_until == T0 + ms(1_000) - ms(100)


def test_lp_declines_without_mid_other_instrument_or_time() -> None:
    bot = LpBot(LpConfig("lp-a", instruments=frozenset({"USDJPY"})))
    assert bot.on_rfq(request(), MID, T0) == Decline("instrument not quoted")
    bot = LpBot(LpConfig("lp-a"))
    assert bot.on_rfq(request(), None, T0) == Decline("no mid")
    assert bot.on_rfq(request(ttl_ms=50), MID, T0) == Decline("too little time before expiry")


def test_per_lp_throttle_declines_beyond_its_rate() -> None:
    bot = LpBot(LpConfig("lp-a", max_quotes_per_s=2))
    results = [bot.on_rfq(request(f"r{i}"), MID, T0) for i in range(3)]
    assert [type(r) for r in results] == [QuotePlan, QuotePlan, Decline]
    assert results[2] == Decline("throttled")


def test_sliding_throttle_frees_capacity_after_one_second() -> None:
    throttle = Throttle(per_second=1)
    assert throttle.try_take(T0)
    assert not throttle.try_take(T0 + ms(999))
    assert throttle.try_take(T0 + ms(1000))


def test_response_delays_are_seeded_and_reproducible() -> None:
    first = LpBot(LpConfig("lp-a", seed=7))
    second = LpBot(LpConfig("lp-a", seed=7))
    other = LpBot(LpConfig("lp-a", seed=8))
    sends = [plan(first, request(f"r{i}")).send_at for i in range(5)]
    assert sends == [plan(second, request(f"r{i}")).send_at for i in range(5)]
    assert sends != [plan(other, request(f"r{i}")).send_at for i in range(5)]


def test_delay_distribution_is_clipped_and_centred_on_median() -> None:
    import random

    model = DelayModel(median=ms(20), sigma=0.6, floor=ms(5), cap=ms(80))
    rng = random.Random(1)
    samples = sorted(sample_delay(model, rng) for _ in range(2000))
    assert samples[0] >= ms(5)
    assert samples[-1] <= ms(80)
    assert ms(17) <= samples[1000] <= ms(23)


def test_fills_move_inventory_and_skew_later_quotes() -> None:
    bot = LpBot(LpConfig("lp-a", skew_bps_at_limit=Decimal("4"), inventory_limit=Decimal("2e6")))
    before = plan(bot, request("r1")).price
    bot.book_fill("EURUSD", Side.SELL, Decimal("1000000"))
    assert bot.position("EURUSD") == Decimal("1000000")
    after = plan(bot, request("r2")).price
    assert after < before
    bot.book_fill("EURUSD", Side.BUY, Decimal("3000000"))
    assert bot.position("EURUSD") == Decimal("-2000000")


def test_last_look_plan_flag_follows_config() -> None:
    assert plan(LpBot(LpConfig("a", last_look=LastLookRule())), request()).last_look
    assert not plan(LpBot(LpConfig("b")), request()).last_look


@pytest.mark.parametrize(
    ("side", "current", "expected"),
    [
        (Side.BUY, "1.10022", Decimal("2")),
        (Side.BUY, "1.09978", Decimal("-2")),
        (Side.SELL, "1.09978", Decimal("2")),
    ],
)
def test_drift_is_measured_against_the_lp(side: Side, current: str, expected: Decimal) -> None:
    assert drift_against_lp_bps(MID, Decimal(current), side) == expected


LL = LpBot(LpConfig("lp-ll", last_look=LastLookRule(hold=ms(50), max_drift_bps=Decimal("1"))))
VALID = T0 + ms(5000)


def test_last_look_accepts_within_drift_after_the_hold() -> None:
    decision = LL.last_look(Side.BUY, MID, Decimal("1.10010"), VALID, T0 + ms(100))
    assert decision.accepted
    assert decision.decide_at == T0 + ms(150)
    assert decision.drift_bps == Decimal("0.91")


def test_last_look_rejects_when_mid_drifted_against_the_lp() -> None:
    decision = LL.last_look(Side.BUY, MID, Decimal("1.10020"), VALID, T0 + ms(100))
    assert not decision.accepted
    assert decision.reason == "price drift 1.82 bps above 1 bps"


def test_last_look_accepts_when_mid_drifted_in_the_lps_favour() -> None:
    assert LL.last_look(Side.BUY, MID, Decimal("1.09000"), VALID, T0).accepted


def test_last_look_rejects_acceptance_of_a_lapsed_quote_or_without_mid() -> None:
    late = LL.last_look(Side.SELL, MID, MID, VALID, VALID)
    assert (late.accepted, late.reason) == (False, "quote expired before acceptance")
    assert not LL.last_look(Side.SELL, MID, None, VALID, T0).accepted


def test_lp_without_last_look_always_confirms_at_once() -> None:
    decision = LpBot(LpConfig("plain")).last_look(Side.BUY, MID, Decimal(2), VALID, T0)
    assert (decision.accepted, decision.decide_at) == (True, T0)
