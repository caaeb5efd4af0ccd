"""Latest tick per instrument: the projector writing it and the reader serving it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from eventbus.readmodel import ReadModelStore
from orion.common.v1.envelope_pb2 import Envelope
from orion.marketdata.v1.events_pb2 import MarketTickReceived

log = logging.getLogger(__name__)

SNAPSHOT_MODEL = "md-snapshot"
PROJECTOR_NAME = "marketdata-snapshot-projector"
# Errors meaning "the store is not there" rather than "the request is wrong".
_UNAVAILABLE_ERRORS = (OSError, TimeoutError, RedisError)


async def project_tick(envelope: Envelope, payload: Any, store: ReadModelStore) -> None:
    """Keep the newest tick per instrument; late ticks stay in the log but not in the snapshot."""
    if not isinstance(payload, MarketTickReceived) or payload.late:
        return
    await store.apply(
        SNAPSHOT_MODEL,
        payload.instrument_id,
        payload.sequence,
        payload.SerializeToString(deterministic=True),
    )


@dataclass(frozen=True)
class SnapshotResult:
    """Ticks found, instruments missing, or `available=False` with the reason."""

    available: bool
    ticks: list[MarketTickReceived] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    reason: str = ""


class SnapshotReader:
    """Reads the snapshot model; a store outage becomes an explicit unavailable result."""

    def __init__(self, store: ReadModelStore, timeout_s: float = 0.5) -> None:
        self._store = store
        self._timeout = timeout_s

    async def read(self, instrument_ids: Sequence[str]) -> SnapshotResult:
        try:
            return await asyncio.wait_for(
                self._read(list(dict.fromkeys(instrument_ids))), self._timeout
            )
        except _UNAVAILABLE_ERRORS as exc:
            log.warning("snapshot store unavailable: %s", exc)
            return SnapshotResult(False, reason=f"snapshot unavailable: {type(exc).__name__}")

    async def _read(self, ids: list[str]) -> SnapshotResult:
        generation = await self._store.active_generation(SNAPSHOT_MODEL)
        stored = await asyncio.gather(
            *(self._store.get(SNAPSHOT_MODEL, iid, generation) for iid in ids)
        )
        ticks: list[MarketTickReceived] = []
        missing: list[str] = []
        for iid, item in zip(ids, stored, strict=True):
            if item is None:
                missing.append(iid)
                continue
            tick = MarketTickReceived()
            tick.ParseFromString(item.value)
            ticks.append(tick)
        return SnapshotResult(True, ticks, missing)
