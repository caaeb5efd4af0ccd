"""The detached supervisor behind `orion up`: runs each platform process, restarts crashes."""

from __future__ import annotations

import ctypes
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from core.processes import ProcessSpec, selected
from core.settings import REPO_ROOT, Settings
from infra.local.procs import rotate

PR_SET_PDEATHSIG = 1
STOP_GRACE_S = 10.0


@dataclass
class Backoff:
    """Restart delays that double on every quick crash and reset once a run was stable."""

    initial_s: float = 1.0
    max_s: float = 30.0
    stable_s: float = 30.0
    current_s: float = 0.0

    def next_delay(self, ran_for_s: float) -> float:
        if ran_for_s >= self.stable_s:
            self.current_s = 0.0
        self.current_s = (
            self.initial_s if self.current_s == 0 else min(2 * self.current_s, self.max_s)
        )
        return self.current_s


@dataclass
class Child:
    spec: ProcessSpec
    backoff: Backoff = field(default_factory=Backoff)
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    start_at: float = 0.0  # when the next (re)start is due while `proc` is None
    restarts: int = 0
    last_exit: int | None = None


def _die_with_parent() -> None:
    """Runs in the child before exec: if the supervisor dies (even SIGKILL), so does the child."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


Spawner = Callable[[ProcessSpec, Path], "subprocess.Popen[bytes]"]


def spawn(spec: ProcessSpec, log_path: Path) -> subprocess.Popen[bytes]:
    rotate(log_path)
    with log_path.open("ab") as log:
        log.write(f"\n=== orion supervisor: starting {spec.name} ===\n".encode())
        log.flush()
        return subprocess.Popen(
            [sys.executable, "-m", spec.module],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # safe here: the supervisor is single-threaded
        )


class Supervisor:
    """Keeps every registered process running; `tick()` is one pass of the control loop."""

    def __init__(
        self,
        specs: Sequence[ProcessSpec],
        run_dir: Path,
        log_dir: Path,
        spawner: Spawner = spawn,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = [Child(spec) for spec in specs]
        self.run_dir, self.log_dir = run_dir, log_dir
        self.spawner, self.clock = spawner, clock

    def tick(self) -> None:
        now = self.clock()
        changed = False
        for child in self.children:
            if child.proc is not None and (code := child.proc.poll()) is not None:
                self._exited(child, code, now)
                changed = True
            if child.proc is None and now >= child.start_at:
                self._start(child, now)
                changed = True
        if changed:
            self.write_state()

    def _start(self, child: Child, now: float) -> None:
        child.proc = self.spawner(child.spec, self.log_dir / f"{child.spec.name}.log")
        child.started_at = now
        (self.run_dir / f"{child.spec.name}.pid").write_text(f"{child.proc.pid}\n")

    def _exited(self, child: Child, code: int, now: float) -> None:
        delay = child.backoff.next_delay(now - child.started_at)
        child.proc, child.last_exit = None, code
        child.start_at = now + delay
        child.restarts += 1
        (self.run_dir / f"{child.spec.name}.pid").unlink(missing_ok=True)
        print(f"{child.spec.name} exited with {code}; restarting in {delay:.0f}s", flush=True)

    def stop_all(self) -> None:
        """SIGTERM every child, wait for them together, SIGKILL the stragglers."""
        running = [c.proc for c in self.children if c.proc is not None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for child in self.children:
            child.proc = None
            (self.run_dir / f"{child.spec.name}.pid").unlink(missing_ok=True)
        self.write_state()

    def state(self) -> dict[str, dict[str, int | None]]:
        return {
            c.spec.name: {
                "pid": c.proc.pid if c.proc else None,
                "restarts": c.restarts,
                "last_exit": c.last_exit,
            }
            for c in self.children
        }

    def write_state(self) -> None:
        path = self.run_dir / "supervisor.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state()))
        tmp.replace(path)


def run(settings: Settings) -> int:
    """The supervisor process's main loop, until SIGTERM or SIGINT."""
    stopping: list[int] = []

    def request_stop(signum: int, _: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    supervisor = Supervisor(selected(settings), settings.run_dir, settings.log_dir)
    print(f"supervising {[c.spec.name for c in supervisor.children]}", flush=True)
    while not stopping:
        supervisor.tick()
        time.sleep(0.2)
    print(f"signal {stopping[0]}: stopping every process", flush=True)
    supervisor.stop_all()
    (settings.run_dir / "supervisor.pid").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    # argv carries `--home <ORION_HOME>` only so /proc/<pid>/cmdline identifies this home.
    sys.exit(run(Settings()))
