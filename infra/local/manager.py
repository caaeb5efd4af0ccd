"""Start, stop and report the local Kafka, PostgreSQL and Redis of one ORION_HOME."""

from __future__ import annotations

import fcntl
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from core.settings import Profile, Settings
from infra.local import procs
from infra.local.base import LocalServer, ServerStatus
from infra.local.kafka_server import KafkaServer
from infra.local.layout import Layout
from infra.local.postgres_server import PostgresServer
from infra.local.redis_server import RedisServer

# Servers started by `up()` in *this* process. `down()` in the same process (e.g. `orion test`)
# stops only those, so a suite run never tears down the shared instance it merely re-used.
# A fresh process (`orion infra down`) has no record and stops every server of its home.
_started_here: set[str] | None = None


def servers(settings: Settings | None = None) -> list[LocalServer]:
    settings = settings or Settings()
    layout = Layout.from_settings(settings)
    return [
        KafkaServer(layout, settings.kafka_bootstrap),
        PostgresServer(layout, settings.database_url),
        RedisServer(layout, settings.redis_url),
    ]


@contextmanager
def _home_lock(settings: Settings) -> Iterator[None]:
    """Serialise up/down per ORION_HOME: two engineers typing `up` at once start one set."""
    layout = Layout.from_settings(settings)
    layout.ensure_dirs()
    with (layout.run_dir / "infra.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _needs_start(server: LocalServer) -> bool:
    if server.external:
        return False
    if server.pid() is not None:
        return not server.safe_probe()
    if server.foreign():
        print(
            f"{server.name}: {server.endpoint()} is served by a process this home did not start;"
            " using it",
            flush=True,
        )
        return False
    return True


def _launch(server: LocalServer) -> None:
    if server.pid() is None and procs.port_open(server.port):
        raise server.failure(f"port {server.port} is already in use by a process that is not ours")
    print(f"starting {server.name} on {server.endpoint()} ...", flush=True)
    server.launch()


def _await_ready(server: LocalServer) -> None:
    started = time.monotonic()
    while time.monotonic() - started < server.ready_timeout_s:
        pid = server.pid()
        if pid is not None and server.safe_probe():
            server.after_ready()
            print(
                f"{server.name} ready in {time.monotonic() - started:.1f}s (pid {pid})", flush=True
            )
            return
        if pid is None and time.monotonic() - started > 5.0:
            raise server.failure("the process exited during start-up")
        time.sleep(0.25)
    raise server.failure(f"not ready after {server.ready_timeout_s:.0f}s")


def _start_all(todo: list[LocalServer], launched: list[LocalServer]) -> None:
    # Kafka's JVM is the slow one: launch everything first, then wait, so start-ups overlap.
    for server in todo:
        # A live but silent instance of ours is still starting (or recovering): wait for it.
        if server.pid() is None:
            _launch(server)
            launched.append(server)
    for server in todo:
        _await_ready(server)


def up(settings: Settings | None = None) -> int:
    """Start whatever is not running yet (idempotent), wait for readiness, print the status."""
    global _started_here
    settings = settings or Settings()
    with _home_lock(settings):
        todo = [s for s in servers(settings) if _needs_start(s)]
        launched: list[LocalServer] = []
        try:
            _start_all(todo, launched)
        except Exception as exc:
            print(f"infra up failed: {exc}", file=sys.stderr, flush=True)
            for server in launched:
                server.stop()
            return 1
        _started_here = (_started_here or set()) | {s.name for s in launched}
        if not todo:
            print("already running; nothing to start", flush=True)
    rows = status(settings)
    print(format_status(rows), flush=True)
    return 0 if all(r.healthy for r in rows) else 1


def down(settings: Settings | None = None) -> int:
    """Stop our servers by PID (never external ones); in-process, only what `up` started here."""
    global _started_here
    settings = settings or Settings()
    failed: list[str] = []
    with _home_lock(settings):
        for server in reversed(servers(settings)):
            if server.external:
                continue
            if _started_here is not None and server.name not in _started_here:
                continue
            pid = server.pid()
            if pid is not None:
                print(f"stopping {server.name} (pid {pid}) ...", flush=True)
            if not server.stop():
                failed.append(server.name)
    _started_here = None
    for name in failed:
        print(f"{name} did not stop", file=sys.stderr, flush=True)
    return 1 if failed else 0


def status(settings: Settings | None = None) -> list[ServerStatus]:
    return [server.status() for server in servers(settings)]


def format_status(rows: list[ServerStatus]) -> str:
    header = ("SERVER", "ENDPOINT", "PID", "HEALTHY", "OWNER", "DETAIL")
    lines = [header] + [
        (
            r.name,
            r.endpoint,
            str(r.pid or "-"),
            "yes" if r.healthy else "no",
            r.ownership.value,
            r.detail,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def client_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment that points a client process at these servers (the real profile)."""
    settings = settings or Settings()
    real = settings.model_copy(update={"profile": Profile.REAL})
    return {
        "ORION_PROFILE": "real",
        "ORION_KAFKA_BOOTSTRAP": real.effective_kafka_bootstrap(),
        "ORION_DATABASE_URL": real.effective_database_url(),
        "ORION_REDIS_URL": real.effective_redis_url(),
    }
