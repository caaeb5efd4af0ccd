"""CPU per delivery, hub vs default Strawberry path, in one process without sockets.

Contention on the shared box distorts wall-clock numbers; this measures process CPU time
(time.process_time) for the work each path does per delivered message, excluding the WebSocket
write that both pay equally. Bounded: `--sessions` x `--rounds` deliveries per path.

    .venv/bin/python load/marketdata/microbench.py --sessions 1000 --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import orjson

from bff.streaming import runtime
from bff.streaming.app import default_path_schema
from bff.streaming.hub import MarketDataHub
from bff.streaming.model import HubTick
from bff.streaming.selection import selection_from

IDS = [f"FX.I{i}" for i in range(10)]
QUERY = (
    "subscription($ids: [ID!]) { marketData(instrumentIds: $ids) { kind seq "
    "ticks { instrumentId bid ask mid sequence prevSequence ts receivedAtMs stale quality } } }"
)


def _ticks(round_no: int) -> list[HubTick]:
    now = time.time_ns()
    return [
        HubTick(
            i,
            f"1.{round_no:04d}",
            f"1.{round_no + 1:04d}",
            f"1.{round_no:04d}5",
            round_no + 1,
            now,
            now,
        )
        for i in IDS
    ]


async def hub_path(sessions: int, rounds: int) -> tuple[float, int]:
    hub = MarketDataHub()
    key = selection_from(QUERY, {"ids": IDS})
    subs = [await hub.subscribe(key) for _ in range(sessions)]
    prefixes = [
        '{"id":' + orjson.dumps(str(n)).decode() + ',"type":"next","payload":'
        for n in range(sessions)
    ]
    for sub in subs:
        await sub.outbox.get()  # the snapshot
    sent = 0
    start = time.process_time()
    for r in range(rounds):
        for tick in _ticks(r):
            hub.on_tick(tick)
        hub.flush(10)
        for prefix, sub in zip(prefixes, subs, strict=True):
            frame = await sub.outbox.get()
            assert frame is not None
            text = prefix + frame.payload_text + "}"
            sent += len(text) > 0
    cpu = time.process_time() - start
    await hub.close()
    return cpu, sent


async def strawberry_path(sessions: int, rounds: int) -> tuple[float, int]:
    hub = MarketDataHub()
    runtime.install(hub)
    schema = default_path_schema()
    gens: list[Any] = []
    for _ in range(sessions):
        gen = await schema.subscribe(QUERY, variable_values={"ids": IDS})
        gens.append(gen)
        await gen.__anext__()  # the snapshot
    sent = 0
    start = time.process_time()
    for r in range(rounds):
        for tick in _ticks(r):
            hub.on_tick(tick)
        hub.flush(10)
        for n, gen in enumerate(gens):
            result = await gen.__anext__()
            assert not result.errors, result.errors
            # What strawberry's graphql-transport-ws handler sends (json.dumps of the message).
            text = json.dumps({"id": str(n), "type": "next", "payload": {"data": result.data}})
            sent += len(text) > 0
    cpu = time.process_time() - start
    for gen in gens:
        await gen.aclose()
    await hub.close()
    runtime.install(None)
    return cpu, sent


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    hub_cpu, hub_n = await hub_path(args.sessions, args.rounds)
    sb_cpu, sb_n = await strawberry_path(args.sessions, args.rounds)
    result = {
        "sessions": args.sessions,
        "deliveries_each": hub_n,
        "hub_us_per_delivery": hub_cpu / hub_n * 1e6,
        "strawberry_us_per_delivery": sb_cpu / sb_n * 1e6,
        "ratio": (sb_cpu / sb_n) / (hub_cpu / hub_n),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
