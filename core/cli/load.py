"""`orion load`: run one of the benchmarks under load/ (bounded; each writes its report)."""

from __future__ import annotations

import subprocess
import sys

import typer

from core.settings import REPO_ROOT

# name -> (arguments after `python`, what it measures). Each needs `./orionw infra up` first.
BENCHMARKS: dict[str, tuple[list[str], str]] = {
    "eventbus": (
        ["load/eventbus_bench.py"],
        "outbox -> relay -> bus -> idempotent consumer, Kafka+Postgres and embedded (~6 min)",
    ),
    "marketdata": (
        ["load/marketdata/bench.py", "--sessions", "100,1000,5000", "--workers", "2"],
        "WebSocket fan-out: hub vs default Strawberry path, 100/1k/5k sessions (~5 min)",
    ),
    "bff": (
        ["-m", "load.bff.bench_graphql"],
        "GraphQL queries direct to the subgraph and through the gateway",
    ),
    "rfq": (
        ["-m", "load.rfq.bench"],
        "RFQ end to end through the BFF (whole platform as processes, 5 LP bots) at a fixed "
        "rate for 60 s, then ghz on gRPC CreateRfq at fixed rates; CPU per process (~4 min)",
    ),
    "tenancy": (
        ["-m", "load.tenancy.rls_bench"],
        "CPU per RFQ create/read with and without row-level security + service role (~1-2 min)",
    ),
}


def load(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help=f"One of: {', '.join(BENCHMARKS)}."),
) -> None:
    """Run a benchmark from load/ against the local servers (lists them without a name).

    Options after the name go to the benchmark itself, e.g. `orion load eventbus --quick`.
    """
    if name is None:
        for key, (_args, what) in BENCHMARKS.items():
            typer.echo(f"{key:12} {what}")
        return
    if name not in BENCHMARKS:
        typer.echo(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}", err=True)
        raise typer.Exit(2)
    args, _what = BENCHMARKS[name]
    cmd = [sys.executable, *args, *ctx.args]
    raise typer.Exit(subprocess.run(cmd, cwd=REPO_ROOT, check=False).returncode)


def register(app: typer.Typer) -> None:
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(load)
