"""`orion dev` boots the embedded platform as a user would; /healthz reports every component."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

BOOT_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def embedded_platform(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`orion dev` on a free port with its own ORION_HOME; its output goes to tmp_path/dev.log."""
    port = _free_port()
    env = {
        **os.environ,
        "ORION_HOME": str(tmp_path / "home"),
        "ORION_PROFILE": "embedded",
        "ORION_HTTP_PORT": str(port),
    }
    for override in ("ORION_KAFKA_BOOTSTRAP", "ORION_DATABASE_URL", "ORION_REDIS_URL"):
        env.pop(override, None)
    log = (tmp_path / "dev.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli.entry", "dev"], env=env, stdout=log, stderr=log
    )
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_for_health(base: str, proc: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, "orion dev exited during boot"
        try:
            return httpx.get(f"{base}/healthz", timeout=2.0)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"/healthz did not answer within {BOOT_TIMEOUT_S}s")


def test_orion_dev_serves_healthz_with_every_component_healthy(
    embedded_platform: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, proc = embedded_platform
    response = _wait_for_health(base, proc)
    assert response.status_code == 200
    body = response.json()
    assert body["components"], "healthz must list the platform's components"
    unhealthy = {n: c for n, c in body["components"].items() if not c["healthy"]}
    assert unhealthy == {}
    assert body["status"] == "ok"


def test_orion_dev_stops_cleanly_on_sigterm(
    embedded_platform: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    base, proc = embedded_platform
    _wait_for_health(base, proc)
    proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal so the parent sees why it ended.
    assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
    log = (tmp_path / "dev.log").read_text()
    assert "Finished server process" in log
