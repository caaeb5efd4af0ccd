"""Redis from the Debian package: the project's own daemonized instance under ORION_HOME."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from string import Template
from urllib.parse import urlparse

from infra.local import packages, procs
from infra.local.base import LocalServer
from infra.local.layout import ASSETS


def find_redis_server() -> Path | None:
    found = packages.which("redis-server")
    if found is None and Path("/usr/bin/redis-server").exists():
        found = Path("/usr/bin/redis-server")
    return found


def ping(host: str, port: int, timeout_s: float = 2.0) -> bool:
    """Readiness: a RESP `PING` answered with `+PONG`."""
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        return sock.recv(64).startswith(b"+PONG")


class RedisServer(LocalServer):
    name = "redis"
    ready_timeout_s = 20.0

    def _host_port(self) -> tuple[str, int]:
        if self.external_url:
            parsed = urlparse(self.external_url)
            return parsed.hostname or "127.0.0.1", parsed.port or 6379
        return "127.0.0.1", self.layout.ports.redis

    def endpoint(self) -> str:
        host, port = self._host_port()
        return f"{host}:{port}"

    def pidfile(self) -> Path:
        return self.layout.pidfile("redis")

    def markers(self) -> tuple[str, ...]:
        # redis rewrites its process title to "redis-server 127.0.0.1:<port>"
        return ("redis-server", f"127.0.0.1:{self.layout.ports.redis}")

    def probe(self) -> bool:
        return ping(*self._host_port())

    def launch(self) -> None:
        binary = packages.locate(find_redis_server, "redis-server")
        data = self.layout.data("redis")
        data.mkdir(parents=True, exist_ok=True)
        procs.rotate(self.log_path)
        conf = self.layout.conf_dir / "redis.conf"
        template = Template((ASSETS / "redis" / "redis.conf.template").read_text())
        conf.write_text(
            template.substitute(
                port=self.layout.ports.redis,
                pidfile=self.pidfile(),
                logfile=self.log_path,
                dir=data,
            )
        )
        done = subprocess.run([str(binary), str(conf)], check=False, capture_output=True, text=True)
        if done.returncode != 0:
            raise self.failure(f"redis-server exited {done.returncode}: {done.stdout}{done.stderr}")
