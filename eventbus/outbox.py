"""Transactional outbox: state changes and the events they cause commit in one transaction."""

from __future__ import annotations

import asyncio
import logging
import zlib
from datetime import datetime
from types import TracebackType
from typing import Any

import orjson
from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, insert, text
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import Database, UtcDateTime, utc_now
from core.settings import get_settings
from eventbus.bus import OutgoingRecord
from eventbus.envelope import to_record as envelope_record
from orion.common.v1.envelope_pb2 import Envelope

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "orion_outbox"
# Keys hash into shards; a relay owns a shard while it publishes it, so per-key order holds even
# with several relays running (see docs/adr/0003-outbox-relay.md).
OUTBOX_SHARDS = 16


def shard_of(key: bytes) -> int:
    return zlib.crc32(key) % OUTBOX_SHARDS


class OutboxEvent(SQLModel, table=True):
    """One event waiting for (or done with) publication; `published_at` is NULL until acked."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index(
            "ix_outbox_unpublished",
            "shard",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    # BIGINT on Postgres; SQLite only auto-increments an INTEGER PRIMARY KEY.
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    event_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    tenant_id: str = Field(sa_column=Column(String(64), nullable=False))
    topic: str = Field(sa_column=Column(String(255), nullable=False))
    key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    headers: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    shard: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


def encode_headers(headers: tuple[tuple[str, bytes], ...]) -> bytes:
    return orjson.dumps([[name, value.hex()] for name, value in headers])


def decode_headers(raw: bytes) -> tuple[tuple[str, bytes], ...]:
    return tuple((name, bytes.fromhex(value)) for name, value in orjson.loads(raw))


def to_record(row: OutboxEvent | Any) -> OutgoingRecord:
    """The bus record an outbox row (ORM object or result row) publishes as."""
    return OutgoingRecord(
        topic=row.topic,
        key=bytes(row.key),
        value=bytes(row.value),
        headers=decode_headers(bytes(row.headers)),
    )


class OutboxSignal:
    """In-process wake-up for relays: set after every outbox commit (SQLite has no NOTIFY)."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Event] = set()

    def subscribe(self) -> asyncio.Event:
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        return waiter

    def unsubscribe(self, waiter: asyncio.Event) -> None:
        self._waiters.discard(waiter)

    def notify(self) -> None:
        for waiter in self._waiters:
            waiter.set()


outbox_signal = OutboxSignal()


class PgNotifier:
    """Sends `NOTIFY orion_outbox` after commits, outside the producers' transactions.

    A NOTIFY inside a transaction takes a cluster-wide lock at commit that serialises every
    notifying commit behind the previous one's WAL flush (measured: ~40 commits/s with 8
    writers on this box). Sent from a separate autocommit statement instead, at most once per
    `min_interval_s` (commits meanwhile cause exactly one more), it costs the writers nothing
    and a busy process sends a bounded number of them.
    """

    def __init__(self, db: Database, min_interval_s: float = 0.005) -> None:
        self._db = db
        self._min_interval_s = min_interval_s
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def poke(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._send())

    async def flush(self) -> None:
        """Wait for the pending NOTIFY (short-lived processes call this before exiting)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _send(self) -> None:
        self._again = True
        while self._again:
            self._again = False
            try:
                async with self._db.engine.connect() as conn:
                    auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await auto.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
            except Exception:
                # The relay's polling fallback picks the rows up; nothing is lost.
                log.warning("NOTIFY %s failed", NOTIFY_CHANNEL, exc_info=True)
                return
            await asyncio.sleep(self._min_interval_s)


_notifiers: dict[int, PgNotifier] = {}


def notifier_for(db: Database) -> PgNotifier:
    found = _notifiers.get(id(db))
    if found is None or found._db is not db:
        found = _notifiers[id(db)] = PgNotifier(db)
    return found


class UnitOfWork:
    """One transaction for a command: `uow.session` for state, `uow.add_record` for events.

    `async with UnitOfWork(db) as uow: ...; uow.add_record(...); await uow.commit()`.
    Leaving the block without `commit()` (or with an exception) rolls everything back.
    """

    def __init__(self, db: Database, *, env: str | None = None) -> None:
        self._db = db
        self._env = env or get_settings().env
        self._session: AsyncSession | None = None
        self._rows: list[dict[str, object]] = []
        self.committed = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `async with` block")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._db.sessions()
        await self._session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if not self.committed:
                await session.rollback()
        finally:
            await session.close()
            self._session = None

    def add_record(self, record: OutgoingRecord, *, event_id: str, tenant_id: str) -> None:
        """Queue one bus record (already encoded) for publication when this unit commits."""
        self._rows.append(
            {
                "event_id": event_id,
                "tenant_id": tenant_id,
                "topic": record.topic,
                "key": record.key,
                "value": record.value,
                "headers": encode_headers(record.headers),
                "shard": shard_of(record.key),
                "created_at": utc_now(),
            }
        )

    def add_event(self, envelope: Envelope) -> OutgoingRecord:
        """Queue a built envelope (see eventbus.envelope.build_envelope); topic and key come
        from the event registry. Returns the record that will be published."""
        record = envelope_record(envelope, env=self._env)
        self.add_record(record, event_id=envelope.event_id, tenant_id=envelope.tenant_id)
        return record

    async def commit(self) -> None:
        """Write state (flushed first) and the queued outbox rows, then commit both at once."""
        session = self.session
        if self._rows:
            await session.flush()
            conn = await session.connection()
            # Core executemany: no per-row ORM bookkeeping or RETURNING on the hot path.
            await conn.execute(insert(OutboxEvent.__table__), self._rows)  # type: ignore[attr-defined]
        await session.commit()
        self.committed = True
        if self._rows:
            outbox_signal.notify()
            if self._db.is_postgres:
                notifier_for(self._db).poke()

    async def rollback(self) -> None:
        await self.session.rollback()
