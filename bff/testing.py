"""Run the BFF and the refdata service in-process on free ports (integration, e2e, load)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from grpc import aio

from bff.app import BffConfig, create_app
from core.health import HealthRegistry
from services.refdata.server import start_server
from services.refdata.store import RefDataStore

START_TIMEOUT_S = 10.0


@contextlib.asynccontextmanager
async def running_refdata(
    port: int = 0, store: RefDataStore | None = None
) -> AsyncIterator[tuple[aio.Server, int]]:
    server, bound = await start_server("127.0.0.1", port, store=store)
    try:
        yield server, bound
    finally:
        await server.stop(0.5)


@contextlib.asynccontextmanager
async def running_bff(
    config: BffConfig, health: HealthRegistry | None = None
) -> AsyncIterator[str]:
    """Serve the app with uvicorn on 127.0.0.1:0; yields the base URL; stops it on exit."""
    app = create_app(health or HealthRegistry(), config)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_config=None,
            access_log=False,
            lifespan="on",
            ws_max_size=config.limits.max_ws_message_bytes,
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while not server.started:
                if task.done():
                    raise RuntimeError("the BFF failed to start") from task.exception()
                await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, START_TIMEOUT_S)
