"""`python -m services.refdata`: serve reference data until SIGTERM/SIGINT, then drain."""

from __future__ import annotations

import asyncio
import signal

from core.logging import configure_logging
from core.settings import get_settings
from core.tracing import configure_tracing
from services.refdata.server import start_server

GRACE_S = 5.0


async def _serve() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    configure_tracing(settings, "refdata")
    host, _, port = settings.refdata_addr.rpartition(":")
    server, bound = await start_server(host, int(port))
    print(f"refdata gRPC on {host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(GRACE_S)


def main() -> None:
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
