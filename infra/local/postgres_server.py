"""PostgreSQL from the Debian packages: the project's own cluster under ORION_HOME."""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import shutil
import signal
import subprocess
from pathlib import Path
from string import Template

import asyncpg  # type: ignore[import-untyped]

from infra.local import packages, procs
from infra.local.base import LocalServer
from infra.local.layout import ASSETS

PG_ASSETS = ASSETS / "postgres"
RUN_AS = "postgres"  # initdb refuses root: as root, the cluster runs as this system user
INCLUDE_LINE = "include_if_exists = 'orion.conf'"


def _version_key(bindir: Path) -> tuple[int, ...]:
    parts = re.findall(r"\d+", bindir.parent.name)
    return tuple(int(p) for p in parts) or (0,)


def _complete(bindir: Path) -> bool:
    return all((bindir / tool).exists() for tool in ("initdb", "pg_ctl", "postgres", "psql"))


def find_bindir(major: str | None = None) -> Path | None:
    """A server bin dir: ORION_PG_BINDIR, Debian's (`major` first, else newest), then PATH."""
    # `major` comes from an existing data dir: a cluster only opens with its own major version.
    candidates: list[Path] = []
    if override := os.environ.get("ORION_PG_BINDIR"):
        candidates.append(Path(override))
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    candidates += sorted(debian, key=lambda b: b.parent.name != major)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    return next((c for c in candidates if _complete(c)), None)


def run_as_prefix() -> list[str]:
    """Command prefix dropping root privileges for PostgreSQL's own tools."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", RUN_AS, "--"]


def _chown_to_runner(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(RUN_AS)
        os.chown(path, user.pw_uid, user.pw_gid)


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (postgresql+asyncpg://...) in the form asyncpg accepts."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


async def select_one(dsn: str) -> bool:
    conn = await asyncpg.connect(dsn, timeout=3)
    try:
        return bool(await conn.fetchval("select 1") == 1)
    finally:
        await conn.close()


class PostgresServer(LocalServer):
    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown; SIGTERM would wait for every client to leave

    @property
    def data_dir(self) -> Path:
        return self.layout.data("postgres")

    def endpoint(self) -> str:
        if self.external_url:
            found = re.search(r"@([^/]+)", self.external_url)
            return found.group(1) if found else self.external_url
        return f"127.0.0.1:{self.layout.ports.postgres}"

    def pidfile(self) -> Path:
        return self.data_dir / "postmaster.pid"

    def markers(self) -> tuple[str, ...]:
        return ("postgres", f"-D {self.data_dir}")

    def superuser_dsn(self) -> str:
        if self.external_url:
            return asyncpg_dsn(self.external_url)
        return f"postgresql://postgres@127.0.0.1:{self.layout.ports.postgres}/postgres"

    def probe(self) -> bool:
        return asyncio.run(select_one(self.superuser_dsn()))

    def _run(self, bindir: Path, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [*run_as_prefix(), str(bindir / tool), *args]
        return subprocess.run(cmd, check=False, capture_output=True, text=True, cwd="/")

    def _initdb(self, bindir: Path) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        _chown_to_runner(self.data_dir)
        done = self._run(
            bindir,
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        if done.returncode != 0:
            hint = f" (is every parent of {self.data_dir} traversable by user {RUN_AS}?)"
            raise self.failure(f"initdb failed{hint}:\n{done.stdout}{done.stderr}")

    def _configure(self) -> None:
        conf = Template((PG_ASSETS / "postgresql.conf.template").read_text())
        targets = {
            "orion.conf": conf.substitute(port=self.layout.ports.postgres),
            "pg_hba.conf": (PG_ASSETS / "pg_hba.conf").read_text(),
        }
        for name, text in targets.items():
            (self.data_dir / name).write_text(text)
            _chown_to_runner(self.data_dir / name)
        main = self.data_dir / "postgresql.conf"
        if INCLUDE_LINE not in main.read_text():
            with main.open("a") as out:
                out.write(f"\n{INCLUDE_LINE}\n")

    def bindir(self) -> Path:
        version_file = self.data_dir / "PG_VERSION"
        major = version_file.read_text().strip() if version_file.exists() else None
        return packages.locate(lambda: find_bindir(major), "postgresql")

    def launch(self) -> None:
        bindir = self.bindir()
        self._initdb(bindir)
        self._configure()
        procs.rotate(self.log_path)
        self.log_path.touch()
        _chown_to_runner(self.log_path)
        done = self._run(
            bindir,
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_path),
            "-w",
            "-t",
            "60",
            "start",
        )
        if done.returncode != 0:
            raise self.failure(f"pg_ctl start failed:\n{done.stdout}{done.stderr}")

    def after_ready(self) -> None:
        """Apply init.d/*.sql (roles, the `orion` database) idempotently, as the superuser."""
        bindir = self.bindir()
        for script in sorted((PG_ASSETS / "init.d").glob("*.sql")):
            done = self._run(
                bindir,
                "psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.layout.ports.postgres),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-f",
                str(script),
            )
            if done.returncode != 0:
                raise self.failure(f"{script.name} failed:\n{done.stdout}{done.stderr}")
