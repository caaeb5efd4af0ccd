"""Five default simulated LPs with distinct pricing, speed and last-look behaviour."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from services.lp_bots.config import DelayModel, LastLookRule, LpConfig, SizeTier

_TIERS = (SizeTier(Decimal("5000000"), Decimal("0.5")), SizeTier(Decimal("2e7"), Decimal("2")))


def _ms(n: int) -> timedelta:
    return timedelta(milliseconds=n)


def default_lps(seed: int = 0) -> tuple[LpConfig, ...]:
    """Tight-and-fast to wide-and-slow; two of them hold a last look."""
    return (
        LpConfig("lp-alpha", Decimal("1.0"), _TIERS, delay=DelayModel(_ms(5)), seed=seed + 1),
        LpConfig("lp-bravo", Decimal("1.5"), _TIERS, delay=DelayModel(_ms(10)), seed=seed + 2),
        LpConfig(
            "lp-charlie",
            Decimal("0.8"),
            _TIERS,
            delay=DelayModel(_ms(15)),
            seed=seed + 3,
            last_look=LastLookRule(hold=_ms(20), max_drift_bps=Decimal("1.5")),
        ),
        LpConfig("lp-delta", Decimal("2.0"), _TIERS, delay=DelayModel(_ms(25)), seed=seed + 4),
        LpConfig(
            "lp-echo",
            Decimal("1.2"),
            _TIERS,
            delay=DelayModel(_ms(8)),
            seed=seed + 5,
            last_look=LastLookRule(hold=_ms(30), max_drift_bps=Decimal("0.5")),
        ),
    )


# Same ids and starting levels as the market-data simulator (services/marketdata/domain).
REFERENCE_MIDS: dict[str, Decimal] = {
    "FX.EURUSD": Decimal("1.08500"),
    "FX.GBPUSD": Decimal("1.26500"),
    "FX.USDJPY": Decimal("151.250"),
    "FX.AUDUSD": Decimal("0.65500"),
    "FX.USDCAD": Decimal("1.36500"),
    "FX.USDCHF": Decimal("0.88500"),
    "FX.EURGBP": Decimal("0.85800"),
}


def static_mids(mids: dict[str, Decimal] | None = None) -> Callable[[str], Decimal | None]:
    """A mid source for when no market data runs: fixed reference mids."""
    table = dict(REFERENCE_MIDS if mids is None else mids)
    return table.get
