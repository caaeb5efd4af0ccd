"""Identity commands: mint a development token, seed demo identities, rotate signing keys."""

from __future__ import annotations

import asyncio

import typer

from core.settings import Profile, get_settings


def token(
    tenant: str = typer.Option(..., "--tenant", help="Tenant id, e.g. acme."),
    user: str = typer.Option(..., "--user", help="Username (trader@acme) or user id."),
    ttl: int = typer.Option(0, help="Lifetime in seconds (default: the access-token TTL)."),
) -> None:
    """Mint an access token for a seeded user (development and tests; refused in prod)."""
    if get_settings().profile is Profile.PROD:
        typer.echo("orion token is disabled in the prod profile", err=True)
        raise typer.Exit(2)
    try:
        typer.echo(asyncio.run(_mint(tenant, user, ttl)))
    except LookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


async def _mint(tenant: str, user: str, ttl: int) -> str:
    from sqlmodel import or_, select

    from services.identity.__main__ import prepare
    from services.identity.models import UserRow

    svc = await prepare()
    try:
        async with svc.db.tenant_session(tenant) as s:
            query = select(UserRow).where(or_(UserRow.username == user, UserRow.user_id == user))
            row = (await s.exec(query.where(UserRow.tenant_id == tenant))).first()
        if row is None or not row.enabled:
            raise LookupError(f"no enabled user {user!r} in tenant {tenant!r}")
        claims = svc.factory.access_claims(
            sub=row.user_id,
            tenant_id=row.tenant_id,
            roles=list(row.roles),
            entitlements=dict(row.entitlements),
            client_id="orion-cli",
            scope="orion",
            username=row.username,
            ttl_s=ttl or None,
        )
        return svc.factory.sign(claims)
    finally:
        await svc.db.dispose()


def identity_seed() -> None:
    """Create identity tables, keys and the demo tenants/users (idempotent; not in prod)."""
    if get_settings().profile is Profile.PROD:
        typer.echo("refusing to seed demo identities in the prod profile", err=True)
        raise typer.Exit(2)

    async def run() -> None:
        from services.identity.__main__ import prepare

        await (await prepare()).db.dispose()

    asyncio.run(run())
    typer.echo("identity seeded (demo passwords: <role>-demo, e.g. trader@acme / trader-demo)")


def identity_rotate_keys() -> None:
    """Add a new signing key; the previous one stays published until the next rotation."""
    from services.identity.config import IdentitySettings
    from services.identity.keys import KeyStore

    store = KeyStore.load_or_create(IdentitySettings().key_home(get_settings()))
    typer.echo(f"signing key is now {store.rotate().kid}; restart the identity service")


def identity_serve() -> None:
    """Serve the embedded OIDC provider and its admin gRPC API (ORION_IDENTITY_* settings)."""
    from services.identity.__main__ import main

    main()


def register(app: typer.Typer) -> None:
    app.command()(token)
    app.command(name="identity-serve")(identity_serve)
    app.command(name="identity-seed")(identity_seed)
    app.command(name="identity-rotate-keys")(identity_rotate_keys)
