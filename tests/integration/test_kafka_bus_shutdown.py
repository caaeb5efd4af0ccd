"""Stopping a KafkaBus closes every consumer it created, so none is left for the GC to report."""

from __future__ import annotations

import gc
import logging

import pytest

from eventbus.bus import ConsumerConfig
from eventbus.kafka import KafkaBus
from tests.conftest import TopicFactory

pytestmark = pytest.mark.integration


async def test_stopping_the_bus_closes_consumers_left_open(
    kafka_bootstrap: str, kafka_topic: TopicFactory, caplog: pytest.LogCaptureFixture
) -> None:
    topic = await kafka_topic("bus-shutdown", partitions=1)
    bus = KafkaBus(kafka_bootstrap, client_id="test-bus-shutdown")
    await bus.start()
    started = bus.consumer(ConsumerConfig(group_id="g-open", topics=[topic]))
    await started.start()
    bus.consumer(ConsumerConfig(group_id="g-never-started", topics=[topic]))

    await bus.stop()
    del started
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        gc.collect()
    assert not [r for r in caplog.records if "Unclosed AIOKafkaConsumer" in r.getMessage()]
