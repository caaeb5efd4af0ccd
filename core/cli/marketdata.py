"""`orion marketdata run|replay|record|simulate|make-dataset`: market-data tooling."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import typer

md_app = typer.Typer(help="Market data: simulate, replay, record datasets.", no_args_is_help=True)

SHIPPED = Path(__file__).resolve().parents[2] / "services/marketdata/datasets"
SHIPPED_NAME = "sim-fx-rates-credit-120s.jsonl.gz"


@md_app.command("run")
def run(
    rate_scale: float = typer.Option(1.0, help="Multiply every instrument's ticks/s."),
    seed: int = typer.Option(7, help="Simulator seed."),
) -> None:
    """Run simulated ingest -> Kafka, the snapshot projector and the gRPC snapshot service."""
    from services.marketdata.__main__ import serve
    from services.marketdata.bootstrap import RunOptions

    asyncio.run(serve(RunOptions(source="sim", rate_scale=rate_scale, seed=seed)))


@md_app.command("replay")
def replay(
    dataset: Path = typer.Argument(SHIPPED / SHIPPED_NAME, help="A .jsonl.gz dataset."),
    speed: str = typer.Option("1x", help="0.2x, 1x, 5x, ... or max."),
    loop: bool = typer.Option(False, help="Start again at the end of the file."),
) -> None:
    """Publish a recorded dataset to the log at a speed factor (plus projector and gRPC)."""
    from services.marketdata.__main__ import serve
    from services.marketdata.bootstrap import RunOptions
    from services.marketdata.replay.player import parse_speed

    options = RunOptions(source="replay", dataset=dataset, speed=parse_speed(speed), loop=loop)
    asyncio.run(serve(options))


@md_app.command("record")
def record(
    out: Path = typer.Option(..., help="Dataset file to write (.jsonl.gz)."),
    seconds: float = typer.Option(60.0, help="How long to listen to the live stream."),
    max_ticks: int = typer.Option(50_000, help="Stop after this many ticks."),
) -> None:
    """Capture ticks from the live marketdata.ticks.v1 topic into a dataset file."""
    from services.marketdata.recording import record_live

    count = asyncio.run(record_live(out.resolve(), seconds, max_ticks))
    typer.echo(f"recorded {count} ticks to {out}")


@md_app.command("simulate")
def simulate(
    seconds: int = typer.Option(60, help="Simulated seconds (runs instantly, no servers)."),
    seed: int = typer.Option(7, help="Simulator seed."),
) -> None:
    """Run the simulator offline and print quotes per asset class and regime switches."""
    from services.marketdata.domain.instruments import instrument_map
    from services.marketdata.domain.simulator import QuoteSimulator, SimulatorConfig

    sim = QuoteSimulator(0, config=SimulatorConfig(seed=seed))
    quotes = sim.advance(seconds * 1_000_000_000)
    instruments = instrument_map()
    per_class = Counter(instruments[str(q["instrument"])].asset_class.value for q in quotes)
    typer.echo(f"{len(quotes)} quotes in {seconds}s simulated: {dict(per_class)}")
    for at, regime in sim.regime.switches:
        typer.echo(f"  t={at / 1e9:8.1f}s regime -> {regime.value}")


@md_app.command("make-dataset")
def make_dataset(
    seconds: int = typer.Option(120, help="Simulated seconds to record."),
    out: Path = typer.Option(SHIPPED / SHIPPED_NAME, help="Where to write the dataset."),
) -> None:
    """Rebuild the shipped dataset from the seeded simulator (byte-identical for 120 s)."""
    from services.marketdata.replay.dataset import encode
    from services.marketdata.replay.recorder import simulated_dataset

    blob = encode(simulated_dataset(seconds))
    out.write_bytes(blob)
    typer.echo(f"wrote {out} ({len(blob)} bytes)")


def register(app: typer.Typer) -> None:
    app.add_typer(md_app, name="marketdata", help="Market data: simulate, replay, record datasets.")
