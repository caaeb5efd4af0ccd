"""`orion dlq`: list, inspect and re-deliver a consumer's dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC
from typing import TypeVar

import typer

from core.settings import get_settings
from eventbus.bus import EventBus
from orion.ops.v1.dead_letter_pb2 import DeadLetter

T = TypeVar("T")

dlq_app = typer.Typer(help="Dead-letter queues: list, show and replay failed records.")

CONSUMER = typer.Option(..., "--consumer", "-c", help="Consumer (group) whose DLQ to read.")


def _with_bus(work: Callable[[EventBus], Awaitable[T]]) -> T:
    async def main() -> T:
        from eventbus.factory import create_bus

        bus = create_bus(get_settings(), client_id="orion-dlq")
        await bus.start()
        try:
            return await work(bus)
        finally:
            await bus.stop()

    return asyncio.run(main())


def _letters(consumer: str) -> list[DeadLetter]:
    from eventbus.dlq import read_dead_letters

    env = get_settings().env

    async def read(bus: EventBus) -> list[DeadLetter]:
        return list(await read_dead_letters(bus, consumer, env))

    return _with_bus(read)


def _when(letter: DeadLetter) -> str:
    stamp = letter.last_failure_at.ToDatetime(tzinfo=UTC)
    return str(stamp.strftime("%Y-%m-%d %H:%M:%S"))


@dlq_app.command("list")
def list_(consumer: str = CONSUMER) -> None:
    """List the dead letters of a consumer, oldest first."""
    letters = _letters(consumer)
    typer.echo(f"{'ID':36}  {'LAST FAILURE':19}  {'ORIGIN':40}  {'EVENT':24}  ATT  ERROR")
    for dl in letters:
        o = dl.original
        origin = f"{o.topic}[{o.partition}]@{o.offset}"
        typer.echo(
            f"{dl.dead_letter_id:36}  {_when(dl):19}  {origin:40}  "
            f"{dl.event_type or '?':24}  {dl.attempts:3}  {dl.error_class}"
        )
    typer.echo(f"{len(letters)} dead letter(s) in the DLQ of {consumer}")


@dlq_app.command()
def show(dead_letter_id: str, consumer: str = CONSUMER) -> None:
    """Print every field of one dead letter, including its stack summary and original record."""
    from google.protobuf.json_format import MessageToJson

    found = [dl for dl in _letters(consumer) if dl.dead_letter_id == dead_letter_id]
    if not found:
        typer.echo(f"no dead letter {dead_letter_id} in the DLQ of {consumer}", err=True)
        raise typer.Exit(1)
    typer.echo(MessageToJson(found[0]))


@dlq_app.command()
def replay(
    ids: list[str] = typer.Argument(None, help="Dead-letter ids to re-deliver."),
    consumer: str = CONSUMER,
    all_: bool = typer.Option(False, "--all", help="Re-deliver every dead letter."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only print what would be replayed."),
) -> None:
    """Re-deliver dead letters to their consumer (applied once: the consumer is idempotent)."""
    from eventbus.dlq import replay_dead_letters

    if not ids and not all_:
        typer.echo("give dead-letter ids or --all", err=True)
        raise typer.Exit(2)
    letters = _letters(consumer)
    chosen = _select(letters, ids or [], all_)
    for dl in chosen:
        typer.echo(f"{'would replay' if dry_run else 'replaying'} {dl.dead_letter_id}")

    async def send(bus: EventBus) -> int:
        sent = await replay_dead_letters(bus, chosen, dry_run=dry_run)
        return len(sent)

    count = _with_bus(send)
    typer.echo(f"{'dry run: ' if dry_run else ''}{count if not dry_run else len(chosen)} record(s)")


def _select(letters: Sequence[DeadLetter], ids: Sequence[str], all_: bool) -> list[DeadLetter]:
    if all_:
        return list(letters)
    by_id = {dl.dead_letter_id: dl for dl in letters}
    missing = [i for i in ids if i not in by_id]
    if missing:
        typer.echo(f"unknown dead-letter id(s): {', '.join(missing)}", err=True)
        raise typer.Exit(1)
    return [by_id[i] for i in ids]


def register(app: typer.Typer) -> None:
    app.add_typer(dlq_app, name="dlq", help="Dead-letter queues: list, show and replay records.")
