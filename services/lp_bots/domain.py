"""Pure LP behaviour: price a request, throttle, sample a delay, keep inventory, last look."""

from __future__ import annotations

import math
import random
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from services.lp_bots.config import DelayModel, LpConfig

_BPS = Decimal(10_000)
_QUOTE_NS = uuid.UUID("6f1c2a8e-7a51-4d0c-9a55-0c9f3c1d2b7e")


class Side(StrEnum):
    """The requester's side; the LP takes the other one."""

    BUY = "BUY"
    SELL = "SELL"


@dataclass(frozen=True)
class RfqRequest:
    rfq_id: str
    instrument_id: str
    side: Side
    quantity: Decimal
    expires_at: datetime


@dataclass(frozen=True)
class QuotePlan:
    """What the LP will publish, and when (`send_at` = receipt + sampled delay)."""

    quote_id: str
    rfq_id: str
    lp_id: str
    price: Decimal
    quantity: Decimal
    mid: Decimal
    send_at: datetime
    valid_until: datetime
    last_look: bool


@dataclass(frozen=True)
class Decline:
    reason: str


@dataclass(frozen=True)
class LastLookDecision:
    accepted: bool
    reason: str
    decide_at: datetime
    drift_bps: Decimal


def quote_id_for(rfq_id: str, lp_id: str) -> str:
    """Deterministic, so a redelivered request yields the same quote id (deduped downstream)."""
    return str(uuid.uuid5(_QUOTE_NS, f"{rfq_id}/{lp_id}"))


def size_widening_bps(config: LpConfig, quantity: Decimal) -> Decimal:
    """Extra half-spread of the largest tier the quantity reaches."""
    extra = Decimal(0)
    for tier in sorted(config.size_tiers, key=lambda t: t.min_quantity):
        if quantity >= tier.min_quantity:
            extra = tier.extra_bps
    return extra


def skew_bps(config: LpConfig, inventory: Decimal) -> Decimal:
    """Long inventory lowers both prices (to sell), short raises them; bounded at the limit."""
    if config.inventory_limit <= 0:
        return Decimal(0)
    ratio = max(Decimal(-1), min(Decimal(1), inventory / config.inventory_limit))
    return -ratio * config.skew_bps_at_limit


def price_for(
    config: LpConfig, mid: Decimal, side: Side, quantity: Decimal, inventory: Decimal
) -> Decimal:
    """Offer to a buyer, bid to a seller: mid ± (half-spread + size widening) + inventory skew.

    Rounded away from the requester to the LP's price precision, so rounding never gives away edge.
    """
    half = config.half_spread_bps + size_widening_bps(config, quantity)
    offset = half if side is Side.BUY else -half
    raw = mid * (1 + (offset + skew_bps(config, inventory)) / _BPS)
    quantum = Decimal(1).scaleb(-config.price_decimals)
    rounding = ROUND_CEILING if side is Side.BUY else ROUND_FLOOR
    return raw.quantize(quantum, rounding=rounding)


def sample_delay(model: DelayModel, rng: random.Random) -> timedelta:
    median_s = model.median.total_seconds()
    seconds = median_s * math.exp(rng.gauss(0.0, model.sigma)) if median_s > 0 else 0.0
    clipped = min(max(seconds, model.floor.total_seconds()), model.cap.total_seconds())
    return timedelta(seconds=clipped)


@dataclass
class Throttle:
    """At most `per_second` quotes in any one-second window (sliding)."""

    per_second: int
    sent: deque[datetime] = field(default_factory=deque)

    def try_take(self, now: datetime) -> bool:
        while self.sent and now - self.sent[0] >= timedelta(seconds=1):
            self.sent.popleft()
        if len(self.sent) >= self.per_second:
            return False
        self.sent.append(now)
        return True


def drift_against_lp_bps(quoted_mid: Decimal, current_mid: Decimal, side: Side) -> Decimal:
    """How far mid moved against the LP since it quoted: up hurts when it sold to a buyer."""
    if quoted_mid <= 0:
        return Decimal(0)
    move = (current_mid - quoted_mid) / quoted_mid * _BPS
    return move if side is Side.BUY else -move
