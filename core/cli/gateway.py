"""Commands for the GraphQL edge: `gateway` (Hive Gateway), `graphql-schemas`, `bff`."""

from __future__ import annotations

import os
import subprocess

import typer

from core.settings import REPO_ROOT, get_settings
from infra.gateway import GATEWAY_DIR, ensure_installed


def gateway(
    port: int = typer.Option(4000, help="Port the gateway listens on (127.0.0.1)."),
    bff_url: str = typer.Option(None, help="Base URL of the BFF (default: ORION_HTTP_PORT)."),
) -> None:
    """Run GraphQL Hive Gateway over the composed supergraph of the BFF subgraphs."""
    settings = get_settings()
    binary = ensure_installed()
    env = {
        **os.environ,
        "ORION_BFF_URL": bff_url or f"http://{settings.http_host}:{settings.http_port}",
        "ORION_PROFILE": settings.profile.value,
    }
    cmd = [str(binary), "supergraph", "--host", "127.0.0.1", "--port", str(port)]
    raise typer.Exit(subprocess.run(cmd, cwd=GATEWAY_DIR, env=env, check=False).returncode)


def graphql_schemas(
    check: bool = typer.Option(False, "--check", help="Only verify; fail on stale or breaking."),
    base: str = typer.Option("HEAD~1", help="Git ref to compare for breaking changes."),
) -> None:
    """Generate subgraph SDL and the composed supergraph into schemas/graphql/ (or --check)."""
    from bff import sdl

    if not check:
        for path in sdl.write():
            typer.echo(f"wrote {path.relative_to(REPO_ROOT)}")
        return
    failed = sdl.check_fresh() | sdl.check_breaking(base)
    raise typer.Exit(failed)


def bff() -> None:
    """Serve the BFF alone (real/prod profiles): the three GraphQL subgraphs and health."""
    from bff.__main__ import main

    main()


def register(app: typer.Typer) -> None:
    app.command()(gateway)
    app.command(name="graphql-schemas")(graphql_schemas)
    app.command()(bff)
