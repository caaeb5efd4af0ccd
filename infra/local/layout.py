"""Where the local servers keep data, logs, pidfiles and config for one ORION_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core.settings import REPO_ROOT, LocalPorts, Settings

ASSETS = Path(__file__).resolve().parent


def shared_cache_dir() -> Path:
    """Download cache shared by every ORION_HOME (so a throw-away home re-uses fetched jars).

    ORION_CACHE_DIR overrides it; the default lives in the repository's ignored `.orion/`.
    """
    override = os.environ.get("ORION_CACHE_DIR")
    return Path(override) if override else REPO_ROOT / ".orion" / "cache"


@dataclass(frozen=True)
class Layout:
    home: Path
    cache: Path
    ports: LocalPorts

    @classmethod
    def from_settings(cls, settings: Settings) -> Layout:
        return cls(home=settings.home.resolve(), cache=shared_cache_dir(), ports=settings.ports)

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    def data(self, name: str) -> Path:
        return self.home / "data" / name

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def pidfile(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def ensure_dirs(self) -> None:
        for path in (self.run_dir, self.log_dir, self.conf_dir, self.cache):
            path.mkdir(parents=True, exist_ok=True)
