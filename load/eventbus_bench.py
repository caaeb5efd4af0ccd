"""End-to-end event backbone benchmark: state change -> outbox -> relay -> bus -> consumer effect.

    .venv/bin/python load/eventbus_bench.py            # full run (~6 min), writes JSON results
    .venv/bin/python load/eventbus_bench.py --quick    # 5 s phases, to check it works

Kafka + Postgres (servers from `orion infra up`): producer, relay and consumer run in three
processes. Embedded log + SQLite: one process, as `orion dev` runs it. Raw aiokafka produce and
consume rates are measured in the same run as the ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "gen" / "python")]

from core import heap  # noqa: E402
from core.db import Database  # noqa: E402
from core.settings import Profile, Settings  # noqa: E402
from eventbus.embedded.bus import EmbeddedBus  # noqa: E402
from eventbus.kafka import KafkaBus  # noqa: E402
from eventbus.topics import TOPICS  # noqa: E402
from load.eventbus import report, servercpu  # noqa: E402
from load.eventbus.harness import PROBE_TOPIC, scratch_postgres  # noqa: E402
from load.eventbus.pipeline import (  # noqa: E402
    Load,
    consume,
    percentiles,
    produce,
    relay_until,
    warm_pool,
)

T = TypeVar("T")
LOOP_ENV = "ORION_BENCH_LOOP"


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop (default: ~10-20 % less CPU per event measured here) or plain asyncio,
    with the collector settings every Orion service process runs with (ADR 0017)."""
    heap.tune_collector()
    heap.freeze_startup_heap()
    if os.environ.get(LOOP_ENV, "uvloop") == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)


def settings() -> Settings:
    return Settings(profile=Profile.REAL)


