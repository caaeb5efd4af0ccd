"""`orion audit verify` and `orion audit trace`: check and read the hash-chained audit trail."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    # Imported lazily at run time so `orion --help` stays fast (no SQLAlchemy import).
    from core.db import Database
    from services.audit.chain import SealedRecord, VerifyReport

audit_app = typer.Typer(help="Inspect the hash-chained audit trail.", no_args_is_help=True)

DB_URL = typer.Option(None, "--database-url", help="Override ORION_DATABASE_URL.")


async def _database(url: str | None) -> Database:
    """The trail's reader. A Postgres database migrated for the service roles (audit_log under
    forced RLS) is read as the auditor role (every tenant, read-only: ADR 0012); otherwise, as
    before, as the owner. Reading never changes the database's security."""
    from core.db import Database
    from core.settings import get_settings
    from services.identity.db_roles import AUDITOR_ROLE, rls_enforced

    settings = get_settings()
    owner = Database.from_url(url) if url else Database.from_settings(settings)
    await owner.create_all()
    if not owner.is_postgres or not await rls_enforced(owner, "audit_log"):
        return owner
    await owner.dispose()
    if url:
        settings = settings.model_copy(update={"database_url": url})
    return Database.for_role(settings, AUDITOR_ROLE)


async def _verify(url: str | None, tenant: str | None) -> list[VerifyReport]:
    from services.audit import store
    from services.audit.chain import verify

    db = await _database(url)
    try:
        names = [tenant] if tenant else await store.tenants(db)
        return [verify(name, await store.load_chain(db, name)) for name in names]
    finally:
        await db.dispose()


@audit_app.command("verify")
def verify_cmd(
    tenant: str | None = typer.Option(None, help="Only this tenant's chain."),
    database_url: str | None = DB_URL,
) -> None:
    """Recompute every tenant's hash chain; exit 1 on an edited, missing or inserted record."""
    reports = asyncio.run(_verify(database_url, tenant))
    for r in reports:
        if r.ok:
            typer.echo(f"OK    tenant={r.tenant_id} records={r.checked}")
        else:
            typer.echo(
                f"BROKEN tenant={r.tenant_id} at seq={r.first_bad_seq} "
                f"(after {r.checked} good records): {r.problem}"
            )
    if not reports:
        typer.echo("no audit records")
    if any(not r.ok for r in reports):
        raise typer.Exit(code=1)


async def _trace(url: str | None, correlation_id: str, tenant: str | None) -> list[SealedRecord]:
    from services.audit import store

    db = await _database(url)
    try:
        return await store.by_correlation(db, correlation_id, tenant)
    finally:
        await db.dispose()


def format_record(record: SealedRecord) -> str:
    e = record.entry
    entity = f"{e.entity_type}:{e.entity_id}" if e.entity_id else "-"
    why = f" reason={e.reason!r}" if e.reason else ""
    return (
        f"{e.occurred_at.isoformat(timespec='milliseconds')} {e.tenant_id}#{record.seq} "
        f"{e.component:<16} {e.actor:<12} {e.action:<24} {entity} -> {e.outcome or '-'}{why} "
        f"[{record.hash[:12]}]"
    )


@audit_app.command("trace")
def trace_cmd(
    correlation_id: str = typer.Argument(..., help="Correlation id to follow."),
    tenant: str | None = typer.Option(None, help="Only this tenant's records."),
    database_url: str | None = DB_URL,
) -> None:
    """Print every audit record of one correlation id in time order (BFF -> services -> events)."""
    records = asyncio.run(_trace(database_url, correlation_id, tenant))
    if not records:
        typer.echo(f"no audit records for correlation id {correlation_id}")
        raise typer.Exit(code=1)
    for record in records:
        typer.echo(format_record(record))


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
