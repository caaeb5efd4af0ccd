"""`python -m bff`: serve the BFF (uvicorn + uvloop) with the configured profile."""

from __future__ import annotations

import logging

import uvicorn

from bff.app import BffConfig, create_app
from core.health import HealthRegistry
from core.logging import configure_logging
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
    logging.getLogger("uvicorn.error").addFilter(_DropDisconnectNoise())
    config = BffConfig.from_settings(settings)
    app = create_app(HealthRegistry(), config)
    print(f"Orion BFF on http://{settings.http_host}:{settings.http_port}", flush=True)
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