async def raw_kafka(bootstrap: str, count: int, size: int = 200) -> dict[str, float]:
    """aiokafka alone (acks=all, idempotent, batched sends): the ceiling for the pipeline."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1)])
    await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    value = os.urandom(size)
    started = time.perf_counter()
    futures = [await producer.send(topic, value, key=b"k%d" % (i % 64)) for i in range(count)]
    await asyncio.gather(*futures)
    produced = time.perf_counter() - started
    await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{topic}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen, started = 0, time.perf_counter()
    while seen < count:
        batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
        seen += sum(len(b) for b in batches.values())
    consumed = time.perf_counter() - started
    await consumer.stop()
    return {"messages": count, "produce_per_s": count / produced, "consume_per_s": count / consumed}


def _producer_proc(
    url: str, pg: dict[str, str], env: str, load: Load, out: Any, done: Any, produced: Any
) -> None:
    async def main() -> None:
        db = Database.from_url(url, pool_size=load.workers, pg_settings=pg)
        await warm_pool(db, load.workers)
        cpu = time.process_time()
        result = await produce(db, env, load)
        cpu = time.process_time() - cpu
        await db.dispose()
        out.put(
            {"events": result.events, "rate": result.rate, "tx": result.transactions, "cpu_s": cpu}
        )
        produced.value = result.events
        done.set()

    run_async(main())


def _relay_proc(
    url: str, pg: dict[str, str], bootstrap: str, stop_flag: Any, out: Any, ready: Any
) -> None:
    async def main() -> None:
        db = Database.from_url(url, pool_size=2, pg_settings=pg)
        await warm_pool(db, 2)
        bus = KafkaBus(bootstrap, client_id="bench-relay")
        await bus.start()
        stop = asyncio.Event()
        ready.set()

        async def watch() -> None:
            # A multiprocessing.Event cannot be awaited: wait for it on a thread.
            await asyncio.to_thread(stop_flag.wait)
            stop.set()

        watcher = asyncio.create_task(watch())
        cpu = time.process_time()
        published = await relay_until(db, bus, stop)
        cpu = time.process_time() - cpu
        await watcher
        await bus.stop()
        await db.dispose()
        out.put({"published": published, "cpu_s": cpu})

    run_async(main())


async def kafka_phase(name: str, load: Load, drain_s: float, pg: dict[str, str]) -> dict[str, Any]:
    cfg = settings()
    bootstrap = cfg.effective_kafka_bootstrap()
    env = f"b{uuid.uuid4().hex[:8]}"
    bus = KafkaBus(bootstrap, client_id="bench-consumer")
    await bus.start()
    await bus.ensure_topics([TOPICS[PROBE_TOPIC].spec(env)])
    ctx = mp.get_context("spawn")
    out, relay_out = ctx.Queue(), ctx.Queue()
    produced_done, relay_stop, relay_ready = ctx.Event(), ctx.Event(), ctx.Event()
    produced = ctx.Value("q", 0)
    async with scratch_postgres(cfg.effective_database_url(), prefix="orion_bench") as db:
        url = db.engine.url.render_as_string(hide_password=False)
        consumer_db = Database.from_url(url, pool_size=2, pg_settings=pg)
        relay = ctx.Process(
            target=_relay_proc, args=(url, pg, bootstrap, relay_stop, relay_out, relay_ready)
        )
        producer = ctx.Process(
            target=_producer_proc, args=(url, pg, env, load, out, produced_done, produced)
        )
        relay.start()

        def finished(applied: int) -> bool:
            return produced_done.is_set() and applied >= produced.value

        assigned, timeout = asyncio.Event(), load.duration_s + drain_s
        busy, cpu = system_busy(), time.process_time()
        consuming = asyncio.create_task(
            consume(bus, consumer_db, env, f"bench-{name}", finished, timeout, assigned)
        )
        # The producer starts once the consumer owns its partitions (and the relay listens):
        # the group join is start-up, not commit-to-effect latency.
        await asyncio.wait_for(assigned.wait(), 60)
        if not await asyncio.to_thread(relay_ready.wait, 60):
            raise RuntimeError("the relay process did not start within 60 s")
        await asyncio.sleep(0.5)  # its LISTEN is up right after the ready signal
        servers = servercpu.server_cpu_s()
        producer.start()
        result = await consuming
        cpu, busy = time.process_time() - cpu, system_busy(busy)
        servers = servercpu.since(servers)
        await consumer_db.dispose()
        producer.join(30)
        relay_stop.set()
        relay.join(30)
        prod = out.get(timeout=10)
        relayed = relay_out.get(timeout=10)
    await bus.stop()
    summary = summarise(name, "kafka+postgres", load, prod, result)
    cpus = {"producer": prod["cpu_s"], "relay": relayed["cpu_s"], "consumer": cpu}
    return {**summary, **cpu_report(cpus, prod["events"], busy, servers)}


async def embedded_phase(
    name: str, load: Load, drain_s: float, pg: dict[str, str]
) -> dict[str, Any]:
    # SQLite has a single writer: more concurrent transactions only queue on its lock.
    load = Load(load.rate, load.duration_s, load.per_tx, min(load.workers, 4), load.keys)
    with tempfile.TemporaryDirectory(prefix="orion-bench-") as tmp:
        db = Database.from_url(f"sqlite+aiosqlite:///{tmp}/state.db")
        await db.create_all()
        bus = EmbeddedBus(Path(tmp) / "log.db")
        await bus.start()
        env = "bench"
        await bus.ensure_topics([TOPICS[PROBE_TOPIC].spec(env)])
        stop = asyncio.Event()
        relay = asyncio.create_task(relay_until(db, bus, stop))
        state: dict[str, Any] = {}

        async def producer() -> None:
            state["prod"] = await produce(db, env, load)

        def finished(applied: int) -> bool:
            return "prod" in state and applied >= state["prod"].events

        assigned = asyncio.Event()
        busy, cpu = system_busy(), time.process_time()
        consuming = asyncio.create_task(
            consume(bus, db, env, f"bench-{name}", finished, load.duration_s + drain_s, assigned)
        )
        await asyncio.wait_for(assigned.wait(), 60)
        prod_task = asyncio.create_task(producer())
        result = await consuming
        cpu, busy = time.process_time() - cpu, system_busy(busy)
        await prod_task
        stop.set()
        await relay
        await bus.stop()
        await db.dispose()
        p = state["prod"]
    summary = summarise(name, "embedded+sqlite", load, {"events": p.events, "rate": p.rate}, result)
    return {**summary, **cpu_report({"one process": cpu}, p.events, busy)}


def system_busy(since: tuple[float, float] | None = None) -> Any:
    """(busy, total) jiffies from /proc/stat; with `since`, the busy fraction in between."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    now = (sum(fields) - fields[3] - fields[4], sum(fields))
    if since is None:
        return now
    return (now[0] - since[0]) / max(now[1] - since[1], 1e-9)


def cpu_report(
    cpus: dict[str, float], events: int, busy: float, servers: dict[str, float] | None = None
) -> dict[str, Any]:
    """CPU per event: our Python processes, and the Postgres and Kafka servers (whole servers,
    so anything else they served meanwhile is counted too)."""
    per_event = 1e6 / max(events, 1)
    report: dict[str, Any] = {
        "python_cpu_s": {k: round(v, 2) for k, v in cpus.items()},
        "python_cpu_us_per_event": round(sum(cpus.values()) * per_event),
        "machine_busy_pct": round(busy * 100, 1),
    }
    if servers:
        report["server_cpu_s"] = servers
        report["server_cpu_us_per_event"] = {k: round(v * per_event) for k, v in servers.items()}
    return report


