"""A downstream that goes away: typed errors within the deadline, circuit opens and recovers."""

from __future__ import annotations

import asyncio
import time

import httpx

from bff.app import BffConfig
from bff.settings import BffLimits
from bff.testing import running_bff, running_refdata
from tests.unit.bff.tokens import Issuer

ISSUER = Issuer()
QUERY = "{ instruments { id } }"
LIMITS = BffLimits(grpc_timeout_s=0.5, breaker_failures=3, breaker_reset_s=1.0)


async def _ask(client: httpx.AsyncClient, token: str) -> tuple[int, str | None, float]:
    started = time.perf_counter()
    response = await client.post(
        "/graphql/workstation", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    elapsed = time.perf_counter() - started
    body = response.json()
    code = body["errors"][0]["extensions"]["code"] if body.get("errors") else None
    return response.status_code, code, elapsed


async def test_dead_downstream_yields_typed_errors_opens_circuit_and_recovers() -> None:
    token = ISSUER.mint()
    async with running_refdata() as (server, port):
        config = BffConfig(f"127.0.0.1:{port}", limits=LIMITS, validator=ISSUER.validator())
        async with running_bff(config) as url, httpx.AsyncClient(base_url=url) as client:
            assert (await _ask(client, token))[1] is None
            await server.stop(0)

            # One request: three read attempts, each failure counted by the breaker (threshold 3).
            status, code, elapsed = await _ask(client, token)
            assert status == 200
            assert code in {"DOWNSTREAM_UNAVAILABLE", "DOWNSTREAM_TIMEOUT"}
            assert elapsed < 3 * LIMITS.grpc_timeout_s + 0.5

            status, code, elapsed = await _ask(client, token)
            assert (status, code) == (200, "CIRCUIT_OPEN")
            assert elapsed < 0.2  # fail fast: no network call while open

            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert (await client.get("/healthz")).status_code == 200  # the BFF itself lives

            async with running_refdata(port=port):
                await asyncio.sleep(LIMITS.breaker_reset_s + 0.1)
                recovered = await _ask(client, token)
                assert recovered[:2] == (200, None)
                assert (await client.get("/readyz")).status_code == 200
