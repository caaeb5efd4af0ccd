"""`python -m services.marketdata`: simulated ingest + snapshot projector + gRPC snapshot."""

from __future__ import annotations

import asyncio
import signal

from prometheus_client import start_http_server

from core.logging import configure_logging
from core.settings import get_settings
from services.marketdata.bootstrap import MarketDataProcess, RunOptions


async def serve(options: RunOptions) -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    if settings.marketdata_metrics_port:
        # Ingest counters (ticks in / dropped by reason / late, stale instruments, queue).
        start_http_server(settings.marketdata_metrics_port, addr="127.0.0.1")
    process = MarketDataProcess(settings, options)
    await process.start()
    print(f"marketdata: source={options.source} grpc={settings.marketdata_addr}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await process.stop()


def main() -> None:
    asyncio.run(serve(RunOptions()))


if __name__ == "__main__":
    main()
