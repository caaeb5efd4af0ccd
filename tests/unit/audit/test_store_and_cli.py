"""Audit log on SQLite: append-only rows, per-tenant chains, `orion audit verify|trace`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from core.cli import app
from core.db import Database
from services.audit import store
from services.audit.chain import AuditEntry, verify

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def entry(i: int, tenant: str = "t1", corr: str = "corr-1", component: str = "rfq") -> AuditEntry:
    return AuditEntry(
        tenant_id=tenant, actor="alice", action=f"Step{i}",
        occurred_at=T0 + timedelta(milliseconds=i), correlation_id=corr, component=component,
        entity_type="rfq", entity_id="rfq-1", outcome="ok", details={"i": i, "px": "1.1"},
    )  # fmt: skip


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(db_url)
    await database.create_all()
    yield database
    await database.dispose()


async def test_appends_extend_each_tenants_chain(db: Database) -> None:
    await store.append(db, [entry(1), entry(2, tenant="t2")])
    await store.append(db, [entry(3), entry(4)])
    chain = await store.load_chain(db, "t1")
    assert [r.seq for r in chain] == [1, 2, 3]
    assert [r.entry.action for r in chain] == ["Step1", "Step3", "Step4"]
    assert verify("t1", chain).ok
    assert verify("t2", await store.load_chain(db, "t2")).ok
    assert await store.tenants(db) == ["t1", "t2"]


async def test_rows_round_trip_to_identical_hashes(db: Database) -> None:
    sealed = await store.append(db, [entry(1), entry(2)])
    assert await store.load_chain(db, "t1") == sealed


async def test_concurrent_appends_keep_one_gapless_chain(db: Database) -> None:
    await asyncio.gather(*(store.append(db, [entry(i)]) for i in range(16)))
    chain = await store.load_chain(db, "t1")
    assert [r.seq for r in chain] == list(range(1, 17))
    assert verify("t1", chain).ok


async def test_update_and_delete_are_refused_by_the_database(db: Database) -> None:
    await store.append(db, [entry(1)])
    for sql in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.engine.begin() as conn:
                await conn.execute(text(sql))


async def _seed_and_tamper(db_url: str, tamper: bool) -> None:
    db = Database.from_url(db_url)
    try:
        await db.create_all()
        if not tamper:
            await store.append(db, [entry(1), entry(2), entry(3)])
            return
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER audit_log_no_update"))
            await conn.execute(text("UPDATE audit_log SET outcome = 'forged' WHERE seq = 2"))
    finally:
        await db.dispose()


# The CLI runs its own event loop (asyncio.run), so these tests are synchronous.
def test_verify_command_detects_an_edited_row(db_url: str) -> None:
    asyncio.run(_seed_and_tamper(db_url, tamper=False))
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--database-url", db_url])
    assert ok.exit_code == 0, ok.output
    assert "OK    tenant=t1 records=3" in ok.output
    asyncio.run(_seed_and_tamper(db_url, tamper=True))
    broken = runner.invoke(app, ["audit", "verify", "--database-url", db_url])
    assert broken.exit_code == 1
    assert "BROKEN tenant=t1 at seq=2" in broken.output
    assert "edited" in broken.output


async def _seed_trace(db_url: str) -> None:
    db = Database.from_url(db_url)
    try:
        await db.create_all()
        await store.append(db, [entry(3, component="execution"), entry(1, component="bff")])
        await store.append(db, [entry(2, component="rfq"), entry(9, corr="other")])
    finally:
        await db.dispose()


def test_trace_prints_every_hop_of_a_correlation_in_time_order(db_url: str) -> None:
    asyncio.run(_seed_trace(db_url))
    result = CliRunner().invoke(app, ["audit", "trace", "corr-1", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split()[2] for line in lines] == ["bff", "rfq", "execution"]
    missing = CliRunner().invoke(app, ["audit", "trace", "nope", "--database-url", db_url])
    assert missing.exit_code == 1
