"""`python -m bff`: serve the BFF (uvicorn + uvloop) with the configured profile."""

from __future__ import annotations

import logging

import uvicorn

from bff.app import BffConfig
from core import heap
from core.health import HealthRegistry
from core.logging import configure_logging
from core.platform.real import build_app
from core.settings import get_settings


class _DropDisconnectNoise(logging.Filter):
    """uvicorn logs a traceback for every client WebSocket disconnect: an event, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            return "Disconnect" not in record.exc_info[0].__name__
        return True


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    heap.tune_collector(settings.gc_thresholds)
    logging.getLogger("uvicorn.error").addFilter(_DropDisconnectNoise())
    config = BffConfig.from_settings(settings)
    # The hub's route and the workstation UI too, exactly as `orion dev` serves them.
    app, web = build_app(settings, HealthRegistry(), config)
    base = f"http://{settings.http_host}:{settings.http_port}"
    ui = f"{base}/" if web else "not built (npm --prefix bff/web run build)"
    print(f"Orion BFF on {base}; workstation {ui}; market data {base}/graphql/stream", flush=True)
    heap.freeze_startup_heap()  # before uvicorn: what its start-up adds is small and young
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        ws_max_size=config.limits.max_ws_message_bytes,
        ws_ping_interval=None,  # the graphql-transport-ws ping/pong of each session does this
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
