"""Commands that run the platform: `dev` (embedded, one process)."""

from __future__ import annotations

import typer

from core.settings import get_settings


def dev(
    port: int = typer.Option(None, help="HTTP port (default: ORION_HTTP_PORT or 8000)."),
    ui: bool = typer.Option(True, "--ui/--no-ui", help="Build the workstation UI if needed."),
) -> None:
    """Boot the whole platform in one process on the embedded profile (no servers needed)."""
    from core.dev import run_embedded

    settings = get_settings()
    if ui:
        _build_workstation()
    run_embedded(settings, port if port is not None else settings.http_port)


def _build_workstation() -> None:
    """The UI is served from bff/web/dist; without Node the API still runs, so only warn."""
    from core.webui import WebToolchainError, ensure_built

    try:
        ensure_built()
    except WebToolchainError as exc:
        typer.echo(f"workstation UI not built ({exc}); serving the APIs only", err=True)


def register(app: typer.Typer) -> None:
    app.command()(dev)
