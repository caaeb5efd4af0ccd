"""GraphQL Hive Gateway and supergraph composition (Node packages pinned by package-lock.json)."""

from __future__ import annotations

import subprocess
from pathlib import Path

GATEWAY_DIR = Path(__file__).resolve().parent


def ensure_installed() -> Path:
    """Install the npm packages from the lock file once (node_modules is kept as a cache);
    returns the hive-gateway binary."""
    binary = GATEWAY_DIR / "node_modules" / ".bin" / "hive-gateway"
    if not binary.exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=GATEWAY_DIR,
            check=True,
        )
    return binary
