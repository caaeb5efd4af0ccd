"""Transactional outbox: state changes and the events they cause commit in one transaction."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from types import TracebackType
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import Database, UtcDateTime, register_ddl, utc_now
from core.settings import get_settings
from eventbus.bus import OutgoingRecord
from eventbus.envelope import to_record as envelope_record
from orion.common.v1.envelope_pb2 import Envelope

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "orion_outbox"
# Keys hash into shards; a relay owns a shard while it publishes it, so per-key order holds even
# with several relays running (see docs/adr/0003-outbox-relay.md).
OUTBOX_SHARDS = 16


PENDING_INDEX = "ix_outbox_pending"


def shard_of(key: bytes) -> int:
    return zlib.crc32(key) % OUTBOX_SHARDS


class OutboxEvent(SQLModel, table=True):
    """One event waiting for (or done with) publication; `published_at` is NULL until acked."""

    __tablename__ = "outbox_events"
    # Only pending rows, in id order: the relay reads the head of it whatever number of
    # published rows wait for the purge. (The former (shard, id) index let the planner pick a
    # primary-key scan that walked every published row on each batch: O(published) per batch.)
    __table_args__ = (
        Index(
            PENDING_INDEX,
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


async def _add_pending_index(conn: AsyncConnection) -> None:
    """Databases created before the index existed get it at their next `create_all`."""
    await conn.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS {PENDING_INDEX} ON outbox_events (id) "
            "WHERE published_at IS NULL"
        )
    )


register_ddl("postgresql", _add_pending_index)
register_ddl("sqlite", _add_pending_index)


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


# (column, Postgres array type): one INSERT ... SELECT FROM unnest(arrays) writes any number of
# rows with 8 parameters, so the statement is prepared once and stays cached whatever the count.
_PG_COLUMNS = (
    ("event_id", "text"),
    ("tenant_id", "text"),
    ("topic", "text"),
    ("key", "bytea"),
    ("value", "bytea"),
    ("headers", "bytea"),
    ("shard", "int"),
    ("created_at", "timestamptz"),
)
_PG_INSERT_INTO = (
    "INSERT INTO outbox_events "
    "(event_id, tenant_id, topic, key, value, headers, shard, created_at) SELECT * FROM "
)
# asyncpg placeholders, for the driver-level path of a unit of work without ORM state.
PG_INSERT_NATIVE = _PG_INSERT_INTO + (
    "unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[], "
    "$7::int[], $8::timestamptz[])"
)
# The same statement for a SQLAlchemy connection (the ORM session's transaction).
_PG_INSERT_CORE = text(
    _PG_INSERT_INTO
    + "unnest(CAST(:event_id AS text[]), CAST(:tenant_id AS text[]), CAST(:topic AS text[]), "
    "CAST(:key AS bytea[]), CAST(:value AS bytea[]), CAST(:headers AS bytea[]), "
    "CAST(:shard AS int[]), CAST(:created_at AS timestamptz[]))"
)


def _columns(rows: Sequence[dict[str, object]]) -> list[list[object]]:
    return [[row[c] for row in rows] for c, _ in _PG_COLUMNS]


@asynccontextmanager
async def driver_connection(db: Database) -> AsyncIterator[Any]:
    """The asyncpg connection under a pooled SQLAlchemy connection, returned to the pool after.

    Hot paths use it to skip SQLAlchemy's per-statement machinery (~0.3 ms CPU per transaction
    measured on this box); a connection that failed is invalidated rather than reused.
    """
    raw = await db.engine.raw_connection()
    try:
        yield raw.driver_connection
    except (asyncpg.PostgresError, DBAPIError):
        # The server refused a statement; outside a transaction block the connection is fine.
        await greenlet_spawn(raw.close)
        raise
    except BaseException as exc:
        await greenlet_spawn(raw.invalidate, exc if isinstance(exc, Exception) else None)
        raise
    else:
        await greenlet_spawn(raw.close)


async def write_outbox_rows(db: Database, rows: Sequence[dict[str, object]]) -> None:
    """Commit outbox rows in a transaction of their own (a unit of work with no ORM state)."""
    if db.is_postgres:
        # A single statement outside a transaction block is atomic on its own: one round trip
        # instead of BEGIN, INSERT, COMMIT (each socket send costs ~50 us of CPU here).
        async with driver_connection(db) as conn:
            try:
                await conn.execute(PG_INSERT_NATIVE, *_columns(rows))
            except asyncpg.IntegrityConstraintViolationError as exc:
                # Callers see the same exception types as on the SQLAlchemy path.
                raise IntegrityError(PG_INSERT_NATIVE, None, exc) from exc
            except asyncpg.PostgresError as exc:
                raise DBAPIError(PG_INSERT_NATIVE, None, exc) from exc
        return
    async with db.engine.begin() as conn:
        await insert_outbox_rows(conn, rows)


async def insert_outbox_rows(conn: AsyncConnection, rows: Sequence[dict[str, object]]) -> None:
    """Insert outbox rows inside the caller's transaction: one statement on either backend."""
    if conn.dialect.name == "postgresql":
        params = {c: values for (c, _), values in zip(_PG_COLUMNS, _columns(rows), strict=True)}
        await conn.execute(_PG_INSERT_CORE, params)
    else:
        # Core executemany: no per-row ORM bookkeeping or RETURNING.
        await conn.execute(insert(OutboxEvent.__table__), list(rows))  # type: ignore[attr-defined]


