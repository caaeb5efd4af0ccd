"""The three processes as `python -m` wires them, on the embedded profile (no servers)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.db import utc_now
from core.settings import REPO_ROOT, Profile, Settings
from services.execution.bootstrap import ExecutionProcess
from services.lp_bots.bootstrap import LpBotsProcess
from services.rfq.bootstrap import RfqProcess
from services.rfq.commands import AcceptQuote, Caller, CreateRfq
from services.rfq.domain import Rfq
from services.rfq.events import RfqState, Side
from services.rfq.handlers import accept_quote, create_rfq, get_rfq


def test_entry_points_register_every_event_they_encode_or_decode() -> None:
    """Run in a fresh interpreter: only what `python -m services.<x>` imports is loaded."""
    code = (
        "import services.rfq.bootstrap, services.execution.bootstrap, services.lp_bots.bootstrap\n"
        "from eventbus.registry import REGISTRY\n"
        "for name in ('RfqCreated','RfqSent','QuoteSubmitted','QuoteAccepted','LastLookDecided',"
        "'TradeExecuted','RfqTraded'):\n"
        "    REGISTRY.lookup(name, 1)\n"
    )
    path = f"{REPO_ROOT}:{REPO_ROOT / 'gen' / 'python'}"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": path},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-1500:]


@pytest.fixture
async def rfq_process(tmp_path: Path) -> AsyncIterator[RfqProcess]:
    settings = Settings(profile=Profile.EMBEDDED, home=tmp_path, env="emb")
    rfq = RfqProcess(settings, port=0)
    execution = ExecutionProcess(settings)
    lp_bots = LpBotsProcess(settings, start_from="earliest")
    await rfq.start()
    await execution.start()
    await lp_bots.start()
    try:
        yield rfq
    finally:
        await lp_bots.stop()
        await execution.stop()
        await rfq.stop()


async def _until(process: RfqProcess, rfq_id: str, done: str) -> Rfq:
    deadline = time.monotonic() + 20
    rfq = await get_rfq(process.deps, "t1", rfq_id)
    while time.monotonic() < deadline:
        rfq = await get_rfq(process.deps, "t1", rfq_id)
        if (len(rfq.quotes) >= 5) if done == "quoted" else rfq.state is RfqState.TRADED:
            return rfq
        await asyncio.sleep(0.05)
    raise AssertionError(f"RFQ stuck in {rfq.state} with {len(rfq.quotes)} quotes")


async def test_rfq_trades_on_the_embedded_profile(rfq_process: RfqProcess) -> None:
    caller = Caller("t1", "u1", "corr-emb")
    cmd = CreateRfq("k", "FX.EURUSD", Side.BUY, Decimal(1_000_000), timedelta(seconds=20))
    created = await create_rfq(rfq_process.deps, caller, cmd)
    quoted = await _until(rfq_process, created.rfq_id, "quoted")
    best = quoted.ranked(utc_now())[0].quote
    accept = AcceptQuote("a", quoted.rfq_id, best.quote_id, quoted.version)
    await accept_quote(rfq_process.deps, caller, accept)
    traded = await _until(rfq_process, created.rfq_id, "traded")
    assert traded.trade_id
    assert rfq_process.timers.armed == 1  # armed at creation; it fires harmlessly at expiry
