"""`python -m services.lp_bots`: quote RFQs as five simulated LPs until SIGTERM/SIGINT."""

from __future__ import annotations

from core.service_main import run
from services.lp_bots.bootstrap import LpBotsProcess


def _banner(process: LpBotsProcess, _started: object) -> str:
    return f"lp bots quoting: {', '.join(process.service.bots)}"


def main() -> None:
    run(LpBotsProcess, _banner)


if __name__ == "__main__":
    main()
