"""The whole RFQ platform as separate processes on 127.0.0.1 (the benchmark's system under test).

identity, refdata, marketdata, rfq, lp_bots, execution and the BFF each run as
`python -m <module>` against the real Kafka/Postgres/Redis, in a fresh database and a fresh
`ORION_ENV` (so topics and consumer groups are the benchmark's own). Ports come from one base
(default 18200: BFF 18200, identity 18201/18202, rfq 18210, refdata 18211, marketdata 18212/18213).
Processes are stopped by their own PIDs. CPU seconds come from /proc/<pid>/stat.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from core.db import create_database, drop_database
from core.settings import REPO_ROOT, Profile, Settings
from load.cpu import TICK

MODULES = ("identity", "refdata", "marketdata", "rfq", "lp_bots", "execution", "bff")


def server_pids() -> dict[str, list[int]]:
    """PIDs of the shared servers (Postgres postmaster + backends, Kafka's JVM, redis-server)."""
    found: dict[str, list[int]] = {"postgres": [], "kafka": [], "redis": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm == "postgres" or cmd.startswith("postgres"):
            found["postgres"].append(int(entry.name))
        elif comm == "java" and "kafka" in cmd:
            found["kafka"].append(int(entry.name))
        elif comm.startswith("redis-server"):
            found["redis"].append(int(entry.name))
    return found


def machine_busy_s() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, total CPU seconds) from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


async def drop_topics(bootstrap: str, prefix: str) -> list[str]:
    """Delete the run's topics, so the shared broker does not pile up partitions."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
        return names
    finally:
        await admin.close()


@dataclass
class Platform:
    base_port: int = 18200
    env: str = field(default_factory=lambda: f"rb{uuid.uuid4().hex[:8]}")
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    db_url: str = ""

    @property
    def home(self) -> Path:
        return Path("/tmp/orion-rfqbench") / self.env

    @property
    def bff_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port}"

    def environ(self) -> dict[str, str]:
        p, issuer = self.base_port, f"http://127.0.0.1:{self.base_port + 1}"
        settings = Settings(profile=Profile.REAL)
        env = {**os.environ, "ORION_PROFILE": "real", "ORION_ENV": self.env,
               "ORION_HOME": str(self.home), "ORION_DATABASE_URL": self.db_url,
               "ORION_KAFKA_BOOTSTRAP": settings.effective_kafka_bootstrap(),
               "ORION_REDIS_URL": settings.effective_redis_url(), "ORION_LOG_LEVEL": "WARNING",
               "ORION_HTTP_PORT": str(p), "ORION_IDENTITY_PORT": str(p + 1),
               "ORION_IDENTITY_ADMIN_GRPC_PORT": str(p + 2), "ORION_IDENTITY_ISSUER": issuer,
               "ORION_AUTH_ISSUER": issuer, "ORION_RFQ_ADDR": f"127.0.0.1:{p + 10}",
               "ORION_REFDATA_ADDR": f"127.0.0.1:{p + 11}",
               "ORION_MARKETDATA_ADDR": f"127.0.0.1:{p + 12}",
               "ORION_MARKETDATA_METRICS_PORT": str(p + 13),
               # The driver is one client with many users: lift the per-user HTTP guard rails.
               "ORION_BFF_RATE_PER_MINUTE": "100000000",
               "ORION_BFF_MAX_SUBSCRIPTIONS_PER_CONNECTION": "100000",
               "ORION_OTEL_EXPORTER": "none"}  # fmt: skip
        return env

    async def start(self) -> None:
        """One process at a time, each ready before the next (two `create_all` at once race)."""
        settings = Settings(profile=Profile.REAL)
        name = f"orion_{self.env}"
        self.db_url = await create_database(settings.effective_database_url(), name)
        self.home.mkdir(parents=True, exist_ok=True)
        env = self.environ()
        try:
            for module in MODULES:
                target = "bff" if module == "bff" else f"services.{module}"
                log = (self.home / f"{module}.log").open("wb")
                self.procs[module] = subprocess.Popen(  # noqa: ASYNC220 - returns at once
                    [sys.executable, "-m", target], cwd=REPO_ROOT, env=env, stdout=log, stderr=log
                )
                await self._ready(module)
        except BaseException:
            await self.stop(keep_logs=True)
            raise

    async def _ready(self, module: str) -> None:
        """A port answers, or (no port) the process printed its banner."""
        p = self.base_port
        urls = {"identity": f"http://127.0.0.1:{p + 1}/jwks", "bff": f"{self.bff_url}/readyz"}
        ports = {"refdata": p + 11, "marketdata": p + 12, "rfq": p + 10}
        if module in urls:
            await self._wait_http(urls[module])
        elif module in ports:
            await self._wait_port(ports[module])
        else:
            await self._wait_banner(module)

    async def _wait_port(self, port: int, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.2)
        raise TimeoutError(f"port {port} not open; logs in {self.home}")

    async def _wait_banner(self, module: str, timeout_s: float = 60.0) -> None:
        log, deadline = self.home / f"{module}.log", time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            if log.stat().st_size > 0:
                return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"{module} printed nothing; logs in {self.home}")

    async def _wait_http(self, url: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                self._check_alive()
                try:
                    if (await client.get(url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
        raise TimeoutError(f"{url} not ready; logs in {self.home}")

    def _check_alive(self) -> None:
        for module, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{module} exited ({proc.returncode}); see {self.home}")

    def pids(self) -> dict[str, int]:
        return {module: proc.pid for module, proc in self.procs.items()}

    def tokens(self, users: int) -> list[str]:
        """Access tokens signed by this platform's identity service (one per synthetic user)."""
        out = subprocess.run(
            [sys.executable, "-m", "load.rfq.tokens", str(users)],
            cwd=REPO_ROOT, env=self.environ(), check=True, capture_output=True,
        )  # fmt: skip
        tokens: list[str] = json.loads(out.stdout)
        return tokens

    async def stop(self, keep_logs: bool = False) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        settings = Settings(profile=Profile.REAL)
        if self.db_url:
            await drop_database(settings.effective_database_url(), f"orion_{self.env}")
        await drop_topics(settings.effective_kafka_bootstrap(), f"{self.env}.")
        if not keep_logs:
            shutil.rmtree(self.home, ignore_errors=True)
