"""RFQ metrics (Prometheus), counted only for events whose transaction committed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from services.rfq import events as ev
from services.rfq.domain import Rfq
from services.rfq.ranking import impact_bps

FINAL_STATES = Counter("orion_rfq_final_state", "RFQs reaching a terminal state", ["state"])
QUOTES = Counter("orion_rfq_quotes", "Quotes by LP and intake outcome", ["lp_id", "outcome"])
WINS = Counter(
    "orion_rfq_lp_wins", "Firm acceptances per LP (hit ratio = wins / admitted)", ["lp_id"]
)
RESPONSE = Histogram(
    "orion_rfq_lp_response_seconds",
    "RFQ creation to quote receipt, per LP",
    ["lp_id"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
IMPACT = Histogram(
    "orion_rfq_quote_impact_bps",
    "Distribution of quoted prices against mid, in bps",
    ["lp_id"],
    buckets=(-5, -2, -1, 0, 0.5, 1, 2, 3, 5, 10, 25),
)

_TERMINAL = {
    ev.RfqExpired: "EXPIRED",
    ev.RfqCancelled: "CANCELLED",
    ev.RfqTraded: "TRADED",
    ev.RiskLimitBreached: "REJECTED",
}
_PENDING = "orion_rfq_metrics_pending"


def observe(rfq: Rfq, events: Sequence[ev.Event]) -> None:
    """Count one aggregate's committed events."""
    for e in events:
        if type(e) in _TERMINAL:
            FINAL_STATES.labels(state=_TERMINAL[type(e)]).inc()
        elif isinstance(e, ev.QuoteAcceptanceRejected) and e.resulting_state.value == "REJECTED":
            FINAL_STATES.labels(state="REJECTED").inc()
        if isinstance(e, ev.QuoteReceived):
            _observe_quote(rfq, e)
        elif isinstance(e, ev.QuoteDiscarded):
            QUOTES.labels(lp_id=e.lp_id, outcome=e.reason).inc()
        elif isinstance(e, ev.QuoteAccepted):
            WINS.labels(lp_id=e.quote.lp_id).inc()


def _observe_quote(rfq: Rfq, e: ev.QuoteReceived) -> None:
    lp = e.quote.lp_id
    QUOTES.labels(lp_id=lp, outcome="admitted").inc()
    RESPONSE.labels(lp_id=lp).observe(
        max(0.0, (e.quote.received_at - rfq.created_at).total_seconds())
    )
    impact = impact_bps(e.quote.price, rfq.mid, rfq.side)
    if impact is not None:
        IMPACT.labels(lp_id=lp).observe(float(impact))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction may still fail
        return
    for rfq, events in session.info.pop(_PENDING, []):
        observe(rfq, events)


def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    # Only the outermost transaction's rollback drops everything; a savepoint's rollback drops
    # its own part (`forget_since`), not what the rest of the transaction staged.
    if previous.parent is None:
        session.info.pop(_PENDING, None)


def defer_until_commit(sync_session: Any, rfq: Rfq, events: Sequence[ev.Event]) -> None:
    """Remember events on the session; they are counted if, and when, it commits."""
    pending = sync_session.info.setdefault(_PENDING, [])
    pending.append((rfq, list(events)))
    if not event.contains(sync_session, "after_commit", _after_commit):
        event.listen(sync_session, "after_commit", _after_commit)
        event.listen(sync_session, "after_soft_rollback", _after_rollback)


def pending_count(sync_session: Any) -> int:
    """How many staged changes wait for the commit (a mark to roll back to)."""
    return len(sync_session.info.get(_PENDING, ()))


def forget_since(sync_session: Any, mark: int) -> None:
    """Drop what was staged after `mark`: a rolled-back savepoint's changes never happened."""
    del sync_session.info.get(_PENDING, [])[mark:]
