"""The supervisor restarts crashed processes with growing backoff and stops them all on request."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.platform_ctl import ProcessRow, check_health, format_processes
from core.processes import ProcessSpec, registry, selected
from core.settings import Settings
from core.supervisor import Backoff, Supervisor


def test_backoff_doubles_on_quick_crashes_caps_and_resets_after_a_stable_run() -> None:
    backoff = Backoff(initial_s=1, max_s=8, stable_s=30)
    assert [backoff.next_delay(0.5) for _ in range(5)] == [1, 2, 4, 8, 8]
    assert backoff.next_delay(31) == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Sleeper:
    """Spawns a real, harmless child per start so poll() and pidfiles behave as in production."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def __call__(self, spec: ProcessSpec, log_path: Path) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        self.started.append(proc)
        return proc


@pytest.fixture
def rig(tmp_path: Path) -> tuple[Supervisor, Sleeper, FakeClock]:
    clock, sleeper = FakeClock(), Sleeper()
    specs = [ProcessSpec("a", "mod.a"), ProcessSpec("b", "mod.b")]
    sup = Supervisor(specs, tmp_path, tmp_path, spawner=sleeper, clock=clock)
    return sup, sleeper, clock


def _crash(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait(5)


def test_every_process_starts_on_the_first_tick_with_a_pidfile(
    rig: tuple[Supervisor, Sleeper, FakeClock], tmp_path: Path
) -> None:
    sup, sleeper, _ = rig
    sup.tick()
    try:
        assert len(sleeper.started) == 2
        assert (tmp_path / "a.pid").read_text().strip() == str(sleeper.started[0].pid)
        state = json.loads((tmp_path / "supervisor.json").read_text())
        assert state["b"] == {"pid": sleeper.started[1].pid, "restarts": 0, "last_exit": None}
    finally:
        sup.stop_all()


def test_a_crashed_process_is_restarted_after_its_backoff_delay(
    rig: tuple[Supervisor, Sleeper, FakeClock], tmp_path: Path
) -> None:
    sup, sleeper, clock = rig
    sup.tick()
    try:
        _crash(sleeper.started[0])
        sup.tick()
        assert not (tmp_path / "a.pid").exists()
        assert len(sleeper.started) == 2  # not yet: the 1 s backoff is pending
        clock.now += 1.0
        sup.tick()
        assert len(sleeper.started) == 3
        _crash(sleeper.started[2])
        clock.now += 0.5
        sup.tick()
        clock.now += 1.5
        sup.tick()
        assert len(sleeper.started) == 3  # second quick crash: 2 s delay
        clock.now += 0.5
        sup.tick()
        assert len(sleeper.started) == 4
        assert sup.state()["a"]["restarts"] == 2
        assert sup.state()["a"]["last_exit"] == -9
        assert sup.state()["b"]["restarts"] == 0
    finally:
        sup.stop_all()


def test_stop_all_terminates_every_child_and_removes_pidfiles(
    rig: tuple[Supervisor, Sleeper, FakeClock], tmp_path: Path
) -> None:
    sup, sleeper, _ = rig
    sup.tick()
    sup.stop_all()
    assert all(proc.poll() is not None for proc in sleeper.started)
    assert list(tmp_path.glob("*.pid")) == []
    assert all(entry["pid"] is None for entry in sup.state().values())


def test_registry_derives_health_targets_from_settings(tmp_path: Path) -> None:
    specs = {s.name: s for s in registry(Settings(home=tmp_path, http_port=18001))}
    assert specs["bff"].module == "bff"
    assert specs["bff"].health == "http://127.0.0.1:18001/healthz"
    assert specs["refdata"].health is not None
    assert specs["refdata"].health.startswith("tcp://")


def test_health_targets_none_is_healthy_and_a_closed_port_is_not() -> None:
    assert check_health(None)
    assert not check_health("tcp://127.0.0.1:1", timeout_s=0.5)
    assert not check_health("http://127.0.0.1:1/healthz", timeout_s=0.5)


def test_process_table_lists_the_supervisor_then_each_process() -> None:
    text = format_processes(7, [ProcessRow("bff", None, False, 3)])
    assert [line.split() for line in text.splitlines()] == [
        ["PROCESS", "PID", "HEALTHY", "RESTARTS"],
        ["supervisor", "7", "yes", "-"],
        ["bff", "-", "no", "3"],
    ]


def test_orion_processes_narrows_the_registry_and_refuses_unknown_names(tmp_path: Path) -> None:
    assert selected(Settings(home=tmp_path)) == registry(Settings(home=tmp_path))
    narrowed = selected(Settings(home=tmp_path, processes="bff, refdata"))
    assert [spec.name for spec in narrowed] == ["refdata", "bff"]  # registry order is kept
    with pytest.raises(ValueError, match="nope"):
        selected(Settings(home=tmp_path, processes="bff,nope"))
