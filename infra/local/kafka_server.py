"""Apache Kafka in KRaft mode (one broker+controller JVM), jars fetched from Maven Central."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import logging
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from string import Template

from infra.local import packages, procs
from infra.local.base import LocalServer
from infra.local.layout import ASSETS

KAFKA_ASSETS = ASSETS / "kafka"
POM = KAFKA_ASSETS / "pom.xml"
JVM_OPTS = (
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)


def kafka_version() -> str:
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if found is None:
        raise RuntimeError(f"no <kafka.version> in {POM}")
    return found.group(1).strip()


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (22 chars)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def fetch_jars(cache: Path) -> Path:
    """The directory of the broker's jars, fetched with `mvn` once and re-used offline after."""
    libs = cache / f"kafka-{kafka_version()}" / "libs"
    stamp = libs.parent / "complete"
    want = hashlib.sha256(POM.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == want:
        return libs
    cache.mkdir(parents=True, exist_ok=True)
    # Two homes starting at once must not fetch into the same directory concurrently.
    with (cache / "kafka-fetch.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text().strip() == want:
            return libs
        _mvn_copy(cache, libs)
        stamp.write_text(want + "\n")
    return libs


def _mvn_copy(cache: Path, libs: Path) -> None:
    mvn = packages.locate(lambda: packages.which("mvn"), "maven")
    staging = libs.with_name("libs.partial")
    shutil.rmtree(staging, ignore_errors=True)
    print(f"fetching Kafka {kafka_version()} jars from Maven Central ...", flush=True)
    cmd = [
        str(mvn),
        "-B",
        "-q",
        "-f",
        str(POM),
        f"-Dmaven.repo.local={cache / 'm2'}",
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging}",
    ]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"mvn failed to fetch Kafka:\n{(done.stdout + done.stderr)[-3000:]}")
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)


async def _metadata_ok(bootstrap: str) -> bool:
    from aiokafka.client import AIOKafkaClient

    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await client.bootstrap()
        return bool(client.cluster.brokers())
    finally:
        await client.close()


def metadata_request_succeeds(bootstrap: str) -> bool:
    """Readiness: a Metadata request answers and lists at least one broker."""
    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # a refused connection while booting is expected, not news
    try:
        return asyncio.run(_metadata_ok(bootstrap))
    finally:
        quiet.setLevel(level)


class KafkaServer(LocalServer):
    name = "kafka"
    ready_timeout_s = 120.0
    # A clean shutdown closes every partition; SIGKILL would make the next start recover them.
    stop_timeout_s = 90.0

    @property
    def data_dir(self) -> Path:
        return self.layout.data("kafka")

    @property
    def properties(self) -> Path:
        return self.layout.conf_dir / "kafka-server.properties"

    def endpoint(self) -> str:
        return self.external_url or f"127.0.0.1:{self.layout.ports.kafka}"

    def pidfile(self) -> Path:
        return self.layout.pidfile("kafka")

    def markers(self) -> tuple[str, ...]:
        return ("kafka.Kafka", str(self.properties))

    def probe(self) -> bool:
        return metadata_request_succeeds(self.endpoint())

    def write_config(self) -> None:
        template = Template((KAFKA_ASSETS / "server.properties.template").read_text())
        text = template.substitute(
            port=self.layout.ports.kafka,
            controller_port=self.layout.ports.kafka_controller,
            log_dirs=self.data_dir,
        )
        self.properties.write_text(text)

    def _java(self, libs: Path, main: str, *args: str, extra: tuple[str, ...] = ()) -> list[str]:
        java = packages.locate(lambda: packages.which("java"), "openjdk-17-jre-headless")
        log4j = f"-Dlog4j2.configurationFile={KAFKA_ASSETS / 'log4j2.properties'}"
        logs = f"-Dkafka.logs.dir={self.layout.log_dir}"
        return [str(java), *JVM_OPTS, *extra, log4j, logs, "-cp", f"{libs}/*", main, *args]

    def cds_archives(self) -> tuple[Path, Path]:
        """The shared class-data archive, and the one this home's JVM writes when there is none.

        Loading Kafka's classes from a CDS archive halves the JVM's start-up on a busy machine
        (measured 31 s -> 17 s at load 13 on 2 cores). The JVM dumps it at exit; `stop()`
        promotes it. A stale or foreign archive is ignored by the JVM (-Xshare:auto).
        """
        base = self.layout.cache / f"kafka-{kafka_version()}"
        token = hashlib.sha256(str(self.layout.home).encode()).hexdigest()[:12]
        return base / "kafka-cds.jsa", base / f"kafka-cds-{token}.jsa.partial"

    def _cds_opts(self) -> tuple[str, ...]:
        shared, partial = self.cds_archives()
        if shared.exists():
            return ("-Xshare:auto", f"-XX:SharedArchiveFile={shared}")
        partial.unlink(missing_ok=True)
        # The dump lists every class it skips as a warning: noise in kafka.log.
        return (f"-XX:ArchiveClassesAtExit={partial}", "-Xlog:cds=off")

    def stop(self) -> bool:
        gone = super().stop()
        shared, partial = self.cds_archives()
        if gone and partial.exists() and not shared.exists():
            with contextlib.suppress(OSError):
                partial.replace(shared)
        return gone

    def format_storage(self, libs: Path) -> None:
        """Format the KRaft log dir once; meta.properties records the cluster id from then on."""
        if (self.data_dir / "meta.properties").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cluster_id = new_cluster_id()
        shared = self.cds_archives()[0]
        cds = ("-Xshare:auto", f"-XX:SharedArchiveFile={shared}") if shared.exists() else ()
        args = ("format", "-t", cluster_id, "-c", str(self.properties))
        cmd = self._java(libs, "kafka.tools.StorageTool", *args, extra=cds)
        done = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            raise self.failure(f"storage format failed:\n{done.stdout}{done.stderr}")
        (self.data_dir / "cluster.id").write_text(cluster_id + "\n")

    def launch(self) -> None:
        libs = fetch_jars(self.layout.cache)
        self.write_config()
        self.format_storage(libs)
        cmd = self._java(libs, "kafka.Kafka", str(self.properties), extra=self._cds_opts())
        procs.rotate(self.log_path)
        with self.log_path.open("ab") as log:
            log.write(b"\n=== orion: starting kafka ===\n")
            log.flush()
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.layout.home,
                start_new_session=True,
            )
        procs.write_pid(self.pidfile(), proc.pid)
