"""Tenant isolation in the database: Postgres row-level security bound to `app.tenant_id`.

Tables opt in with `row_level_security(table)`. Their policy compares `tenant_id` with the
transaction-local setting through `orion_current_tenant()`, which raises when no tenant is set,
so a query outside a tenant transaction fails loudly instead of silently returning nothing.
Services connect as APP_ROLE: it owns no table and has no BYPASSRLS.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import Database
from core.logging import tenant_id_var

APP_ROLE = "orion_app"
SETTING = "app.tenant_id"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

CURRENT_TENANT_FN = f"""
CREATE OR REPLACE FUNCTION orion_current_tenant() RETURNS text
LANGUAGE plpgsql STABLE AS $fn$
DECLARE t text := current_setting('{SETTING}', true);
BEGIN
  IF t IS NULL OR t = '' THEN
    RAISE EXCEPTION 'tenant-scoped table used outside a tenant transaction ({SETTING} unset)'
      USING ERRCODE = '42501';
  END IF;
  RETURN t;
END
$fn$
"""


# Serial columns: the app role needs their sequences (and only those) to insert.
_GRANT_OWNED_SEQUENCES = """DO $$ DECLARE s text; BEGIN
  FOR s IN SELECT seq.relname FROM pg_class seq
      JOIN pg_depend d ON d.objid = seq.oid
      JOIN pg_class tbl ON d.refobjid = tbl.oid
      WHERE seq.relkind = 'S' AND tbl.relname = '{table}' LOOP
    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO {role}', s);
  END LOOP;
END $$"""


class MissingTenant(RuntimeError):
    """A tenant-scoped operation was called without a tenant: a programming error."""


def require_tenant(tenant_id: str | None) -> str:
    if tenant_id is None or not tenant_id.strip():
        raise MissingTenant("tenant_id is mandatory for every tenant-scoped query")
    return tenant_id


def current_tenant() -> str:
    """The request's tenant (set from gRPC metadata by the service's interceptor), or raise."""
    return require_tenant(tenant_id_var.get())


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def app_role_ddl(database: str) -> list[str]:
    """Cluster-admin DDL (run once by whoever holds CREATEROLE): the services' login role."""
    role, db = _ident(APP_ROLE), _ident(database)
    # Identifiers checked by _ident; DDL cannot take bind parameters.
    return [
        f"""DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$""",  # noqa: S608
        f"GRANT CONNECT ON DATABASE {db} TO {role}",
    ]


async def row_level_security(conn: AsyncConnection, table: str) -> None:
    """As the table owner: enable + force RLS, (re)create the policy, grant DML to APP_ROLE."""
    t, role = _ident(table), _ident(APP_ROLE)
    await conn.execute(text(CURRENT_TENANT_FN))
    for statement in (
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        # FORCE: the owner is bound too, so even a migration script cannot read across tenants.
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {t}",
        f"""CREATE POLICY tenant_isolation ON {t}
            USING (tenant_id = orion_current_tenant())
            WITH CHECK (tenant_id = orion_current_tenant())""",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {role}",
        _GRANT_OWNED_SEQUENCES.format(table=t, role=role),
    ):
        await conn.execute(text(statement))


@asynccontextmanager
async def tenant_transaction(db: Database, tenant_id: str | None) -> AsyncIterator[AsyncSession]:
    """One transaction bound to one tenant (`SET LOCAL`: it ends with the transaction, so a
    pooled connection never carries a tenant into someone else's request)."""
    tenant = require_tenant(tenant_id)
    async with db.sessions() as session, session.begin():
        conn = await session.connection()
        bind = text("SELECT set_config(:name, :tenant, true)")
        await conn.execute(bind, {"name": SETTING, "tenant": tenant})
        yield session
