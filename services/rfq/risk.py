"""Pure pre-trade checks: per-user RFQ rate, max notional, instrument entitlement."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Decision:
    """One check's verdict with its reason, audited whatever the outcome."""

    check: str
    allowed: bool
    reason: str
    limit: str = ""
    observed: str = ""


@dataclass(frozen=True)
class PreTradeResult:
    decisions: tuple[Decision, ...]

    @property
    def allowed(self) -> bool:
        return all(d.allowed for d in self.decisions)

    @property
    def breach(self) -> Decision | None:
        return next((d for d in self.decisions if not d.allowed), None)


@dataclass
class TokenBucket:
    """`capacity` requests at once, refilled at `rate_per_s`; time comes from the caller."""

    capacity: float
    rate_per_s: float
    tokens: float = -1.0
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def try_take(self, now: datetime) -> bool:
        if self.updated_at is not None and now > self.updated_at:
            elapsed = (now - self.updated_at).total_seconds()
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate_per_s)
        if self.updated_at is None or now > self.updated_at:
            self.updated_at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass(frozen=True)
class RiskLimits:
    max_notional: Decimal
    rfq_rate_per_s: float = 10.0
    rfq_burst: float = 20.0


@dataclass
class RateLimiter:
    """One token bucket per (tenant, user)."""

    limits: RiskLimits
    buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)

    def allow(self, tenant_id: str, user_id: str, now: datetime) -> Decision:
        key = (tenant_id, user_id)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self.limits.rfq_burst, self.limits.rfq_rate_per_s)
            self.buckets[key] = bucket
        limit = f"{self.limits.rfq_rate_per_s}/s burst {self.limits.rfq_burst}"
        if bucket.try_take(now):
            return Decision("rfq_rate", True, "within rate", limit)
        return Decision("rfq_rate", False, "RFQ rate limit exceeded", limit, "bucket empty")


def check_entitlement(instrument_id: str, entitled: Collection[str]) -> Decision:
    """`*` in the entitlement set grants every instrument."""
    if "*" in entitled or instrument_id in entitled:
        return Decision("entitlement", True, "entitled", observed=instrument_id)
    return Decision(
        "entitlement", False, f"not entitled to trade {instrument_id}", observed=instrument_id
    )


def check_notional(quantity: Decimal, price: Decimal | None, limits: RiskLimits) -> Decision:
    """Notional = quantity x reference price; without a price the quantity itself is bounded."""
    notional = quantity * price if price is not None else quantity
    limit = str(limits.max_notional)
    basis = "notional" if price is not None else "notional (unpriced: quantity)"
    if notional <= limits.max_notional:
        return Decision("max_notional", True, f"{basis} within limit", limit, str(notional))
    return Decision("max_notional", False, f"{basis} above limit", limit, str(notional))


def pre_trade_check(
    *,
    tenant_id: str,
    user_id: str,
    instrument_id: str,
    quantity: Decimal,
    reference_price: Decimal | None,
    entitled: Collection[str],
    limiter: RateLimiter,
    now: datetime,
) -> PreTradeResult:
    """Entitlement and notional first, then the rate (a refused RFQ spends no token)."""
    decisions = [
        check_entitlement(instrument_id, entitled),
        check_notional(quantity, reference_price, limiter.limits),
    ]
    if all(d.allowed for d in decisions):
        decisions.append(limiter.allow(tenant_id, user_id, now))
    return PreTradeResult(tuple(decisions))
