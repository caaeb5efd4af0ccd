"""`orion infra up|down|status|env` (local servers) and `orion up|down|ps` (real profile)."""

from __future__ import annotations

import typer

infra_app = typer.Typer(
    help="Real Kafka, PostgreSQL and Redis on 127.0.0.1 (no Docker).", no_args_is_help=True
)


@infra_app.command("up")
def infra_up() -> None:
    """Start Kafka, PostgreSQL and Redis (idempotent) and wait until each answers."""
    from infra.local import manager

    raise typer.Exit(manager.up())


@infra_app.command("down")
def infra_down() -> None:
    """Stop the servers `infra up` started (by PID; external servers are left alone)."""
    from core import platform_ctl
    from infra.local import manager

    if platform_ctl.supervisor_pid(platform_ctl.real_settings()) is not None:
        typer.echo("note: platform processes are still running; `orion down` stops them", err=True)
    raise typer.Exit(manager.down())


@infra_app.command("status")
def infra_status() -> None:
    """Print a table of each server: endpoint, PID, health, owner; exit 1 if any is unhealthy."""
    from infra.local import manager

    rows = manager.status()
    typer.echo(manager.format_status(rows))
    raise typer.Exit(0 if all(r.healthy for r in rows) else 1)


@infra_app.command("env")
def infra_env() -> None:
    """Print `export` lines that point a shell at these servers (ORION_PROFILE=real)."""
    from infra.local import manager

    for key, value in manager.client_env().items():
        typer.echo(f"export {key}={value}")


def up() -> None:
    """Real profile: start the servers and every platform process (supervised, detached)."""
    from core import platform_ctl

    raise typer.Exit(platform_ctl.up())


def down() -> None:
    """Stop every platform process `up` started, then the servers."""
    from core import platform_ctl

    raise typer.Exit(platform_ctl.down())


def ps() -> None:
    """List the servers and platform processes with their PID and health."""
    from core import platform_ctl

    raise typer.Exit(platform_ctl.ps())


def register(app: typer.Typer) -> None:
    app.add_typer(infra_app, name="infra")
    app.command()(up)
    app.command()(down)
    app.command()(ps)
