"""Kill the execution consumer between its effect and its commit: still exactly one trade."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

import eventbus.consumer  # noqa: F401  (processed_events table)
import services.execution.event_specs
import services.rfq.event_specs  # noqa: F401
from core.db import Database, create_database, utc_now
from core.settings import REPO_ROOT
from eventbus.consumer import ConsumerRunner
from eventbus.envelope import publish_event
from eventbus.kafka import KafkaBus
from eventbus.topics import TOPICS
from orion.rfq.v1 import rfq_pb2
from orion.rfq.v1.events_pb2 import QuoteAccepted
from services.execution.domain import trade_id_for
from services.execution.handlers import consumer_spec
from tests.integration.test_rfq_to_trade import TEST_DB

pytestmark = pytest.mark.integration

# Runs the real execution handler, then dies (os._exit) before the transaction and the Kafka
# offset commit: the effect must roll back and the record must be delivered again.
CRASHING_CONSUMER = textwrap.dedent(
    """
    import asyncio, os, sys
    import eventbus.consumer, services.rfq.event_specs, services.execution.event_specs
    from core.db import Database, utc_now
    from eventbus.consumer import ConsumerRunner, ConsumerSpec
    from eventbus.kafka import KafkaBus
    from services.execution.handlers import consumer_spec

    async def main(bootstrap, url, env, group):
        db = Database.from_url(url)
        await db.create_all()
        bus = KafkaBus(bootstrap, client_id="crash-test")
        await bus.start()
        real = consumer_spec(env, utc_now, group=group)

        async def die_after_effect(events, session):
            await real.batch_handler(events, session)
            if any(e.envelope.event_type == "QuoteAccepted" for e in events):
                await session.flush()
                os._exit(17)

        spec = ConsumerSpec(name=group, topics=real.topics, batch_handler=die_after_effect)
        await ConsumerRunner(spec, bus, env=env, db=db).run(asyncio.Event(), 200)

    asyncio.run(main(*sys.argv[1:]))
    """
)


@pytest.fixture
async def setup(
    kafka_bootstrap: str, database_url: str
) -> AsyncIterator[tuple[KafkaBus, str, str]]:
    await create_database(database_url, TEST_DB, exist_ok=True)
    env = f"cr{uuid.uuid4().hex[:8]}"
    bus = KafkaBus(kafka_bootstrap, client_id=f"crash-{env}")
    await bus.start()
    await bus.ensure_topics(
        [TOPICS[t].spec(env) for t in ("rfq.lifecycle.v1", "execution.trades.v1")]
    )
    url = database_url.rsplit("/", 1)[0] + f"/{TEST_DB}"
    yield bus, env, url
    await bus.stop()


async def _publish_acceptance(bus: KafkaBus, env: str, tenant: str) -> None:
    quote = rfq_pb2.Quote(
        quote_id="q-crash", rfq_id="rfq-crash", lp_id="lp-a", price="1.1", quantity="1000000"
    )
    msg = QuoteAccepted(
        rfq_id="rfq-crash",
        quote=quote,
        requester_id="alice",
        instrument_id="FX.EURUSD",
        side=rfq_pb2.SIDE_BUY,
    )
    msg.accepted_at.FromDatetime(utc_now())
    await publish_event(bus, msg, env=env, sequence=7, tenant_id=tenant, correlation_id="c-crash")


async def _trades(db: Database, tenant: str) -> tuple[int, int]:
    # A tenant's transaction: trades and outbox are under forced RLS, the owner included.
    async with db.tenant_session(tenant) as session:
        conn = await session.connection()
        trades = (
            await conn.execute(
                text("SELECT count(*) FROM trades WHERE tenant_id = :t"), {"t": tenant}
            )
        ).scalar_one()
        trade_id = trade_id_for(tenant, "rfq-crash", "q-crash")
        outbox = (
            await conn.execute(
                text("SELECT count(*) FROM outbox_events WHERE tenant_id = :t AND key = :k"),
                {"t": tenant, "k": trade_id.encode()},
            )
        ).scalar_one()
    return int(trades), int(outbox)


async def test_crash_between_effect_and_commit_leaves_exactly_one_trade(
    setup: tuple[KafkaBus, str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    bus, env, url = setup
    tenant = f"crash-{uuid.uuid4().hex[:8]}"
    group = f"execution-{env}"
    await _publish_acceptance(bus, env, tenant)
    script = tmp_path / "crashing_consumer.py"
    script.write_text(CRASHING_CONSUMER)
    environment = {**os.environ, "PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'gen' / 'python'}"}
    crashed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(script), kafka_bootstrap, url, env, group],
        env=environment,
        cwd=REPO_ROOT,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert crashed.returncode == 17, crashed.stderr[-2000:]
    db = Database.from_url(url)
    await db.create_all()
    assert await _trades(db, tenant) == (0, 0), "the killed transaction must have rolled back"
    runner = ConsumerRunner(consumer_spec(env, utc_now, group=group), bus, env=env, db=db)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop, poll_timeout_ms=100))
    try:
        for _ in range(200):
            if runner.applied:
                break
            await asyncio.sleep(0.1)
        await _publish_acceptance(bus, env, tenant)  # and a re-published copy on top
        await asyncio.sleep(2.0)
    finally:
        stop.set()
        await task
    assert await _trades(db, tenant) == (1, 1)
    await db.dispose()
