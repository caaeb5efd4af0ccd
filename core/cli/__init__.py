"""The `orion` command line: one Typer app with a sub-command per area."""

from __future__ import annotations

import typer

from core.cli import audit as audit_cli
from core.cli import dev_tools, platform
from core.cli import dlq as dlq_cli
from core.cli import events as events_cli
from core.cli import gateway as gateway_cli
from core.cli import identity as identity_cli
from core.cli import infra as infra_cli
from core.cli import load as load_cli
from core.cli import marketdata as marketdata_cli
from core.cli import replay as replay_cli

app = typer.Typer(
    name="orion",
    help="Orion: event-driven liquidity and market-data platform.",
    no_args_is_help=True,
    add_completion=False,
)
platform.register(app)
dev_tools.register(app)
infra_cli.register(app)
audit_cli.register(app)
events_cli.register(app)
dlq_cli.register(app)
replay_cli.register(app)
gateway_cli.register(app)
identity_cli.register(app)
marketdata_cli.register(app)
load_cli.register(app)


def main() -> None:
    app()
