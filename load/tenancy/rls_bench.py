"""What row-level security costs the RFQ and identity paths, in CPU seconds per operation.

    .venv/bin/python -m load.tenancy.rls_bench            # = ./orionw load tenancy
    .venv/bin/python -m load.tenancy.rls_bench --ops 200 --rounds 1   # quick look

Two fresh databases on the local Postgres: `plain` (tables only; the handlers run as the
owner) and `rls` (migrated by `db_roles.migrate`: forced RLS + grants; the handlers run as
`orion_rfq`, one set_config per transaction). The same handlers run in both, interleaved
round by round: `create_rfq` (RFQ + idempotency key + outbox + audit in one transaction) and
`get_rfq`; and the identity service (as the owner vs as `orion_identity`): `login` (password
check at a token argon2 cost, session + user update + login event) and `session_check` (what
/authorize does with a session cookie: locate the session's tenant, read the session, read
the user in that tenant). Both variants call the locator function (it replaced plain reads),
so the ratio is the cost of the policies and set_config; `locate` alone measures what the
locate round trip adds to each pre-tenant lookup (one in `session_check`). CPU =
this process's `time.process_time()` plus the utime+stime of the database's
own Postgres backends (from /proc), so other users of the shared server are not counted.
Writes load/reports/tenancy-rls.json and the generated section of load/reports/tenancy-rls.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform as host
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

import eventbus.consumer  # noqa: F401  (processed_events table)
import services.identity.preferences  # noqa: F401  (identity_ui_preferences table)
from bff.auth.revocation import InMemoryRevocationList
from core.db import Database, create_database, drop_database
from core.settings import REPO_ROOT, Profile, Settings
from load.cpu import cpu_seconds
from orion.identity.v1 import events_pb2 as identity_pb
from services.identity.bootstrap import IdentityService, build
from services.identity.config import IdentitySettings
from services.identity.db_roles import IDENTITY_ROLE, RFQ_ROLE, migrate
from services.identity.keys import KeyStore
from services.identity.seed import seed
from services.lp_bots.mids import MidBoard
from services.lp_bots.profiles import REFERENCE_MIDS
from services.rfq.bootstrap import build_deps
from services.rfq.commands import Caller, CreateRfq
from services.rfq.events import Side
from services.rfq.handlers import RfqDeps, create_rfq, get_rfq
from services.rfq.risk import RateLimiter, RiskLimits

REPORT_MD = REPO_ROOT / "load" / "reports" / "tenancy-rls.md"
REPORT_JSON = REPO_ROOT / "load" / "reports" / "tenancy-rls.json"
BEGIN, END = "<!-- GENERATED:BEGIN -->", "<!-- GENERATED:END -->"
TENANTS = ("acme", "globex")


async def _backend_cpu(owner: Database, name: str) -> dict[int, float]:
    """CPU seconds so far of every backend connected to database `name`."""
    async with owner.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": name}
        )
        return {int(pid): cpu_seconds(int(pid)) for pid in rows.scalars()}


async def _measured(
    owner: Database, name: str, ops: int, concurrency: int, op: Callable[[int], Awaitable[Any]]
) -> dict[str, float]:
    """Run `op(i)` for i < ops, `concurrency` at a time; CPU per op of client and backends."""
    before, cpu0, wall0 = await _backend_cpu(owner, name), time.process_time(), time.perf_counter()
    queue = iter(range(ops))

    async def worker() -> None:
        for i in queue:
            await op(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    client, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    after = await _backend_cpu(owner, name)
    # The probing connection's own backend is in both samples; new pool backends start at 0.
    server = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
    return {
        "client_ms_per_op": 1000 * client / ops,
        "server_ms_per_op": 1000 * server / ops,
        "total_ms_per_op": 1000 * (client + server) / ops,
        "wall_s": wall,
    }


class Variant:
    """One database, the RFQ handlers' dependencies and the identity service on it (owner or
    service roles)."""

    def __init__(
        self, label: str, name: str, settings: Settings, deps: RfqDeps, idp: IdentityService
    ) -> None:
        self.label, self.name, self.settings, self.deps, self.idp = label, name, settings, deps, idp
        self.rfq_ids: list[tuple[str, str]] = []
        self.sessions: list[str] = []
        self.created = 0

    def ops(self) -> dict[str, Callable[[int], Awaitable[Any]]]:
        return {
            "create_rfq": self.create, "get_rfq": self.read,
            "login": self.login, "session_check": self.session_check, "locate": self.locate,
        }  # fmt: skip

    async def login(self, i: int) -> None:
        user = f"trader@{TENANTS[i % 2]}"
        outcome = await self.idp.login.attempt(user, "trader-demo", identity_pb.RequestOrigin())
        if outcome.session_id is None:
            raise RuntimeError(f"bench login refused: {outcome.reason}")
        self.sessions.append(outcome.session_id)

    async def session_check(self, i: int) -> None:
        repo = self.idp.repo
        session = await repo.live_session(self.sessions[i % len(self.sessions)])
        if session is None or not await repo.user_grant(
            session.user_id, session.session_id, session.tenant_id
        ):
            raise RuntimeError("bench session not live")

    async def locate(self, i: int) -> None:
        """The locator call alone: what each pre-tenant lookup now adds before its read."""
        if await self.idp.repo.tenant_of("session", self.sessions[i % len(self.sessions)]) is None:
            raise RuntimeError("bench session not found")

    async def create(self, i: int) -> None:
        tenant = TENANTS[i % 2]
        self.created += 1
        key = f"{self.label}-{self.created}-{uuid.uuid4().hex[:6]}"
        cmd = CreateRfq(key, "FX.EURUSD", Side.BUY, Decimal("1000000"), timedelta(minutes=5))
        rfq = await create_rfq(self.deps, Caller(tenant, "bench", key), cmd)
        self.rfq_ids.append((tenant, rfq.rfq_id))

    async def read(self, i: int) -> None:
        tenant, rfq_id = self.rfq_ids[i % len(self.rfq_ids)]
        await get_rfq(self.deps, tenant, rfq_id)


async def _variant(base_url: str, label: str, rls: bool) -> Variant:
    name = f"orion_rlsbench_{label}_{uuid.uuid4().hex[:6]}"
    url = await create_database(base_url, name)
    settings = Settings(profile=Profile.REAL, database_url=url)
    if rls:
        db = Database.for_role(settings, RFQ_ROLE, pool_size=8)
        identity_db = Database.for_role(settings, IDENTITY_ROLE, pool_size=8)
        await migrate(settings, db)
    else:
        db = identity_db = Database.from_url(url, pool_size=8)
        await db.create_all()
    deps = build_deps(settings, db, MidBoard(REFERENCE_MIDS, None))
    # No risk refusals: every create takes the full write path in both variants.
    deps.limiter = RateLimiter(RiskLimits(Decimal("1e15"), 1e9, 1e9))
    # A token argon2 cost: the bench is about the database path, not password hashing.
    cheap = IdentitySettings(argon2_time_cost=1, argon2_memory_kib=1024, lockout_threshold=10**9)
    idp = build(
        cheap, platform=settings, db=identity_db, keys=KeyStore.ephemeral(),
        revocations=InMemoryRevocationList(),
    )  # fmt: skip
    await seed(idp.repo, settings, None)
    return Variant(label, name, settings, deps, idp)


async def run(ops: int, rounds: int, concurrency: int) -> dict[str, Any]:
    base = Settings(profile=Profile.REAL).effective_database_url()
    owner = Database.from_url(base, pool_size=1)
    variants = [await _variant(base, "plain", False), await _variant(base, "rls", True)]
    samples: dict[str, dict[str, list[dict[str, float]]]] = {
        v.label: {op: [] for op in v.ops()} for v in variants
    }
    try:
        for v in variants:  # warm-up: pools open, statements cached
            for i in range(20):
                await v.create(i)
                await v.login(i)
        for _ in range(rounds):
            for v in variants:
                for op_name, op in v.ops().items():
                    result = await _measured(owner, v.name, ops, concurrency, op)
                    samples[v.label][op_name].append(result)
    finally:
        for v in variants:
            await v.deps.db.dispose()
            await v.idp.db.dispose()
            await drop_database(base, v.name)
        await owner.dispose()
    return _summary(samples, ops, rounds, concurrency)


def _summary(
    samples: dict[str, dict[str, list[dict[str, float]]]], ops: int, rounds: int, conc: int
) -> dict[str, Any]:
    median = {
        label: {
            op: {k: statistics.median(s[k] for s in runs) for k in runs[0]}
            for op, runs in by_op.items()
        }
        for label, by_op in samples.items()
    }
    overhead = {
        op: median["rls"][op]["total_ms_per_op"] / median["plain"][op]["total_ms_per_op"] - 1
        for op in median["plain"]
    }
    return {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "python": host.python_version()},
        "ops_per_run": ops, "rounds": rounds, "concurrency": conc,
        "median": median, "rls_overhead": overhead, "samples": samples,
    }  # fmt: skip


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Run {result['when']}, {result['machine']['cores']} cores, {result['ops_per_run']} ops "
        f"per run, {result['rounds']} round(s) interleaved, concurrency {result['concurrency']}; "
        "medians over rounds, CPU in ms per operation (client process + the database's backends).",
        "",
        "| variant | operation | client CPU | Postgres CPU | total CPU | wall s |",
        "|---|---|---|---|---|---|",
    ]
    for label, by_op in result["median"].items():
        for op, m in by_op.items():
            lines.append(
                f"| {label} | {op} | {m['client_ms_per_op']:.3f} | {m['server_ms_per_op']:.3f} | "
                f"{m['total_ms_per_op']:.3f} | {m['wall_s']:.2f} |"
            )
    lines.append("")
    for op, ratio in result["rls_overhead"].items():
        lines.append(f"- RLS (service role + forced policies + set_config) on {op}: {ratio:+.1%}")
    return "\n".join(lines)


def write_reports(result: dict[str, Any]) -> None:
    REPORT_JSON.write_text(json.dumps(result, indent=2) + "\n")
    page = REPORT_MD.read_text()
    head, rest = page.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    REPORT_MD.write_text(f"{head}{BEGIN}\n{_markdown(result)}\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000, help="operations per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per variant")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    result = asyncio.run(run(args.ops, args.rounds, args.concurrency))
    write_reports(result)
    print(_markdown(result))


if __name__ == "__main__":
    main()
