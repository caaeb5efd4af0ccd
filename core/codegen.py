"""Generate Python protobuf/gRPC code (with mypy stubs) from `proto/` into `gen/python/`."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from core.settings import REPO_ROOT

PROTO_ROOT = REPO_ROOT / "proto"
GEN_ROOT = REPO_ROOT / "gen" / "python"


def _proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def generate(out_dir: Path) -> None:
    """Run grpc_tools.protoc once over every proto file; add package markers for mypy/setuptools."""
    out_dir.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    files = [str(p.relative_to(PROTO_ROOT)) for p in _proto_files()]
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_out={out_dir}",
        f"--mypy_grpc_out={out_dir}",
        *files,
    ]
    # mypy-protobuf announces every file it writes on stderr; show protoc's output only on failure.
    result = subprocess.run(
        cmd, env=env, cwd=PROTO_ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"protoc failed:\n{result.stdout}{result.stderr}")
    for directory in [p for p in out_dir.rglob("*") if p.is_dir()]:
        (directory / "__init__.py").touch()
    (out_dir / "orion" / "py.typed").touch()


def regenerate() -> None:
    """Replace gen/python with a fresh generation, so deleted protos leave nothing behind."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        if GEN_ROOT.exists():
            shutil.rmtree(GEN_ROOT)
        shutil.copytree(tmp, GEN_ROOT)


def stale_files() -> list[str]:
    """Files that differ between the checked-in generation and a fresh one."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        return _diff(fresh, GEN_ROOT)


def _diff(left: Path, right: Path) -> list[str]:
    def listing(root: Path) -> set[str]:
        if not root.exists():
            return set()
        return {
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }

    left_files, right_files = listing(left), listing(right)
    changed = left_files ^ right_files
    for name in left_files & right_files:
        if not filecmp.cmp(left / name, right / name, shallow=False):
            changed.add(name)
    return sorted(changed)
