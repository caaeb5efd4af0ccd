"""`python -m services.execution`: turn accepted quotes into trades until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import signal

from core.logging import configure_logging
from core.settings import get_settings
from services.execution.bootstrap import ExecutionProcess


async def _serve() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    process = ExecutionProcess(settings)
    await process.start()
    print("execution service consuming QuoteAccepted", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await process.stop()


def main() -> None:
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
