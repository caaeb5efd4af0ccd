"""`orion replay`: rebuild a read model from the log into a fresh generation, then swap."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

from core.settings import Profile, get_settings

if TYPE_CHECKING:
    from eventbus.replay import Progress


def _print_progress(progress: Progress) -> None:
    typer.echo(
        f"[{progress.phase}] {progress.events} events, {progress.skipped} skipped, "
        f"{progress.elapsed_s:.1f}s, {progress.rate:,.0f} events/s"
    )


async def _rebuild(name: str) -> None:
    from eventbus.factory import create_bus
    from eventbus.known_events import load_all
    from eventbus.readmodel import RedisReadModelStore
    from eventbus.replay import read_models, rebuild

    settings = get_settings()
    load_all()
    model = read_models()[name]
    bus = create_bus(settings, client_id="orion-replay")
    store = RedisReadModelStore.from_url(settings.effective_redis_url())
    await bus.start()
    try:
        result = await rebuild(model, bus, store, env=settings.env, on_progress=_print_progress)
    finally:
        await bus.stop()
        await store.close()
    typer.echo(
        f"rebuilt {result.model}: generation {result.generation} replaced {result.replaced}; "
        f"{result.events} events in {result.elapsed_s:.1f}s "
        f"({result.events / max(result.elapsed_s, 1e-9):,.0f} events/s), "
        f"{result.entries} entries, sha256 {result.checksum}"
    )


def replay(
    name: str = typer.Argument(None, help="Read model to rebuild (omit to list them)."),
    from_beginning: bool = typer.Option(
        True,
        "--from-beginning/--no-from-beginning",
        help="Read every topic from offset 0 (the only supported mode: rebuilds are full).",
    ),
) -> None:
    """Rebuild a read model from the topics into a fresh generation, then swap it in."""
    from eventbus.replay import read_models

    models = read_models()
    if not name:
        for model in models.values():
            typer.echo(f"{model.name:28} {', '.join(model.topics):40} {model.description}")
        typer.echo(f"{len(models)} rebuildable read model(s)")
        return
    if name not in models:
        typer.echo(f"unknown read model {name!r}; known: {', '.join(models) or 'none'}", err=True)
        raise typer.Exit(2)
    if not from_beginning:
        typer.echo("only full rebuilds (--from-beginning) are supported", err=True)
        raise typer.Exit(2)
    if get_settings().profile is Profile.EMBEDDED:
        # Embedded read models live in the memory of the `orion dev` process: it rebuilds them
        # from the embedded log at every start.
        typer.echo("embedded profile: restart `orion dev` to rebuild its read models", err=True)
        raise typer.Exit(2)
    asyncio.run(_rebuild(name))


def register(app: typer.Typer) -> None:
    app.command()(replay)
