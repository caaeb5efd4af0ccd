"""The shared `python -m services.<name>` loop: start, serve until SIGTERM or SIGINT, stop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Protocol, TypeVar

from core import heap
from core.logging import configure_logging
from core.settings import Settings, get_settings


class ServiceProcess(Protocol):
    async def start(self) -> object: ...

    async def stop(self) -> None: ...


P = TypeVar("P", bound=ServiceProcess)


async def wait_for_stop_signal() -> None:
    """Return once SIGTERM or SIGINT arrives; the caller then drains in its own order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve(build: Callable[[Settings], P], banner: Callable[[P, object], str]) -> None:
    """Configure logging, start the process, print its banner, run until signalled, stop it."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    heap.tune_collector(settings.gc_thresholds)
    process = build(settings)
    started = await process.start()
    heap.freeze_startup_heap()
    print(banner(process, started), flush=True)
    await wait_for_stop_signal()
    await process.stop()


def run(build: Callable[[Settings], P], banner: Callable[[P, object], str]) -> None:
    asyncio.run(serve(build, banner))
