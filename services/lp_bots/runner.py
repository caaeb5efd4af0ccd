"""LP bot process: consume routed RFQs, publish quotes after their delay; last look; inventory."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from google.protobuf.message import Message

from eventbus.bus import ConsumerConfig, EventBus, TopicPartition
from eventbus.consumer import next_offsets
from eventbus.envelope import DecodedEvent, decode, publish_event
from eventbus.errors import NonRetryableError
from eventbus.topics import topic_name
from orion.common.v1.envelope_pb2 import Envelope
from orion.rfq.v1 import events_pb2 as pb
from orion.rfq.v1 import rfq_pb2
from services.event_filter import SelectiveConsumer
from services.lp_bots.bot import LpBot
from services.lp_bots.domain import QuotePlan, RfqRequest, Side

log = logging.getLogger(__name__)
PRODUCER = "lp-bots"
GROUP = "lp-bots"
Clock = Callable[[], datetime]
Mids = Callable[[str], Decimal | None]
_SIDES = {rfq_pb2.SIDE_BUY: Side.BUY, rfq_pb2.SIDE_SELL: Side.SELL}
_REMEMBERED = 50_000
# The events the bots act on; the other lifecycle events are dropped unread (by header).
WANTED = frozenset({"RfqSent", "QuoteAcceptanceRequested", "TradeExecuted"})
# Offsets are committed at most this often, not after every poll (each commit is a broker
# request, ~3 per RFQ). A restart re-reads at most this much: a re-sent quote keeps its
# deterministic id (the RFQ service drops the duplicate) and the bots' state is in memory anyway.
COMMIT_EVERY_S = 0.5


def _utc(stamp: object) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)  # type: ignore[attr-defined, no-any-return]


class LpBotService:
    """Publishes quote events only; never calls another service (FR-LP-04)."""

    def __init__(
        self,
        bots: Sequence[LpBot],
        bus: EventBus,
        *,
        env: str,
        mids: Mids,
        clock: Clock,
        group: str = GROUP,
        start_from: str = "latest",
    ) -> None:
        self.bots = {bot.config.lp_id: bot for bot in bots}
        self._bus, self._env, self._mids, self._clock, self.group = bus, env, mids, clock, group
        # "latest": a restarted simulator does not quote RFQs of the past.
        self._start_from = start_from
        self._plans: OrderedDict[str, tuple[QuotePlan, Side, str]] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self.quotes_sent = 0
        self.declined = 0
        self.last_looks = 0

    def topics(self) -> list[str]:
        return [
            topic_name("rfq.lifecycle.v1", self._env),
            topic_name("execution.trades.v1", self._env),
        ]

    async def run(self, stop: asyncio.Event, poll_timeout_ms: int = 200) -> None:
        config = ConsumerConfig(
            group_id=self.group, topics=self.topics(), start_from=self._start_from
        )
        consumer = SelectiveConsumer(self._bus.consumer(config), WANTED)
        await consumer.start()
        pending: dict[TopicPartition, int] = {}
        committed_at = time.monotonic()
        try:
            while not stop.is_set():
                records = await consumer.poll(timeout_ms=poll_timeout_ms)
                for record in records:
                    try:
                        self.handle(decode(record))
                    except NonRetryableError as exc:
                        log.warning("lp-bots skipped undecodable record: %s", exc)
                pending |= next_offsets(records)  # later polls only move offsets forward
                if pending and time.monotonic() - committed_at >= COMMIT_EVERY_S:
                    await consumer.commit(pending)
                    pending, committed_at = {}, time.monotonic()
            if pending:
                await consumer.commit(pending)
        finally:
            await consumer.stop()
            await self.drain()

    def handle(self, event: DecodedEvent) -> None:
        kind = event.envelope.event_type
        if kind == "RfqSent":
            self._on_rfq_sent(event.envelope, event.payload)
        elif kind == "QuoteAcceptanceRequested":
            self._on_acceptance_requested(event.envelope, event.payload)
        elif kind == "TradeExecuted":
            trade = event.payload.trade
            bot = self.bots.get(trade.lp_id)
            if bot is not None:
                bot.book_fill(trade.instrument_id, _SIDES[trade.side], Decimal(trade.quantity))

    def _on_rfq_sent(self, envelope: Envelope, msg: pb.RfqSent) -> None:
        now = self._clock()
        request = RfqRequest(
            msg.rfq_id,
            msg.instrument_id,
            _SIDES[msg.side],
            Decimal(msg.quantity),
            _utc(msg.expires_at),
        )
        mid = self._mids(msg.instrument_id)
        for lp_id in msg.lp_ids:
            bot = self.bots.get(lp_id)
            if bot is None:
                continue
            plan = bot.on_rfq(request, mid, now)
            if not isinstance(plan, QuotePlan):
                self.declined += 1
                continue
            self._remember(plan, request.side, msg.instrument_id)
            payload = pb.QuoteSubmitted(
                quote_id=plan.quote_id,
                rfq_id=plan.rfq_id,
                lp_id=plan.lp_id,
                price=str(plan.price),
                quantity=str(plan.quantity),
                last_look=plan.last_look,
            )
            payload.quoted_at.FromDatetime(plan.send_at)
            payload.valid_until.FromDatetime(plan.valid_until)
            self._later(plan.send_at, envelope, payload, msg.rfq_id, sequence=1)

    def _on_acceptance_requested(
        self, envelope: Envelope, msg: pb.QuoteAcceptanceRequested
    ) -> None:
        quote = msg.quote
        bot = self.bots.get(quote.lp_id)
        if bot is None:
            return
        remembered = self._plans.get(quote.quote_id)
        accepted_at = _utc(msg.requested_at)
        if remembered is None:
            decision_ok, reason, at = (
                False,
                "unknown quote (not priced by this process)",
                accepted_at,
            )
        else:
            plan, side, instrument = remembered
            d = bot.last_look(side, plan.mid, self._mids(instrument), plan.valid_until, accepted_at)
            decision_ok, reason, at = d.accepted, d.reason, d.decide_at
        payload = pb.LastLookDecided(
            rfq_id=msg.rfq_id,
            quote_id=quote.quote_id,
            lp_id=quote.lp_id,
            accepted=decision_ok,
            reason=reason,
        )
        payload.decided_at.FromDatetime(at)
        self.last_looks += 1
        self._later(at, envelope, payload, msg.rfq_id, sequence=2)

    def _remember(self, plan: QuotePlan, side: Side, instrument_id: str) -> None:
        self._plans[plan.quote_id] = (plan, side, instrument_id)
        while len(self._plans) > _REMEMBERED:
            self._plans.popitem(last=False)

    def _later(
        self, at: datetime, cause: Envelope, payload: Message, rfq_id: str, sequence: int
    ) -> None:
        delay = max(0.0, (at - self._clock()).total_seconds())
        task = asyncio.create_task(self._publish(delay, cause, payload, rfq_id, sequence))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish(
        self, delay: float, cause: Envelope, payload: Message, rfq_id: str, sequence: int
    ) -> None:
        if delay:
            await asyncio.sleep(delay)
        try:
            await publish_event(
                self._bus,
                payload,
                env=self._env,
                sequence=sequence,
                entity_id=rfq_id,
                tenant_id=cause.tenant_id,
                correlation_id=cause.correlation_id,
                causation_id=cause.event_id,
                producer=PRODUCER,
                clock=self._clock,
            )
            if isinstance(payload, pb.QuoteSubmitted):
                self.quotes_sent += 1
        except Exception:
            # A lost quote is a missing quote, as with a real LP; the RFQ simply gets fewer.
            log.exception("lp-bots could not publish %s for RFQ %s", type(payload).__name__, rfq_id)

    async def drain(self) -> None:
        """Wait for quotes already scheduled (used at shutdown and by tests)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
