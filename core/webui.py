"""The workstation UI's Node tool chain: install from the lock file, check, build, browser e2e."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from core.settings import REPO_ROOT
from infra.local.packages import locate, which

WEB_DIR = REPO_ROOT / "bff" / "web"
CHROMIUM = Path("/usr/bin/chromium")


class WebToolchainError(RuntimeError):
    """Node/npm is missing or an npm step failed."""


def _npm(*args: str) -> int:
    npm = shutil.which("npm")
    if npm is None:
        raise WebToolchainError("npm is not installed (Node.js >= 20 is required for the UI)")
    print(f"$ (bff/web) npm {' '.join(args)}", flush=True)
    return subprocess.run([npm, *args], cwd=WEB_DIR, check=False).returncode


def ensure_dependencies() -> None:
    """`npm ci` when node_modules is missing or older than package-lock.json (idempotent)."""
    lock = WEB_DIR / "package-lock.json"
    stamp = WEB_DIR / "node_modules" / ".orion-lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return
    if _npm("ci", "--no-audit", "--no-fund", "--loglevel=error") != 0:
        raise WebToolchainError("npm ci failed in bff/web")
    stamp.write_text(digest)


SOURCES = ("src", "index.html", "package-lock.json", "vite.config.ts")


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in SOURCES:
        path = WEB_DIR / name
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def ensure_built() -> Path:
    """Build bff/web/dist when it is missing or older than the UI's sources; returns dist."""
    dist = WEB_DIR / "dist"
    index = dist / "index.html"
    if not index.is_file() or index.stat().st_mtime < _newest_source_mtime():
        ensure_dependencies()
        if _npm("run", "build") != 0:
            raise WebToolchainError("the workstation UI build failed")
    return dist


def check() -> int:
    """Generated GraphQL types fresh (codegen:check), type check, unit tests, production build."""
    ensure_dependencies()
    return _npm("run", "check")


def ensure_chromium() -> Path:
    """Debian's Chromium for the browser tests, installed when missing."""
    return locate(lambda: CHROMIUM if CHROMIUM.exists() else which("chromium"), "chromium")


def browser_e2e() -> int:
    """The UI's end-to-end run in headless Chromium against its mock platform."""
    ensure_dependencies()
    ensure_chromium()
    return _npm("run", "e2e:mock")
