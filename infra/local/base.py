"""The shape every local server (Kafka, PostgreSQL, Redis) shares, and its status record."""

from __future__ import annotations

import signal
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from infra.local import procs
from infra.local.layout import Layout


class Ownership(StrEnum):
    """Who runs the server: this ORION_HOME, a URL override, or something else on our port."""

    OURS = "ours"
    EXTERNAL = "external"
    # A healthy server on our port that this home did not start (e.g. the shared instance of
    # another checkout): used as is, never stopped.
    FOREIGN = "foreign"


@dataclass(frozen=True)
class ServerStatus:
    name: str
    endpoint: str
    pid: int | None
    healthy: bool
    ownership: Ownership
    detail: str = ""


class StartError(RuntimeError):
    """A server did not start or did not become ready; carries its log tail."""


class LocalServer(ABC):
    """One server instance owned by an ORION_HOME: started once, probed, stopped by PID."""

    name: str
    ready_timeout_s: float = 60.0
    stop_timeout_s: float = 30.0  # then SIGKILL
    stop_signal: signal.Signals = signal.SIGTERM

    def __init__(self, layout: Layout, external_url: str | None = None) -> None:
        self.layout = layout
        self.external_url = external_url

    @property
    def external(self) -> bool:
        return self.external_url is not None

    @property
    def log_path(self) -> Path:
        return self.layout.log(self.name)

    @abstractmethod
    def endpoint(self) -> str:
        """host:port clients use."""

    @abstractmethod
    def pidfile(self) -> Path: ...

    @abstractmethod
    def markers(self) -> tuple[str, ...]:
        """Strings that must appear in /proc/<pid>/cmdline for the PID to be ours."""

    @abstractmethod
    def launch(self) -> None:
        """Prepare (fetch, init, configure) and start the server without waiting for readiness."""

    @abstractmethod
    def probe(self) -> bool:
        """One readiness probe against the endpoint; True when the server answers correctly."""

    def after_ready(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Idempotent set-up that needs a running server (roles, databases)."""

    def pid(self) -> int | None:
        return procs.owned_pid(self.pidfile(), self.markers())

    def safe_probe(self) -> bool:
        try:
            return self.probe()
        except Exception:  # a probe that raises just means "not ready"
            return False

    @property
    def port(self) -> int:
        return int(self.endpoint().rsplit(":", 1)[1])

    def foreign(self) -> bool:
        """Not ours, yet our port answers the server's own protocol."""
        return self.pid() is None and procs.port_open(self.port) and self.safe_probe()

    def status(self) -> ServerStatus:
        owner = Ownership.EXTERNAL if self.external else Ownership.OURS
        pid = None if self.external else self.pid()
        if not self.external and pid is None:
            if self.foreign():
                return ServerStatus(
                    self.name, self.endpoint(), None, True, Ownership.FOREIGN, "not started here"
                )
            return ServerStatus(self.name, self.endpoint(), None, False, owner, "not running")
        healthy = self.safe_probe()
        detail = "" if healthy else "not answering"
        return ServerStatus(self.name, self.endpoint(), pid, healthy, owner, detail)

    def stop(self) -> bool:
        """Stop our instance by PID (verified against /proc first). True if nothing is left."""
        pid = self.pid()
        if pid is None:
            return True
        gone = procs.terminate(pid, timeout_s=self.stop_timeout_s, first=self.stop_signal)
        if gone:
            self.pidfile().unlink(missing_ok=True)
        return gone

    def failure(self, reason: str) -> StartError:
        tail = procs.log_tail(self.log_path)
        return StartError(f"{self.name}: {reason}\n--- last lines of {self.log_path} ---\n{tail}")
