"""`python -m bff` (real profile, run by `orion up`) serves what `orion dev` serves: the
workstation at `/`, `/ui-config.json` and the hub at `/graphql/stream`, on the real servers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from bff.app import BffConfig
from core.health import HealthRegistry
from core.platform.real import build_app
from services.marketdata.bootstrap import MarketDataProcess, RunOptions
from tests.integration.test_marketdata_flow import _settings
from tests.integration.test_marketdata_flow import _wait_snapshot as wait_snapshot
from tests.unit.bff.tokens import Issuer
from tests.unit.marketdata.wsutil import GqlWs, serve

pytestmark = pytest.mark.integration

QUERY = """subscription($ids: [ID!]) { marketData(instrumentIds: $ids) {
  kind seq snapshotAvailable ticks { instrumentId sequence } } }"""
PAGE = "<!doctype html><title>Orion workstation</title>"


def _dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(PAGE)
    (dist / "assets" / "app-1234.js").write_text("console.log('orion')")
    return dist


def test_real_profile_app_has_the_hub_route_and_the_workstation(tmp_path: Path) -> None:
    settings = _settings("127.0.0.1:1", "redis://127.0.0.1:1/0")  # nothing connects here
    app, served = build_app(settings, HealthRegistry(), dist=_dist(tmp_path), export_metrics=False)
    assert served
    paths = {(type(r).__name__, getattr(r, "path", "")) for r in app.router.routes}
    assert ("WebSocketRoute", "/graphql/stream") in paths
    assert ("Route", "/ui-config.json") in paths
    assert ("Mount", "") in paths  # `/`: Starlette strips a root mount's trailing slash
    # The UI mount comes last, so every API path still wins over the SPA fallback.
    assert isinstance(app.router.routes[-1], Mount)
    assert all(isinstance(r, Route | WebSocketRoute) for r in app.router.routes[:-1])


async def test_real_profile_serves_the_ui_and_streams_entitled_ticks_from_kafka(
    kafka_bootstrap: str, redis_url: str, tmp_path: Path
) -> None:
    settings = _settings(kafka_bootstrap, redis_url)
    issuer = Issuer()
    config = replace(BffConfig.from_settings(settings), validator=issuer.validator(), tracing=False)
    app, _ = build_app(
        settings, HealthRegistry(), config, dist=_dist(tmp_path), export_metrics=False
    )
    process = MarketDataProcess(settings, RunOptions(rate_scale=2.0, stale_after_s=30))
    await process.start()
    try:
        # The topic exists and ticks flow before the BFF's consumer subscribes.
        await wait_snapshot(process, ["FX.EURUSD"])
        async with serve(app) as port:
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient() as http:
                page = await http.get(f"{base}/blotter")  # a client-side route gets the app
                assert page.status_code == 200
                assert page.text == PAGE
                ui = (await http.get(f"{base}/ui-config.json")).json()
                assert ui["oidcClientId"]
                assert ui["oidcIssuer"]
                assert (await http.get(f"{base}/healthz")).status_code == 200
            token = issuer.mint(entitlements={"asset_classes": ["FX"], "instruments": ["*"]})
            auth = {"Authorization": f"Bearer {token}"}
            async with GqlWs.connect(f"ws://127.0.0.1:{port}/graphql/stream", auth) as client:
                await client.subscribe("md", QUERY, {"ids": ["FX.EURUSD", "RATES.UST10Y"]})
                seen: set[str] = set()
                kinds: list[str] = []
                while len(kinds) < 3:  # the snapshot, then increments fed by Kafka
                    message = await client.recv(timeout=30)
                    assert message["type"] == "next", message
                    update = message["payload"]["data"]["marketData"]
                    kinds.append(update["kind"])
                    seen |= {t["instrumentId"] for t in update["ticks"]}
                assert kinds == ["SNAPSHOT", "INCREMENT", "INCREMENT"]
                assert seen == {"FX.EURUSD"}  # RATES is not entitled: never streamed
    finally:
        await process.stop()
