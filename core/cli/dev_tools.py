"""Developer commands: code generation, linting and the full test suite."""

from __future__ import annotations

import typer

from core import codegen


def proto(
    check: bool = typer.Option(False, help="Fail if gen/python is stale; write nothing."),
) -> None:
    """Generate Python code from proto/ into gen/python (or check it is fresh)."""
    if not check:
        codegen.regenerate()
        typer.echo(f"generated into {codegen.GEN_ROOT}")
        return
    stale = codegen.stale_files()
    if stale:
        typer.echo("generated code is stale; run `orion proto`:\n  " + "\n  ".join(stale), err=True)
        raise typer.Exit(1)
    typer.echo("generated code is fresh")


def lint() -> None:
    """Run every static check: generated-code freshness, ruff, mypy, buf lint and buf breaking."""
    from core.checks import run_lint

    raise typer.Exit(run_lint())


def run_tests(
    lint_first: bool = typer.Option(True, "--lint/--no-lint", help="Run `orion lint` first."),
    pytest_args: list[str] = typer.Argument(None, help="Extra arguments for pytest."),
) -> None:
    """Run the full test suite on real servers (starts and stops them); CI runs exactly this."""
    from core.checks import run_full_suite

    raise typer.Exit(run_full_suite(lint_first=lint_first, pytest_args=pytest_args or []))


def register(app: typer.Typer) -> None:
    app.command()(proto)
    app.command()(lint)
    app.command(name="test")(run_tests)
