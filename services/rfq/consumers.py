"""Inbound events of the RFQ service: LP quotes, last-look decisions and executed trades."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from eventbus.consumer import ConsumerSpec, Handler
from eventbus.envelope import DecodedEvent
from eventbus.topics import topic_name
from orion.common.v1.envelope_pb2 import Envelope
from services.rfq import metrics
from services.rfq.commands import Caller
from services.rfq.domain import Rfq
from services.rfq.handlers import MAX_ATTEMPTS, RfqDeps
from services.rfq.mapping import quote_from_submitted
from services.rfq.staging import stage
from services.rfq.store import ConcurrentModification, RfqRepository

log = logging.getLogger(__name__)
GROUP = "rfq-service"


def _caller(envelope: Envelope, actor: str) -> Caller:
    return Caller(envelope.tenant_id, actor, envelope.correlation_id, envelope.event_id)


async def apply_to_rfq(
    deps: RfqDeps,
    session: AsyncSession,
    envelope: Envelope,
    rfq_id: str,
    actor: str,
    decide: Callable[[Rfq], object],
) -> bool:
    """Load the RFQ, apply `decide`, stage its events; False when the RFQ is unknown here.

    Runs in the consumer's transaction (with its processed_events row). A concurrent command may
    win the version race; the row is re-read and the decision taken again.
    """
    repo = RfqRepository(session)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        mark = metrics.pending_count(session.sync_session)
        try:
            async with _savepoint(session):
                return await _attempt(deps, session, repo, envelope, rfq_id, actor, decide)
        except ConcurrentModification:
            metrics.forget_since(session.sync_session, mark)
            if attempt == MAX_ATTEMPTS:
                raise
    return False


def _savepoint(session: AsyncSession) -> AbstractAsyncContextManager[object]:
    """On Postgres a savepoint per attempt: the outbox and audit rows a lost attempt staged go
    with it (its metrics too, see `forget_since`). SQLite needs none: the consumer's claim
    already holds the single write lock, so no writer can move the RFQ during the attempt (and
    the driver's deferred BEGIN makes savepoints unreliable there)."""
    if session.get_bind().dialect.name == "postgresql":
        return session.begin_nested()
    return contextlib.nullcontext()


async def _attempt(
    deps: RfqDeps,
    session: AsyncSession,
    repo: RfqRepository,
    envelope: Envelope,
    rfq_id: str,
    actor: str,
    decide: Callable[[Rfq], object],
) -> bool:
    loaded = await repo.get(envelope.tenant_id, rfq_id)
    if loaded is None:
        log.info("event %s for unknown RFQ %s ignored", envelope.event_type, rfq_id)
        return False
    decide(loaded.rfq)
    events = loaded.rfq.pull_events()
    if not events:
        return True
    seq = await stage(
        session,
        loaded.rfq,
        events,
        first_sequence=loaded.sequence + 1,
        caller=_caller(envelope, actor),
        env=deps.env,
        clock=deps.clock,
        actor=actor,
    )
    await repo.save(loaded, seq)
    return True


# What an inbound event asks of one RFQ: (rfq id, actor, decision on the aggregate).
Decision = tuple[str, str, Callable[[Rfq], object]]


def decision_of(deps: RfqDeps, event_type: str, msg: Any) -> Decision | None:
    """The decision an inbound event carries (None for event types this service ignores)."""
    now = deps.clock()
    if event_type == "QuoteSubmitted":
        quote = quote_from_submitted(msg, now)
        return msg.rfq_id, msg.lp_id, lambda rfq: rfq.receive_quote(quote, now)
    if event_type == "LastLookDecided":

        def decide(rfq: Rfq) -> object:
            if msg.accepted:
                return rfq.confirm_last_look(msg.quote_id, now)
            return rfq.reject_acceptance(msg.quote_id, msg.reason, now)

        return msg.rfq_id, msg.lp_id, decide
    if event_type == "TradeExecuted":
        trade = msg.trade
        return (
            trade.rfq_id,
            "execution-service",
            lambda rfq: rfq.mark_traded(trade.trade_id, trade.quote_id, now),
        )
    return None


def handlers(deps: RfqDeps) -> dict[str, Handler]:
    """event_type -> handler(envelope, payload, session): one event at a time (SQLite path)."""

    def handler(event_type: str) -> Handler:
        async def apply(env: Envelope, msg: Any, s: AsyncSession) -> None:
            decision = decision_of(deps, event_type, msg)
            if decision is not None:
                rfq_id, actor, decide = decision
                await apply_to_rfq(deps, s, env, rfq_id, actor, decide)

        return apply

    return {name: handler(name) for name in ("QuoteSubmitted", "LastLookDecided", "TradeExecuted")}


# Offsets of the RFQ process's consumers are committed at most this often: their effects are
# claimed in processed_events or sequence-guarded, so a redelivery after a crash is a no-op.
COMMIT_INTERVAL_S = 0.5


def consumer_spec(deps: RfqDeps, group: str = GROUP) -> ConsumerSpec:
    """One group reading quotes and trades; other event types are skipped. On Postgres a poll
    batch is applied by one batch call (pg_consumer), elsewhere event by event."""
    topics = [topic_name("rfq.quotes.v1", deps.env), topic_name("execution.trades.v1", deps.env)]
    if deps.db.is_postgres:
        from services.rfq.pg_consumer import apply_batch

        async def batch(events: Sequence[DecodedEvent], session: AsyncSession) -> None:
            await apply_batch(deps, events, session)

        return ConsumerSpec(
            name=group, topics=topics, batch_handler=batch, commit_interval_s=COMMIT_INTERVAL_S
        )
    table = handlers(deps)

    async def dispatch(envelope: Envelope, payload: Any, session: AsyncSession) -> None:
        handler = table.get(envelope.event_type)
        if handler is not None:
            await handler(envelope, payload, session)

    return ConsumerSpec(
        name=group, topics=topics, handler=dispatch, commit_interval_s=COMMIT_INTERVAL_S
    )
