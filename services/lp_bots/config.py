"""Configuration of one simulated liquidity provider (pricing, throttle, delays, last look)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal


@dataclass(frozen=True)
class SizeTier:
    """From `min_quantity` upward the LP widens its half-spread by `extra_bps`."""

    min_quantity: Decimal
    extra_bps: Decimal


@dataclass(frozen=True)
class LastLookRule:
    """Hold an acceptance for `hold`, then refuse it if mid moved against the LP too far."""

    hold: timedelta = timedelta(milliseconds=50)
    max_drift_bps: Decimal = Decimal("2")


@dataclass(frozen=True)
class DelayModel:
    """Log-normal response delay around `median`, clipped to [`floor`, `cap`]."""

    median: timedelta = timedelta(milliseconds=20)
    sigma: float = 0.5
    floor: timedelta = timedelta(milliseconds=1)
    cap: timedelta = timedelta(milliseconds=500)


@dataclass(frozen=True)
class LpConfig:
    lp_id: str
    half_spread_bps: Decimal = Decimal("1.5")
    size_tiers: tuple[SizeTier, ...] = ()
    # At full inventory the LP shifts both sides by this many bps to shed its position.
    skew_bps_at_limit: Decimal = Decimal("2")
    inventory_limit: Decimal = Decimal("10000000")
    max_quotes_per_s: int = 100
    delay: DelayModel = field(default_factory=DelayModel)
    quote_ttl: timedelta = timedelta(seconds=5)
    # The quote must die this long before the RFQ does, so it never outlives it.
    ttl_margin: timedelta = timedelta(milliseconds=100)
    last_look: LastLookRule | None = None
    price_decimals: int = 5
    instruments: frozenset[str] = frozenset()
    seed: int = 0

    def quotes_instrument(self, instrument_id: str) -> bool:
        return not self.instruments or instrument_id in self.instruments
