"""Commands that run the platform: `dev` (embedded, one process)."""

from __future__ import annotations

import typer

from core.settings import get_settings


def dev(
    port: int = typer.Option(None, help="HTTP port (default: ORION_HTTP_PORT or 8000)."),
) -> None:
    """Boot the whole platform in one process on the embedded profile (no servers needed)."""
    from core.dev import run_embedded

    settings = get_settings()
    run_embedded(settings, port if port is not None else settings.http_port)


def register(app: typer.Typer) -> None:
    app.command()(dev)
