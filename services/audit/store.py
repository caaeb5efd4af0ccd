"""Audit storage: the append-only `audit_log` table and the chain's repository (tenant-scoped)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

import orjson
from sqlalchemy import BigInteger, Column, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import Database, UtcDateTime, register_ddl
from services.audit.chain import GENESIS_HASH, AuditEntry, SealedRecord, seal


class AuditRow(SQLModel, table=True):
    """One sealed audit record; rows are never updated or deleted (triggers enforce it)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("tenant_id", "seq", name="uq_audit_tenant_seq"),
        Index("ix_audit_correlation", "correlation_id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    tenant_id: str = Field(sa_column=Column(String(64), nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    actor: str = Field(sa_column=Column(String(128), nullable=False))
    action: str = Field(sa_column=Column(String(128), nullable=False))
    entity_type: str = Field(sa_column=Column(String(64), nullable=False))
    entity_id: str = Field(sa_column=Column(String(128), nullable=False))
    outcome: str = Field(sa_column=Column(String(64), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    correlation_id: str = Field(sa_column=Column(String(128), nullable=False))
    component: str = Field(sa_column=Column(String(64), nullable=False))
    details_json: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))


_PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql
"""


async def _postgres_ddl(conn: AsyncConnection) -> None:
    await conn.execute(text(_PG_APPEND_ONLY))
    await conn.execute(text("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"))
    await conn.execute(
        text(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    )


async def _sqlite_ddl(conn: AsyncConnection) -> None:
    for verb in ("UPDATE", "DELETE"):
        await conn.execute(
            text(
                f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{verb.lower()} BEFORE {verb} "
                "ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
        )


register_ddl("postgresql", _postgres_ddl)
register_ddl("sqlite", _sqlite_ddl)


def to_row(record: SealedRecord) -> AuditRow:
    e = record.entry
    return AuditRow(
        tenant_id=e.tenant_id, seq=record.seq, actor=e.actor, action=e.action,
        entity_type=e.entity_type, entity_id=e.entity_id, outcome=e.outcome, reason=e.reason,
        occurred_at=e.occurred_at, correlation_id=e.correlation_id, component=e.component,
        details_json=orjson.dumps(dict(e.details), option=orjson.OPT_SORT_KEYS).decode(),
        prev_hash=record.prev_hash, hash=record.hash,
    )  # fmt: skip


def from_row(row: AuditRow) -> SealedRecord:
    entry = AuditEntry(
        tenant_id=row.tenant_id, actor=row.actor, action=row.action,
        occurred_at=row.occurred_at, correlation_id=row.correlation_id,
        component=row.component, entity_type=row.entity_type, entity_id=row.entity_id,
        outcome=row.outcome, reason=row.reason, details=orjson.loads(row.details_json),
    )  # fmt: skip
    return SealedRecord(row.seq, entry, row.prev_hash, row.hash)


async def _head(session: AsyncSession, tenant_id: str) -> tuple[int, str]:
    stmt = (
        select(AuditRow.seq, AuditRow.hash)
        .where(AuditRow.tenant_id == tenant_id)
        .order_by(col(AuditRow.seq).desc())
        .limit(1)
    )
    row = (await session.exec(stmt)).first()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


async def _lock_chain(session: AsyncSession, tenant_id: str) -> None:
    # The RFQ service's rfq_lock_and_load() (services/rfq/pg_functions.py) takes the same key.
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        lock = text("SELECT pg_advisory_xact_lock(hashtext(:k))").bindparams(k=f"audit:{tenant_id}")
        await conn.execute(lock)
    elif conn.dialect.name == "sqlite":
        # A write statement first takes SQLite's single write lock before the head is read.
        await conn.execute(text("DELETE FROM audit_log WHERE 0 = 1"))


# audit_log columns in the order of `native_columns`, with their Postgres array types.
NATIVE_COLUMNS = (
    ("tenant_id", "text"), ("seq", "bigint"), ("actor", "text"), ("action", "text"),
    ("entity_type", "text"), ("entity_id", "text"), ("outcome", "text"), ("reason", "text"),
    ("occurred_at", "timestamptz"), ("correlation_id", "text"), ("component", "text"),
    ("details_json", "text"), ("prev_hash", "text"), ("hash", "text"),
)  # fmt: skip


def native_columns(records: Sequence[SealedRecord]) -> list[list[Any]]:
    """Sealed records as one list per column of NATIVE_COLUMNS (for INSERT ... FROM unnest)."""
    rows = [
        (
            r.entry.tenant_id, r.seq, r.entry.actor, r.entry.action, r.entry.entity_type,
            r.entry.entity_id, r.entry.outcome, r.entry.reason, r.entry.occurred_at,
            r.entry.correlation_id, r.entry.component,
            orjson.dumps(dict(r.entry.details), option=orjson.OPT_SORT_KEYS).decode(),
            r.prev_hash, r.hash,
        )
        for r in records
    ]  # fmt: skip
    if not rows:
        return [[] for _ in NATIVE_COLUMNS]
    return [list(column) for column in zip(*rows, strict=True)]


async def append_in(session: AsyncSession, entries: Sequence[AuditEntry]) -> list[SealedRecord]:
    """Seal and add entries inside the caller's transaction (one chain head read per tenant).

    A per-tenant advisory lock (Postgres) or the write lock (SQLite) serialises writers of a
    chain; the (tenant, seq) unique key still turns any lost race into an IntegrityError.
    """
    sealed: list[SealedRecord] = []
    ordered = sorted(entries, key=lambda e: e.tenant_id)
    for tenant_id, group in groupby(ordered, key=lambda e: e.tenant_id):
        await _lock_chain(session, tenant_id)
        head_seq, head_hash = await _head(session, tenant_id)
        records = seal(list(group), head_seq, head_hash)
        session.add_all([to_row(r) for r in records])
        sealed.extend(records)
    return sealed


async def append(
    db: Database, entries: Sequence[AuditEntry], attempts: int = 5
) -> list[SealedRecord]:
    """Append each tenant's entries in a transaction of its own, bound to that tenant (its
    row-level security on Postgres), retrying when another writer took the same seq."""
    sealed: list[SealedRecord] = []
    ordered = sorted(entries, key=lambda e: e.tenant_id)
    for tenant_id, group in groupby(ordered, key=lambda e: e.tenant_id):
        sealed += await _append_tenant(db, tenant_id, list(group), attempts)
    return sealed


async def _append_tenant(
    db: Database, tenant_id: str, entries: list[AuditEntry], attempts: int
) -> list[SealedRecord]:
    for attempt in range(attempts):
        try:
            async with db.tenant_session(tenant_id) as session, session.begin():
                return await append_in(session, entries)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.01 * (attempt + 1))
    raise RuntimeError("unreachable")


async def load_chain(db: Database, tenant_id: str) -> list[SealedRecord]:
    async with db.tenant_session(tenant_id) as session:
        stmt = select(AuditRow).where(AuditRow.tenant_id == tenant_id).order_by(col(AuditRow.seq))
        return [from_row(r) for r in (await session.exec(stmt)).all()]


async def tenants(db: Database) -> list[str]:
    """Every tenant with a chain: cross-tenant, so on Postgres only the auditor role
    (AUDITOR_ROLE in services/identity/db_roles.py) sees them; a
    tenant-bound role fails loudly (no tenant set)."""
    async with db.sessions() as session:
        stmt = select(AuditRow.tenant_id).distinct().order_by(col(AuditRow.tenant_id))
        return [str(t) for t in (await session.exec(stmt)).all()]


async def by_correlation(
    db: Database, correlation_id: str, tenant_id: str | None = None
) -> list[SealedRecord]:
    """Every record of one correlation id, in time order (then chain order); without a tenant
    it spans tenants, which on Postgres only the auditor role may do."""
    session = db.sessions() if tenant_id is None else db.tenant_session(tenant_id)
    async with session:
        stmt = select(AuditRow).where(AuditRow.correlation_id == correlation_id)
        if tenant_id is not None:
            stmt = stmt.where(AuditRow.tenant_id == tenant_id)
        stmt = stmt.order_by(col(AuditRow.occurred_at), col(AuditRow.tenant_id), col(AuditRow.seq))
        return [from_row(r) for r in (await session.exec(stmt)).all()]