def outbox_row(
    record: OutgoingRecord, *, event_id: str, tenant_id: str, created_at: datetime | None = None
) -> dict[str, object]:
    """The outbox row of one encoded record, as `insert_outbox_rows` and the services' own
    driver-level writes take it (column name -> value)."""
    return {
        "event_id": event_id,
        "tenant_id": tenant_id,
        "topic": record.topic,
        "key": record.key,
        "value": record.value,
        "headers": encode_headers(record.headers),
        "shard": shard_of(record.key),
        "created_at": created_at or utc_now(),
    }


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
                # Outside a transaction block asyncpg runs it in autocommit mode.
                async with driver_connection(self._db) as conn:
                    await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
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
    The ORM session is opened on first use of `uow.session`; a unit that only emits events
    commits its outbox rows without one (on Postgres straight through the driver).
    """

    def __init__(
        self, db: Database, *, env: str | None = None, tenant_id: str | None = None
    ) -> None:
        self._db = db
        self._env = env or get_settings().env
        # With a tenant, the state session is a tenant session (row-level security on Postgres).
        self._tenant_id = tenant_id
        self._session: AsyncSession | None = None
        self._open = False
        self._rows: list[dict[str, object]] = []
        self.committed = False

    @property
    def session(self) -> AsyncSession:
        if not self._open:
            raise RuntimeError("UnitOfWork used outside its `async with` block")
        if self._session is None:
            # Begins its transaction on first use.
            self._session = (
                self._db.sessions()
                if self._tenant_id is None
                else self._db.tenant_session(self._tenant_id)
            )
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session, self._open = self._session, None, False
        if session is None:
            return
        try:
            if not self.committed:
                await session.rollback()
        finally:
            await session.close()

    def add_record(self, record: OutgoingRecord, *, event_id: str, tenant_id: str) -> None:
        """Queue one bus record (already encoded) for publication when this unit commits."""
        self._rows.append(outbox_row(record, event_id=event_id, tenant_id=tenant_id))

    def add_event(self, envelope: Envelope) -> OutgoingRecord:
        """Queue a built envelope (see eventbus.envelope.build_envelope); topic and key come
        from the event registry. Returns the record that will be published."""
        record = envelope_record(envelope, env=self._env)
        self.add_record(record, event_id=envelope.event_id, tenant_id=envelope.tenant_id)
        return record

    async def commit(self) -> None:
        """Write state (flushed first) and the queued outbox rows, then commit both at once."""
        session = self._session
        if session is None and self._rows and self._tenant_id is not None:
            # The driver-level path sets no app.tenant_id: a tenant unit writes through its
            # tenant session so row-level security sees the tenant (ADR 0012, ADR 0015).
            session = self.session
        if session is not None:
            if self._rows:
                await session.flush()
                await insert_outbox_rows(await session.connection(), self._rows)
            await session.commit()
        elif self._rows:
            await write_outbox_rows(self._db, self._rows)
        self.committed = True
        if self._rows:
            outbox_signal.notify()
            if self._db.is_postgres:
                notifier_for(self._db).poke()

    async def rollback(self) -> None:
        self._rows.clear()
        if self._session is not None:
            await self._session.rollback()
