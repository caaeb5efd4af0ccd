"""`python -m services.identity` booted as a user boots it: keys and seed on first start, OIDC
over HTTP and the admin API over gRPC on 127.0.0.1, clean exit on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest

from core.settings import REPO_ROOT
from orion.identity.v1 import identity_admin_pb2 as pb
from orion.identity.v1 import identity_admin_pb2_grpc as pb_grpc

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    issuer: str
    grpc_port: int
    home: Path


@pytest.fixture
def identity_process(tmp_path: Path) -> Iterator[Process]:
    port, grpc_port = _free_port(), _free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ORION_PROFILE": "embedded",
        "ORION_HOME": str(tmp_path),
        "ORION_IDENTITY_PORT": str(port),
        "ORION_IDENTITY_ISSUER": issuer,
        "ORION_IDENTITY_ADMIN_GRPC_PORT": str(grpc_port),
        "ORION_IDENTITY_ARGON2_TIME_COST": "1",
        "ORION_IDENTITY_ARGON2_MEMORY_KIB": "1024",
        "PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'gen' / 'python'}",
    }
    env.pop("ORION_DATABASE_URL", None)
    log = (tmp_path / "identity.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.identity"], cwd=REPO_ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait(proc, f"{issuer}/healthz", tmp_path / "identity.log")
        yield Process(issuer, grpc_port, tmp_path)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()


def _wait(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"identity service exited {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"identity service not ready:\n{log.read_text()[-2000:]}")


def test_first_start_generates_keys_seeds_and_serves(identity_process: Process) -> None:
    home = identity_process.home
    keys = home / "identity" / "keys" / "signing-keys.json"
    secrets_file = home / "identity" / "service-accounts.json"
    assert keys.stat().st_mode & 0o077 == 0
    secret = json.loads(secrets_file.read_text())["svc-acme-tools"]
    doc = httpx.get(f"{identity_process.issuer}/.well-known/openid-configuration").json()
    assert doc["issuer"] == identity_process.issuer
    token = httpx.post(
        doc["token_endpoint"],
        data={"grant_type": "client_credentials", "scope": "orion"},
        auth=("svc-acme-tools", secret),
    )
    assert token.status_code == 200, token.text
    with grpc.insecure_channel(f"127.0.0.1:{identity_process.grpc_port}") as channel:
        stub = pb_grpc.IdentityAdminServiceStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.ListUsers(
                pb.ListUsersRequest(),
                metadata=(("authorization", f"Bearer {token.json()['access_token']}"),),
            )
    # A service account with ROLE_ANALYST is authenticated but may not administer users.
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
