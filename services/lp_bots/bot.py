"""One LP bot's state machine over its config: quote requests, book fills, decide last look."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from services.lp_bots.config import LpConfig
from services.lp_bots.domain import (
    Decline,
    LastLookDecision,
    QuotePlan,
    RfqRequest,
    Side,
    Throttle,
    drift_against_lp_bps,
    price_for,
    quote_id_for,
    sample_delay,
)


@dataclass
class LpBot:
    """Pure and deterministic for a given seed and inputs; the caller supplies time and mids."""

    config: LpConfig
    inventory: dict[str, Decimal] = field(default_factory=dict)
    rng: random.Random = field(init=False)
    throttle: Throttle = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)
        self.throttle = Throttle(self.config.max_quotes_per_s)

    def on_rfq(self, rfq: RfqRequest, mid: Decimal | None, now: datetime) -> QuotePlan | Decline:
        """Price a request, or say why not (instrument, no mid, throttled, too little time)."""
        cfg = self.config
        if not cfg.quotes_instrument(rfq.instrument_id):
            return Decline("instrument not quoted")
        if mid is None or mid <= 0:
            return Decline("no mid")
        send_at = now + sample_delay(cfg.delay, self.rng)
        valid_until = min(send_at + cfg.quote_ttl, rfq.expires_at - cfg.ttl_margin)
        if valid_until <= send_at:
            return Decline("too little time before expiry")
        if not self.throttle.try_take(now):
            return Decline("throttled")
        price = price_for(cfg, mid, rfq.side, rfq.quantity, self.position(rfq.instrument_id))
        return QuotePlan(
            quote_id=quote_id_for(rfq.rfq_id, cfg.lp_id), rfq_id=rfq.rfq_id, lp_id=cfg.lp_id,
            price=price, quantity=rfq.quantity, mid=mid, send_at=send_at,
            valid_until=valid_until, last_look=cfg.last_look is not None,
        )  # fmt: skip

    def position(self, instrument_id: str) -> Decimal:
        return self.inventory.get(instrument_id, Decimal(0))

    def book_fill(self, instrument_id: str, requester_side: Side, quantity: Decimal) -> None:
        """The LP takes the other side: selling to a buyer shortens it."""
        signed = -quantity if requester_side is Side.BUY else quantity
        self.inventory[instrument_id] = self.position(instrument_id) + signed

    def last_look(
        self,
        side: Side,
        quoted_mid: Decimal,
        current_mid: Decimal | None,
        valid_until: datetime,
        accepted_at: datetime,
    ) -> LastLookDecision:
        """After the hold, refuse if the quote had lapsed or mid drifted against the LP."""
        rule = self.config.last_look
        if rule is None:
            return LastLookDecision(True, "no last look", accepted_at, Decimal(0))
        decide_at = accepted_at + rule.hold
        if accepted_at >= valid_until:
            return LastLookDecision(False, "quote expired before acceptance", decide_at, Decimal(0))
        if current_mid is None:
            return LastLookDecision(False, "no mid at last look", decide_at, Decimal(0))
        drift = drift_against_lp_bps(quoted_mid, current_mid, side).quantize(Decimal("0.01"))
        if drift > rule.max_drift_bps:
            reason = f"price drift {drift} bps above {rule.max_drift_bps} bps"
            return LastLookDecision(False, reason, decide_at, drift)
        return LastLookDecision(True, "within drift tolerance", decide_at, drift)
