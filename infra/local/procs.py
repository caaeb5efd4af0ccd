"""OS process helpers: pidfiles, ownership checks via /proc, kill sequences, ports and log tails."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path


def read_pid(pidfile: Path) -> int | None:
    """The PID in a pidfile (first line), or None when absent or unreadable."""
    try:
        first = pidfile.read_text().splitlines()[0].strip()
    except (OSError, IndexError):
        return None
    return int(first) if first.isdigit() else None


def write_pid(pidfile: Path, pid: int) -> None:
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    tmp = pidfile.with_suffix(".tmp")
    tmp.write_text(f"{pid}\n")
    tmp.replace(pidfile)


def cmdline(pid: int) -> list[str] | None:
    """The argv of a live process, or None if it is gone (zombies count as gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None
    if state == "Z" or not raw:
        return None
    return [part.decode(errors="replace") for part in raw.rstrip(b"\0").split(b"\0")]


def is_ours(pid: int | None, markers: tuple[str, ...]) -> bool:
    """True if `pid` is alive and its command line contains every marker.

    Pidfiles outlive their processes and PIDs get recycled: the markers (a binary name plus a
    path unique to this ORION_HOME) make sure we never signal someone else's process.
    """
    if pid is None or pid <= 0:
        return False
    argv = cmdline(pid)
    if argv is None:
        return False
    joined = " ".join(argv)
    return all(marker in joined for marker in markers)


def owned_pid(pidfile: Path, markers: tuple[str, ...]) -> int | None:
    pid = read_pid(pidfile)
    return pid if pid is not None and is_ours(pid, markers) else None


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (unlike `cmdline`, true even mid-exec)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _reap(pid: int) -> None:
    """Collect the exit status if `pid` is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _reap(pid)
        if not alive(pid):
            return True
        time.sleep(0.1)
    _reap(pid)
    return not alive(pid)


def terminate(pid: int, timeout_s: float = 20.0, first: signal.Signals = signal.SIGTERM) -> bool:
    """Send `first` (SIGTERM by default), wait up to `timeout_s`, then SIGKILL. True if gone."""
    try:
        os.kill(pid, first)
    except ProcessLookupError:
        return True
    if wait_gone(pid, timeout_s):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return wait_gone(pid, 5.0)


def port_open(port: int, host: str = "127.0.0.1", timeout_s: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout_s):
        return True
    return False


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def rotate(log: Path, max_bytes: int = 64 * 1024 * 1024) -> None:
    """Before a (re)start: move a log past `max_bytes` to `<name>.1` (one generation kept)."""
    with contextlib.suppress(OSError):
        if log.stat().st_size > max_bytes:
            log.replace(log.with_name(log.name + ".1"))
