"""`python -m bff.streaming [port] [--no-auth] [--workers N]`: streaming server on 127.0.0.1."""

from __future__ import annotations

import os
import sys

import uvicorn

from bff.streaming.standalone import NO_AUTH_ENV
from core.logging import configure_logging
from core.settings import get_settings


def main() -> None:
    args = sys.argv[1:]
    port = int(next((a for a in args if a.isdigit()), "8010"))
    workers = int(args[args.index("--workers") + 1]) if "--workers" in args else 1
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    if "--no-auth" in args:
        os.environ[NO_AUTH_ENV] = "1"
    # A large backlog: thousands of sessions (re)connect at once after a restart.
    uvicorn.run(
        "bff.streaming.standalone:app_factory",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        backlog=8192,
        workers=workers,
        # uvicorn kills a worker that misses its 5 s health ping; a worker flushing thousands
        # of sessions on a saturated machine is busy, not hung (workers were killed mid-run).
        timeout_worker_healthcheck=30,
    )


if __name__ == "__main__":
    main()
