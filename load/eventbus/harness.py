"""Probe producers, an effect table and scratch databases for eventbus tests and benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, String, func, insert, text
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import Database, create_database, drop_database
from eventbus import ops_events  # noqa: F401  (registers ProbeEmitted)
from eventbus.envelope import DecodedEvent, build_envelope
from eventbus.kafka import KafkaBus
from eventbus.outbox import UnitOfWork, notifier_for
from eventbus.topics import TOPICS, dlq_spec
from orion.common.v1.envelope_pb2 import Envelope
from orion.ops.v1.probe_pb2 import ProbeEmitted

PROBE_TOPIC = "ops.probes.v1"


class ProbeEffect(SQLModel, table=True):
    """The business effect of a probe: one row per applied event (a duplicate would show)."""

    __tablename__ = "probe_effects"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    event_id: str = Field(sa_column=Column(String(64), nullable=False))
    probe_id: str = Field(sa_column=Column(String(64), nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


async def record_effect(envelope: Envelope, payload: Any, session: AsyncSession) -> None:
    """The consumer handler of the tests and the benchmark: insert one effect row."""
    session.add(ProbeEffect(event_id=envelope.event_id, probe_id=payload.probe_id, seq=payload.seq))


_EFFECTS_PG = text(
    "INSERT INTO probe_effects (event_id, probe_id, seq) SELECT * FROM "
    "unnest(CAST(:event_ids AS text[]), CAST(:probe_ids AS text[]), CAST(:seqs AS bigint[]))"
)


async def record_effects(events: Sequence[DecodedEvent], session: AsyncSession) -> None:
    """The batch handler: the same effect rows as `record_effect`, one statement per batch."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        params = {
            "event_ids": [e.event_id for e in events],
            "probe_ids": [e.payload.probe_id for e in events],
            "seqs": [e.payload.seq for e in events],
        }
        await conn.execute(_EFFECTS_PG, params)
        return
    rows = [
        {"event_id": e.event_id, "probe_id": e.payload.probe_id, "seq": e.payload.seq}
        for e in events
    ]
    await conn.execute(insert(ProbeEffect.__table__), rows)  # type: ignore[attr-defined]


_EFFECTS_PG_NATIVE = (
    "INSERT INTO probe_effects (event_id, probe_id, seq) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])"
)


async def record_effects_pg(events: Sequence[DecodedEvent], conn: Any) -> None:
    """`record_effects` on Postgres through the asyncpg connection (ConsumerSpec's
    pg_batch_handler): one statement, no SQLAlchemy."""
    await conn.execute(
        _EFFECTS_PG_NATIVE,
        [e.event_id for e in events],
        [e.payload.probe_id for e in events],
        [e.payload.seq for e in events],
    )


def probe_envelope(
    probe_id: str, seq: int, tenant: str = "t-1", note: str = "eventbus"
) -> Envelope:
    return build_envelope(
        ProbeEmitted(probe_id=probe_id, seq=seq, note=note),
        sequence=seq,
        tenant_id=tenant,
        correlation_id=f"corr-{probe_id}",
    )


async def produce(db: Database, env: str, count: int, keys: int = 8, per_tx: int = 1) -> None:
    """Commit `count` probes through the unit of work, `per_tx` events per transaction."""
    for start in range(0, count, per_tx):
        async with UnitOfWork(db, env=env) as uow:
            for seq in range(start + 1, min(start + per_tx, count) + 1):
                uow.add_event(probe_envelope(f"p-{seq % keys}", seq))
            await uow.commit()
    if db.is_postgres:
        await notifier_for(db).flush()


async def effect_count(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(ProbeEffect))).one())


async def effects_by_key(db: Database) -> dict[str, list[int]]:
    """Applied sequences per probe key, in the order they were applied (row id)."""
    async with db.sessions() as session:
        rows: Sequence[ProbeEffect] = (
            await session.exec(select(ProbeEffect).order_by(ProbeEffect.id))  # type: ignore[arg-type]
        ).all()
    found: dict[str, list[int]] = {}
    for row in rows:
        found.setdefault(row.probe_id, []).append(row.seq)
    return found


@asynccontextmanager
async def scratch_postgres(base_url: str, prefix: str = "orion_t") -> AsyncIterator[Database]:
    """A fresh Postgres database with every table, dropped afterwards (isolates test runs)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    url = await create_database(base_url, name)
    db = Database.from_url(url, pool_size=5)
    try:
        await db.create_all()
        yield db
    finally:
        await db.dispose()
        await drop_database(base_url, name)


def scratch_env() -> str:
    """A unique environment name, hence fresh topics (`<env>.ops.probes.v1`) per test."""
    return f"t{uuid.uuid4().hex[:10]}"


@asynccontextmanager
async def probe_bus(
    bootstrap: str, client_id: str, dlq_consumers: Sequence[str] = ()
) -> AsyncIterator[tuple[str, KafkaBus]]:
    """A started KafkaBus on a fresh environment whose probe topic (and the DLQ topics of
    `dlq_consumers`) exist; yields (environment, bus) and stops the bus afterwards."""
    env = scratch_env()
    bus = KafkaBus(bootstrap, client_id=client_id)
    await bus.start()
    try:
        await bus.ensure_topics(
            [TOPICS[PROBE_TOPIC].spec(env), *(dlq_spec(c, env) for c in dlq_consumers)]
        )
        yield env, bus
    finally:
        await bus.stop()
