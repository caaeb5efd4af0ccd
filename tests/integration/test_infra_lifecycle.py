"""`orion infra up|down|status` on a private ORION_HOME and private ports, as a user runs them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from infra.local import procs

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ORION = Path(sys.executable).parent / "orion"
OVERRIDES = ("ORION_KAFKA_BOOTSTRAP", "ORION_DATABASE_URL", "ORION_REDIS_URL", "ORION_HOME")


def _free_ports(count: int) -> list[int]:
    """Ports free right now, so concurrent runs by several engineers do not collide."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


@dataclass(frozen=True)
class Home:
    path: Path
    ports: dict[str, int]
    env: dict[str, str]


@pytest.fixture
def home() -> Iterator[Home]:
    """A throw-away ORION_HOME on private ports, readable by the `postgres` user (pytest's
    tmp_path is 0700), torn down with `orion down` even when a test failed half-way."""
    path = Path(tempfile.mkdtemp(prefix="orion-lifecycle-"))
    path.chmod(0o755)
    names = ("kafka", "kafka_controller", "postgres", "redis", "http", "refdata")
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    env = {k: v for k, v in os.environ.items() if k not in OVERRIDES}
    env |= {f"ORION_PORT_{n.upper()}": str(ports[n]) for n in names[:4]}
    env |= {
        "ORION_HOME": str(path),
        "ORION_HTTP_PORT": str(ports["http"]),
        "ORION_REFDATA_ADDR": f"127.0.0.1:{ports['refdata']}",
        # Two processes are enough to prove supervision, and they get private ports.
        "ORION_PROCESSES": "refdata,bff",
    }
    yield Home(path, ports, env)
    subprocess.run([str(ORION), "down"], env=env, capture_output=True, timeout=120, check=False)
    shutil.rmtree(path, ignore_errors=True)


def _orion(env: dict[str, str], *args: str, top: bool = False) -> subprocess.CompletedProcess[str]:
    cmd = [str(ORION), *args] if top else [str(ORION), "infra", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def _rows(output: str) -> dict[str, list[str]]:
    """The status table as {server: [endpoint, pid, healthy, owner]}."""
    lines = [line.split() for line in output.splitlines() if line.strip()]
    start = next(i for i, cols in enumerate(lines) if cols[0] == "SERVER")
    return {cols[0]: cols[1:] for cols in lines[start + 1 :]}


def _processes_mentioning(text: str) -> list[int]:
    pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    return [pid for pid in pids if any(text in arg for arg in procs.cmdline(pid) or [])]


def _assert_all_down(home: Home, pids: list[int]) -> None:
    status = _orion(home.env, "status")
    assert status.returncode == 1, status.stdout
    rows = _rows(status.stdout)
    assert all(row[1] == "-" and row[2] == "no" for row in rows.values()), status.stdout
    assert [pid for pid in pids if procs.cmdline(pid) is not None] == []
    assert _processes_mentioning(str(home.path)) == []


def test_up_twice_then_down_leaves_nothing_and_status_tells_the_truth(home: Home) -> None:
    env = home.env
    _assert_all_down(home, [])
    try:
        first = _orion(env, "up")
        assert first.returncode == 0, first.stdout + first.stderr
        rows = _rows(_orion(env, "status").stdout)
        assert set(rows) == {"kafka", "postgres", "redis"}
        assert all(row[2] == "yes" and row[3] == "ours" for row in rows.values()), rows
        assert [rows[name][0] for name in ("kafka", "postgres", "redis")] == [
            f"127.0.0.1:{home.ports[name]}" for name in ("kafka", "postgres", "redis")
        ]
        pids = [int(row[1]) for row in rows.values()]

        second = _orion(env, "up")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "nothing to start" in second.stdout
        assert [int(row[1]) for row in _rows(second.stdout).values()] == pids

        # `orion test` calls up() then down() in one process: re-used servers must survive it.
        code = "from infra.local import manager as m; assert m.up() == 0; assert m.down() == 0"
        reuse = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True
        )
        assert reuse.returncode == 0, reuse.stdout + reuse.stderr
        assert [int(row[1]) for row in _rows(_orion(env, "status").stdout).values()] == pids

        # Another home on the same ports (a second checkout) uses these servers, never stops them.
        other = tempfile.mkdtemp(prefix="orion-lifecycle-other-")
        try:
            other_env = {**env, "ORION_HOME": other}
            assert _orion(other_env, "up").returncode == 0
            rows = _rows(_orion(other_env, "status").stdout)
            assert all(row[1:4] == ["-", "yes", "foreign"] for row in rows.values()), rows
            assert _orion(other_env, "down").returncode == 0
        finally:
            shutil.rmtree(other, ignore_errors=True)
        assert [int(row[1]) for row in _rows(_orion(env, "status").stdout).values()] == pids
    finally:
        down = _orion(env, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    _assert_all_down(home, pids)


def test_failed_start_prints_the_log_tail_exits_non_zero_and_leaves_external_servers(
    home: Home, kafka_bootstrap: str, database_url: str
) -> None:
    """Kafka and Postgres are external (the shared ones); Redis's port is taken by a stranger."""
    env = {**home.env, "ORION_KAFKA_BOOTSTRAP": kafka_bootstrap, "ORION_DATABASE_URL": database_url}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", home.ports["redis"]))
        squatter.listen()
        result = _orion(env, "up")
    assert result.returncode != 0
    assert f"port {home.ports['redis']} is already in use" in result.stderr
    assert "last lines of" in result.stderr
    rows = _rows(_orion(env, "status").stdout)
    assert rows["kafka"][1:] == ["-", "yes", "external"]
    assert rows["postgres"][1:] == ["-", "yes", "external"]
    assert rows["redis"][1:3] == ["-", "no"]
    assert _processes_mentioning(str(home.path)) == []


def _platform_pids(env: dict[str, str]) -> dict[str, str]:
    lines = _orion(env, "ps", top=True).stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("PROCESS"))
    return {cols[0]: cols[1] for cols in (line.split() for line in lines[start + 1 :])}


def _wait_for(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_orion_up_supervises_restarts_a_crashed_process_and_down_stops_everything(
    home: Home,
) -> None:
    env = home.env
    try:
        first = _orion(env, "up", top=True)
        assert first.returncode == 0, first.stdout + first.stderr
        healthz = f"http://127.0.0.1:{home.ports['http']}/healthz"
        assert httpx.get(healthz, timeout=5).status_code == 200
        assert _orion(env, "ps", top=True).returncode == 0
        before = _platform_pids(env)
        os.kill(int(before["bff"]), signal.SIGKILL)
        assert _wait_for(
            lambda: (
                _platform_pids(env)["bff"] not in ("-", before["bff"])
                and _orion(env, "ps", top=True).returncode == 0
            ),
            60,
        ), _orion(env, "ps", top=True).stdout
        again = _orion(env, "up", top=True)
        assert again.returncode == 0, again.stdout + again.stderr
        after = _platform_pids(env)
        assert after["supervisor"] == before["supervisor"]
        assert after["refdata"] == before["refdata"]
        platform = [int(pid) for pid in after.values()]
    finally:
        down = _orion(env, "down", top=True)
    assert down.returncode == 0, down.stdout + down.stderr
    assert [pid for pid in platform if procs.cmdline(pid) is not None] == []
    assert _orion(env, "ps", top=True).returncode == 1
    _assert_all_down(home, [])
