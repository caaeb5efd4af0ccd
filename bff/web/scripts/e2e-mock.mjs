// Live code path end to end in headless Chromium against scripts/mock-platform.mjs: OIDC login
// (code + PKCE) → prices tick → send RFQ → an acceptance refused at last look is shown plainly →
// accept best → the RFQ is ACCEPTED, then TRADED → trade in the blotter with its correlation id →
// CSV export has it → forced WebSocket drop → reconnects and streams again. The mock serves the
// real subgraph SDL (schemas/graphql/workstation.graphql).
// Usage: npm run e2e:mock   (builds dist/ first). Exit code 1 on any failed step.
import { readFileSync } from 'node:fs';
import { launchChromium } from './browser.mjs';

process.argv[2] = '0';
const { server } = await import('./mock-platform.mjs');
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launchChromium();
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

  await page.click('[data-testid="new-watchlist"]');
  await page.fill('input[aria-label="Watchlist name"]', 'Majors');
  await page.keyboard.press('Enter');
  await page.selectOption('select[aria-label="Instrument to add"]', 'FX.EURUSD');
  await page.click('.add-instrument button');
  await page.selectOption('select[aria-label="Instrument to add"]', 'FX.USDJPY');
  await page.click('.add-instrument button');
  await page.waitForSelector('[role="tab"][aria-selected="true"]:has-text("Majors")');
  const rows = await page.locator('[data-testid="market-grid"] [row-id]').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('row-id')))]);
  if (rows.sort().join() !== 'FX.EURUSD,FX.USDJPY') throw new Error(`watchlist rows: ${rows}`);
  step('created watchlist "Majors" with FX.EURUSD and FX.USDJPY');

  const bid = page.locator('[data-testid="market-grid"] [row-id="FX.EURUSD"] [col-id="bid"]');
  const first = await bid.innerText();
  await page.waitForFunction((v) => document.querySelector('[data-testid="market-grid"] [row-id="FX.EURUSD"] [col-id="bid"]')?.textContent !== v, first, { timeout: 5_000 });
  step(`prices tick (EURUSD bid ${first} → ${await bid.innerText()})`);

  await page.locator('[data-testid="market-grid"] [row-id="FX.EURUSD"] [col-id="symbol"]').click();
  await page.keyboard.press('Alt+S');
  if ((await page.getAttribute('[role="radio"].sell', 'aria-checked')) !== 'true') throw new Error('Alt+S did not select Sell');
  await page.keyboard.press('Alt+B');
  if ((await page.getAttribute('[role="radio"].buy', 'aria-checked')) !== 'true') throw new Error('Alt+B did not select Buy');
  step('ticket shortcuts Alt+S / Alt+B switch the side');
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('[data-testid="quotes"] tr.best', { timeout: 10_000 });
  const correlationId = (await page.locator('[data-testid="rfq-live"] code').innerText()).trim();
  step(`RFQ sent, ranked quotes shown (correlation id ${correlationId})`);

  await page.waitForFunction(() => document.querySelectorAll('[data-testid="quotes"] tbody tr').length === 3, null, { timeout: 10_000 });
  await page.locator('[data-testid="quotes"] tbody tr:has-text("Borealis") button').click();
  await page.waitForSelector('[data-testid="rfq-live"] .badge.status-accepted', { timeout: 5_000 });
  await page.waitForSelector('[data-testid="ticket-error"]', { timeout: 5_000 });
  const rejection = await page.locator('[data-testid="ticket-error"]').innerText();
  if (!rejection.includes('Rejected on last look') || !rejection.includes('No trade was done')) throw new Error(`rejection text: ${rejection}`);
  await page.waitForSelector('[data-testid="quotes"] tr:has-text("Borealis"):has-text("Rejected on last look")');
  await page.waitForSelector('[data-testid="rfq-live"] .badge.status-quoting', { timeout: 5_000 });
  step('acceptance → RFQ ACCEPTED → LP refused at last look: shown plainly, quote marked, RFQ back to QUOTING');

  await page.click('[data-testid="accept-best"]');
  await page.waitForSelector('[data-testid="trade-done"]', { timeout: 5_000 });
  await page.waitForSelector('[data-testid="rfq-live"] .badge.status-traded', { timeout: 5_000 });
  if (!(await page.locator('[data-testid="trade-done"]').innerText()).includes(correlationId)) throw new Error('trade message lacks the correlation id');
  await page.click('[data-testid="tab-trades"]');
  await page.waitForSelector(`[data-testid="trade-blotter"] .ag-row:has-text("${correlationId}")`, { timeout: 5_000 });
  step('best quote accepted → RFQ TRADED; the trade is shown and is in the blotter with the RFQ correlation id');
  await page.locator(`[data-testid="trade-blotter"] .ag-row:has-text("${correlationId}") [col-id="id"]`).click();
  await page.waitForSelector('[data-testid="details-drawer"] .audit li:has-text("TradeExecuted")');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid="details-drawer"]', { state: 'detached' });
  step('details drawer shows the audit trail; Esc closes it');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split('\n');
  if (lines.length !== 2 || !lines[1].includes(correlationId) || !lines[0].includes('Correlation id')) throw new Error(`CSV unexpected:\n${csv}`);
  step(`CSV export: header + 1 trade row carrying ${correlationId}`);

  await page.selectOption('[data-testid="rfq-ticket"] label:has-text("Expiry") select', '15');
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('[data-testid="rfq-live"] .badge.status-quoting', { timeout: 5_000 });
  await page.waitForSelector('[role="status"]:has-text("RFQ expired with no trade")', { timeout: 25_000 });
  if (await page.locator('[data-testid="accept-best"]').isEnabled()) throw new Error('accept still enabled after expiry');
  step('an RFQ left alone expires: shown plainly, nothing can be accepted');

  await fetch(`${base}__drop`, { method: 'POST' });
  await page.waitForSelector('[data-status="reconnecting"]', { timeout: 5_000 });
  await page.waitForSelector('[data-status="connected"]', { timeout: 15_000 });
  const after = await bid.innerText();
  await page.waitForFunction((v) => document.querySelector('[data-testid="market-grid"] [row-id="FX.EURUSD"] [col-id="bid"]')?.textContent !== v, after, { timeout: 5_000 });
  step('forced WebSocket drop: reconnected, resubscribed, prices tick again');
  await page.click('[data-testid="theme-toggle"]');
  if ((await page.getAttribute('html', 'data-theme')) !== 'dark') throw new Error('theme did not switch');
  step('theme switches to dark');
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
