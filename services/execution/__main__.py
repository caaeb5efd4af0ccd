"""`python -m services.execution`: turn accepted quotes into trades until SIGTERM/SIGINT."""

from __future__ import annotations

from core.service_main import run
from services.execution.bootstrap import ExecutionProcess


def main() -> None:
    run(ExecutionProcess, lambda _process, _started: "execution service consuming QuoteAccepted")


if __name__ == "__main__":
    main()
