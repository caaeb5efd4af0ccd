"""Outbox relay: publishes committed outbox rows in id order and marks them after the ack."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import Database, UtcDateTime, utc_now
from eventbus.bus import EventBus
from eventbus.outbox import NOTIFY_CHANNEL, OUTBOX_SHARDS, outbox_signal, to_record

log = logging.getLogger(__name__)

# Hook called after the broker acked a batch and before the rows are marked: tests use it to
# "crash" exactly there and prove a republished row is harmless.
AfterPublish = Callable[[Sequence[int]], Awaitable[None]]
Clock = Callable[[], datetime]

# First key of the two-key advisory locks that give a relay exclusive use of a shard.
_LOCK_CLASS = 0x0B0C

# One shard per statement: Postgres evaluates a lock function in a WHERE clause for every
# candidate row, whatever the LIMIT, so a set-based claim would take every free shard.
_LOCK_SHARD = text("SELECT pg_try_advisory_xact_lock(:cls, :shard)").bindparams(cls=_LOCK_CLASS)
# Taking every free shard at once is what a relay allowed all shards wants: one round trip.
_LOCK_ALL_FREE = text(
    "SELECT s FROM generate_series(0, :last) AS s WHERE pg_try_advisory_xact_lock(:cls, s)"
).bindparams(cls=_LOCK_CLASS)
_SELECT_PG = text(
    "SELECT id, topic, key, value, headers FROM outbox_events "
    "WHERE published_at IS NULL AND shard IN :shards ORDER BY id LIMIT :n "
    "FOR UPDATE SKIP LOCKED"
).bindparams(bindparam("shards", expanding=True))
_SELECT_SQLITE = text(
    "SELECT id, topic, key, value, headers FROM outbox_events "
    "WHERE published_at IS NULL ORDER BY id LIMIT :n"
)
_MARK = text("UPDATE outbox_events SET published_at = :now WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True), bindparam("now", type_=UtcDateTime)
)
# One array parameter: an expanding IN renders a new statement for every batch length (a
# compile and a prepare each time) and sends one bind parameter per row.
_MARK_PG = text(
    "UPDATE outbox_events SET published_at = :now WHERE id = ANY(CAST(:ids AS bigint[]))"
).bindparams(bindparam("now", type_=UtcDateTime))


class OutboxRelay:
    """Moves outbox rows to the bus. Several may run: on Postgres each batch holds transaction
    advisory locks on the key shards it publishes, so one key is never published by two relays
    at once and per-key order holds; SQLite (one process, one writer) runs a single relay."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 0.5,
        max_shards: int = OUTBOX_SHARDS,
        after_publish: AfterPublish | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._db = db
        self._bus = bus
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._max_shards = max(1, min(max_shards, OUTBOX_SHARDS))
        self._after_publish = after_publish
        self._clock = clock
        self._wake = asyncio.Event()
        self.published_total = 0

    async def publish_once(self) -> int:
        """Publish and mark one batch; returns how many rows it published."""
        async with self._db.engine.begin() as conn:
            rows = await self._claim(conn)
            if not rows:
                return 0
            ids = [int(row.id) for row in rows]
            await self._bus.publish_batch([to_record(row) for row in rows])
            if self._after_publish is not None:
                await self._after_publish(ids)
            mark = _MARK_PG if self._db.is_postgres else _MARK
            await conn.execute(mark, {"now": self._clock(), "ids": ids})
        self.published_total += len(ids)
        return len(ids)

    async def _claim(self, conn: AsyncConnection) -> Sequence[Any]:
        if not self._db.is_postgres:
            return (await conn.execute(_SELECT_SQLITE, {"n": self._batch_size})).all()
        shards = await self._lock_shards(conn)
        if not shards:
            return []
        params = {"shards": shards, "n": self._batch_size}
        return (await conn.execute(_SELECT_PG, params)).all()

    async def _lock_shards(self, conn: AsyncConnection) -> list[int]:
        """Take the advisory locks of up to `max_shards` free shards for this transaction."""
        if self._max_shards >= OUTBOX_SHARDS:
            found = await conn.execute(_LOCK_ALL_FREE, {"last": OUTBOX_SHARDS - 1})
            return [int(s) for s in found.scalars()]
        shards: list[int] = []
        for shard in random.sample(range(OUTBOX_SHARDS), OUTBOX_SHARDS):
            if (await conn.execute(_LOCK_SHARD, {"shard": shard})).scalar_one():
                shards.append(shard)
                if len(shards) >= self._max_shards:
                    break
        return shards

    async def drain(self) -> int:
        """Publish until nothing is left (tests, shutdown); returns rows published."""
        total = 0
        while (count := await self.publish_once()) > 0:
            total += count
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; sleeps between batches until NOTIFY, a local commit or
        the polling interval wakes it."""
        waiter = outbox_signal.subscribe()
        listener = await self._listen() if self._db.is_postgres else None
        try:
            while not stop.is_set():
                waiter.clear()
                self._wake.clear()
                count = await self._publish_guarded()
                if count >= self._batch_size:
                    continue
                await self._sleep(waiter, stop)
        finally:
            outbox_signal.unsubscribe(waiter)
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.close()

    async def _publish_guarded(self) -> int:
        try:
            return await self.publish_once()
        except Exception:
            # Broker or DB hiccup: rows stay unpublished and the next round retries them.
            log.exception("outbox relay batch failed; retrying after the poll interval")
            await asyncio.sleep(self._poll_interval_s * random.uniform(1.0, 2.0))
            return 0

    async def _sleep(self, waiter: asyncio.Event, stop: asyncio.Event) -> None:
        events = [waiter.wait(), self._wake.wait(), stop.wait()]
        tasks = [asyncio.ensure_future(e) for e in events]
        try:
            await asyncio.wait(tasks, timeout=self._poll_interval_s, return_when="FIRST_COMPLETED")
        finally:
            for task in tasks:
                task.cancel()

    async def _listen(self) -> Any:
        """A dedicated asyncpg connection LISTENing for outbox commits (None if it fails)."""
        import asyncpg  # type: ignore[import-untyped]

        try:
            conn = await asyncpg.connect(self._db.asyncpg_dsn())
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        except Exception:
            log.warning("LISTEN %s failed; relying on polling", NOTIFY_CHANNEL, exc_info=True)
            return None
        return conn


async def purge_published(db: Database, older_than: timedelta, clock: Clock = utc_now) -> int:
    """Delete rows published more than `older_than` ago; returns how many went."""
    cutoff = clock() - older_than
    stmt = text(
        "DELETE FROM outbox_events WHERE published_at IS NOT NULL AND published_at < :c"
    ).bindparams(bindparam("c", type_=UtcDateTime))
    async with db.engine.begin() as conn:
        result = await conn.execute(stmt, {"c": cutoff})
    return int(getattr(result, "rowcount", 0) or 0)
