"""The workstation in headless Chromium against `orion dev`: the built UI is served at `/`, its
login goes through the built-in identity provider (code + PKCE), and it connects with the token."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from core.settings import REPO_ROOT
from tests.e2e.test_dev_boot import _boot, _terminate, _wait_for_health

pytestmark = pytest.mark.e2e
WEB = REPO_ROOT / "bff" / "web"
CHROMIUM = Path("/usr/bin/chromium")

# Resolves playwright-core from bff/web (the UI's own dev dependency) wherever this file lives.
SCRIPT = """
import { createRequire } from 'node:module';
const require = createRequire(process.argv[2]);
const { chromium } = require('playwright-core');
const base = process.argv[3];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const out = {};
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(base);
  await page.click('[data-testid="login"]');
  await page.waitForSelector('input[name="username"]', { timeout: 20000 });
  out.loginPage = page.url();
  await page.fill('input[name="username"]', 'trader@acme');
  await page.fill('input[name="password"]', 'trader-demo');
  await page.press('input[name="password"]', 'Enter');
  await page.waitForSelector('[data-status="connected"]', { timeout: 20000 });
  out.backAt = page.url();
  out.body = await page.innerText('body');
} catch (e) { out.error = String(e); }
console.log(JSON.stringify(out));
await browser.close();
"""


def test_a_trader_logs_in_to_the_workstation_served_by_orion_dev(
    tmp_path: Path, workstation_dist: Path, chromium: Path
) -> None:
    proc, base = _boot(tmp_path)
    try:
        _wait_for_health(base, proc)
        script = tmp_path / "login.mjs"
        script.write_text(SCRIPT)
        run = subprocess.run(
            ["node", str(script), str(WEB / "package.json"), f"{base}/"],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    finally:
        _terminate(proc)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert "error" not in result, result
    assert result["loginPage"].startswith(f"{base}/identity/authorize?")
    assert result["backAt"].startswith(f"{base}/")
    assert "trader@acme" in result["body"]


def test_the_trader_journey_runs_in_chromium_against_orion_dev(
    tmp_path: Path, workstation_dist: Path, chromium: Path
) -> None:
    """Log in, build a watchlist, find it again from a fresh browser context (saved on the
    server), see prices tick, send an RFQ, accept the best quote, find the trade in the blotter
    with its correlation id, export it as CSV, survive a WebSocket drop."""
    proc, base = _boot(tmp_path)
    try:
        _wait_for_health(base, proc)
        run = subprocess.run(
            ["node", str(WEB / "scripts" / "e2e-platform.mjs"), f"{base}/"],
            cwd=WEB,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        _terminate(proc)
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    for step in ("prices tick", "trade", "CSV", "reconnect", "fresh browser context"):
        assert step.lower() in run.stdout.lower(), run.stdout