def summarise(
    name: str, backend: str, load: Load, prod: dict[str, Any], res: Any
) -> dict[str, Any]:
    span = max(res.last_effect - res.first_effect, 1e-9)
    return {
        "phase": name,
        "backend": backend,
        "offered_rate": load.rate,
        "duration_s": load.duration_s,
        "events_per_tx": load.per_tx,
        "produced": prod["events"],
        "produce_rate": round(prod["rate"]),
        "effects": res.effects,
        "duplicates": res.duplicates,
        "effect_rate": round(res.effects / span),
        "latency_ms": percentiles(res.latencies_us),
        "timeline": res.timeline,
    }


def machine() -> dict[str, str]:
    def sh(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

    return {
        "nproc": sh("nproc"),
        "free_h": sh("free -h"),
        "cpu": platform.processor() or sh("grep -m1 'model name' /proc/cpuinfo"),
        "loadavg": sh("cat /proc/loadavg"),
        "python": platform.python_version(),
    }


async def settle(seconds: float) -> None:
    """Let the previous phase's aftermath pass before the next is timed: the kernel writing
    back the tens of MB the broker and Postgres just wrote (Postgres commits wait on fsync,
    which waits behind that writeback), autovacuum and checkpoints of the dropped database."""
    await asyncio.to_thread(os.sync)
    await asyncio.sleep(seconds)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    d, lat = (5.0, 5.0) if args.quick else (args.duration, args.latency_duration)
    results: dict[str, Any] = {
        "machine": machine(),
        "event_loop": args.loop,
        "started": time.strftime("%FT%TZ", time.gmtime()),
    }
    backends = args.backends.split(",")
    # synchronous_commit=off trades the last few ms of acknowledged commits on a Postgres crash
    # (state and outbox rows together, never one without the other) for no fsync wait.
    pg = {"synchronous_commit": "off"} if args.async_commit else {}
    results["postgres_settings"] = pg or {"synchronous_commit": "on (server default)"}
    if "kafka" in backends:
        results["raw_aiokafka"] = await raw_kafka(
            settings().effective_kafka_bootstrap(), 20_000 if args.quick else 200_000
        )
        print(json.dumps(results["raw_aiokafka"]), flush=True)
    phases: list[dict[str, Any]] = []
    for backend in backends:
        phase = kafka_phase if backend == "kafka" else embedded_phase
        loads = {
            "throughput": Load(args.rate, d, per_tx=args.per_tx, workers=args.workers),
            "latency": Load(1000, lat, per_tx=1, workers=args.workers),
        }
        for name in args.phases.split(","):
            await settle(args.settle)
            load = loads[name]
            summary = await phase(f"{backend}-{name}", load, args.drain, pg)
            print(json.dumps({k: v for k, v in summary.items() if k != "timeline"}), flush=True)
            phases.append(summary)
    results["phases"] = phases
    results["loadavg_end"] = machine()["loadavg"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s phases (smoke test)")
    parser.add_argument("--duration", type=float, default=60, help="throughput phase seconds")
    parser.add_argument("--latency-duration", type=float, default=30)
    parser.add_argument("--rate", type=float, default=12_000, help="offered events/s")
    parser.add_argument("--per-tx", type=int, default=10, help="events per transaction")
    parser.add_argument("--drain", type=float, default=60, help="max seconds to drain a backlog")
    parser.add_argument("--settle", type=float, default=10, help="idle seconds before a phase")
    parser.add_argument("--backends", default="kafka,embedded")
    parser.add_argument("--workers", type=int, default=32, help="concurrent producer tasks")
    parser.add_argument("--async-commit", action="store_true", help="synchronous_commit=off")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--phases", default="throughput,latency")
    parser.add_argument("--out", default=str(REPO / "load/reports/eventbus.json"))
    parser.add_argument(
        "--report",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="rewrite the results section of load/reports/eventbus.md and append to "
        "eventbus-history.json (default: yes, except with --quick)",
    )
    args = parser.parse_args()
    os.environ[LOOP_ENV] = args.loop  # the spawned producer and relay read it too
    results = run_async(run(args))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {args.out}")
    if args.report if args.report is not None else not args.quick:
        reports = REPO / "load" / "reports"
        command = " ".join(["./orionw load eventbus", *sys.argv[1:]]).strip()
        report.write(results, reports / "eventbus.md", reports / "eventbus-history.json", command)
        print(f"report section rewritten in {reports / 'eventbus.md'}")


if __name__ == "__main__":
    main()
