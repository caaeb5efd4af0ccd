"""Find a server's binaries, installing the Debian package that provides them when missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

_updated = False


class MissingPackageError(RuntimeError):
    """The binaries are absent and could not be installed."""


def apt_install(package: str) -> None:
    """`apt-get install -y <package>` (after one `apt-get update` per process); needs root."""
    global _updated
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise MissingPackageError(
            f"{package} is not installed; install it (apt-get install {package})"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"installing Debian package {package} ...", flush=True)
    if not _updated:
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env, capture_output=True)
        _updated = True
    done = subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", package],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise MissingPackageError(f"apt-get install {package} failed:\n{done.stderr[-2000:]}")


def locate(find: Callable[[], Path | None], package: str) -> Path:
    """Run `find`; if it finds nothing, install `package` and try once more."""
    found = find()
    if found is None:
        apt_install(package)
        found = find()
    if found is None:
        raise MissingPackageError(f"{package} was installed but its binaries were not found")
    return found


def which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None
