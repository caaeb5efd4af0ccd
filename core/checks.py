"""The static checks and the full test suite, as run by `orion lint`, `orion test` and CI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from core import codegen
from core.settings import REPO_ROOT

BIN = Path(sys.executable).parent

Check = Callable[[], int]


def _run(cmd: Sequence[str], env: dict[str, str] | None = None) -> int:
    print(f"$ {' '.join(cmd)}", flush=True)
    return subprocess.run(list(cmd), cwd=REPO_ROOT, env=env, check=False).returncode


def _previous_commit() -> str | None:
    """The commit `buf breaking` compares against: HEAD's parent, or HEAD for a dirty tree."""
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "proto"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    ref = "HEAD" if dirty else "HEAD~1"
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", ref],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or None


def check_generated() -> int:
    stale = codegen.stale_files()
    for name in stale:
        print(f"stale generated file: gen/python/{name} (run `orion proto`)", flush=True)
    return 1 if stale else 0


def check_buf_breaking() -> int:
    base = _previous_commit()
    if base is None:
        print("buf breaking: no previous commit to compare with", flush=True)
        return 0
    against = f".git#ref={base},subdir=proto"
    return _run([str(BIN / "buf"), "breaking", "proto", "--against", against])


def extra_checks() -> list[tuple[str, Check]]:
    """Freshness checks of generated artefacts contributed by other areas (schemas, SDL)."""
    from core.artefacts import freshness_checks

    return freshness_checks()


def lint_checks() -> list[tuple[str, Check]]:
    return [
        ("generated code is fresh", check_generated),
        ("ruff", lambda: _run([str(BIN / "ruff"), "check", "."])),
        ("ruff format", lambda: _run([str(BIN / "ruff"), "format", "--check", "."])),
        ("mypy", lambda: _run([str(BIN / "mypy")])),
        ("buf lint", lambda: _run([str(BIN / "buf"), "lint"])),
        ("buf breaking", check_buf_breaking),
        *extra_checks(),
    ]


def run_lint() -> int:
    failed = [name for name, check in lint_checks() if check() != 0]
    if failed:
        print(f"lint failed: {', '.join(failed)}", flush=True)
        return 1
    print("lint passed", flush=True)
    return 0


def run_web_suite() -> int:
    """The workstation UI: type check, vitest, build, then its browser run in headless Chromium."""
    from core import webui

    for name, step in (("web check", webui.check), ("web browser e2e", webui.browser_e2e)):
        if step() != 0:
            print(f"{name} failed", flush=True)
            return 1
    return 0


def run_full_suite(lint_first: bool, pytest_args: list[str]) -> int:
    """Lint, test the UI, start the real servers, run every test tier against them, stop them."""
    from infra.local import manager

    if lint_first and run_lint() != 0:
        return 1
    if not pytest_args and run_web_suite() != 0:
        return 1
    status = manager.up()
    if status != 0:
        return status
    try:
        env = {**os.environ, **manager.client_env(), "ORION_REQUIRE_REAL_SERVERS": "1"}
        pytest = [str(BIN / "python"), "-m", "pytest", "-ra", "--durations=10"]
        cmd = [*pytest, "-p", "no:cacheprovider", *pytest_args]
        return _run(cmd, env=env)
    finally:
        manager.down()
