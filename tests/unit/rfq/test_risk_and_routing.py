"""Pre-trade checks (rate, notional, entitlement) and LP routing on an injected clock."""

from __future__ import annotations

from decimal import Decimal

from services.rfq.risk import (
    PreTradeResult,
    RateLimiter,
    RiskLimits,
    TokenBucket,
    check_entitlement,
    check_notional,
    pre_trade_check,
)
from services.rfq.routing import LpProfile, Router
from tests.unit.rfq.factories import T0, at

LIMITS = RiskLimits(max_notional=Decimal("5000000"), rfq_rate_per_s=2.0, rfq_burst=3.0)


def test_token_bucket_allows_burst_then_refills_with_time() -> None:
    bucket = TokenBucket(capacity=3, rate_per_s=2)
    assert [bucket.try_take(T0) for _ in range(4)] == [True, True, True, False]
    assert bucket.try_take(at(0.4)) is False
    assert bucket.try_take(at(0.5)) is True
    assert bucket.try_take(at(100)) is True
    assert bucket.tokens == 2.0


def test_token_bucket_ignores_a_clock_that_goes_backwards() -> None:
    bucket = TokenBucket(capacity=1, rate_per_s=1)
    assert bucket.try_take(at(5)) is True
    assert bucket.try_take(at(1)) is False
    assert bucket.try_take(at(6)) is True


def test_rate_limit_is_per_user_and_tenant() -> None:
    limiter = RateLimiter(LIMITS)
    for _ in range(3):
        assert limiter.allow("t1", "alice", T0).allowed
    refused = limiter.allow("t1", "alice", T0)
    assert (refused.allowed, refused.check, refused.reason) == (
        False,
        "rfq_rate",
        "RFQ rate limit exceeded",
    )
    assert limiter.allow("t1", "bob", T0).allowed
    assert limiter.allow("t2", "alice", T0).allowed


def test_notional_uses_reference_price_when_known() -> None:
    assert check_notional(Decimal("4000000"), Decimal("1.25"), LIMITS).allowed
    breach = check_notional(Decimal("4000001"), Decimal("1.25"), LIMITS)
    assert not breach.allowed
    assert (breach.limit, breach.observed) == ("5000000", "5000001.25")


def test_notional_without_price_bounds_the_quantity() -> None:
    decision = check_notional(Decimal("6000000"), None, LIMITS)
    assert not decision.allowed
    assert "unpriced" in decision.reason


def test_entitlement_requires_the_instrument_or_wildcard() -> None:
    assert check_entitlement("EURUSD", {"EURUSD"}).allowed
    assert check_entitlement("EURUSD", {"*"}).allowed
    refused = check_entitlement("USDJPY", {"EURUSD"})
    assert not refused.allowed
    assert refused.reason == "not entitled to trade USDJPY"


def _check(
    limiter: RateLimiter, instrument: str = "EURUSD", qty: str = "1000000"
) -> PreTradeResult:
    return pre_trade_check(
        tenant_id="t1", user_id="alice", instrument_id=instrument, quantity=Decimal(qty),
        reference_price=Decimal("1.1"), entitled={"EURUSD"}, limiter=limiter, now=T0,
    )  # fmt: skip


def test_pre_trade_check_records_every_decision_with_reason() -> None:
    result = _check(RateLimiter(LIMITS))
    assert result.allowed
    checks = [d.check for d in result.decisions]
    assert checks == ["entitlement", "max_notional", "rfq_rate"]


def test_refused_rfq_names_its_breach_and_spends_no_rate_token() -> None:
    limiter = RateLimiter(LIMITS)
    result = _check(limiter, instrument="USDJPY")
    assert not result.allowed
    assert result.breach is not None
    assert result.breach.check == "entitlement"
    assert limiter.buckets == {}
    too_big = _check(limiter, qty="9000000")
    assert too_big.breach is not None
    assert too_big.breach.check == "max_notional"


def test_rate_breach_is_reported_after_the_burst() -> None:
    limiter = RateLimiter(LIMITS)
    results = [_check(limiter) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[-1].breach is not None
    assert results[-1].breach.check == "rfq_rate"


def test_router_picks_enabled_lps_serving_the_instrument_and_tenant() -> None:
    router = Router(
        (
            LpProfile("lp-a"),
            LpProfile("lp-b", enabled=False),
            LpProfile("lp-c", instruments=frozenset({"USDJPY"})),
            LpProfile("lp-d", tenants=frozenset({"t2"})),
            LpProfile("lp-e", instruments=frozenset({"EURUSD"}), tenants=frozenset({"t1"})),
        )
    )
    assert router.eligible("t1", "EURUSD", T0, None) == ("lp-a", "lp-e")
    assert router.eligible("t2", "USDJPY", T0, None) == ("lp-a", "lp-c", "lp-d")


def test_router_respects_tenant_lp_entitlements() -> None:
    router = Router((LpProfile("lp-a"), LpProfile("lp-b")))
    assert router.eligible("t1", "EURUSD", T0, ["lp-b"]) == ("lp-b",)


def test_router_throttles_each_lp() -> None:
    router = Router((LpProfile("lp-a", max_rfqs_per_s=2), LpProfile("lp-b")))
    picks = [router.eligible("t1", "EURUSD", T0, None) for _ in range(3)]
    assert picks == [("lp-a", "lp-b"), ("lp-a", "lp-b"), ("lp-b",)]
    assert router.eligible("t1", "EURUSD", at(1), None) == ("lp-a", "lp-b")
