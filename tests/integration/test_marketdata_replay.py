"""Replay of the shipped dataset at `max` into real Kafka: every tick lands, keyed, in order."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from core.settings import Profile, Settings
from eventbus.bus import ConsumerConfig
from eventbus.envelope import decode
from eventbus.readmodel import MemoryReadModelStore
from eventbus.topics import topic_name
from services.marketdata.bootstrap import MarketDataProcess, RunOptions
from services.marketdata.replay.dataset import decode as decode_dataset

pytestmark = pytest.mark.integration
DATASET = (
    Path(__file__).resolve().parents[2]
    / "services/marketdata/datasets/sim-fx-rates-credit-120s.jsonl.gz"
)


async def test_max_speed_replay_publishes_every_tick_in_per_instrument_order(
    kafka_bootstrap: str,
) -> None:
    expected = decode_dataset(DATASET.read_bytes())
    settings = Settings(
        profile=Profile.REAL,
        env=f"it{uuid.uuid4().hex[:8]}",
        kafka_bootstrap=kafka_bootstrap,
        marketdata_addr="127.0.0.1:0",
    )
    options = RunOptions(
        source="replay", dataset=DATASET, speed=None, loop=False, projector=False, grpc=False
    )
    process = MarketDataProcess(settings, options, store=MemoryReadModelStore())
    await process.start()
    try:
        assert process.ingest is not None
        for _ in range(600):
            if process.ingest.received == len(expected.quotes):
                break
            await asyncio.sleep(0.1)
        consumer = process.bus.consumer(
            ConsumerConfig(
                group_id=f"t-{settings.env}",
                topics=[topic_name("marketdata.ticks.v1", settings.env)],
            )
        )
        await consumer.start()
        ticks = []
        for _ in range(200):
            ticks += [decode(r) for r in await consumer.poll(timeout_ms=500)]
            if len(ticks) >= len(expected.quotes):
                break
        await consumer.stop()
    finally:
        await process.stop()
    assert len(ticks) == len(expected.quotes)
    by_instrument: dict[str, list[str]] = {}
    for event in ticks:
        assert event.record.key.decode() == event.payload.instrument_id
        by_instrument.setdefault(event.payload.instrument_id, []).append(event.payload.bid)
    for instrument, bids in by_instrument.items():
        assert bids == [q.bid for q in expected.quotes if q.instrument == instrument]
