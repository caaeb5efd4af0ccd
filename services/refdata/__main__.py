"""`python -m services.refdata`: serve reference data until SIGTERM/SIGINT, then drain."""

from __future__ import annotations

import asyncio

from core import heap
from core.logging import configure_logging
from core.service_main import wait_for_stop_signal
from core.settings import get_settings
from core.tracing import configure_tracing
from eventbus.factory import create_bus
from eventbus.topics import declared
from services.refdata.events import TOPIC
from services.refdata.server import start_server

GRACE_S = 5.0


async def _serve() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    heap.tune_collector(settings.gc_thresholds)
    configure_tracing(settings, "refdata")
    host, _, port = settings.refdata_addr.rpartition(":")
    bus = create_bus(settings, client_id="refdata-service")
    await bus.start()
    await bus.ensure_topics([declared(TOPIC).spec(settings.env)])
    server, bound = await start_server(host, int(port), bus=bus, env=settings.env)
    print(f"refdata gRPC on {host}:{bound}", flush=True)
    heap.freeze_startup_heap()
    await wait_for_stop_signal()
    await server.stop(GRACE_S)
    await bus.stop()


def main() -> None:
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
