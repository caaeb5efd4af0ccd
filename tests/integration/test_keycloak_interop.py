"""Keycloak interop: a real Keycloak (Maven Central distribution) issues tokens; bff.auth accepts
them and maps their claims through ORION_AUTH_* configuration alone (no Keycloak code path)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

import bff.auth
from bff.auth import InMemoryRevocationList, Role, authenticate
from bff.auth.errors import InvalidAudience, InvalidSignature, TokenRevoked
from core.settings import REPO_ROOT, get_settings

pytestmark = pytest.mark.integration

KEYCLOAK_DIR = REPO_ROOT / "infra" / "local" / "keycloak"
JAVA_HOME = Path(os.environ.get("ORION_KEYCLOAK_JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"))
START_TIMEOUT_S = 300


def _version() -> str:
    pom = (KEYCLOAK_DIR / "pom.xml").read_text()
    return pom.split("<keycloak.version>")[1].split("</keycloak.version>")[0]


def _distribution(cache: Path) -> Path:
    """Download (mvn dependency:copy) and unpack once; later runs reuse the cache."""
    version = _version()
    home = cache / f"keycloak-{version}"
    if (home / "bin" / "kc.sh").exists():
        return home
    archive = cache / f"keycloak-quarkus-dist-{version}.tar.gz"
    if not archive.exists():
        mvn = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(KEYCLOAK_DIR / "pom.xml"), "dependency:copy",
             f"-DoutputDirectory={cache}"],
            capture_output=True, text=True, timeout=1200, check=False,
        )  # fmt: skip
        if mvn.returncode != 0:
            pytest.fail(
                f"cannot fetch Keycloak {version} from Maven Central:\n{mvn.stdout[-2000:]}"
            )
    with tarfile.open(archive) as tar:
        tar.extractall(cache, filter="data")
    return home


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Keycloak:
    issuer: str
    password: str


def _wait_ready(proc: subprocess.Popen[bytes], issuer: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Keycloak exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    pytest.fail(f"Keycloak not ready after {START_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def keycloak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keycloak]:
    if not (JAVA_HOME / "bin" / "java").exists():
        pytest.fail(f"Keycloak 26 needs Java 21+; none at {JAVA_HOME} (ORION_KEYCLOAK_JAVA_HOME)")
    cache = get_settings().cache_dir / "keycloak"
    cache.mkdir(parents=True, exist_ok=True)
    home = _distribution(cache)
    password = secrets.token_urlsafe(16)  # generated per run: no credential in the repository
    realm = (KEYCLOAK_DIR / "orion-realm.json").read_text()
    imports = home / "data" / "import"
    imports.mkdir(parents=True, exist_ok=True)
    (imports / "orion-realm.json").write_text(realm.replace("${ORION_KC_TEST_PASSWORD}", password))
    port, management = _free_port(), _free_port()
    log = tmp_path_factory.mktemp("keycloak") / "keycloak.log"
    env = {
        **os.environ,
        "JAVA_HOME": str(JAVA_HOME),
        "PATH": f"{JAVA_HOME / 'bin'}:{os.environ['PATH']}",
        "JAVA_OPTS_APPEND": "-Xmx768m",
    }
    args = [
        str(home / "bin" / "kc.sh"), "start-dev", "--import-realm", "--db=dev-mem",
        "--http-host=127.0.0.1", f"--http-port={port}", f"--http-management-port={management}",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)  # fmt: skip
    issuer = f"http://127.0.0.1:{port}/realms/orion"
    try:
        _wait_ready(proc, issuer, log)
        yield Keycloak(issuer, password)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def keycloak_config(keycloak: Keycloak, monkeypatch: pytest.MonkeyPatch) -> Iterator[Keycloak]:
    """Point bff.auth at Keycloak exactly as an operator would: environment variables only."""
    for name, value in {
        "ISSUER": keycloak.issuer,
        "AUDIENCE": "orion-bff",
        "TENANT_CLAIM": "org_tenant",
        "ROLES_CLAIM": "realm_access.roles",
        "ROLE_PREFIX": "ROLE_",
        "ENTITLEMENTS_CLAIM": "orion_ent",
    }.items():
        monkeypatch.setenv(f"ORION_AUTH_{name}", value)
    # Drop any validator built from earlier settings; keep revocations in this process so the
    # test does not write into the developer's database or Redis.
    bff.auth.configure(revocations=InMemoryRevocationList())
    yield keycloak
    bff.auth.configure()


async def _password_token(kc: Keycloak, username: str) -> dict[str, str]:
    async with httpx.AsyncClient(timeout=20) as client:
        response = await client.post(
            f"{kc.issuer}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "orion-interop",
                "username": username,
                "password": kc.password,
                "scope": "openid",
            },
        )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def test_keycloak_token_maps_to_principal_by_configuration(keycloak_config: Keycloak) -> None:
    token = (await _password_token(keycloak_config, "alice"))["access_token"]
    principal = await authenticate(f"Bearer {token}")
    assert principal.tenant_id == "acme"
    assert principal.roles == frozenset({Role.TRADER})
    assert principal.entitlements.venues == frozenset({"LP1", "LP2"})
    assert principal.entitlements.instruments == frozenset({"EURUSD", "USDJPY"})
    assert principal.entitlements.max_notional == Decimal("2500000.50")
    assert principal.username == "alice"
    assert principal.issuer == keycloak_config.issuer
    principal.require_venue("LP1")


async def test_second_tenant_and_multiple_roles(keycloak_config: Keycloak) -> None:
    token = (await _password_token(keycloak_config, "bob"))["access_token"]
    principal = await authenticate(f"Bearer {token}")
    assert principal.tenant_id == "globex"
    assert principal.roles == frozenset({Role.RISK, Role.ANALYST})


async def test_tampered_keycloak_token_is_rejected(keycloak_config: Keycloak) -> None:
    token = (await _password_token(keycloak_config, "alice"))["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["org_tenant"] = "globex"  # move alice into another tenant
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        await authenticate(f"Bearer {header}.{forged}.{signature}")


async def test_keycloak_token_for_another_audience_is_rejected(
    keycloak_config: Keycloak, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORION_AUTH_AUDIENCE", "some-other-api")
    bff.auth.configure(revocations=InMemoryRevocationList())
    token = (await _password_token(keycloak_config, "alice"))["access_token"]
    with pytest.raises(InvalidAudience):
        await authenticate(f"Bearer {token}")


async def test_keycloak_session_revocation_applies(keycloak_config: Keycloak) -> None:
    token = (await _password_token(keycloak_config, "alice"))["access_token"]
    principal = await authenticate(f"Bearer {token}")
    assert principal.session_id, "Keycloak access tokens carry sid"
    await bff.auth.shared_revocation_list().revoke_session(
        principal.session_id, principal.expires_at
    )
    with pytest.raises(TokenRevoked):
        await authenticate(f"Bearer {token}")


def test_realm_file_holds_no_password() -> None:
    realm = json.loads((KEYCLOAK_DIR / "orion-realm.json").read_text())
    values = {c["value"] for u in realm["users"] for c in u["credentials"]}
    assert values == {"${ORION_KC_TEST_PASSWORD}"}
