"""Market data on the real servers: ingest -> Kafka -> projector -> Redis -> BFF subscription.

The Redis-outage test runs its OWN redis-server on a free port and kills only that one.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from bff.streaming.standalone import build
from core.settings import Profile, Settings
from orion.marketdata.v1 import marketdata_service_pb2 as pb
from orion.marketdata.v1 import marketdata_service_pb2_grpc as pb_grpc
from services.marketdata.bootstrap import MarketDataProcess, RunOptions
from services.marketdata.snapshot import SnapshotReader
from tests.unit.marketdata.wsutil import GqlWs, serve

pytestmark = pytest.mark.integration

# Two instruments per asset class, including slow credit ones the hub will not have seen yet.
IDS = ["FX.EURUSD", "FX.USDJPY", "RATES.UST10Y", "RATES.DBR10Y", "CREDIT.CDXIG5Y", "CREDIT.F5Y"]
QUERY = """subscription($ids: [ID!]) { marketData(instrumentIds: $ids) {
  kind seq snapshotAvailable unavailableReason ticks { instrumentId bid ask sequence } } }"""


def _settings(kafka: str, redis: str) -> Settings:
    return Settings(
        profile=Profile.REAL,
        env=f"it{uuid.uuid4().hex[:8]}",
        kafka_bootstrap=kafka,
        redis_url=redis,
        marketdata_addr="127.0.0.1:0",
    )


@contextlib.asynccontextmanager
async def _marketdata(settings: Settings) -> AsyncIterator[MarketDataProcess]:
    process = MarketDataProcess(settings, RunOptions(rate_scale=2.0, stale_after_s=30))
    await process.start()
    try:
        yield process
    finally:
        await process.stop()


async def _wait_snapshot(process: MarketDataProcess, ids: list[str], timeout: float = 30) -> None:
    reader = SnapshotReader(process.store)
    for _ in range(int(timeout * 10)):
        result = await reader.read(ids)
        if result.available and not result.missing:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"snapshot never filled for {ids}: {result}")


async def _messages(client: GqlWs, count: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(count):
        # Generous: the BFF's fresh consumer group needs a Kafka rebalance before ticks flow,
        # which takes seconds on a loaded machine.
        message = await client.recv(timeout=30)
        assert message["type"] == "next", message
        out.append(message["payload"]["data"]["marketData"])
    return out


def _assert_gapless(updates: list[dict[str, Any]]) -> None:
    assert updates[0]["kind"] == "SNAPSHOT"
    assert all(u["kind"] == "INCREMENT" for u in updates[1:])
    seqs = [u["seq"] for u in updates]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    # Frames are shared by every subscriber of a selection, so an instrument that ticked after
    # the group's last increment is in a late joiner's snapshot AND in the group's next
    # increment with the same sequence; clients keep a value only when its sequence is newer
    # (bff/web MarketDataStore.classify), so that one repeat is harmless. Any later repeat, or
    # a sequence going backwards, is a bug.
    last: dict[str, int] = {}
    for index, update in enumerate(updates):
        for tick in update["ticks"]:
            previous = last.get(tick["instrumentId"], 0)
            if index == 1:
                assert tick["sequence"] >= previous, (index, tick)
            else:
                assert tick["sequence"] > previous, (index, tick)
            last[tick["instrumentId"]] = tick["sequence"]


async def test_mid_stream_subscriber_gets_redis_snapshot_then_gapless_increments(
    kafka_bootstrap: str, redis_url: str
) -> None:
    settings = _settings(kafka_bootstrap, redis_url)
    async with _marketdata(settings) as process:
        await _wait_snapshot(process, IDS)
        async with serve(build(settings, auth=False).app()) as port:
            url = f"ws://127.0.0.1:{port}/graphql/stream"
            async with GqlWs.connect(url) as early:
                await early.subscribe("a", QUERY, {"ids": IDS})
                first = await _messages(early, 1)
                # The hub started moments ago: slow instruments can only come from Redis.
                assert first[0]["snapshotAvailable"] is True
                assert sorted(t["instrumentId"] for t in first[0]["ticks"]) == sorted(IDS)
                await _messages(early, 10)
                async with GqlWs.connect(url) as late:
                    await late.subscribe("b", QUERY, {"ids": IDS})
                    _assert_gapless(await _messages(late, 15))
            assert process.ingest is not None
            assert process.ingest.normaliser.dropped.total() == 0


async def test_default_strawberry_path_serves_the_same_stream(
    kafka_bootstrap: str, redis_url: str
) -> None:
    settings = _settings(kafka_bootstrap, redis_url)
    async with _marketdata(settings) as process:
        await _wait_snapshot(process, IDS[:2])
        async with (
            serve(build(settings, auth=False).app()) as port,
            GqlWs.connect(f"ws://127.0.0.1:{port}/graphql") as client,
        ):
            await client.subscribe("s", QUERY, {"ids": IDS[:2]})
            _assert_gapless(await _messages(client, 8))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private redis-server this test may kill (never the shared instance)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if proc.poll() is not None:
                pytest.fail(f"own redis-server exited with {proc.returncode}")
            import time

            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


async def test_redis_outage_keeps_stream_alive_and_snapshots_say_unavailable(
    kafka_bootstrap: str, own_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    redis_url, redis_proc = own_redis
    settings = _settings(kafka_bootstrap, redis_url)
    async with _marketdata(settings) as process:
        await _wait_snapshot(process, IDS[:2])
        async with serve(build(settings, auth=False).app()) as port:
            url = f"ws://127.0.0.1:{port}/graphql/stream"
            async with GqlWs.connect(url) as watcher:
                await watcher.subscribe("w", QUERY, {"ids": IDS[:2]})
                assert (await _messages(watcher, 2))[0]["snapshotAvailable"] is True
                redis_proc.kill()
                redis_proc.wait(10)
                # The stream keeps flowing from Kafka with no gap.
                after = await _messages(watcher, 10)
                seqs = [u["seq"] for u in after]
                assert seqs == list(range(seqs[0], seqs[0] + 10))
                async with GqlWs.connect(url) as newcomer:
                    await newcomer.subscribe("n", QUERY, {"ids": ["FX.EURUSD", "FX.NOTSEEN"]})
                    snapshot, increment = await _messages(newcomer, 2)
                    assert snapshot["snapshotAvailable"] is False
                    assert snapshot["unavailableReason"].startswith("snapshot unavailable")
                    assert increment["kind"] == "INCREMENT"
            query = (
                '{ marketSnapshot(instrumentIds: ["FX.NOTSEEN"]) { available unavailableReason } }'
            )
            async with httpx.AsyncClient() as http:
                response = await http.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": query}
                )
            body = response.json()["data"]["marketSnapshot"]
            assert body["available"] is False
            assert body["unavailableReason"].startswith("snapshot unavailable")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{process.grpc_port}") as channel:
            stub = pb_grpc.MarketDataServiceStub(channel)
            reply = await stub.GetSnapshot(
                pb.GetSnapshotRequest(instrument_ids=["FX.EURUSD"]), timeout=5
            )
        assert reply.status == pb.SNAPSHOT_STATUS_UNAVAILABLE
        assert process.ingest is not None
        assert process.ingest.received > 0
