"""Which tenant a login name, session, code or refresh token belongs to, before a tenant is known.

Identity's tenant tables are under forced row-level security (ADR 0012), but a login form, a
cookie or a token endpoint hands us a key, not a tenant. `orion_identity_tenant_of(kind, key)`
is the one narrow door: a SECURITY DEFINER function that answers the tenant id only (no other
column), for an exact key, and that only the identity role may execute. The caller then opens
a tenant session for everything else. SQLite (embedded) has no RLS: a plain query answers.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import Database, register_ddl

Kind = Literal["username", "session", "code", "refresh"]
# kind -> (table, key column). Every table here has a tenant_id and is tenant-scoped.
KEYS: dict[str, tuple[str, str]] = {
    "username": ("identity_users", "username"),
    "session": ("identity_sessions", "session_id"),
    "code": ("identity_auth_codes", "code_hash"),
    "refresh": ("identity_refresh_tokens", "token_hash"),
}
LOCATE_FN = "orion_identity_tenant_of"
# On only while the function runs: the owner's `identity_locate` policy opens the identity
# tables then. app.tenant_id meanwhile holds a value no tenant has, because the owner's
# tenant_isolation policy raises on an unset tenant. (Custom settings cannot go in the
# function's SET clause without superuser, so the body sets and restores them.)
LOCATE_SETTING = "app.identity_locate"
NO_TENANT = "(identity-locate)"

_BRANCHES = "\n    UNION ALL ".join(
    f"SELECT tenant_id FROM {table} WHERE kind = '{kind}' AND {column} = key"  # noqa: S608
    for kind, (table, column) in KEYS.items()
)
LOCATE_FN_DDL = f"""
CREATE OR REPLACE FUNCTION {LOCATE_FN}(kind text, key text) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $fn$
DECLARE
  caller_tenant text := coalesce(current_setting('app.tenant_id', true), '');
  hit text;
BEGIN
  PERFORM set_config('{LOCATE_SETTING}', 'on', true);
  PERFORM set_config('app.tenant_id', '{NO_TENANT}', true);
  {_BRANCHES}
    LIMIT 1 INTO hit;
  PERFORM set_config('{LOCATE_SETTING}', '', true);
  PERFORM set_config('app.tenant_id', caller_tenant, true);
  RETURN hit;
END
$fn$
"""
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('orion:tenancy-ddl'))")


def locate_policy_ddl(table: str) -> list[str]:
    """The owner's read path for the function only (FORCE binds the owner to tenant_isolation
    otherwise): permissive, SELECT, and only while the function's SET clause is in effect."""
    return [
        f"DROP POLICY IF EXISTS identity_locate ON {table}",
        f"CREATE POLICY identity_locate ON {table} FOR SELECT TO CURRENT_USER "
        f"USING (current_setting('{LOCATE_SETTING}', true) = 'on')",
    ]


async def create_locate_function(conn: AsyncConnection) -> None:
    """`create_all` hook (Postgres): the function, owned by the table owner, EXECUTE revoked
    from PUBLIC (the migration grants it to the identity role). Serialised with the tenancy
    DDL: processes starting together would otherwise collide replacing it."""
    await conn.execute(_LOCK)
    await conn.execute(text(LOCATE_FN_DDL))
    await conn.execute(text(f"REVOKE ALL ON FUNCTION {LOCATE_FN}(text, text) FROM PUBLIC"))


register_ddl("postgresql", create_locate_function)


async def tenant_of(db: Database, kind: Kind, key: str) -> str | None:
    """The tenant of the row with this exact key, or None; never any other column."""
    if not key:
        return None
    async with db.engine.connect() as conn:
        if db.is_postgres:
            query = text(f"SELECT {LOCATE_FN}(:kind, :key)")
            return (await conn.execute(query, {"kind": kind, "key": key})).scalar()
        table, column = KEYS[kind]
        query = text(f"SELECT tenant_id FROM {table} WHERE {column} = :key")  # noqa: S608
        return (await conn.execute(query, {"key": key})).scalar()
