"""Quote ranking: best price for the requester's side, ties by earliest receipt; impact vs mid."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from services.rfq.events import Quote, Side

_BPS = Decimal(10_000)
_BPS_QUANTUM = Decimal("0.01")


@dataclass(frozen=True)
class RankedQuote:
    rank: int
    quote: Quote
    # Cost to the requester against mid, in basis points (positive = worse than mid).
    impact_bps: Decimal | None


def impact_bps(price: Decimal, mid: Decimal | None, side: Side) -> Decimal | None:
    """How far a price is from mid against the requester, in bps; None without a usable mid."""
    if mid is None or mid <= 0:
        return None
    diff = price - mid if side is Side.BUY else mid - price
    return (diff / mid * _BPS).quantize(_BPS_QUANTUM)


def rank_quotes(
    quotes: Iterable[Quote], side: Side, mid: Decimal | None, now: datetime
) -> list[RankedQuote]:
    """Live quotes (still valid at `now`), best first, numbered from 1."""
    live = [q for q in quotes if q.valid_until > now]

    def key(quote: Quote) -> tuple[Decimal, datetime, str]:
        # A buyer wants the lowest offer, a seller the highest bid; quote id keeps the order total.
        price = quote.price if side is Side.BUY else -quote.price
        return (price, quote.received_at, quote.quote_id)

    live.sort(key=key)
    return [
        RankedQuote(rank=i, quote=q, impact_bps=impact_bps(q.price, mid, side))
        for i, q in enumerate(live, start=1)
    ]
