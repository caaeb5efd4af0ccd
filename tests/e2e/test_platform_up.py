"""`orion up` runs the real profile as a user does: every registered process supervised and
healthy on Kafka, PostgreSQL and Redis; a token opens GraphQL; an RFQ trades across processes."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from core.db import create_database, drop_database
from tests.e2e.test_dev_boot import _free_port, _gql, graphql_rfq_trades, rfq_trades

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
AUDIT = "query($id: ID!) { rfq(id: $id) { audit { event outcome } } }"
SAVE_PREFERENCES = """mutation($input: SaveUiPreferencesInput!) {
  saveUiPreferences(input: $input) { __typename ... on UiPreferences { version } } }"""
READ_PREFERENCES = "{ uiPreferences { version watchlists { id instrumentIds } } }"
UP_TIMEOUT_S = 240.0  # ~30-90 s on the shared 2-core box: seven Python processes start at once


def _orion(
    env: dict[str, str], *args: str, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli.entry", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _ports() -> Iterator[int]:
    """Free ports; from ORION_TEST_PORT_BASE upwards when set (a shared box gives each engineer
    a port range, and the platform's seven processes must stay inside it)."""
    base = os.environ.get("ORION_TEST_PORT_BASE")
    if not base:
        while True:
            yield _free_port()
    yield from itertools.count(int(base))


def _stop_supervisor(home: Path) -> None:
    """Stop exactly the supervisor this test started (it stops its children); never `down`."""
    pidfile = home / "run" / "supervisor.pid"
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text().split()[0])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.2)


@pytest.fixture
def real_platform(
    tmp_path: Path, kafka_bootstrap: str, database_url: str, redis_url: str
) -> Iterator[dict[str, str]]:
    """Own home, env (topics, groups), database and ports; the shared servers stay untouched."""
    db_name = f"orion_up_{uuid.uuid4().hex[:8]}"
    db_url = asyncio.run(create_database(database_url, db_name))
    port = _ports()
    identity_port = next(port)
    identity_grpc_port = next(port)
    env = {
        **os.environ,
        "ORION_PROFILE": "real",
        "ORION_HOME": str(tmp_path / "home"),
        "ORION_ENV": f"up{uuid.uuid4().hex[:8]}",
        "ORION_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "ORION_DATABASE_URL": db_url,
        "ORION_REDIS_URL": redis_url.rsplit("/", 1)[0] + "/11",
        "ORION_HTTP_PORT": str(next(port)),
        "ORION_REFDATA_ADDR": f"127.0.0.1:{next(port)}",
        "ORION_MARKETDATA_ADDR": f"127.0.0.1:{next(port)}",
        "ORION_MARKETDATA_METRICS_PORT": "0",
        "ORION_RFQ_ADDR": f"127.0.0.1:{next(port)}",
        "ORION_IDENTITY_PORT": str(identity_port),
        "ORION_IDENTITY_ADMIN_GRPC_PORT": str(identity_grpc_port),
        # The BFF's client of that gRPC API (ui preferences) must dial the same port.
        "ORION_IDENTITY_ADDR": f"127.0.0.1:{identity_grpc_port}",
        "ORION_IDENTITY_ISSUER": f"http://127.0.0.1:{identity_port}",
        "ORION_AUTH_ISSUER": f"http://127.0.0.1:{identity_port}",
    }
    env.pop("ORION_PROCESSES", None)  # the whole registry, whatever the caller narrowed
    try:
        yield env
    finally:
        _stop_supervisor(tmp_path / "home")
        asyncio.run(drop_database(database_url, db_name))


def test_orion_up_runs_every_process_and_trades(real_platform: dict[str, str]) -> None:
    env = real_platform
    up = _orion(env, "up", timeout=UP_TIMEOUT_S)
    assert up.returncode == 0, up.stdout + up.stderr
    ps = _orion(env, "ps")
    assert ps.returncode == 0, ps.stdout
    for name in ("identity", "refdata", "marketdata", "rfq", "execution", "lp-bots", "bff"):
        assert name in ps.stdout
    token = _orion(env, "token", "--tenant", "acme", "--user", "trader@acme")
    assert token.returncode == 0, token.stderr
    base = f"http://127.0.0.1:{env['ORION_HTTP_PORT']}"
    response = httpx.post(
        f"{base}/graphql/workstation",
        json={"query": "{ me { tenantId } instruments { id } }"},
        headers={"authorization": f"Bearer {token.stdout.strip()}"},
        timeout=10.0,
    )
    assert response.json()["data"]["me"] == {"tenantId": "acme"}, response.text
    traded = asyncio.run(rfq_trades(env["ORION_RFQ_ADDR"]))
    assert traded.trade_id
    trade = graphql_rfq_trades(base, token.stdout.strip())
    # The audit drawer: the BFF reads the trail on its own role, in the caller's tenant.
    audited = _gql(base, token.stdout.strip(), AUDIT, {"id": trade["rfqId"]})["rfq"]["audit"]
    assert audited, "the RFQ's audit trail reached the workstation"
    # Workstation preferences: the BFF reaches the identity process's gRPC API, which stores them
    # in its tables on its own role.
    watchlist = {"id": "up", "name": "Up", "instrumentIds": ["FX.EURUSD"]}
    preferences = {"expectedVersion": 0, "watchlists": [watchlist]}
    saved = _gql(base, token.stdout.strip(), SAVE_PREFERENCES, {"input": preferences})
    assert saved["saveUiPreferences"] == {"__typename": "UiPreferences", "version": 1}
    read = _gql(base, token.stdout.strip(), READ_PREFERENCES, {})["uiPreferences"]
    assert read == {"version": 1, "watchlists": [{"id": "up", "instrumentIds": ["FX.EURUSD"]}]}
    # The processes hold their connections as their own roles, not as the owner.
    connected = asyncio.run(_database_users(env["ORION_DATABASE_URL"]))
    roles = {"orion_rfq", "orion_execution", "orion_relay", "orion_identity", "orion_bff"}
    assert roles <= connected, connected


async def _database_users(url: str) -> set[str]:
    from core.db import Database

    db = Database.from_url(url, pool_size=1)
    try:
        async with db.engine.connect() as conn:
            who = "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database()"
            found = await conn.execute(text(who))
            return {str(name) for name in found.scalars()}
    finally:
        await db.dispose()
