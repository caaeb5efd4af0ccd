"""The RFQ aggregate: an explicit state machine that collects its own events. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from services.rfq import events as ev
from services.rfq.errors import (
    CancelAfterAccept,
    IllegalTransition,
    InvalidRfq,
    QuoteExpired,
    QuoteNotFound,
    RfqAlreadyExpired,
    RfqNotOpen,
    VersionConflict,
)
from services.rfq.events import Quote, RfqState, Side
from services.rfq.ranking import RankedQuote, rank_quotes

S = RfqState

# Every allowed move; anything else is an IllegalTransition. ACCEPTED -> QUOTING is a last-look
# rejection while the RFQ is still open; ACCEPTED -> REJECTED is one after it expired.
TRANSITIONS: dict[RfqState, frozenset[RfqState]] = {
    S.CREATED: frozenset({S.SENT, S.REJECTED, S.CANCELLED}),
    S.SENT: frozenset({S.QUOTING, S.EXPIRED, S.CANCELLED}),
    S.QUOTING: frozenset({S.ACCEPTED, S.EXPIRED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.TRADED, S.QUOTING, S.REJECTED}),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
    S.TRADED: frozenset(),
}
OPEN_STATES = frozenset({S.SENT, S.QUOTING})
TERMINAL_STATES = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


class QuoteOutcome(StrEnum):
    ADMITTED = "admitted"
    DUPLICATE = "duplicate"
    LATE = "late"
    RFQ_CLOSED = "rfq_closed"
    QUOTE_EXPIRED = "quote_expired"
    SIZE_TOO_SMALL = "size_too_small"


@dataclass(frozen=True)
class RfqSpec:
    """What the requester asks for."""

    instrument_id: str
    side: Side
    quantity: Decimal
    time_to_live: timedelta
    min_quantity: Decimal | None = None
    partial_allowed: bool = False
    venue_id: str | None = None


def check_transition(source: RfqState, target: RfqState) -> None:
    if target not in TRANSITIONS[source]:
        raise IllegalTransition(source, target)


@dataclass
class Rfq:
    """One request for quote. `version` guards optimistic concurrency; `events` are uncommitted."""

    rfq_id: str
    tenant_id: str
    requester_id: str
    instrument_id: str
    side: Side
    quantity: Decimal
    created_at: datetime
    expires_at: datetime
    min_quantity: Decimal | None = None
    partial_allowed: bool = False
    venue_id: str | None = None
    mid: Decimal | None = None
    correlation_id: str = ""
    state: RfqState = S.CREATED
    version: int = 1
    quotes: dict[str, Quote] = field(default_factory=dict)
    seen_quote_ids: set[str] = field(default_factory=set)
    lp_ids: tuple[str, ...] = ()
    accepted_quote_id: str | None = None
    awaiting_last_look: bool = False
    trade_id: str | None = None
    reason: str = ""
    events: list[ev.Event] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        spec: RfqSpec,
        rfq_id: str,
        tenant_id: str,
        requester_id: str,
        now: datetime,
        mid: Decimal | None = None,
        correlation_id: str = "",
    ) -> Rfq:
        """A new RFQ in CREATED, with its RfqCreated event; validates size and expiry."""
        rfq = cls(
            rfq_id=rfq_id,
            tenant_id=tenant_id,
            requester_id=requester_id,
            instrument_id=spec.instrument_id,
            side=spec.side,
            quantity=spec.quantity,
            created_at=now,
            expires_at=now + spec.time_to_live,
            min_quantity=spec.min_quantity,
            partial_allowed=spec.partial_allowed,
            venue_id=spec.venue_id,
            mid=mid,
            correlation_id=correlation_id,
        )
        rfq._validate()
        rfq.events.append(
            ev.RfqCreated(
                rfq.rfq_id,
                rfq.created_at,
                rfq.requester_id,
                rfq.instrument_id,
                rfq.side,
                rfq.quantity,
                rfq.expires_at,
                rfq.min_quantity,
                rfq.partial_allowed,
                rfq.venue_id,
                rfq.mid,
            )
        )
        return rfq

    def _validate(self) -> None:
        if self.quantity <= 0:
            raise InvalidRfq("quantity must be positive")
        if self.expires_at <= self.created_at:
            raise InvalidRfq("expiry must be after creation")
        if self.min_quantity is not None and not 0 < self.min_quantity <= self.quantity:
            raise InvalidRfq("min quantity must be positive and at most the quantity")

    # -- transitions -----------------------------------------------------------------------

    def _move(self, target: RfqState) -> None:
        check_transition(self.state, target)
        self.state = target
        self.version += 1

    def send(self, lp_ids: tuple[str, ...], now: datetime) -> None:
        """Route to the eligible LPs."""
        self._move(S.SENT)
        self.lp_ids = lp_ids
        self.events.append(
            ev.RfqSent(
                self.rfq_id,
                now,
                lp_ids,
                self.instrument_id,
                self.side,
                self.quantity,
                self.expires_at,
            )
        )

    def reject_pre_trade(
        self, check: str, reason: str, limit: str, observed: str, now: datetime
    ) -> None:
        """A pre-trade check refused the RFQ before it reached any LP."""
        self._move(S.REJECTED)
        self.reason = f"{check}: {reason}"
        self.events.append(
            ev.RiskLimitBreached(
                self.rfq_id, now, self.requester_id, check, reason, limit, observed
            )
        )

    def receive_quote(self, quote: Quote, now: datetime) -> QuoteOutcome:
        """Admit a quote or record why it was discarded (duplicate, late, closed, too small)."""
        outcome = self._classify(quote, now)
        self.seen_quote_ids.add(quote.quote_id)
        if outcome is not QuoteOutcome.ADMITTED:
            self.events.append(
                ev.QuoteDiscarded(self.rfq_id, now, quote.quote_id, quote.lp_id, outcome.value)
            )
            return outcome
        if self.state is S.SENT:
            self._move(S.QUOTING)
        else:
            self.version += 1
        self.quotes[quote.quote_id] = quote
        self.events.append(ev.QuoteReceived(self.rfq_id, now, quote))
        return outcome

    def _classify(self, quote: Quote, now: datetime) -> QuoteOutcome:
        if quote.quote_id in self.seen_quote_ids:
            return QuoteOutcome.DUPLICATE
        if self.state not in OPEN_STATES:
            return QuoteOutcome.RFQ_CLOSED
        if now >= self.expires_at:
            return QuoteOutcome.LATE
        if quote.valid_until <= now:
            return QuoteOutcome.QUOTE_EXPIRED
        if quote.quantity < self._smallest_acceptable_size():
            return QuoteOutcome.SIZE_TOO_SMALL
        return QuoteOutcome.ADMITTED

    def _smallest_acceptable_size(self) -> Decimal:
        if self.partial_allowed and self.min_quantity is not None:
            return self.min_quantity
        return self.quantity

    def ranked(self, now: datetime) -> list[RankedQuote]:
        return rank_quotes(self.quotes.values(), self.side, self.mid, now)

    def accept(self, quote_id: str, expected_version: int, now: datetime) -> Quote:
        """The requester takes a quote. Checks order: open, not expired, version, quote live."""
        if self.state is not S.QUOTING:
            raise RfqNotOpen(self.state)
        if now >= self.expires_at:
            raise RfqAlreadyExpired(f"RFQ expired at {self.expires_at.isoformat()}")
        if expected_version != self.version:
            raise VersionConflict(expected_version, self.version)
        quote = self.quotes.get(quote_id)
        if quote is None:
            raise QuoteNotFound(f"quote {quote_id} is not in RFQ {self.rfq_id}")
        if quote.valid_until <= now:
            raise QuoteExpired(f"quote {quote_id} expired at {quote.valid_until.isoformat()}")
        self._move(S.ACCEPTED)
        self.accepted_quote_id = quote_id
        self.awaiting_last_look = quote.last_look
        if quote.last_look:
            self.events.append(ev.QuoteAcceptanceRequested(self.rfq_id, now, quote))
        else:
            self._emit_accepted(quote, now)
        return quote

    def _emit_accepted(self, quote: Quote, now: datetime) -> None:
        self.events.append(
            ev.QuoteAccepted(
                self.rfq_id,
                now,
                quote,
                self.requester_id,
                self.instrument_id,
                self.side,
                self.venue_id,
            )
        )

    def _accepted_quote(self, quote_id: str) -> Quote:
        if self.state is not S.ACCEPTED or self.accepted_quote_id != quote_id:
            raise RfqNotOpen(self.state)
        return self.quotes[quote_id]

    def confirm_last_look(self, quote_id: str, now: datetime) -> bool:
        """The LP confirmed at last look: the acceptance becomes firm. False if already firm."""
        quote = self._accepted_quote(quote_id)
        if not self.awaiting_last_look:
            return False
        self.awaiting_last_look = False
        self.version += 1
        self._emit_accepted(quote, now)
        return True

    def reject_acceptance(self, quote_id: str, reason: str, now: datetime) -> RfqState:
        """The LP refused at last look: back to QUOTING while open, else REJECTED."""
        quote = self._accepted_quote(quote_id)
        target = S.QUOTING if now < self.expires_at else S.REJECTED
        self._move(target)
        # The refused quote leaves the book; the requester may take another one.
        del self.quotes[quote_id]
        self.accepted_quote_id = None
        self.awaiting_last_look = False
        if target is S.REJECTED:
            self.reason = f"last look: {reason}"
        self.events.append(
            ev.QuoteAcceptanceRejected(self.rfq_id, now, quote_id, quote.lp_id, reason, target)
        )
        return target

    def cancel(self, by: str, reason: str, now: datetime) -> None:
        """The requester withdraws the RFQ before any acceptance."""
        if self.state in (S.ACCEPTED, S.TRADED):
            raise CancelAfterAccept(self.state)
        if self.state in TERMINAL_STATES:
            raise RfqNotOpen(self.state)
        self._move(S.CANCELLED)
        self.reason = reason
        self.events.append(ev.RfqCancelled(self.rfq_id, now, reason, by))

    def expire(self, now: datetime) -> bool:
        """Close an open RFQ whose expiry has passed; False (no change) otherwise. Idempotent."""
        if self.state not in OPEN_STATES or now < self.expires_at:
            return False
        self._move(S.EXPIRED)
        self.events.append(ev.RfqExpired(self.rfq_id, now, len(self.quotes)))
        return True

    def mark_traded(self, trade_id: str, quote_id: str, now: datetime) -> bool:
        """Record the trade of the accepted quote; False when already recorded (redelivery)."""
        if self.state is S.TRADED and self.trade_id == trade_id:
            return False
        self._accepted_quote(quote_id)
        self._move(S.TRADED)
        self.trade_id = trade_id
        self.awaiting_last_look = False
        self.events.append(ev.RfqTraded(self.rfq_id, now, trade_id, quote_id))
        return True

    def pull_events(self) -> list[ev.Event]:
        """Hand the uncommitted events to the unit of work and forget them."""
        pending, self.events = self.events, []
        return pending
