"""Audit trail on the real PostgreSQL: append-only trigger, concurrent writers, tamper detection."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from typer.testing import CliRunner

from core.cli import app
from core.db import Database
from core.settings import Profile, Settings
from services.audit import store
from services.audit.chain import AuditEntry, verify

pytestmark = pytest.mark.integration
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def database_url() -> str:
    return (
        os.environ.get("ORION_DATABASE_URL")
        or Settings(profile=Profile.REAL).effective_database_url()
    )


async def _connect() -> Database:
    db = Database.from_url(database_url(), pool_size=4)
    try:
        await db.create_all()
    except (OSError, DBAPIError) as exc:
        await db.dispose()
        pytest.fail(f"PostgreSQL at {database_url()} is unreachable (`./orionw infra up`): {exc}")
    return db


@pytest.fixture
def tenant() -> str:
    return f"audit-it-{uuid.uuid4().hex[:12]}"


async def _as_tenant(conn: AsyncConnection, tenant: str) -> None:
    """Where audit_log is under forced RLS (a database migrated for the service roles, ADR
    0012) even the owner acts in one tenant's transaction; elsewhere this changes nothing."""
    await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant})


async def _purge(db: Database, tenant: str) -> None:
    # Test rows only; the trigger is off inside this transaction alone (DDL is transactional).
    async with db.engine.begin() as conn:
        await _as_tenant(conn, tenant)
        await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await conn.execute(text("DELETE FROM audit_log WHERE tenant_id = :t"), {"t": tenant})
        await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


@pytest.fixture
async def db(tenant: str) -> AsyncIterator[Database]:
    database = await _connect()
    yield database
    await _purge(database, tenant)
    await database.dispose()


def entry(tenant: str, i: int) -> AuditEntry:
    return AuditEntry(
        tenant_id=tenant, actor="alice", action="CreateRfq",
        occurred_at=T0 + timedelta(milliseconds=i), correlation_id=f"{tenant}-corr",
        component="rfq-service", entity_type="rfq", entity_id=f"rfq-{i}", outcome="accepted",
        reason="within limits", details={"i": i},
    )  # fmt: skip


async def test_concurrent_writers_build_one_gapless_chain(db: Database, tenant: str) -> None:
    await asyncio.gather(*(store.append(db, [entry(tenant, i)]) for i in range(20)))
    chain = await store.load_chain(db, tenant)
    assert [r.seq for r in chain] == list(range(1, 21))
    assert verify(tenant, chain).ok


async def test_database_refuses_update_and_delete(db: Database, tenant: str) -> None:
    await store.append(db, [entry(tenant, 1)])
    for sql in ("UPDATE audit_log SET reason = 'x' WHERE tenant_id = :t",
                "DELETE FROM audit_log WHERE tenant_id = :t"):  # fmt: skip
        # The tenant is set in the refused statement's own transaction, so both sit in the block.
        with pytest.raises(DBAPIError, match="append-only"):  # noqa: PT012
            async with db.engine.begin() as conn:
                await _as_tenant(conn, tenant)
                await conn.execute(text(sql), {"t": tenant})


async def test_verify_detects_a_row_edited_behind_the_trigger(db: Database, tenant: str) -> None:
    await store.append(db, [entry(tenant, i) for i in range(3)])
    async with db.engine.begin() as conn:
        await _as_tenant(conn, tenant)
        await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await conn.execute(
            text("UPDATE audit_log SET reason = 'nothing to see' WHERE tenant_id = :t AND seq = 2"),
            {"t": tenant},
        )
        await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    report = verify(tenant, await store.load_chain(db, tenant))
    assert (report.ok, report.first_bad_seq) == (False, 2)
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["audit", "verify", "--tenant", tenant, "--database-url", database_url()],
    )
    assert result.exit_code == 1
    assert f"BROKEN tenant={tenant} at seq=2" in result.output
