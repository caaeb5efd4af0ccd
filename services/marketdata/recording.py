"""`orion marketdata record`: listen to the live tick topic and write a dataset file."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import uuid_utils

from core.settings import Settings, get_settings
from eventbus.bus import ConsumerConfig
from eventbus.envelope import decode
from eventbus.errors import NonRetryableError
from eventbus.factory import create_bus
from eventbus.topics import topic_name
from orion.marketdata.v1.events_pb2 import MarketTickReceived
from services.marketdata.events import tick_from_proto
from services.marketdata.replay.dataset import encode
from services.marketdata.replay.recorder import Recorder
from services.marketdata.replay.store import LocalDirectoryStore


async def record_live(
    out: Path, seconds: float, max_ticks: int, settings: Settings | None = None
) -> int:
    """Record from the end of the log for `seconds` (or `max_ticks`); returns ticks written.

    `out` should be absolute (the CLI resolves it).
    """
    settings = settings or get_settings()
    bus = create_bus(settings, client_id="marketdata-recorder")
    await bus.start()
    recorder = Recorder(max_ticks=max_ticks)
    config = ConsumerConfig(
        group_id=f"marketdata-recorder-{uuid_utils.uuid7()}",
        topics=[topic_name("marketdata.ticks.v1", settings.env)],
        start_from="latest",
    )
    consumer = bus.consumer(config)
    await consumer.start()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and not recorder.full:
            for record in await consumer.poll(timeout_ms=200):
                try:
                    event = decode(record)
                except NonRetryableError:
                    continue
                if isinstance(event.payload, MarketTickReceived):
                    recorder.add(tick_from_proto(event.payload))
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
        await bus.stop()
    dataset = recorder.dataset(f"recorded from {config.topics[0]} for {seconds:g}s")
    await LocalDirectoryStore(out.parent).put(out.name, encode(dataset))
    return len(dataset.quotes)
