"""Execution: QuoteAccepted → one trade row + TradeExecuted in the outbox, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

import services.execution.event_specs  # noqa: F401  (registers TradeExecuted)
from eventbus.consumer import ConsumerSpec
from eventbus.envelope import DecodedEvent, build_envelope, to_record
from eventbus.outbox import insert_outbox_rows, outbox_row, outbox_signal
from eventbus.topics import topic_name
from orion.common.v1.envelope_pb2 import Envelope
from orion.execution.v1.execution_pb2 import Trade as TradePb
from orion.execution.v1.execution_pb2 import TradeExecuted
from orion.rfq.v1 import rfq_pb2
from orion.rfq.v1.events_pb2 import QuoteAccepted
from services.audit.chain import AuditEntry
from services.audit.store import append_in
from services.execution.domain import Acceptance, Side, Trade, execute
from services.execution.store import insert_new

PRODUCER = "execution-service"
GROUP = "execution-service"
# The lifecycle events execution acts on (the consumer is handed no others).
WANTED = frozenset({"QuoteAccepted"})
Clock = Callable[[], datetime]
_SIDES = {rfq_pb2.SIDE_BUY: Side.BUY, rfq_pb2.SIDE_SELL: Side.SELL}


def acceptance_of(envelope: Envelope, msg: QuoteAccepted) -> Acceptance:
    q = msg.quote
    return Acceptance(
        tenant_id=envelope.tenant_id,
        rfq_id=msg.rfq_id,
        quote_id=q.quote_id,
        instrument_id=msg.instrument_id,
        side=_SIDES[msg.side],
        quantity=Decimal(q.quantity),
        price=Decimal(q.price),
        requester_id=msg.requester_id,
        lp_id=q.lp_id,
        venue_id=msg.venue_id or None,
        accepted_at=msg.accepted_at.ToDatetime(tzinfo=UTC),
    )


def trade_pb(trade: Trade) -> TradePb:
    side = rfq_pb2.SIDE_BUY if trade.side is Side.BUY else rfq_pb2.SIDE_SELL
    msg = TradePb(
        trade_id=trade.trade_id,
        tenant_id=trade.tenant_id,
        rfq_id=trade.rfq_id,
        quote_id=trade.quote_id,
        instrument_id=trade.instrument_id,
        side=side,
        quantity=str(trade.quantity),
        price=str(trade.price),
        buyer_id=trade.buyer_id,
        seller_id=trade.seller_id,
        venue_id=trade.venue_id,
        requester_id=trade.requester_id,
        lp_id=trade.lp_id,
    )
    msg.accepted_at.FromDatetime(trade.accepted_at)
    msg.executed_at.FromDatetime(trade.executed_at)
    return msg


def _audit_entry(cause: Envelope, trade: Trade) -> AuditEntry:
    return AuditEntry(
        tenant_id=trade.tenant_id,
        actor=PRODUCER,
        action="TradeExecuted",
        occurred_at=trade.executed_at,
        correlation_id=cause.correlation_id,
        component=PRODUCER,
        entity_type="trade",
        entity_id=trade.trade_id,
        outcome="executed",
        details={
            "rfq_id": trade.rfq_id,
            "quote_id": trade.quote_id,
            "price": str(trade.price),
            "quantity": str(trade.quantity),
        },
    )


def _outbox_row(cause: Envelope, trade: Trade, *, env: str, clock: Clock) -> dict[str, object]:
    """TradeExecuted (sequence 1: a trade has exactly one fact) as an outbox row."""
    out = build_envelope(
        TradeExecuted(trade=trade_pb(trade)),
        sequence=1,
        tenant_id=trade.tenant_id,
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
        producer=PRODUCER,
        clock=clock,
    )
    record = to_record(out, env=env)
    return outbox_row(record, event_id=out.event_id, tenant_id=trade.tenant_id, created_at=clock())


async def record_trades(
    session: AsyncSession, executed: Sequence[tuple[Envelope, Trade]], *, env: str, clock: Clock
) -> None:
    """Stage TradeExecuted and the audit record of each new trade: one outbox insert and one
    audit append for the lot (Core statements, no ORM flush of outbox objects)."""
    if not executed:
        return
    rows = [_outbox_row(cause, trade, env=env, clock=clock) for cause, trade in executed]
    await insert_outbox_rows(await session.connection(), rows)
    await append_in(session, [_audit_entry(cause, trade) for cause, trade in executed])
    wake_relay_after_commit(session)


def wake_relay_after_commit(session: AsyncSession) -> None:
    """Wake this process's outbox relay once the trade's transaction commits. It replaces a
    NOTIFY inside the transaction: that serialised notifying commits cluster-wide (see
    eventbus.outbox.PgNotifier) and woke every relay on the database - the RFQ service's
    too - for a row this process's own relay publishes. Other relays still find it by polling."""
    sync = session.sync_session
    if not sync.info.get("wakes_relay"):
        sync.info["wakes_relay"] = True
        event.listen(sync, "after_commit", lambda _: outbox_signal.notify(), once=True)


def consumer_spec(env: str, clock: Clock, group: str = GROUP) -> ConsumerSpec:
    """Consumes QuoteAccepted; the trade row's unique key makes any redelivery a no-op. A poll
    batch is applied in one transaction with one statement per table, whatever its size."""

    async def apply(events: Sequence[DecodedEvent], session: AsyncSession) -> None:
        executed: dict[str, tuple[Envelope, Trade]] = {}
        for decoded in events:
            cause, payload = decoded.envelope, decoded.payload
            if cause.event_type != "QuoteAccepted" or not isinstance(payload, QuoteAccepted):
                continue
            trade = execute(acceptance_of(cause, payload), clock())
            # Two acceptance events of one quote (a re-published copy) make one trade.
            executed.setdefault(trade.trade_id, (cause, trade))
        fresh = await insert_new(session, [trade for _, trade in executed.values()])
        new = [pair for trade_id, pair in executed.items() if trade_id in fresh]
        await record_trades(session, new, env=env, clock=clock)

    topics = [topic_name("rfq.lifecycle.v1", env)]
    return ConsumerSpec(name=group, topics=topics, batch_handler=apply)
