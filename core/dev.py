"""The embedded profile: every component in one process, state under ORION_HOME, no servers."""

from __future__ import annotations

import sys

from core import heap
from core.logging import configure_logging
from core.settings import Settings


def run_embedded(settings: Settings, port: int) -> None:
    """`orion dev`: compose and serve the whole platform (core.platform), exit with its code."""
    from core.platform.run import run_embedded as run

    configure_logging(settings.log_level, settings.log_json)
    heap.tune_collector(settings.gc_thresholds)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    code = run(settings, port)
    if code:
        sys.exit(code)
