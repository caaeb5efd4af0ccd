"""CPU seconds used by the local Postgres and Kafka servers (from /proc), for CPU-per-event reports.

The servers are shared with whatever else runs on the box, so the numbers are an upper bound for
the benchmark's own share; on a quiet box they are the benchmark's cost.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.settings import REPO_ROOT

_RUN = REPO_ROOT / ".orion"
_TICKS = os.sysconf("SC_CLK_TCK")


def server_pids() -> dict[str, int]:
    """The postmaster and the Kafka broker started by `orion infra up` (missing ones left out)."""
    found: dict[str, int] = {}
    for name, pidfile in (
        ("postgres", _RUN / "data" / "postgres" / "postmaster.pid"),
        ("kafka", _RUN / "run" / "kafka.pid"),
    ):
        try:
            found[name] = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return found


def _stat(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()  # fields after "pid (comm)"


def process_tree_cpu_s(pid: int) -> float:
    """utime+stime of `pid`, of its reaped children (cutime+cstime) and of its live children:
    a Postgres backend that exits between two samples moves from the last term to the second."""
    try:
        fields = _stat(pid)
    except OSError:
        return 0.0
    ticks = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = _stat(int(entry.name))
        except OSError:
            continue
        if int(child[1]) == pid:
            ticks += int(child[11]) + int(child[12])
    return ticks / _TICKS


def server_cpu_s() -> dict[str, float]:
    return {name: process_tree_cpu_s(pid) for name, pid in server_pids().items()}


def since(before: dict[str, float]) -> dict[str, float]:
    """CPU seconds each server used since `before` (a `server_cpu_s()` sample)."""
    now = server_cpu_s()
    return {name: round(now[name] - before.get(name, 0.0), 2) for name in now}
