"""Stage an RFQ's events into the outbox and the audit trail inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

import services.rfq.event_specs  # noqa: F401  (registers the payloads staged here)
from eventbus.envelope import build_envelope, to_record
from eventbus.outbox import NOTIFY_CHANNEL, OutboxEvent, outbox_row
from services.audit.chain import AuditEntry
from services.audit.store import append_in
from services.rfq import events as ev
from services.rfq import metrics
from services.rfq.commands import Caller
from services.rfq.domain import Rfq
from services.rfq.mapping import event_pb

PRODUCER = "rfq-service"
Clock = Callable[[], datetime]


def _outcome(event: ev.Event) -> tuple[str, str]:
    """The audit outcome and reason a fact carries, when it has them."""
    reason = getattr(event, "reason", "")
    if isinstance(event, ev.QuoteAcceptanceRejected):
        return event.resulting_state.value, reason
    if isinstance(event, ev.RiskLimitBreached):
        return "refused", f"{event.check}: {event.reason} (limit {event.limit})"
    return "recorded", str(reason)


def audit_of(rfq: Rfq, event: ev.Event, caller: Caller, actor: str | None = None) -> AuditEntry:
    outcome, reason = _outcome(event)
    return AuditEntry(
        tenant_id=rfq.tenant_id, actor=actor or caller.user_id, action=type(event).__name__,
        occurred_at=event.occurred_at, correlation_id=caller.correlation_id,
        component=PRODUCER, entity_type="rfq", entity_id=rfq.rfq_id, outcome=outcome,
        reason=reason, details={"state": rfq.state.value, "version": rfq.version},
    )  # fmt: skip


@dataclass
class Staged:
    """What a transaction must write for some RFQs' new events: outbox rows (column dicts of
    outbox_events) and audit entries (unsealed), in order."""

    outbox: list[dict[str, Any]] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)


def prepare(
    into: Staged,
    rfq: Rfq,
    events: Sequence[ev.Event],
    *,
    first_sequence: int,
    caller: Caller,
    env: str,
    clock: Clock,
    audit: Sequence[AuditEntry] = (),
    actor: str | None = None,
) -> int:
    """Add the outbox rows and audit entries of `events` (sequences from `first_sequence`) to
    `into`; returns the last sequence used. Pure: nothing touches a database."""
    seq = first_sequence - 1
    for event in events:
        seq += 1
        envelope = build_envelope(
            event_pb(event), sequence=seq, entity_id=rfq.rfq_id, tenant_id=rfq.tenant_id,
            correlation_id=caller.correlation_id, causation_id=caller.causation_id,
            producer=PRODUCER, clock=clock,
        )  # fmt: skip
        record = to_record(envelope, env=env)
        into.outbox.append(
            outbox_row(
                record, event_id=envelope.event_id, tenant_id=rfq.tenant_id, created_at=clock()
            )
        )
    into.audit += [*audit, *(audit_of(rfq, e, caller, actor) for e in events)]
    return seq


async def stage(
    session: AsyncSession,
    rfq: Rfq,
    events: Sequence[ev.Event],
    *,
    first_sequence: int,
    caller: Caller,
    env: str,
    clock: Clock,
    audit: Sequence[AuditEntry] = (),
    actor: str | None = None,
) -> int:
    """Outbox rows for `events` (sequences from `first_sequence`) plus their audit records, in
    the session's transaction (the SQLAlchemy path: SQLite, and Postgres tests that drive it).

    Returns the last sequence used. Nothing is visible to anyone until the caller commits.
    """
    staged = Staged()
    seq = prepare(
        staged, rfq, events, first_sequence=first_sequence, caller=caller, env=env,
        clock=clock, audit=audit, actor=actor,
    )  # fmt: skip
    session.add_all([OutboxEvent(**row) for row in staged.outbox])
    metrics.defer_until_commit(session.sync_session, rfq, events)
    if staged.audit:
        await append_in(session, staged.audit)
    if events and session.get_bind().dialect.name == "postgresql":
        # Delivered at commit only: wakes the relays without polling.
        conn = await session.connection()
        await conn.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return seq
