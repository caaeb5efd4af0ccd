"""Market-data fan-out benchmark: hub vs default Strawberry path, side by side, one run.

Starts `python -m services.marketdata` (simulated ticks -> Kafka) and one BFF streaming process
(`python -m bff.streaming`, both paths in the same process), then for each session count runs
the Go client (load/marketdata/wsload) against /graphql/stream (hub) and /graphql (Strawberry),
sampling the BFF's CPU and RSS from /proc. Bounded: every phase has a ramp timeout and a fixed
window; every process started here is stopped by PID. 127.0.0.1 only.

    ./orionw load marketdata          # = bench.py --sessions 100,1000,5000 (see the report)

The results section of load/reports/marketdata.md (between its `results:begin/end` markers)
and load/reports/marketdata-raw.json are rewritten by every run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GO_DIR = ROOT / "load" / "marketdata" / "wsload"
REPORT = ROOT / "load" / "reports" / "marketdata.md"
POOL = (
    "FX.EURUSD,FX.GBPUSD,FX.USDJPY,FX.AUDUSD,FX.USDCAD,FX.USDCHF,FX.NZDUSD,FX.EURGBP,FX.EURJPY,"
    "FX.USDMXN,FX.USDCNH,RATES.UST10Y,RATES.UST2Y,CREDIT.CDXIG5Y"
)
PATHS = {"hub": "/graphql/stream", "strawberry": "/graphql"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]

    def pids(self) -> list[int]:
        """The process and its direct children (uvicorn workers)."""
        found = [self.popen.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.popen.pid:
                found.append(int(stat.parent.name))
        return found

    def cpu_s(self) -> dict[int, float]:
        """CPU seconds per live pid: a replaced worker must not make a window's delta negative."""
        out: dict[int, float] = {}
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
        return out

    def rss_mb(self) -> float:
        total = 0.0
        for pid in self.pids():
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            total += sum(int(ln.split()[1]) / 1024 for ln in lines if ln.startswith("VmRSS:"))
        return total

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two samples; a pid born in between counts from zero."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def start(name: str, args: list[str], env: dict[str, str], log: Path) -> Proc:
    with log.open("wb") as out:
        popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Proc(name, popen)


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def hub_stats(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as resp:
        data: dict[str, Any] = json.loads(resp.read())
        return data


def phase(
    bff: Proc, binary: Path, port: int, path: str, sessions: int, opts: argparse.Namespace
) -> dict[str, Any]:
    window = opts.window
    rss_before = bff.rss_mb()
    load_before = Path("/proc/loadavg").read_text().split()[0]
    args = [
        str(binary),
        "-url",
        f"ws://127.0.0.1:{port}{PATHS[path]}",
        "-sessions",
        str(sessions),
        "-duration",
        f"{window}s",
        "-instruments",
        POOL,
        "-per-session",
        "10",
        "-selections",
        "20",
        "-ramp-rate",
        "500",
        "-ramp-timeout",
        f"{opts.ramp_timeout}s",
    ]
    client = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    load_client = Proc("wsload", client)
    # The client prints one JSON line at the end; sample the BFF (and the client's own CPU, to
    # show it is not the bottleneck) during its measurement window.
    samples: list[tuple[float, dict[int, float], float, dict[int, float]]] = []
    while client.poll() is None:
        samples.append((time.monotonic(), bff.cpu_s(), bff.rss_mb(), load_client.cpu_s()))
        time.sleep(0.5)
    out, err = client.communicate()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    window_samples = samples[-int(window * 2) - 1 :]
    (t0, c0, _, l0), (t1, c1, _rss_after, l1) = window_samples[0], window_samples[-1]
    result.update(
        path=path,
        bff_cpu_cores=cpu_delta(c0, c1) / (t1 - t0) if t1 > t0 else 0.0,
        client_cpu_cores=cpu_delta(l0, l1) / (t1 - t0) if t1 > t0 else 0.0,
        rss_before_mb=rss_before,
        rss_peak_mb=max(s[2] for s in samples),
        client_stderr=err.decode()[-300:],
        loadavg=f"{load_before}-{Path('/proc/loadavg').read_text().split()[0]}",
    )
    connected = max(result["connected"], 1)
    result["rss_per_session_kb"] = (result["rss_peak_mb"] - rss_before) * 1024 / connected
    cores = max(result["bff_cpu_cores"], 1e-6)
    result["deliveries_per_core"] = result["deliveries_per_s"] / cores
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", default="100,1000,5000")
    parser.add_argument("--window", type=int, default=15)
    parser.add_argument("--port", type=int, default=18150)
    parser.add_argument("--ramp-timeout", type=int, default=60)
    parser.add_argument(
        "--no-report", action="store_true", help="print the table only (quick probes)"
    )
    parser.add_argument(
        "--direct",
        choices=("on", "off"),
        default="on",
        help="off: every hub frame takes the ASGI send path (A/B of ADR 0012)",
    )
    parser.add_argument("--rate-scale", default="4")
    parser.add_argument("--paths", default="hub,strawberry")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    started = time.monotonic()
    binary = Path("/tmp/orion-wsload")
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=GO_DIR, check=True)
    env = {
        **os.environ,
        "ORION_PROFILE": "real",
        "ORION_ENV": "mdbench",
        "ORION_LOG_LEVEL": "ERROR",
        "ORION_MARKETDATA_ADDR": "127.0.0.1:0",
        "ORION_STREAMING_DIRECT": "1" if args.direct == "on" else "0",
    }
    logs = Path("/tmp")
    py = str(ROOT / ".venv" / "bin" / "python")
    md = start(
        "marketdata",
        [
            py,
            "-c",
            "import asyncio; from services.marketdata.__main__ import serve; "
            "from services.marketdata.bootstrap import RunOptions; "
            f"asyncio.run(serve(RunOptions(rate_scale={float(args.rate_scale)}, "
            "fixed_regime=True)))",
        ],
        env,
        logs / "bench-marketdata.log",
    )
    bff_args = [py, "-m", "bff.streaming", str(args.port), "--no-auth", "--workers"]
    results: list[dict[str, Any]] = []
    try:
        for path in args.paths.split(","):
            for sessions in (int(s) for s in args.sessions.split(",")):
                # A fresh BFF per phase, so that no phase inherits another's heap of closed
                # sessions or, after the default path at 1,000+ sessions, its backlog.
                bff = start("bff", [*bff_args, str(args.workers)], env, logs / "bench-bff.log")
                try:
                    wait_http(f"http://127.0.0.1:{args.port}/stats")
                    time.sleep(3)
                    result = phase(bff, binary, args.port, path, sessions, args)
                    try:
                        result["hub"] = hub_stats(args.port)
                    except OSError as exc:
                        result["hub"] = {"error": str(exc)}
                finally:
                    bff.stop()
                print(
                    json.dumps({k: v for k, v in result.items() if k != "client_stderr"}),
                    flush=True,
                )
                results.append(result)
        results.sort(key=lambda r: (r["sessions"], list(PATHS).index(r["path"])))
    finally:
        md.stop()
    if args.no_report:
        print(results_section(results, args, time.monotonic() - started))
    else:
        write_report(results, args, time.monotonic() - started)


BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def write_report(results: list[dict[str, Any]], args: argparse.Namespace, wall_s: float) -> None:
    """Raw JSON next to the report, and the report's generated results section."""
    raw = ROOT / "load" / "reports" / "marketdata-raw.json"
    raw.write_text(
        json.dumps({"machine": machine(), "args": vars(args), "results": results}, indent=1)
    )
    print(f"raw results: {raw}", file=sys.stderr)
    section = results_section(results, args, wall_s)
    print(section)
    text = REPORT.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        REPORT.write_text(head + BEGIN + "\n" + section + "\n" + END + rest.split(END, 1)[1])


def results_section(results: list[dict[str, Any]], args: argparse.Namespace, wall_s: float) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    cmd = " ".join(["load/marketdata/bench.py", *sys.argv[1:]])
    lines = [
        f"Generated by `{cmd}` at {when} in {wall_s / 60:.1f} min wall; {machine()}; "
        f"BFF workers {args.workers}, direct writes {args.direct}, window {args.window} s, "
        f"simulator rate_scale {args.rate_scale}.",
        "",
        table(results),
        "",
    ]
    by_size: dict[int, dict[str, float]] = {}
    for r in results:
        by_size.setdefault(r["sessions"], {})[r["path"]] = r["deliveries_per_core"]
    for sessions, per_path in sorted(by_size.items()):
        if {"hub", "strawberry"} <= per_path.keys() and per_path["strawberry"] > 0:
            ratio = per_path["hub"] / per_path["strawberry"]
            lines.append(
                f"- {sessions} sessions: hub / default path, deliveries per BFF core: "
                f"**{ratio:.1f}x**"
            )
    return "\n".join(lines)


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| sessions | path | connected | deliveries/s | p50 ms | p95 ms | p99 ms | BFF cores "
        "| deliveries/core-s | CPU µs/delivery | RSS/session KiB | gaps | resyncs | client cores "
        "| load avg |"
    )
    rows = [head, "|" + "---|" * 15]
    for r in results:
        per_core = max(r["deliveries_per_core"], 1e-9)
        rows.append(
            f"| {r['sessions']} | {r['path']} | {r['connected']} | {r['deliveries_per_s']:.0f} "
            f"| {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} "
            f"| {r['bff_cpu_cores']:.2f} | {r['deliveries_per_core']:.0f} | {1e6 / per_core:.1f} "
            f"| {r['rss_per_session_kb']:.0f} | {r['gaps']} | {r['resyncs']} "
            f"| {r.get('client_cpu_cores', 0.0):.2f} | {r.get('loadavg', '')} |"
        )
    return "\n".join(rows)


def machine() -> str:
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return f"{os.cpu_count()} cores, {int(mem) // 1024 // 1024} GiB RAM, {platform.platform()}"


if __name__ == "__main__":
    main()
