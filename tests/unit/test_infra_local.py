"""Pure logic of the local-server manager: pidfiles, ownership, configs, URLs, status table."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import LocalPorts, Settings
from infra.local import manager, procs
from infra.local.base import LocalServer, Ownership, ServerStatus
from infra.local.kafka_server import KafkaServer, kafka_version, new_cluster_id
from infra.local.layout import Layout, shared_cache_dir
from infra.local.postgres_server import PostgresServer, asyncpg_dsn, find_bindir
from infra.local.redis_server import RedisServer

OVERRIDES = ("ORION_KAFKA_BOOTSTRAP", "ORION_DATABASE_URL", "ORION_REDIS_URL", "ORION_PROFILE")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)


def _layout(tmp_path: Path) -> Layout:
    ports = LocalPorts(kafka=1092, kafka_controller=1093, postgres=1432, redis=1379)
    return Layout(home=tmp_path, cache=tmp_path / "cache", ports=ports)


def test_pidfile_round_trip_and_garbage_reads_as_none(tmp_path: Path) -> None:
    pidfile = tmp_path / "run" / "x.pid"
    assert procs.read_pid(pidfile) is None
    procs.write_pid(pidfile, 4242)
    assert procs.read_pid(pidfile) == 4242
    pidfile.write_text("not-a-pid\n")
    assert procs.read_pid(pidfile) is None


def test_a_live_pid_is_ours_only_when_its_cmdline_has_every_marker() -> None:
    code = "import time; print(1, flush=True); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", code, "marker-xyz"], stdout=subprocess.PIPE)
    assert child.stdout is not None
    assert child.stdout.readline()  # exec'd: /proc shows the new command line
    try:
        assert procs.is_ours(child.pid, ("-c", "marker-xyz"))
        assert not procs.is_ours(child.pid, ("marker-xyz", "some-other-home"))
    finally:
        assert procs.terminate(child.pid, timeout_s=5)
    assert not procs.is_ours(child.pid, ("marker-xyz",))
    assert not procs.is_ours(None, ("marker-xyz",))


def test_alive_is_false_for_zombies_and_missing_pids() -> None:
    assert procs.alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while procs.alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # exited but not reaped yet: a zombie
    assert not procs.alive(child.pid)
    child.wait()
    assert not procs.alive(child.pid)


def test_terminate_escalates_to_sigkill_when_sigterm_is_ignored() -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print(1, flush=True); time.sleep(30)"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert child.stdout is not None
    assert child.stdout.readline()  # the SIGTERM handler is installed
    started = time.monotonic()
    assert procs.terminate(child.pid, timeout_s=0.5)
    assert time.monotonic() - started >= 0.5  # SIGTERM alone did not do it
    assert procs.cmdline(child.pid) is None


def test_log_tail_returns_the_last_lines_or_says_there_is_no_log(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("\n".join(f"line {i}" for i in range(100)))
    assert procs.log_tail(log, 2) == "line 98\nline 99"
    assert "no log" in procs.log_tail(tmp_path / "missing.log")


def test_a_log_past_its_limit_is_rotated_once_before_a_start(tmp_path: Path) -> None:
    log = tmp_path / "kafka.log"
    procs.rotate(log, max_bytes=10)  # no log yet: nothing to do
    log.write_text("small")
    procs.rotate(log, max_bytes=10)
    assert log.read_text() == "small"
    log.write_text("x" * 11)
    procs.rotate(log, max_bytes=10)
    assert not log.exists()
    assert (tmp_path / "kafka.log.1").read_text() == "x" * 11


def test_kafka_config_binds_loopback_on_the_configured_ports(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    layout.ensure_dirs()
    kafka = KafkaServer(layout)
    kafka.write_config()
    props = dict(
        line.split("=", 1)
        for line in kafka.properties.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:1092,CONTROLLER://127.0.0.1:1093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:1093"
    assert props["log.dirs"] == str(tmp_path / "data" / "kafka")
    assert props["offsets.topic.replication.factor"] == "1"
    assert kafka.markers() == ("kafka.Kafka", str(kafka.properties))


def test_kafka_dumps_a_class_archive_once_and_later_starts_load_it(tmp_path: Path) -> None:
    kafka = KafkaServer(_layout(tmp_path))
    shared, partial = kafka.cds_archives()
    assert shared.parent == partial.parent == tmp_path / "cache" / f"kafka-{kafka_version()}"
    assert f"-XX:ArchiveClassesAtExit={partial}" in kafka._cds_opts()
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"archive")  # what the JVM leaves behind at exit
    assert kafka.stop()  # nothing running: the dump is complete, promote it
    assert shared.read_bytes() == b"archive"
    assert not partial.exists()
    assert f"-XX:SharedArchiveFile={shared}" in kafka._cds_opts()
    other_home = KafkaServer(Layout(tmp_path / "other", tmp_path / "cache", kafka.layout.ports))
    assert other_home.cds_archives()[0] == shared
    assert other_home.cds_archives()[1] != partial


def test_kafka_version_is_pinned_and_cluster_ids_are_22_char_base64() -> None:
    assert kafka_version().startswith("4.")
    ids = {new_cluster_id() for _ in range(10)}
    assert len(ids) == 10
    assert all(len(i) == 22 and "=" not in i for i in ids)


def test_cache_is_shared_across_homes_unless_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORION_CACHE_DIR", raising=False)
    assert shared_cache_dir().parts[-2:] == (".orion", "cache")
    monkeypatch.setenv("ORION_CACHE_DIR", "/somewhere/cache")
    assert shared_cache_dir() == Path("/somewhere/cache")


def test_sqlalchemy_urls_become_asyncpg_dsns() -> None:
    url = "postgresql+asyncpg://orion@127.0.0.1:15432/orion"
    assert asyncpg_dsn(url) == "postgresql://orion@127.0.0.1:15432/orion"
    assert asyncpg_dsn("postgresql://a@b/c") == "postgresql://a@b/c"


def test_external_urls_make_servers_external_with_their_endpoints(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    pg = PostgresServer(layout, "postgresql+asyncpg://u@db.example:5433/x")
    redis = RedisServer(layout, "redis://cache.example:6380/0")
    kafka = KafkaServer(layout, "broker.example:9092")
    assert [s.external for s in (pg, redis, kafka)] == [True, True, True]
    assert [s.endpoint() for s in (pg, redis, kafka)] == [
        "db.example:5433",
        "cache.example:6380",
        "broker.example:9092",
    ]
    assert not PostgresServer(layout).external
    assert PostgresServer(layout).endpoint() == "127.0.0.1:1432"


def test_overrides_in_the_environment_select_external_servers(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORION_REDIS_URL", "redis://127.0.0.1:6390/0")
    owners = {s.name: s.external for s in manager.servers(Settings())}
    assert owners == {"kafka": False, "postgres": False, "redis": True}


def test_client_env_points_the_real_profile_at_the_configured_ports(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORION_PORT_POSTGRES", "25432")
    env = manager.client_env(Settings())
    assert env == {
        "ORION_PROFILE": "real",
        "ORION_KAFKA_BOOTSTRAP": "127.0.0.1:19092",
        "ORION_DATABASE_URL": "postgresql+asyncpg://orion@127.0.0.1:25432/orion",
        "ORION_REDIS_URL": "redis://127.0.0.1:16379/0",
    }


def test_status_table_has_one_aligned_row_per_server() -> None:
    rows = [
        ServerStatus("kafka", "127.0.0.1:19092", 12, True, Ownership.OURS),
        ServerStatus("redis", "h:1", None, False, Ownership.EXTERNAL, "not answering"),
    ]
    lines = manager.format_status(rows).splitlines()
    assert lines[0].split() == ["SERVER", "ENDPOINT", "PID", "HEALTHY", "OWNER", "DETAIL"]
    assert lines[1].split() == ["kafka", "127.0.0.1:19092", "12", "yes", "ours"]
    assert lines[2].split() == ["redis", "h:1", "-", "no", "external", "not", "answering"]
    assert lines[1].index("127.0.0.1") == lines[0].index("ENDPOINT")
    assert lines[2].index("no") == lines[1].index("yes") == lines[0].index("HEALTHY")


def test_a_stopped_server_reports_not_running_without_probing(tmp_path: Path) -> None:
    status = RedisServer(_layout(tmp_path)).status()
    assert (status.pid, status.healthy, status.ownership) == (None, False, Ownership.OURS)
    assert status.detail == "not running"


def test_pg_bindir_override_wins_when_it_holds_the_server_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tool in ("initdb", "pg_ctl", "postgres", "psql"):
        (tmp_path / tool).touch()
    monkeypatch.setenv("ORION_PG_BINDIR", str(tmp_path))
    assert find_bindir() == tmp_path
    (tmp_path / "psql").unlink()
    assert find_bindir() != tmp_path  # incomplete: fall back to the system's


def test_pg_bindir_prefers_the_data_dirs_major_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORION_PG_BINDIR", raising=False)
    installed = sorted(
        p.parent.parent.name for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")
    )
    assert installed, "PostgreSQL server binaries are expected on this machine"
    for major in installed:
        found = find_bindir(major)
        assert found is not None
        assert found.parent.name == major


class FakeServer(LocalServer):
    """A server whose process and probe answers are scripted; launching is recorded."""

    name = "fake"
    ready_timeout_s = 5.0

    def __init__(self, layout: Layout, pid: int | None, probes: list[bool]) -> None:
        super().__init__(layout)
        self._pid, self.probes, self.launches, self.stops = pid, probes, 0, 0

    def endpoint(self) -> str:
        return "127.0.0.1:1"

    def pidfile(self) -> Path:
        return self.layout.pidfile(self.name)

    def markers(self) -> tuple[str, ...]:
        return ("fake",)

    def pid(self) -> int | None:
        return self._pid

    def launch(self) -> None:
        self.launches += 1
        self._pid = 4242

    def probe(self) -> bool:
        return self.probes.pop(0) if self.probes else True

    def stop(self) -> bool:
        self.stops += 1
        self._pid = None
        return True


def _install(monkeypatch: pytest.MonkeyPatch, fakes: list[LocalServer]) -> None:
    monkeypatch.setattr(manager, "servers", lambda settings=None: fakes)
    monkeypatch.setattr(manager, "_started_here", None)


def test_a_live_but_silent_server_is_awaited_not_launched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starting = FakeServer(_layout(tmp_path), pid=99, probes=[False, False, True, True])
    _install(monkeypatch, [starting])
    assert manager.up(Settings(home=tmp_path)) == 0
    assert starting.launches == 0


def test_in_process_down_stops_only_what_this_process_launched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = FakeServer(_layout(tmp_path), pid=99, probes=[])
    stopped = FakeServer(_layout(tmp_path), pid=None, probes=[])
    stopped.name = "other"
    _install(monkeypatch, [running, stopped])
    settings = Settings(home=tmp_path)
    assert manager.up(settings) == 0
    assert (running.launches, stopped.launches) == (0, 1)
    assert manager.down(settings) == 0
    assert (running.stops, stopped.stops) == (0, 1)
    assert manager.down(settings) == 0  # a new "process" (no record): stops everything
    assert running.stops == 1
