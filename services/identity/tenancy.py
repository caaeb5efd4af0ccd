"""Tenant isolation in the database: Postgres row-level security bound to `app.tenant_id`.

Tables opt in with `row_level_security(table)`. Their policy compares `tenant_id` with the
transaction-local setting through `orion_current_tenant()`, which raises when no tenant is set,
so a query outside a tenant transaction fails loudly instead of silently returning nothing.
Services connect as roles that own no table and have no BYPASSRLS (see `db_roles` and ADR 0012).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import TENANT_SETTING, Database, MissingTenant, require_tenant
from core.logging import tenant_id_var

__all__ = ["MissingTenant", "require_tenant"]

APP_ROLE = "orion_app"
SETTING = TENANT_SETTING
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


def current_tenant() -> str:
    """The request's tenant (set from gRPC metadata by the service's interceptor), or raise."""
    return require_tenant(tenant_id_var.get())


def ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def app_role_ddl(database: str) -> list[str]:
    """Cluster-admin DDL (run once by whoever holds CREATEROLE): the services' login role."""
    role, db = ident(APP_ROLE), ident(database)
    # Identifiers checked by _ident; DDL cannot take bind parameters.
    return [
        f"""DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$""",  # noqa: S608
        f"GRANT CONNECT ON DATABASE {db} TO {role}",
    ]


def isolation_ddl(table: str, roles: tuple[str, ...]) -> list[str]:
    """Enable + force RLS on `table` and bind `roles` (and the owner) to the tenant setting.

    The policy names its roles instead of PUBLIC: a system role with its own narrow policy
    (the relay's, the auditor's) must not also be evaluated against a tenant it never sets."""
    t = ident(table)
    to = ", ".join(["CURRENT_USER", *(ident(r) for r in roles)])
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        # FORCE: the owner is bound too, so even a migration script cannot read across tenants.
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {t}",
        f"""CREATE POLICY tenant_isolation ON {t} TO {to}
            USING (tenant_id = orion_current_tenant())
            WITH CHECK (tenant_id = orion_current_tenant())""",
    ]


def grant_sequences_ddl(table: str, role: str) -> str:
    return _GRANT_OWNED_SEQUENCES.format(table=ident(table), role=ident(role))


async def row_level_security(conn: AsyncConnection, table: str) -> None:
    """As the table owner: enable + force RLS, (re)create the policy, grant DML to APP_ROLE."""
    t, role = ident(table), ident(APP_ROLE)
    await conn.execute(text(CURRENT_TENANT_FN))
    for statement in (
        *isolation_ddl(t, (role,)),
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {role}",
        grant_sequences_ddl(t, role),
    ):
        await conn.execute(text(statement))


@asynccontextmanager
async def tenant_transaction(db: Database, tenant_id: str | None) -> AsyncIterator[AsyncSession]:
    """One transaction bound to one tenant (`SET LOCAL`: it ends with the transaction, so a
    pooled connection never carries a tenant into someone else's request)."""
    async with db.tenant_session(tenant_id) as session, session.begin():
        # Starting the transaction runs the session's set_config (core.db.TenantBoundSession).
        await session.connection()
        yield session
