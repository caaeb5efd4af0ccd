"""`orion marketdata record` on real Kafka: the live tick stream becomes a replayable dataset."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from core.settings import Profile, Settings
from eventbus.readmodel import MemoryReadModelStore
from services.marketdata.bootstrap import MarketDataProcess, RunOptions
from services.marketdata.domain.instruments import instrument_map
from services.marketdata.recording import record_live
from services.marketdata.replay.dataset import decode

pytestmark = pytest.mark.integration


async def test_recording_the_live_stream_writes_a_valid_ordered_dataset(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = Settings(
        profile=Profile.REAL,
        env=f"it{uuid.uuid4().hex[:8]}",
        kafka_bootstrap=kafka_bootstrap,
        marketdata_addr="127.0.0.1:0",
    )
    process = MarketDataProcess(
        settings,
        RunOptions(rate_scale=3.0, projector=False, grpc=False),
        store=MemoryReadModelStore(),
    )
    await process.start()
    out = tmp_path / "recorded.jsonl.gz"
    try:
        count = await record_live(out, seconds=10.0, max_ticks=5_000, settings=settings)
    finally:
        await process.stop()
    dataset = decode(out.read_bytes())
    assert count == len(dataset.quotes) > 20
    offsets = [q.offset_ns for q in dataset.quotes]
    assert offsets[0] == 0
    assert offsets == sorted(offsets)
    known = instrument_map()
    assert all(q.instrument in known and q.source == "sim" for q in dataset.quotes)
    assert set(dataset.instruments) == {q.instrument for q in dataset.quotes}
