"""Read-model rebuild on the embedded log: a fresh generation equal to the live one, swapped in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from eventbus import ops_events  # noqa: F401  (registers ProbeEmitted)
from eventbus.bus import ConsumerConfig
from eventbus.consumer import ConsumerRunner, ConsumerSpec
from eventbus.embedded.bus import EmbeddedBus
from eventbus.envelope import encode_event
from eventbus.readmodel import MemoryReadModelStore, ReadModelStore, checksum
from eventbus.replay import Progress, RebuildableReadModel, rebuild
from eventbus.topics import TOPICS
from orion.common.v1.envelope_pb2 import Envelope
from orion.ops.v1.probe_pb2 import ProbeEmitted

MODEL = "rm_test_probes"


async def project(envelope: Envelope, payload: Any, store: ReadModelStore) -> None:
    await store.apply(MODEL, payload.probe_id, envelope.entity.sequence, str(payload.seq).encode())


@pytest.fixture
async def bus(tmp_path: Path) -> AsyncIterator[EmbeddedBus]:
    log = EmbeddedBus(tmp_path / "log.db")
    await log.start()
    await log.ensure_topics([TOPICS["ops.probes.v1"].spec("test")])
    yield log
    await log.stop()


async def test_rebuild_reproduces_the_live_model_and_swaps_it_in(bus: EmbeddedBus) -> None:
    records = []
    for seq in range(1, 301):
        _, out = encode_event(
            ProbeEmitted(probe_id=f"p-{seq % 7}", seq=seq),
            env="test",
            sequence=seq,
            tenant_id="t-1",
            correlation_id="c-1",
        )
        records.append(out)
    await bus.publish_batch(records)
    store = MemoryReadModelStore()
    live = ConsumerRunner(
        ConsumerSpec("probe-live", ["test.ops.probes.v1"], projector=project),
        bus,
        env="test",
        store=store,
    )
    consumer = bus.consumer(ConsumerConfig(group_id="probe-live", topics=[live.spec.topics[0]]))
    await consumer.start()
    while batch := await consumer.poll(timeout_ms=200):
        await live.process_batch(batch)
    await consumer.stop()
    live_sum = checksum(await store.entries(MODEL))
    seen: list[Progress] = []
    model = RebuildableReadModel(MODEL, ["ops.probes.v1"], project)
    result = await rebuild(model, bus, store, env="test", on_progress=seen.append)
    assert result.events == 300
    assert result.entries == 7
    assert result.checksum == live_sum
    assert await store.active_generation(MODEL) == result.generation
    assert await store.entries(MODEL, result.replaced) == {}
    assert seen[-1].phase == "done"
    assert seen[-1].events == 300
