"""The BFF's RFQ change feed on real Kafka: a lifecycle fact wakes the watchers of its RFQ only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from bff.grpc.rfq_feed import RfqChangeFeed
from eventbus.bus import OutgoingRecord
from eventbus.kafka import KafkaBus
from eventbus.topics import TOPICS, topic_name

pytestmark = pytest.mark.integration
WAIT_S = 20.0


@pytest.fixture
async def feed_env(kafka_bootstrap: str) -> AsyncIterator[tuple[KafkaBus, RfqChangeFeed, str]]:
    env = f"it{uuid.uuid4().hex[:8]}"
    bus = KafkaBus(kafka_bootstrap, client_id=f"feed-{env}")
    await bus.start()
    await bus.ensure_topics([TOPICS["rfq.lifecycle.v1"].spec(env)])
    feed = RfqChangeFeed(KafkaBus(kafka_bootstrap, client_id=f"bff-feed-{env}"), env)
    try:
        yield bus, feed, env
    finally:
        await feed.close()
        await bus.stop()


async def _publish(bus: KafkaBus, env: str, rfq_id: str) -> None:
    topic = topic_name("rfq.lifecycle.v1", env)
    await bus.publish(OutgoingRecord(topic=topic, key=rfq_id.encode(), value=b"fact"))


async def test_a_lifecycle_fact_wakes_the_watchers_of_that_rfq_only(
    feed_env: tuple[KafkaBus, RfqChangeFeed, str],
) -> None:
    bus, feed, env = feed_env
    with feed.watch("rfq-a") as a, feed.watch("rfq-b") as b:
        await asyncio.wait_for(feed.live.wait(), WAIT_S)
        # Partitions are assigned from the end of the log: publish until the feed sees one.
        async with asyncio.timeout(WAIT_S):
            while not a.is_set():
                await _publish(bus, env, "rfq-a")
                await asyncio.sleep(0.2)
        assert not b.is_set()
        a.clear()
        await _publish(bus, env, "rfq-b")
        await asyncio.wait_for(b.wait(), WAIT_S)
        assert not a.is_set()


async def test_a_watch_that_ended_is_forgotten_and_the_feed_can_run_again(
    feed_env: tuple[KafkaBus, RfqChangeFeed, str],
) -> None:
    bus, feed, env = feed_env
    with feed.watch("rfq-gone"):
        await asyncio.wait_for(feed.live.wait(), WAIT_S)
    assert feed.watching() == 0
    await feed.close()  # a BFF restarted on the same config starts the feed again
    with feed.watch("rfq-again") as again:
        await asyncio.wait_for(feed.live.wait(), WAIT_S)
        async with asyncio.timeout(WAIT_S):
            while not again.is_set():
                await _publish(bus, env, "rfq-again")
                await asyncio.sleep(0.2)
