"""`python -m services.marketdata`: simulated ingest + snapshot projector + gRPC snapshot."""

from __future__ import annotations

import asyncio

from prometheus_client import start_http_server

from core import service_main
from core.settings import get_settings
from services.marketdata.bootstrap import MarketDataProcess, RunOptions


async def serve(options: RunOptions) -> None:
    settings = get_settings()
    if settings.marketdata_metrics_port:
        # Ingest counters (ticks in / dropped by reason / late, stale instruments, queue).
        start_http_server(settings.marketdata_metrics_port, addr="127.0.0.1")
    await service_main.serve(
        lambda s: MarketDataProcess(s, options),
        lambda _process, _started: (
            f"marketdata: source={options.source} grpc={settings.marketdata_addr}"
        ),
    )


def main() -> None:
    asyncio.run(serve(RunOptions()))


if __name__ == "__main__":
    main()
