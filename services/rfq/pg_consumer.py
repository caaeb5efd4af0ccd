"""A poll batch of quotes, last-look decisions and trades applied on Postgres in one go: one
read of every RFQ the batch touches, one statement writing them all with their outbox and audit
rows, instead of a load, a save, an audit seal and a NOTIFY per event."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event as orm_events
from sqlmodel.ext.asyncio.session import AsyncSession

from eventbus.envelope import DecodedEvent
from services.rfq import metrics
from services.rfq import pg_store as pg
from services.rfq.consumers import _caller, decision_of
from services.rfq.domain import TERMINAL_STATES, Rfq
from services.rfq.handlers import RfqDeps
from services.rfq.staging import Staged, prepare
from services.rfq.store import Loaded

log = logging.getLogger(__name__)


async def apply_batch(deps: RfqDeps, events: Sequence[DecodedEvent], session: AsyncSession) -> None:
    """Apply `events` (one tenant, in order) inside the consumer's transaction (their
    processed_events claims are in it). Lock order: the tenant's audit chain lock first, as
    every RFQ writer takes it before it writes a row; once it is held nobody else can move
    these RFQs, so the version guards cannot fail and no savepoint is needed."""
    decisions = [
        (event, d)
        for event in events
        if (d := decision_of(deps, event.envelope.event_type, event.payload)) is not None
    ]
    if not decisions:
        return
    tenant = events[0].tenant_id
    conn: Any = (await (await session.connection()).get_raw_connection()).driver_connection
    locked = await pg.lock_and_load(conn, tenant, [rfq_id for _, (rfq_id, _, _) in decisions])
    loaded = locked.rfqs
    staged, last_seq = Staged(), {rfq_id: lo.sequence for rfq_id, lo in loaded.items()}
    for event, (rfq_id, actor, decide) in decisions:
        lo = loaded.get(rfq_id)
        if lo is None:
            log.info("event %s for unknown RFQ %s ignored", event.envelope.event_type, rfq_id)
            continue
        decide(lo.rfq)
        if new_events := lo.rfq.pull_events():
            last_seq[rfq_id] = prepare(
                staged, lo.rfq, new_events, first_sequence=last_seq[rfq_id] + 1,
                caller=_caller(event.envelope, actor), env=deps.env, clock=deps.clock,
                actor=actor,
            )  # fmt: skip
            metrics.defer_until_commit(session.sync_session, lo.rfq, new_events)
    changed: list[tuple[Loaded, int]] = [
        (lo, last_seq[rfq_id])
        for rfq_id, lo in sorted(loaded.items())
        if last_seq[rfq_id] != lo.sequence
    ]
    if changed:
        await pg.write(conn, tenant, staged, updated=changed, head=locked.head)
        _close_timers_after_commit(deps, session, [lo.rfq for lo, _ in changed])


def _close_timers_after_commit(deps: RfqDeps, session: AsyncSession, rfqs: list[Rfq]) -> None:
    """Traded or refused RFQs need no expiry check any more, once (and if) the batch commits."""
    closed = [(r.tenant_id, r.rfq_id) for r in rfqs if r.state in TERMINAL_STATES]
    if closed:

        def after_commit(_session: object) -> None:
            for tenant_id, rfq_id in closed:
                deps.on_close(tenant_id, rfq_id)

        orm_events.listen(session.sync_session, "after_commit", after_commit, once=True)
