"""Hub metrics: histogram quantiles, Prometheus exposition, /stats survives huge latencies."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry, generate_latest

from bff.streaming.app import StreamingServer
from bff.streaming.hub import MarketDataHub
from bff.streaming.metrics import HubCollector, LatencyHistogram
from tests.unit.marketdata.wsutil import serve


def test_histogram_quantiles_are_bucket_upper_bounds() -> None:
    hist = LatencyHistogram()
    for ms in [1] * 90 + [40] * 9 + [9_999]:
        hist.observe(ms)
    assert hist.quantile(0.5) == 1
    assert hist.quantile(0.95) == 50
    assert hist.quantile(1.0) == float("inf")


def test_collector_exports_counters_gauges_and_latency_histogram() -> None:
    hub = MarketDataHub()
    hub.stats.ticks_in = 7
    hub.stats.latency.observe(12)
    registry = CollectorRegistry()
    registry.register(HubCollector(hub.stats, hub))
    text = generate_latest(registry).decode()
    assert "orion_md_hub_ticks_in_total 7.0" in text
    assert 'orion_md_hub_ingest_to_send_seconds_bucket{le="0.02"} 1.0' in text
    assert "orion_md_hub_queue_depth_max 0.0" in text


async def test_stats_endpoint_reports_latency_beyond_the_last_bucket_as_null() -> None:
    hub = MarketDataHub()
    hub.stats.latency.observe(60_000)
    async with serve(StreamingServer(hub).app()) as port, httpx.AsyncClient() as http:
        response = await http.get(f"http://127.0.0.1:{port}/stats")
    assert response.status_code == 200
    assert response.json()["latency_ms"]["0.99"] is None
