"""The seeded instrument universe: FX, rates and credit with realistic levels and tick sizes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class AssetClass(StrEnum):
    FX = "FX"
    RATES = "RATES"
    CREDIT = "CREDIT"


@dataclass(frozen=True)
class Instrument:
    """Static description of an instrument plus the simulator's parameters for it.

    Prices live on a grid of `tick_size`; `vol_ticks` is the normal-regime standard deviation of
    the mid, in ticks per square-root second; `mean_reversion` (per second, 0 = random walk) pulls
    the mid back to its seeded level, which is how yields, swap rates and credit spreads behave.
    """

    instrument_id: str
    asset_class: AssetClass
    description: str
    tick_size: Decimal
    level: Decimal
    spread_ticks: int
    vol_ticks: float
    mean_reversion: float = 0.0
    ticks_per_second: float = 2.0

    def to_ticks(self, price: Decimal) -> Decimal:
        """Price expressed in ticks (integral when the price sits on the grid)."""
        return price / self.tick_size

    def on_grid(self, price: Decimal) -> bool:
        return (price % self.tick_size) == 0

    def price(self, ticks: int) -> Decimal:
        return self.tick_size * ticks


def _fx(code: str, level: str, tick: str, spread: int, vol: float, rate: float) -> Instrument:
    return Instrument(
        f"FX.{code}",
        AssetClass.FX,
        f"{code[:3]}/{code[3:]} spot",
        Decimal(tick),
        Decimal(level),
        spread,
        vol,
        0.0,
        rate,
    )


def _rates(iid: str, desc: str, level: str, tick: str, spread: int, vol: float) -> Instrument:
    return Instrument(
        iid, AssetClass.RATES, desc, Decimal(tick), Decimal(level), spread, vol, 0.002, 1.0
    )


def _credit(iid: str, desc: str, level: str, tick: str, spread: int, vol: float) -> Instrument:
    return Instrument(
        iid, AssetClass.CREDIT, desc, Decimal(tick), Decimal(level), spread, vol, 0.003, 0.5
    )


# FX spot is quoted to fractional pips (1/10 pip); JPY crosses to 0.001.
_FX = (
    _fx("EURUSD", "1.08500", "0.00001", 4, 1.5, 10.0),
    _fx("GBPUSD", "1.26500", "0.00001", 6, 2.0, 8.0),
    _fx("USDJPY", "151.250", "0.001", 6, 2.0, 8.0),
    _fx("AUDUSD", "0.65500", "0.00001", 6, 1.5, 5.0),
    _fx("USDCAD", "1.36500", "0.00001", 8, 1.5, 5.0),
    _fx("USDCHF", "0.88500", "0.00001", 8, 1.5, 4.0),
    _fx("NZDUSD", "0.60500", "0.00001", 10, 1.5, 3.0),
    _fx("EURGBP", "0.85800", "0.00001", 8, 1.0, 4.0),
    _fx("EURJPY", "164.100", "0.001", 12, 2.5, 5.0),
    _fx("USDMXN", "17.15000", "0.00010", 30, 3.0, 2.0),
    _fx("USDCNH", "7.24500", "0.00010", 10, 1.0, 2.0),
)

# Treasuries trade in 32nds and fractions of them; Bunds/Gilts in 0.01; swaps as rates in %.
_RATES = (
    _rates("RATES.UST2Y", "US Treasury 2Y note", "99.75000000", "0.00390625", 1, 0.6),
    _rates("RATES.UST5Y", "US Treasury 5Y note", "98.5000000", "0.0078125", 1, 0.7),
    _rates("RATES.UST10Y", "US Treasury 10Y note", "96.2500000", "0.015625", 1, 0.6),
    _rates("RATES.UST30Y", "US Treasury 30Y bond", "92.00000", "0.03125", 1, 0.8),
    _rates("RATES.DBR10Y", "German Bund 10Y", "131.50", "0.01", 2, 1.0),
    _rates("RATES.UKT10Y", "UK Gilt 10Y", "97.80", "0.01", 3, 1.2),
    _rates("RATES.FRTR10Y", "French OAT 10Y", "99.20", "0.01", 3, 1.2),
    _rates("RATES.USDSOFR5Y", "USD SOFR swap 5Y (rate %)", "3.8500", "0.0001", 4, 1.0),
    _rates("RATES.USDSOFR10Y", "USD SOFR swap 10Y (rate %)", "3.9200", "0.0001", 4, 1.0),
    _rates("RATES.EURESTR10Y", "EUR ESTR swap 10Y (rate %)", "2.6500", "0.0001", 4, 1.0),
)

# Indices quoted in spread (bp) except CDX HY (price); single-name CDS in bp.
_CREDIT = (
    _credit("CREDIT.CDXIG5Y", "CDX North America IG 5Y (bp)", "52.50", "0.05", 2, 1.0),
    _credit("CREDIT.CDXHY5Y", "CDX North America HY 5Y (price)", "106.50000", "0.03125", 1, 0.5),
    _credit("CREDIT.ITXMAIN5Y", "iTraxx Europe Main 5Y (bp)", "58.00", "0.05", 2, 1.0),
    _credit("CREDIT.ITXXOVER5Y", "iTraxx Crossover 5Y (bp)", "310.00", "0.25", 2, 1.0),
    _credit("CREDIT.AAPL5Y", "Apple Inc. 5Y CDS (bp)", "35.00", "0.25", 2, 0.6),
    _credit("CREDIT.F5Y", "Ford Motor Co. 5Y CDS (bp)", "185.00", "0.25", 4, 1.0),
    _credit("CREDIT.JPM5Y", "JPMorgan Chase 5Y CDS (bp)", "55.00", "0.25", 2, 0.6),
    _credit("CREDIT.VW5Y", "Volkswagen AG 5Y CDS (bp)", "120.00", "0.25", 4, 0.8),
    _credit("CREDIT.TSLA5Y", "Tesla Inc. 5Y CDS (bp)", "145.00", "0.25", 4, 1.0),
)

SEEDED_INSTRUMENTS: tuple[Instrument, ...] = _FX + _RATES + _CREDIT


def instrument_map(
    instruments: tuple[Instrument, ...] = SEEDED_INSTRUMENTS,
) -> dict[str, Instrument]:
    return {i.instrument_id: i for i in instruments}
