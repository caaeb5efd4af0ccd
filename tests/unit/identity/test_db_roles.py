"""The service roles' tenancy DDL and tenant sessions, without a server (SQLite has no RLS)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bff.app import BffConfig
from core.db import Database, MissingTenant
from core.settings import Profile, Settings
from services.identity.db_roles import (
    BFF_ROLE,
    GRANTS,
    IDENTITY_ROLE,
    IDENTITY_TENANT_TABLES,
    PRUNER_ROLE,
    RELAY_ROLE,
    RFQ_ROLE,
    SERVICE_ROLES,
    TENANT_TABLES,
    tenancy_ddl,
)
from services.identity.locate import KEYS, LOCATE_FN, LOCATE_FN_DDL, tenant_of


def test_every_tenant_table_is_forced_under_rls_when_it_exists() -> None:
    ddl = tenancy_ddl(set(TENANT_TABLES))
    for table in TENANT_TABLES:
        assert f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY" in ddl
    # The isolation policy names its roles: the system roles are never evaluated against it.
    isolation = [s for s in ddl if "CREATE POLICY tenant_isolation" in s]
    assert all(RELAY_ROLE not in s and "PUBLIC" not in s for s in isolation)


def test_tables_a_process_does_not_know_are_left_alone() -> None:
    ddl = "\n".join(tenancy_ddl({"rfqs"}))
    assert "trades" not in ddl
    assert "outbox_events" not in ddl
    assert f"GRANT SELECT, INSERT, UPDATE ON rfqs TO {RFQ_ROLE}" in ddl


def test_only_the_relay_and_the_pruner_may_delete_on_a_tenant_table() -> None:
    deleting = {(r, t) for r, t, p in GRANTS if "DELETE" in p and t in TENANT_TABLES}
    assert deleting == {(RELAY_ROLE, "outbox_events"), (PRUNER_ROLE, "processed_events")}
    assert {r for r, _, _ in GRANTS} <= set(SERVICE_ROLES)


def test_a_role_gets_the_owner_url_with_its_own_name_unless_configured() -> None:
    settings = Settings(
        profile=Profile.REAL,
        database_url="postgresql+asyncpg://orion:pw@db.internal:5432/orion",
        db_role_urls={RELAY_ROLE: "postgresql+asyncpg://relay:secret@db.internal/orion"},
    )
    assert settings.database_url_for(RFQ_ROLE) == (
        "postgresql+asyncpg://orion_rfq@db.internal:5432/orion"
    )
    assert settings.database_url_for(RELAY_ROLE).endswith("relay:secret@db.internal/orion")


async def test_tenant_session_demands_a_tenant_and_works_on_sqlite() -> None:
    db = Database.from_url("sqlite+aiosqlite://")
    try:
        for missing in (None, "", " "):
            with pytest.raises(MissingTenant):
                db.tenant_session(missing)
        async with db.tenant_session("acme") as session, session.begin():
            conn = await session.connection()
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await db.dispose()


def test_the_bff_role_only_reads_the_audit_trail_under_tenant_isolation() -> None:
    assert {(t, p) for r, t, p in GRANTS if r == BFF_ROLE} == {("audit_log", "SELECT")}
    isolation = [s for s in tenancy_ddl({"audit_log"}) if "CREATE POLICY tenant_isolation" in s]
    assert isolation
    assert BFF_ROLE in isolation[0]


def test_the_bff_audit_reader_connects_as_its_role_and_sqlite_keeps_its_file() -> None:
    real = Settings(profile=Profile.REAL, database_url="postgresql+asyncpg://orion@h:5432/orion")
    assert BffConfig.from_settings(real).audit_database_url == (
        "postgresql+asyncpg://orion_bff@h:5432/orion"
    )
    embedded = Settings(profile=Profile.EMBEDDED, database_url="sqlite+aiosqlite:///x.db")
    assert BffConfig.from_settings(embedded).audit_database_url == "sqlite+aiosqlite:///x.db"


def test_identity_tenant_tables_are_forced_and_only_they_get_the_locator_policy() -> None:
    ddl = tenancy_ddl({"identity_tenants", "identity_clients", *IDENTITY_TENANT_TABLES})
    for table in IDENTITY_TENANT_TABLES:
        assert f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY" in ddl
    for table in ("identity_tenants", "identity_clients"):  # platform-wide: grants only
        assert not [s for s in ddl if f"ON {table}" in s and "POLICY" in s]
    located = {s.split(" ON ")[1].split()[0] for s in ddl if "CREATE POLICY identity_locate" in s}
    assert located == {table for table, _ in KEYS.values()}
    grant = f"GRANT EXECUTE ON FUNCTION {LOCATE_FN}(text, text) TO {IDENTITY_ROLE}"
    assert grant in ddl
    assert grant not in tenancy_ddl({"identity_users"})  # the function needs all its tables


def test_the_locator_returns_the_tenant_column_only_and_is_not_public() -> None:
    assert "SECURITY DEFINER" in LOCATE_FN_DDL
    assert "SET search_path = public, pg_temp" in LOCATE_FN_DDL
    selects = [line for line in LOCATE_FN_DDL.splitlines() if "SELECT " in line]
    assert len(selects) == len(KEYS)
    assert all("SELECT tenant_id FROM" in line for line in selects)


async def test_the_locator_answers_with_a_plain_query_on_sqlite(tmp_path: Path) -> None:
    from services.identity.models import TenantRow, UserRow

    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}")
    try:
        await db.create_all()
        async with db.sessions() as s:
            s.add(TenantRow(tenant_id="acme", name="Acme"))
            await s.commit()
            s.add(UserRow(user_id="u1", tenant_id="acme", username="ann@acme", password_hash="x"))
            await s.commit()
        assert await tenant_of(db, "username", "ann@acme") == "acme"
        assert await tenant_of(db, "session", "nope") is None
        assert await tenant_of(db, "username", "") is None
    finally:
        await db.dispose()
