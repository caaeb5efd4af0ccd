"""Bounded GraphQL benchmark: the same query straight to the workstation subgraph and through
Hive Gateway, measured in one run (the ratio is the cost of the gateway hop).

    .venv/bin/python -m load.bff.bench_graphql --requests 2000 --concurrency 20

The BFF (with the refdata gRPC service) runs in a child process; the gateway is a Node process;
the client runs here. Everything binds 127.0.0.1. Writes load/reports/bff-graphql.md.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import platform
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

QUERY = """query One($id: ID!) { instrument(id: $id) { __typename
  ... on Instrument { symbol tickSize venueIds } ... on InstrumentNotFound { message } } }"""
# A distinct id per request: the gateway de-duplicates identical in-flight requests, which would
# flatter it. Unknown ids take the same path (one gRPC BatchGetInstruments) and answer NotFound.
REPORT = Path(__file__).resolve().parents[1] / "reports" / "bff-graphql.md"


def _serve(jwks: dict[str, Any], issuer: str, audience: str, out: Any) -> None:
    from bff.app import BffConfig
    from bff.auth import InMemoryRevocationList, StaticKeySource, TokenValidator
    from bff.settings import BffLimits
    from bff.testing import running_bff, running_refdata

    async def main() -> None:
        validator = TokenValidator(
            issuer=issuer,
            audience=audience,
            keys=StaticKeySource(jwks),
            revocations=InMemoryRevocationList(),
        )
        limits = BffLimits(rate_per_minute=10_000_000)
        async with running_refdata() as (_, port):
            config = BffConfig(f"127.0.0.1:{port}", limits, validator=validator, tracing=False)
            async with running_bff(config) as url:
                out.put(url)
                await asyncio.Event().wait()

    asyncio.run(main())


async def _run(url: str, token: str, requests: int, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    error_codes: Counter[str | None] = Counter()
    headers = {"Authorization": f"Bearer {token}"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            n = queue.get_nowait()
            variables = {"id": f"BENCH-{n}"}
            started = time.perf_counter()
            body_in = {"query": QUERY, "variables": variables}
            response = await client.post(url, json=body_in, headers=headers)
            latencies.append(time.perf_counter() - started)
            body = response.json() if response.status_code == 200 else {}
            if response.status_code != 200 or "errors" in body:
                errors += 1
                codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]
                error_codes.update(codes or [str(response.status_code)])

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        warm = {"query": QUERY, "variables": {"id": "FX.EURUSD"}}
        await client.post(url, json=warm, headers=headers)
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / elapsed,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "p99": q[98] * 1000,
        "errors": errors,
        "codes": dict(error_codes),
    }


def _report(args: argparse.Namespace, rows: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# BFF GraphQL: direct subgraph vs Hive Gateway",
        "",
        f"Command: `.venv/bin/python -m load.bff.bench_graphql --requests {args.requests} "
        f"--concurrency {args.concurrency}`",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
        f", load average at the end {os.getloadavg()[0]:.1f} (shared box: compare the ratio).",
        "Query: `instrument(id: $id)` with a distinct id per request (no in-flight"
        " de-duplication at the gateway); one gRPC BatchGetInstruments per operation.",
        "",
        "| path | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
            f"| {int(r['errors'])} {r['codes'] or ''} |"
        )
    if "gateway" in rows:
        ratio = rows["direct"]["rps"] / rows["gateway"]["rps"]
        lines += ["", f"Direct / gateway throughput ratio: {ratio:.2f}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--no-gateway", action="store_true")
    args = parser.parse_args()
    args.requests = min(args.requests, 20_000)  # bounded: this box is shared

    from tests.unit.bff.tokens import AUDIENCE, ISSUER, Issuer

    issuer = Issuer()
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    jwks = {"keys": [issuer.key.as_dict(private=False)]}
    server = ctx.Process(target=_serve, args=(jwks, ISSUER, AUDIENCE, out), daemon=True)
    server.start()
    try:
        bff_url = out.get(timeout=60)
        token = issuer.mint(ttl_s=3600)
        rows = {
            "direct": asyncio.run(
                _run(f"{bff_url}/graphql/workstation", token, args.requests, args.concurrency)
            )
        }
        if not args.no_gateway:
            rows["gateway"] = asyncio.run(_via_gateway(bff_url, token, args))
    finally:
        server.terminate()
        server.join(10)
    text = _report(args, rows)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    print(text)


async def _via_gateway(bff_url: str, token: str, args: argparse.Namespace) -> dict[str, Any]:
    from tests.e2e.test_gateway import running_gateway

    async with running_gateway(bff_url) as gw:
        return await _run(f"{gw}/graphql", token, args.requests, args.concurrency)


if __name__ == "__main__":
    main()
