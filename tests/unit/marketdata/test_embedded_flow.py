"""Embedded profile end to end (no servers): simulator -> embedded log -> projector -> in-process
snapshot -> hub -> graphql-transport-ws client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bff.streaming.standalone import build
from core.settings import Profile, Settings
from eventbus.readmodel import MemoryReadModelStore
from services.marketdata.bootstrap import MarketDataProcess, RunOptions
from tests.unit.marketdata.wsutil import GqlWs, serve

QUERY = """subscription { marketData(watchlist: "G10") {
  kind seq snapshotAvailable ticks { instrumentId sequence prevSequence } } }"""


async def test_embedded_platform_streams_snapshot_then_gapless_increments(tmp_path: Path) -> None:
    settings = Settings(
        profile=Profile.EMBEDDED, home=tmp_path, env="t", marketdata_addr="127.0.0.1:0"
    )
    store = MemoryReadModelStore()
    process = MarketDataProcess(settings, RunOptions(rate_scale=3.0, grpc=False), store=store)
    await process.start()
    try:
        async with (
            serve(build(settings, auth=False, store=store).app()) as port,
            GqlWs.connect(f"ws://127.0.0.1:{port}/graphql/stream") as client,
        ):
            await client.subscribe("g10", QUERY)
            updates: list[dict[str, Any]] = []
            for _ in range(6):
                message = await client.recv(timeout=10)
                assert message["type"] == "next", message
                updates.append(message["payload"]["data"]["marketData"])
    finally:
        await process.stop()
    assert updates[0]["kind"] == "SNAPSHOT"
    assert updates[0]["snapshotAvailable"] is True
    seqs = [u["seq"] for u in updates]
    assert seqs == list(range(seqs[0], seqs[0] + 6))
    last: dict[str, int] = {}
    for update in updates[1:]:
        assert update["kind"] == "INCREMENT"
        for tick in update["ticks"]:
            if tick["instrumentId"] in last:
                assert tick["prevSequence"] == last[tick["instrumentId"]]
            assert tick["sequence"] > last.get(tick["instrumentId"], 0)
            last[tick["instrumentId"]] = tick["sequence"]
