"""RFQ benchmark: the whole platform as processes, a multi-process driver through the BFF, ghz.

    .venv/bin/python -m load.rfq.bench            # = ./orionw load rfq (needs `orion infra up`)
    .venv/bin/python -m load.rfq.bench --rate 50 --duration 60 --ghz-rates 100,200,400

Phase 1 drives RFQs end to end (create → quotes of 5 LP bots → accept → trade in the blotter)
at a fixed offered rate; phase 2 runs ghz against gRPC `CreateRfq` at fixed rates. CPU seconds of
every process (platform, driver, shared servers, whole machine) are read from /proc before and
after each phase. Writes load/reports/rfq-results.json and the generated section of
load/reports/rfq.md (between the GENERATED markers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform as host
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from core.settings import REPO_ROOT
from load.cpu import cpu_seconds
from load.rfq.driver import Job, worker_main
from load.rfq.platform import Platform, machine_busy_s, server_pids

REPORTS = REPO_ROOT / "load" / "reports"
LEGS = ("create_ack", "first_quote", "all_quotes", "accept_ack", "traded", "trade_visible")
GHZ_VERSION = "v0.121.0"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else -1.0


class CpuMeter:
    """CPU seconds of named process groups between construction and `stop`.

    Counted per PID: Postgres backends come and go, so a group is re-scanned at the end and a
    PID seen only then counts from zero (a backend that exited in between is lost: a small
    undercount, said in the report).
    """

    def __init__(self, groups: dict[str, list[int]], rescan: bool = True) -> None:
        self.groups, self.rescan = groups, rescan
        self.before = {pid: cpu_seconds(pid) for pids in groups.values() for pid in pids}
        self.machine = machine_busy_s()

    def stop(self) -> dict[str, float]:
        groups = self.groups | (server_pids() if self.rescan else {})
        out = {
            name: round(sum(max(0.0, cpu_seconds(p) - self.before.get(p, 0.0)) for p in pids), 2)
            for name, pids in groups.items()
        }
        busy, total = machine_busy_s()
        out["machine"] = round(busy - self.machine[0], 2)
        out["machine_capacity"] = round(total - self.machine[1], 2)
        return out


def _drive(url: str, tokens: list[str], rate: float, duration: float, workers: int) -> Any:
    ctx = mp.get_context("spawn")
    out: Any = ctx.Queue()
    procs = []
    for w in range(workers):
        mine = tokens[w::workers]
        job = Job(url=url, tokens=mine, rate=rate / workers, duration_s=duration)
        procs.append(ctx.Process(target=worker_main, args=(job, out), daemon=True))
    for p in procs:
        p.start()
    return procs, out


def _collect(procs: list[Any], out: Any, timeout_s: float) -> list[dict[str, Any]]:
    results = [out.get(timeout=timeout_s) for _ in procs]
    for p in procs:
        p.join(10)
    crashed = [r["crashed"] for r in results if "crashed" in r]
    if crashed:
        raise RuntimeError(f"driver crashed: {crashed}")
    return results


def _summarise(results: list[dict[str, Any]], rate: float, duration: float) -> dict[str, Any]:
    samples = [s for r in results for s in r["samples"]]
    ok = [s for s in samples if not s["error"] and s["trade_visible"]]
    errors: dict[str, int] = {}
    for s in samples:
        if s["error"]:
            kind = s["error"][:80]
            errors[kind] = errors.get(kind, 0) + 1
    wall = max(r["wall_s"] for r in results)
    legs = {leg: {"p50": _pct([s[leg] for s in ok], 0.5), "p99": _pct([s[leg] for s in ok], 0.99)}
            for leg in LEGS}  # fmt: skip
    return {
        "offered_rate": rate, "duration_s": duration, "wall_s": round(wall, 1),
        "sent": len(samples), "skipped": sum(r["skipped"] for r in results),
        "traded_visible": len(ok), "rfqs_per_s": round(len(ok) / wall, 1),
        "failed": len(samples) - len(ok), "errors": errors, "legs_ms": legs,
        "accepts_per_rfq": round(statistics.mean([s["accepts"] for s in ok]), 2) if ok else 0,
        "updates_per_rfq": round(statistics.mean([s["updates"] for s in ok]), 2) if ok else 0,
        "driver_cpu_s": round(sum(r["cpu_s"] for r in results), 2),
    }  # fmt: skip


def ghz_binary() -> str:
    """ghz on PATH, in GOBIN/GOPATH, or installed (pinned) into .orion/cache/bin with `go`."""
    found = shutil.which("ghz")
    if found:
        return found
    gobin = REPO_ROOT / ".orion" / "cache" / "bin"
    if not (gobin / "ghz").exists():
        env = {**os.environ, "GOBIN": str(gobin)}
        subprocess.run(["go", "install", f"github.com/bojand/ghz/cmd/ghz@{GHZ_VERSION}"],
                       env=env, check=True)  # fmt: skip
    return str(gobin / "ghz")


def ghz_run(addr: str, rate: int, seconds: int) -> dict[str, Any]:
    data = {"idempotency_key": "{{.UUID}}", "instrument_id": "FX.EURUSD", "side": "SIDE_BUY",
            "quantity": "1000000", "expires_in_ms": 5000}  # fmt: skip
    # 50 synthetic users: the service's per-user RFQ rate limit (50/s) must not be what is hit.
    meta = {"x-tenant-id": "ghz", "x-user-id": "ghz-{{mod .RequestNumber 50}}"}
    cmd = [ghz_binary(), "--insecure", "--import-paths", str(REPO_ROOT / "proto"),
           "--proto", str(REPO_ROOT / "proto/orion/rfq/v1/rfq_service.proto"),
           "--call", "orion.rfq.v1.RfqService.CreateRfq", "--rps", str(rate), "-z", f"{seconds}s",
           "--concurrency", "50", "--connections", "4", "-d", json.dumps(data),
           "-m", json.dumps(meta), "--format", "json", addr]  # fmt: skip
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    raw = json.loads(out.stdout)
    lat = {d["percentage"]: d["latency"] / 1e6 for d in raw.get("latencyDistribution") or []}
    return {"rate": rate, "seconds": seconds, "count": raw["count"], "rps": round(raw["rps"], 1),
            "p50_ms": round(lat.get(50, -1), 1), "p99_ms": round(lat.get(99, -1), 1),
            "status": raw.get("statusCodeDistribution", {}),
            "errors": raw.get("errorDistribution", {})}  # fmt: skip


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    plat = Platform(base_port=args.base_port)
    await plat.start()
    try:
        tokens = plat.tokens(args.users)
        groups = {name: [pid] for name, pid in plat.pids().items()} | server_pids()
        # Warm-up: connections, JIT-less caches, consumer group joins; not measured.
        procs, out = _drive(plat.bff_url, tokens, min(args.rate, 5.0), args.warmup, 1)
        _collect(procs, out, args.warmup + 60)
        procs, out = _drive(plat.bff_url, tokens, args.rate, args.duration, args.workers)
        meter = CpuMeter(groups)
        results = _collect(procs, out, args.duration + 60)
        cpu = meter.stop()
        # The workers time their own CPU (they have exited by now).
        cpu["driver"] = round(sum(r["cpu_s"] for r in results), 2)
        e2e = _summarise(results, args.rate, args.duration)
        e2e["cpu_s"] = cpu
        done = max(1, e2e["traded_visible"])
        e2e["cpu_ms_per_rfq"] = {k: round(v * 1000 / done, 2) for k, v in cpu.items()}
        ghz = []
        for rate in args.ghz_rates:
            meter = CpuMeter({"rfq": [plat.pids()["rfq"]]} | server_pids())
            run = ghz_run(f"127.0.0.1:{args.base_port + 10}", rate, args.ghz_seconds)
            run["cpu_s"] = meter.stop()
            ghz.append(run)
        return {"e2e": e2e, "ghz": ghz}
    finally:
        await plat.stop(keep_logs=args.keep_logs)


def _machine() -> str:
    mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    return f"{os.cpu_count()} cores, {int(mem) // 1024} MiB RAM, {host.platform()}"


def render(result: dict[str, Any], command: str) -> str:
    e, lines = result["e2e"], []
    lines += [f"Run {result['when']} on {result['machine']}; command `{command}`; wall "
              f"{result['bench_wall_s']} s. Raw numbers: `load/reports/rfq-results.json`.", "",
              f"**End to end through the BFF**: offered {e['offered_rate']} RFQ/s for "
              f"{e['duration_s']} s → **{e['rfqs_per_s']} RFQ/s** traded and visible "
              f"({e['traded_visible']} of {e['sent']} sent, {e['skipped']} not sent because "
              f"2,000 were in flight, {e['failed']} failed {e['errors'] or ''}); "
              f"{e['accepts_per_rfq']} accepts per RFQ (last look), "
              f"{e.get('updates_per_rfq', '-')} rfqUpdates pushes per RFQ.", "",
              "| leg (ms since createRfq was sent) | p50 | p99 |",
              "| --- | ---: | ---: |"]  # fmt: skip
    for leg, v in e["legs_ms"].items():
        lines.append(f"| {leg} | {v['p50']} | {v['p99']} |")
    lines += ["", "| process | CPU s | CPU ms per traded RFQ |", "| --- | ---: | ---: |"]
    for name, v in e["cpu_s"].items():
        if name != "machine_capacity":
            lines.append(f"| {name} | {v} | {e['cpu_ms_per_rfq'][name]} |")
    lines += ["", f"Machine CPU available in the window: {e['cpu_s']['machine_capacity']} s.", "",
              "**ghz → gRPC `CreateRfq`** (concurrency 50, 4 connections):", "",
              "| offered/s | s | calls | achieved/s | p50 ms | p99 ms | statuses "
              "| rfq CPU ms/call |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]  # fmt: skip
    for g in result["ghz"]:
        per = round(g["cpu_s"]["rfq"] * 1000 / max(1, g["count"]), 2)
        lines.append(f"| {g['rate']} | {g['seconds']} | {g['count']} | {g['rps']} | {g['p50_ms']} "
                     f"| {g['p99_ms']} | {g['status']} | {per} |")  # fmt: skip
    return "\n".join(lines)


def write_report(result: dict[str, Any], command: str, reports: Path = REPORTS) -> None:
    """The JSON in full; in rfq.md only the text between the GENERATED markers is replaced."""
    (reports / "rfq-results.json").write_text(json.dumps(result, indent=2) + "\n")
    report = reports / "rfq.md"
    text = report.read_text() if report.exists() else "# RFQ benchmark\n\n"
    start, end = "<!-- GENERATED:START -->", "<!-- GENERATED:END -->"
    section = f"{start}\n{render(result, command)}\n{end}"
    if start in text:
        text = text.split(start)[0] + section + text.split(end, 1)[1]
    else:
        text += f"\n## Results (generated)\n\n{section}\n"
    report.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=250.0, help="offered RFQs/s (all workers)")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2, help="driver processes")
    parser.add_argument("--users", type=int, default=20, help="synthetic traders (tokens)")
    parser.add_argument("--ghz-rates", default="50,100,200,400")
    parser.add_argument("--ghz-seconds", type=int, default=10)
    parser.add_argument("--base-port", type=int, default=18200)
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--no-report", action="store_true", help="print, do not write reports")
    args = parser.parse_args()
    args.ghz_rates = [int(r) for r in args.ghz_rates.split(",") if r]
    began = time.perf_counter()
    result = asyncio.run(bench(args))
    result["bench_wall_s"] = round(time.perf_counter() - began, 1)
    result["machine"] = _machine()
    result["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    command = f"./orionw load rfq --rate {args.rate:g} --duration {args.duration:g}"
    if args.no_report:
        print(json.dumps(result, indent=2))
    else:
        write_report(result, command)
        print(render(result, command))


if __name__ == "__main__":
    main()
