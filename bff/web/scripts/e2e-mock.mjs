// Live code path end to end in headless Chromium against scripts/mock-platform.mjs: OIDC login
// (code + PKCE) → prices tick → send RFQ → accept best → trade in the blotter with its correlation
// id → CSV export has it → forced WebSocket drop → reconnects and streams again.
// Usage: npm run e2e:mock   (builds dist/ first). Exit code 1 on any failed step.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

process.argv[2] = '0';
const { server } = await import('./mock-platform.mjs');
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const step = (name) => console.log(`✓ ${name}`);
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });

  await page.goto(base);
  await page.click('[data-testid="login"]');
  await page.waitForSelector('[data-status="connected"]', { timeout: 15_000 });
  step('logged in through the OIDC code + PKCE flow; socket connected with the token');

  const bid = page.locator('[data-testid="market-grid"] [row-id="EURUSD"] [col-id="bid"]');
  const first = await bid.innerText();
  await page.waitForFunction((v) => document.querySelector('[data-testid="market-grid"] [row-id="EURUSD"] [col-id="bid"]')?.textContent !== v, first, { timeout: 5_000 });
  step(`prices tick (EURUSD bid ${first} → ${await bid.innerText()})`);

  await page.locator('[data-testid="market-grid"] [row-id="EURUSD"] [col-id="symbol"]').click();
  await page.click('[data-testid="send-rfq"]');
  await page.waitForSelector('[data-testid="quotes"] tr.best', { timeout: 10_000 });
  const correlationId = (await page.locator('[data-testid="rfq-live"] code').innerText()).trim();
  step(`RFQ sent, ranked quotes shown (correlation id ${correlationId})`);

  await page.click('[data-testid="accept-best"]');
  await page.waitForSelector('[data-testid="trade-done"]', { timeout: 5_000 });
  await page.click('[data-testid="tab-trades"]');
  await page.waitForSelector(`[data-testid="trade-blotter"] .ag-row:has-text("${correlationId}")`, { timeout: 5_000 });
  step('best quote accepted; the trade is in the blotter with the RFQ correlation id');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split('\n');
  if (lines.length !== 2 || !lines[1].includes(correlationId) || !lines[0].includes('Correlation id')) throw new Error(`CSV unexpected:\n${csv}`);
  step(`CSV export: header + 1 trade row carrying ${correlationId}`);

  await fetch(`${base}__drop`, { method: 'POST' });
  await page.waitForSelector('[data-status="reconnecting"]', { timeout: 5_000 });
  await page.waitForSelector('[data-status="connected"]', { timeout: 15_000 });
  const after = await bid.innerText();
  await page.waitForFunction((v) => document.querySelector('[data-testid="market-grid"] [row-id="EURUSD"] [col-id="bid"]')?.textContent !== v, after, { timeout: 5_000 });
  step('forced WebSocket drop: reconnected, resubscribed, prices tick again');
  await page.screenshot({ path: 'screenshots/e2e-mock.png' });
} catch (error) {
  failed = true;
  console.error('✗', error instanceof Error ? error.message : error);
} finally {
  await browser.close();
  server.close();
}
const real = problems.filter((p) => !p.includes('favicon'));
if (real.length) { console.log('browser problems:\n' + real.join('\n')); failed = true; }
process.exit(failed ? 1 : 0);
