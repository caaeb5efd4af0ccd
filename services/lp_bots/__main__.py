"""`python -m services.lp_bots`: quote RFQs as five simulated LPs until SIGTERM/SIGINT."""

from __future__ import annotations

import uvloop

from core.service_main import serve
from services.lp_bots.bootstrap import LpBotsProcess


def _banner(process: LpBotsProcess, _started: object) -> str:
    return f"lp bots quoting: {', '.join(process.service.bots)}"


def main() -> None:
    # uvloop, as the BFF: the bots are mostly broker round trips and timers, and the stock
    # loop's selector and callbacks were ~30% of their CPU in a py-spy profile under RFQ load.
    uvloop.run(serve(LpBotsProcess, _banner))


if __name__ == "__main__":
    main()
