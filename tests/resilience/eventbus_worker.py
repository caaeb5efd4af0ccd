"""A relay or consumer process that dies at a chosen point (run by test_eventbus_crashes.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import Database
from eventbus.consumer import ConsumerRunner, ConsumerSpec
from eventbus.envelope import DecodedEvent
from eventbus.kafka import KafkaBus
from eventbus.relay import OutboxRelay
from eventbus.topics import topic_name
from load.eventbus.harness import PROBE_TOPIC, record_effect, record_effects
from orion.common.v1.envelope_pb2 import Envelope

KILLED = 137


async def relay_then_die(db_url: str, kafka: str) -> None:
    """Publish one batch, then die before marking it (as if SIGKILLed right after the ack)."""

    async def die(_ids: Sequence[int]) -> None:
        os._exit(KILLED)

    db, bus = Database.from_url(db_url), KafkaBus(kafka, client_id="crash-relay")
    await bus.start()
    await OutboxRelay(db, bus, batch_size=10_000, after_publish=die).publish_once()
    raise SystemExit("relay found nothing to publish")


async def consume_then_die(db_url: str, kafka: str, env: str, group: str, kill_at: int) -> None:
    """Consume; die inside the transaction that applies probe `kill_at` (effect not committed)."""

    async def handler(envelope: Envelope, payload: Any, session: AsyncSession) -> None:
        await record_effect(envelope, payload, session)
        if payload.seq == kill_at:
            await session.flush()  # the effect row is written, the transaction still open
            os._exit(KILLED)

    db, bus = Database.from_url(db_url), KafkaBus(kafka, client_id="crash-consumer")
    await bus.start()
    spec = ConsumerSpec(group, [topic_name(PROBE_TOPIC, env)], handler=handler, max_batch=50)
    await ConsumerRunner(spec, bus, env=env, db=db).run(asyncio.Event())


async def batch_consume_then_die(
    db_url: str, kafka: str, env: str, group: str, kill_at: int
) -> None:
    """Consume with a batch handler; die inside the batch transaction holding probe `kill_at`
    after its effects (and its processed_events claims) were written, before the commit."""

    async def handler(events: Sequence[DecodedEvent], session: AsyncSession) -> None:
        await record_effects(events, session)
        if any(e.payload.seq == kill_at for e in events):
            await session.flush()
            os._exit(KILLED)

    db, bus = Database.from_url(db_url), KafkaBus(kafka, client_id="crash-batch-consumer")
    await bus.start()
    spec = ConsumerSpec(group, [topic_name(PROBE_TOPIC, env)], batch_handler=handler, max_batch=100)
    await ConsumerRunner(spec, bus, env=env, db=db).run(asyncio.Event())


def main(argv: list[str]) -> None:
    mode, db_url, kafka, *rest = argv
    if mode == "relay":
        asyncio.run(relay_then_die(db_url, kafka))
    else:
        env, group, kill_at = rest
        die = batch_consume_then_die if mode == "batch-consumer" else consume_then_die
        asyncio.run(die(db_url, kafka, env, group, int(kill_at)))


if __name__ == "__main__":
    main(sys.argv[1:])
