"""Runs the embedded platform in one asyncio loop: components, then uvicorn, then the reverse."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Generator

import uvicorn

from bff.auth import Role
from core import heap
from core.platform import ports
from core.platform.embedded import EmbeddedPlatform, compose
from core.settings import Settings
from services.identity.seed import TENANTS, demo_password, demo_username

log = logging.getLogger("orion.platform")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: this loop owns SIGTERM/SIGINT, so components
    stop after the HTTP server, and no signal is re-raised halfway through the shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class _DropDisconnectNoise(logging.Filter):
    """uvicorn logs a traceback for every client WebSocket disconnect: an event, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            return "Disconnect" not in record.exc_info[0].__name__
        return True


def banner(settings: Settings, port: int, web_served: bool, issuer: str) -> str:
    base = f"http://{settings.http_host}:{port}"
    web = f"{base}/" if web_served else "(not built: npm --prefix bff/web run build)"
    logins = ", ".join(
        f"{demo_username(role, tenant)} / {demo_password(role)}"
        for tenant in TENANTS
        for role in (Role.TRADER, Role.SALES, Role.ADMIN)
    )
    return "\n".join(
        [
            f"Orion (embedded profile) on {base}",
            f"  workstation  {web}",
            f"  GraphQL      {base}/graphql/workstation  (admin, analytics alike)",
            f"  health       {base}/healthz",
            f"  OIDC issuer  {issuer}",
            f"  demo logins  {logins}  (every role: <role>@<tenant> / <role>-demo)",
        ]
    )


async def serve(settings: Settings, port: int) -> int:
    """Boot, serve until SIGTERM/SIGINT, stop everything in reverse order; returns an exit code."""
    stop = asyncio.Event()
    server: _Server | None = None

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set() and sig is signal.SIGINT and server is not None:
            server.force_exit = True  # a second Ctrl-C: do not wait for open connections
        stop.set()
        if server is not None:
            server.should_exit = True

    if not ports.bindable(settings.http_host, port):
        print(f"orion dev: {settings.http_host}:{port} is in use (set ORION_HTTP_PORT or --port)")
        return 1
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    embedded = compose(settings, port)
    try:
        if not await _start(embedded, stop):
            return 0
        app, web_served = embedded.build_app()
        heap.freeze_startup_heap()
        server = _Server(_uvicorn_config(app, settings, port))
        return await _serve_http(
            server, stop, banner(settings, port, web_served, _issuer(embedded))
        )
    finally:
        await embedded.platform.stop()
        log.info("orion dev stopped")


async def _start(embedded: EmbeddedPlatform, stop: asyncio.Event) -> bool:
    """Start the components; a signal during boot cancels it (started ones are stopped)."""
    starting = asyncio.create_task(embedded.platform.start())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([starting, stopping], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if starting.done():
        starting.result()  # a component that failed to start fails the boot, loudly
        return not stop.is_set()
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await starting
    return False


def _issuer(embedded: EmbeddedPlatform) -> str:
    return embedded.identity.config.issuer


def _uvicorn_config(app: object, settings: Settings, port: int) -> uvicorn.Config:
    logging.getLogger("uvicorn.error").addFilter(_DropDisconnectNoise())
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=settings.http_host,
        port=port,
        ws_ping_interval=None,  # graphql-transport-ws sessions ping on their own
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )


async def _guarded(server: _Server) -> int:
    """uvicorn calls sys.exit when it cannot bind; caught here, inside the task, because a
    SystemExit escaping a task stops the loop before the components could be stopped."""
    try:
        await server.serve()
    except SystemExit as exc:
        return int(exc.code or 1)
    return 0


async def _serve_http(server: _Server, stop: asyncio.Event, text: str) -> int:
    serving = asyncio.create_task(_guarded(server))
    # uvicorn exposes only a `started` flag, no event to wait on.
    while not server.started and not serving.done():  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    if server.started:
        print(text, flush=True)
    code = await serving
    return code if code or stop.is_set() or server.started else 1


def run_embedded(settings: Settings, port: int) -> int:
    return asyncio.run(serve(settings, port))
