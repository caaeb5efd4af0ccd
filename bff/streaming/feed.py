"""Feeds the hub: ticks from the log (own ephemeral group) and snapshots from the read model."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import uuid_utils

from bff.streaming.hub import MarketDataHub, SnapshotLoad
from bff.streaming.model import HubTick
from eventbus.bus import ConsumedRecord, ConsumerConfig, EventBus
from eventbus.envelope import decode
from eventbus.errors import NonRetryableError
from eventbus.topics import topic_name
from orion.marketdata.v1.events_pb2 import MarketTickReceived
from services.marketdata.snapshot import SnapshotReader

log = logging.getLogger("bff.streaming")


def hub_tick(msg: MarketTickReceived) -> HubTick:
    return HubTick(
        msg.instrument_id,
        msg.bid,
        msg.ask,
        msg.mid,
        msg.sequence,
        msg.source_ts_ns,
        msg.receive_ts_ns,
        msg.quality_flags,
        msg.late,
    )


class ReaderSnapshotSource:
    """Adapts the Redis snapshot reader to the hub's SnapshotSource."""

    def __init__(self, reader: SnapshotReader) -> None:
        self._reader = reader

    async def load(self, instrument_ids: Sequence[str]) -> SnapshotLoad:
        result = await self._reader.read(instrument_ids)
        return SnapshotLoad(result.available, [hub_tick(t) for t in result.ticks], result.reason)


class BusTickFeed:
    """Every BFF process reads every partition: a fresh group per process, starting at the end
    of the log (history comes from the snapshot). Offsets are never committed: nothing to resume."""

    def __init__(self, bus: EventBus, env: str, hub: MarketDataHub) -> None:
        self._bus = bus
        self._topic = topic_name("marketdata.ticks.v1", env)
        self._hub = hub
        self._group = f"bff-streaming-{uuid_utils.uuid7()}"
        self.ready = asyncio.Event()
        self.poison = 0

    async def run(self, stop: asyncio.Event) -> None:
        consumer = self._bus.consumer(
            ConsumerConfig(
                group_id=self._group,
                topics=[self._topic],
                start_from="latest",
                client_id="bff-streaming",
            )
        )
        await consumer.start()
        self.ready.set()
        try:
            while not stop.is_set():
                for record in await consumer.poll(timeout_ms=200):
                    self._apply(record)
        finally:
            await consumer.stop()

    def _apply(self, record: ConsumedRecord) -> None:
        try:
            event = decode(record)
        except NonRetryableError:
            self.poison += 1  # not ours to dead-letter: the projector's consumer does that
            return
        if isinstance(event.payload, MarketTickReceived):
            self._hub.on_tick(hub_tick(event.payload))
