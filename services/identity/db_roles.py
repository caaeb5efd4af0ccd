"""Database roles of the real profile: who may touch which table, and the owner's migration.

The owner (`orion`) creates the tables, forces row-level security on every tenant-scoped one
and grants each service role only what it uses. Services connect as those roles; system work
that spans tenants gets a role of its own with one narrow policy (docs/adr/0012).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import Database
from core.settings import REPO_ROOT, Settings
from services.identity.locate import KEYS, LOCATE_FN, locate_policy_ddl
from services.identity.tenancy import CURRENT_TENANT_FN, grant_sequences_ddl, ident, isolation_ddl

RFQ_ROLE = "orion_rfq"
EXECUTION_ROLE = "orion_execution"
IDENTITY_ROLE = "orion_identity"
# The BFF reads the audit trail for the workstation's drawer: SELECT only, in tenant sessions.
BFF_ROLE = "orion_bff"
# Cross-tenant system roles: each has one policy on one table and nothing else.
RELAY_ROLE = "orion_relay"
RFQ_EXPIRY_ROLE = "orion_rfq_expiry"
AUDITOR_ROLE = "orion_auditor"
PRUNER_ROLE = "orion_pruner"
SERVICE_ROLES = (
    RFQ_ROLE, EXECUTION_ROLE, IDENTITY_ROLE, BFF_ROLE,
    RELAY_ROLE, RFQ_EXPIRY_ROLE, AUDITOR_ROLE, PRUNER_ROLE,
)  # fmt: skip
# Cluster-wide, idempotent CREATE ROLE statements (run as a role with CREATEROLE).
ROLES_SQL = REPO_ROOT / "infra" / "local" / "postgres" / "init.d" / "10-service-roles.sql"

# Tables whose rows belong to one tenant: forced RLS bound to app.tenant_id for these roles.
TENANT_TABLES = (
    "rfqs",
    "rfq_idempotency",
    "trades",
    "audit_log",
    "outbox_events",
    "processed_events",
)
TENANT_BOUND = (RFQ_ROLE, EXECUTION_ROLE, BFF_ROLE)

# Identity's tables are the identity service's alone (grants). Those whose rows belong to one
# tenant are under forced RLS too; what is looked up before the tenant is known (a login name,
# a session, a code, a refresh token) goes through services/identity/locate.py (ADR 0012).
IDENTITY_TENANT_TABLES = (
    "identity_users", "identity_auth_codes", "identity_refresh_tokens", "identity_sessions",
    "identity_ui_preferences",
)  # fmt: skip
# The tenant directory and the OAuth clients are platform-wide (the workstation client has no
# tenant): grants only.
IDENTITY_TABLES = ("identity_tenants", "identity_clients", *IDENTITY_TENANT_TABLES)

# (role, table, privileges). Inserting roles also get the table's serial sequences.
GRANTS: tuple[tuple[str, str, str], ...] = (
    (RFQ_ROLE, "rfqs", "SELECT, INSERT, UPDATE"),
    (RFQ_ROLE, "rfq_idempotency", "SELECT, INSERT"),
    (RFQ_ROLE, "audit_log", "SELECT, INSERT"),
    (RFQ_ROLE, "outbox_events", "SELECT, INSERT"),
    (RFQ_ROLE, "processed_events", "SELECT, INSERT"),
    (EXECUTION_ROLE, "trades", "SELECT, INSERT"),
    (EXECUTION_ROLE, "audit_log", "SELECT, INSERT"),
    (EXECUTION_ROLE, "outbox_events", "SELECT, INSERT"),
    (EXECUTION_ROLE, "processed_events", "SELECT, INSERT"),
    (RELAY_ROLE, "outbox_events", "SELECT, UPDATE (published_at), DELETE"),
    (RFQ_EXPIRY_ROLE, "rfqs", "SELECT (tenant_id, rfq_id, state, expires_at)"),
    (AUDITOR_ROLE, "audit_log", "SELECT"),
    (BFF_ROLE, "audit_log", "SELECT"),
    # eventbus.consumer.prune_processed: the age column to filter on, and the delete.
    (PRUNER_ROLE, "processed_events", "SELECT (processed_at), DELETE"),
    (IDENTITY_ROLE, "outbox_events", "INSERT"),
    *((IDENTITY_ROLE, t, "SELECT, INSERT, UPDATE, DELETE") for t in IDENTITY_TABLES),
)

# (table, policy, role, command, clause): the narrow cross-tenant paths.
SYSTEM_POLICIES: tuple[tuple[str, str, str, str, str], ...] = (
    # The relay publishes and marks every tenant's events; it has no grant to insert any.
    ("outbox_events", "relay_publishes_all", RELAY_ROLE, "ALL", "USING (true) WITH CHECK (true)"),
    # Re-arming expiry timers at start-up: four columns of every RFQ, read-only.
    ("rfqs", "expiry_scans_all", RFQ_EXPIRY_ROLE, "SELECT", "USING (true)"),
    # `orion audit verify` walks every tenant's chain, read-only.
    ("audit_log", "auditor_reads_all", AUDITOR_ROLE, "SELECT", "USING (true)"),
    # Pruning processed_events past the redelivery window, every tenant's at once; its grant
    # lets it read one column (the age) and delete, so ALL amounts to "delete old rows".
    ("processed_events", "pruner_deletes_all", PRUNER_ROLE, "ALL", "USING (true)"),
    # Identity emits login/admin events of whichever tenant the user is in; insert-only.
    ("outbox_events", "identity_emits", IDENTITY_ROLE, "INSERT", "WITH CHECK (true)"),
)

LOCATED_TABLES = {table for table, _ in KEYS.values()}

_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('orion:tenancy-ddl'))")
_TABLES = text(
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(:t)"
)
_ROLES = text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:r)")


class MissingRoles(RuntimeError):
    """The service roles do not exist on this server (an admin has to create them once)."""


def tenancy_ddl(existing: set[str]) -> list[str]:
    """Every statement for the tables that exist (each process creates the tables it knows)."""
    statements: list[str] = [CURRENT_TENANT_FN]
    for table in TENANT_TABLES:
        if table in existing:
            statements += isolation_ddl(table, TENANT_BOUND)
    for table in IDENTITY_TENANT_TABLES:
        if table in existing:
            statements += isolation_ddl(table, (IDENTITY_ROLE,))
            if table in LOCATED_TABLES:
                statements += locate_policy_ddl(table)
    if existing >= LOCATED_TABLES:  # the function reads them all; create_all made it with them
        statements.append(f"GRANT EXECUTE ON FUNCTION {LOCATE_FN}(text, text) TO {IDENTITY_ROLE}")
    for table, policy, role, command, clause in SYSTEM_POLICIES:
        if table in existing:
            statements += [
                f"DROP POLICY IF EXISTS {ident(policy)} ON {ident(table)}",
                f"CREATE POLICY {ident(policy)} ON {ident(table)} FOR {command} "
                f"TO {ident(role)} {clause}",
            ]
    statements += [f"GRANT USAGE ON SCHEMA public TO {ident(r)}" for r in SERVICE_ROLES]
    for role, table, privileges in GRANTS:
        if table in existing:
            statements.append(f"GRANT {privileges} ON {ident(table)} TO {ident(role)}")
            if "INSERT" in privileges:
                statements.append(grant_sequences_ddl(table, role))
    return statements


async def apply_tenancy(conn: AsyncConnection) -> None:
    """As the owner, in the caller's transaction: RLS, system policies and grants."""
    # Processes start together and each migrates: one at a time (concurrent GRANTs collide).
    await conn.execute(_LOCK)
    found = {str(r) for r in (await conn.execute(_ROLES, {"r": list(SERVICE_ROLES)})).scalars()}
    if missing := sorted(set(SERVICE_ROLES) - found):
        raise MissingRoles(
            f"database roles {', '.join(missing)} are missing: create them as an admin "
            f"(psql -f {ROLES_SQL.relative_to(REPO_ROOT)}; `orion infra up` does it locally)"
        )
    names = [*TENANT_TABLES, *IDENTITY_TABLES]
    existing = {str(t) for t in (await conn.execute(_TABLES, {"t": names})).scalars()}
    for statement in tenancy_ddl(existing):
        await conn.execute(text(statement))


