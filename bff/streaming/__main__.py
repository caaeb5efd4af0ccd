"""`python -m bff.streaming [port] [--no-auth]`: the standalone streaming server on 127.0.0.1."""

from __future__ import annotations

import sys

import uvicorn

from bff.streaming.standalone import build
from core.logging import configure_logging
from core.settings import get_settings


def main() -> None:
    args = sys.argv[1:]
    port = int(next((a for a in args if a.isdigit()), "8010"))
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    server = build(settings, auth="--no-auth" not in args, export_metrics=True)
    # A large backlog: thousands of sessions (re)connect at once after a restart.
    uvicorn.run(server.app(), host="127.0.0.1", port=port, log_level="warning", backlog=8192)


if __name__ == "__main__":
    main()
