"""`python -m services.execution`: turn accepted quotes into trades until SIGTERM/SIGINT."""

from __future__ import annotations

import uvloop

from core.service_main import serve
from services.execution.bootstrap import ExecutionProcess


def main() -> None:
    # uvloop, as the BFF: the process is mostly broker and database round trips, and the stock
    # loop's selector and callbacks were ~30% of its CPU in a py-spy profile under the RFQ load.
    banner = "execution service consuming QuoteAccepted"
    uvloop.run(serve(ExecutionProcess, lambda _process, _started: banner))


if __name__ == "__main__":
    main()