async def migrate(settings: Settings, runtime: Database) -> None:
    """Create the tables (and on Postgres the tenancy rules) as the owner, before a service
    starts on `runtime`, its own role's pool. SQLite has no roles: its file is migrated as is."""
    if not runtime.is_postgres:
        await runtime.create_all()
        return
    owner = Database.from_url(settings.effective_database_url(), pool_size=1)
    try:
        await owner.create_all()
        async with owner.engine.begin() as conn:
            await apply_tenancy(conn)
    finally:
        await owner.dispose()


async def rls_enforced(db: Database, table: str) -> bool:
    """Whether `table` is under forced row-level security (the database was migrated here)."""
    query = text("SELECT relforcerowsecurity FROM pg_class WHERE oid = to_regclass(:t)")
    async with db.engine.connect() as conn:
        return bool((await conn.execute(query, {"t": table})).scalar())


async def ensure_roles(admin_url: str) -> None:
    """Create the service roles (idempotent, cluster-wide) as an admin: tests and tooling."""
    import asyncpg  # type: ignore[import-untyped]

    statements = ROLES_SQL.read_text()  # a few hundred bytes, once: not worth a thread
    admin = Database.from_url(admin_url, pool_size=1)
    conn = await asyncpg.connect(admin.asyncpg_dsn())
    await admin.dispose()
    try:
        await conn.execute(statements)
    finally:
        await conn.close()
