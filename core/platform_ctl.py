"""`orion up | down | ps`: the real profile's servers plus every platform process, supervised."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx

from core.processes import ProcessSpec, registry, selected
from core.settings import REPO_ROOT, Profile, Settings
from infra.local import manager, procs

READY_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class ProcessRow:
    name: str
    pid: int | None
    healthy: bool
    restarts: int


def real_settings() -> Settings:
    return Settings(profile=Profile.REAL)


def _supervisor_markers(settings: Settings) -> tuple[str, ...]:
    return ("core.supervisor", f"--home {settings.home.resolve()}")


def supervisor_pid(settings: Settings) -> int | None:
    return procs.owned_pid(settings.run_dir / "supervisor.pid", _supervisor_markers(settings))


def check_health(target: str | None, timeout_s: float = 2.0) -> bool:
    """http:// must answer 200; tcp://host:port must accept a connection; None is healthy."""
    if target is None:
        return True
    parsed = urlparse(target)
    try:
        if parsed.scheme == "tcp":
            with socket.create_connection((parsed.hostname or "", parsed.port or 0), timeout_s):
                return True
        return httpx.get(target, timeout=timeout_s).status_code == 200
    except (OSError, httpx.HTTPError):
        return False


def _state(settings: Settings) -> dict[str, dict[str, int | None]]:
    try:
        loaded: dict[str, dict[str, int | None]] = json.loads(
            (settings.run_dir / "supervisor.json").read_text()
        )
    except (OSError, ValueError):
        return {}
    return loaded


def _child_pid(settings: Settings, spec: ProcessSpec) -> int | None:
    return procs.owned_pid(settings.run_dir / f"{spec.name}.pid", (f"-m {spec.module}",))


def process_rows(settings: Settings) -> list[ProcessRow]:
    state = _state(settings)
    rows = []
    for spec in selected(settings):
        pid = _child_pid(settings, spec)
        healthy = pid is not None and check_health(spec.health)
        restarts = int(state.get(spec.name, {}).get("restarts") or 0)
        rows.append(ProcessRow(spec.name, pid, healthy, restarts))
    return rows


def format_processes(sup: int | None, rows: list[ProcessRow]) -> str:
    lines = [("PROCESS", "PID", "HEALTHY", "RESTARTS")]
    lines.append(("supervisor", str(sup or "-"), "yes" if sup else "no", "-"))
    lines += [
        (r.name, str(r.pid or "-"), "yes" if r.healthy else "no", str(r.restarts)) for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines
    )


def _spawn_supervisor(settings: Settings) -> int:
    env = {**os.environ, **manager.client_env(settings), "ORION_HOME": str(settings.home.resolve())}
    log = settings.log_dir / "supervisor.log"
    cmd = [sys.executable, "-m", "core.supervisor", "--home", str(settings.home.resolve())]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    procs.write_pid(settings.run_dir / "supervisor.pid", proc.pid)
    return proc.pid


def _wait_ready(settings: Settings, sup: int) -> list[str]:
    """Names of the processes still unhealthy when the deadline passed (empty when all ready)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    pending = [r.name for r in process_rows(settings) if not r.healthy]
    while pending and time.monotonic() < deadline and procs.alive(sup):
        time.sleep(0.5)
        pending = [r.name for r in process_rows(settings) if not r.healthy]
    return pending


def up() -> int:
    """Servers first, then the supervisor (detached); returns once every process is healthy."""
    settings = real_settings()
    try:
        selected(settings)
    except ValueError as exc:
        print(exc, file=sys.stderr, flush=True)
        return 2
    if (code := manager.up(settings)) != 0:
        return code
    sup = supervisor_pid(settings)
    if sup is None:
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        sup = _spawn_supervisor(settings)
        print(f"supervisor started (pid {sup}); logs in {settings.log_dir}", flush=True)
    pending = _wait_ready(settings, sup)
    print(format_processes(supervisor_pid(settings), process_rows(settings)), flush=True)
    if pending:
        if not procs.alive(sup):
            pending = ["supervisor", *pending]
        for name in pending:
            log = settings.log_dir / f"{name}.log"
            print(f"--- {name} is not healthy; last lines of {log} ---", file=sys.stderr)
            print(procs.log_tail(log), file=sys.stderr, flush=True)
        return 1
    print(f"Orion (real profile) on http://{settings.http_host}:{settings.http_port}", flush=True)
    return 0


def down() -> int:
    """Stop the supervisor (which stops its processes), any straggler by PID, then the servers."""
    settings = real_settings()
    sup = supervisor_pid(settings)
    if sup is not None:
        print(f"stopping supervisor (pid {sup}) and its processes ...", flush=True)
        procs.terminate(sup, timeout_s=30.0)
    (settings.run_dir / "supervisor.pid").unlink(missing_ok=True)
    for spec in registry(settings):
        if (pid := _child_pid(settings, spec)) is not None:
            procs.terminate(pid, timeout_s=10.0)
        (settings.run_dir / f"{spec.name}.pid").unlink(missing_ok=True)
    return manager.down(settings)


def ps() -> int:
    """Print the servers and the processes with their health; 0 only if everything is healthy."""
    settings = real_settings()
    servers = manager.status(settings)
    rows = process_rows(settings)
    sup = supervisor_pid(settings)
    print(manager.format_status(servers) + "\n\n" + format_processes(sup, rows), flush=True)
    healthy = all(s.healthy for s in servers) and sup is not None and all(r.healthy for r in rows)
    return 0 if healthy else 1
