// The e2e-mock journey against a real platform (`orion dev`) serving the built UI at <base-url>:
// log in through the built-in identity provider (code + PKCE; trader@acme / trader-demo) → create a
// watchlist → prices tick → send an RFQ for FX.EURUSD → accept the best quote → the RFQ is ACCEPTED,
// then TRADED after the LP's last look (a refusal is shown plainly and the next best is taken) →
// the trade is in the blotter with its correlation id → CSV export has it → a forced WebSocket drop
// (the page's sockets are routed through Playwright and closed) → reconnects and streams again.
// Usage: node scripts/e2e-platform.mjs http://127.0.0.1:8000/   (build dist/ first: npm run build)
// Exit code 1 on any failed step. Env: ORION_E2E_USER, ORION_E2E_PASSWORD, ORION_E2E_INSTRUMENT.
import { readFileSync } from 'node:fs';
import { launchChromium } from './browser.mjs';

const base = new URL(process.argv[2] ?? 'http://127.0.0.1:8000/').toString();
const user = process.env.ORION_E2E_USER ?? 'trader@acme';
const password = process.env.ORION_E2E_PASSWORD ?? 'trader-demo';
const instrument = process.env.ORION_E2E_INSTRUMENT ?? 'FX.EURUSD';
const cell = (id, col) => `[data-testid="market-grid"] [row-id="${id}"] [col-id="${col}"]`;

const browser = await launchChromium();
const problems = [];
const step = (name) => console.log(`✓ ${name}`);
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  // Every page WebSocket goes through Playwright so the test can drop it like a network failure.
  const sockets = new Set();
  await context.routeWebSocket(/\/graphql\//, (ws) => {
    const server = ws.connectToServer();
    const entry = { ws, server };
    sockets.add(entry);
    ws.onClose(() => sockets.delete(entry));
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()} ${m.location().url ?? ''}`); });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`http ${r.status()} ${r.request().method()} ${r.url()}`); });

  await page.goto(base);
  await page.click('[data-testid="login"]');
  await page.waitForSelector('input[name="username"]', { timeout: 20_000 });
  const loginPage = page.url();
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', password);
  await page.press('input[name="password"]', 'Enter');
  await page.waitForSelector('[data-status="connected"]', { timeout: 20_000 });
  step(`logged in as ${user} at ${new URL(loginPage).pathname} (code + PKCE); socket connected with the token`);

  await page.click('[data-testid="new-watchlist"]');
  await page.fill('input[aria-label="Watchlist name"]', 'E2E');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[role="tab"][aria-selected="true"]:has-text("E2E")');
  const options = await page.locator('select[aria-label="Instrument to add"] option').evaluateAll((els) => els.map((e) => e.getAttribute('value')).filter(Boolean));
  if (!options.includes(instrument)) throw new Error(`${instrument} is not offered (instruments: ${options.join(', ') || 'none'})`);
  const second = options.find((o) => o !== instrument && o.startsWith('FX.'));
  for (const id of [instrument, second].filter(Boolean)) {
    await page.selectOption('select[aria-label="Instrument to add"]', id);
    await page.click('.add-instrument button');
  }
  await page.waitForSelector(cell(instrument, 'symbol'), { timeout: 10_000 });
  step(`created watchlist "E2E" with ${[instrument, second].filter(Boolean).join(' and ')}`);

  // Saved on the server per user: a fresh browser context (empty localStorage) logs in and finds it.
  await page.waitForSelector('[data-preferences="synced"]', { timeout: 10_000 });
  const fresh = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  try {
    const other = await fresh.newPage();
    other.on('pageerror', (e) => problems.push(`pageerror (fresh context): ${e.message}`));
    await other.goto(base);
    await other.click('[data-testid="login"]');
    await other.waitForSelector('input[name="username"]', { timeout: 20_000 });
    await other.fill('input[name="username"]', user);
    await other.fill('input[name="password"]', password);
    await other.press('input[name="password"]', 'Enter');
    await other.waitForSelector('[role="tab"]:has-text("E2E")', { timeout: 20_000 });
    if (await other.evaluate(() => Object.keys(localStorage).some((k) => k.startsWith('orion.preferences.') && JSON.parse(localStorage.getItem(k)).baseVersion === 0))) {
      throw new Error('fresh context did not load the server copy');
    }
    await other.click('[role="tab"]:has-text("E2E")');
    for (const id of [instrument, second].filter(Boolean)) await other.waitForSelector(cell(id, 'symbol'), { timeout: 10_000 });
    step('a fresh browser context (empty localStorage) logs in and finds watchlist "E2E" with its instruments (server-side ui_preferences)');
  } finally {
    await fresh.close();
  }

  const bidText = () => page.locator(cell(instrument, 'bid')).innerText();
  const ticks = async (what) => {
    const before = await bidText();
    await page.waitForFunction(([sel, v]) => {
      const text = document.querySelector(sel)?.textContent ?? '';
      return text !== v && /\d/.test(text);
    }, [cell(instrument, 'bid'), before], { timeout: 15_000 });
    return `${what}: ${instrument} bid ${before || '(none)'} → ${await bidText()}`;
  };
  step(await ticks('prices tick'));

  await page.locator(cell(instrument, 'symbol')).click();
  await page.keyboard.press('Alt+B');
  await page.click('[data-testid="send-rfq"]');
  await page.waitForSelector('[data-testid="rfq-live"]', { timeout: 10_000 });
  const correlationId = (await page.locator('[data-testid="rfq-live"] code').innerText()).trim();
  await page.waitForSelector('[data-testid="quotes"] tr.best', { timeout: 20_000 });
  const quoteRows = await page.locator('[data-testid="quotes"] tbody tr').count();
  step(`RFQ for ${instrument} sent; ranked quotes shown (${quoteRows} so far; correlation id ${correlationId})`);

  // Accept the best; a last-look refusal is a legitimate outcome: it must be shown, then take the next best.
  let traded = false;
  let tradeCorrelationId = '';
  let tradeId = '';
  for (let attempt = 1; attempt <= 4 && !traded; attempt += 1) {
    await page.waitForSelector('[data-testid="accept-best"]:not([disabled])', { timeout: 15_000 });
    const label = (await page.locator('[data-testid="accept-best"]').innerText()).trim();
    await page.click('[data-testid="accept-best"]');
    const outcome = await Promise.race([
      page.waitForSelector('[data-testid="trade-done"]', { timeout: 30_000 }).then(() => 'trade'),
      page.waitForSelector('[data-testid="ticket-error"]', { timeout: 30_000 }).then(() => 'error'),
    ]);
    if (outcome === 'trade') {
      traded = true;
      await page.waitForSelector('[data-testid="rfq-live"] .badge.status-traded', { timeout: 10_000 });
      const done = await page.locator('[data-testid="trade-done"]').innerText();
      // The trade carries the acceptance's correlation id (the RFQ has its own): take it from the message.
      tradeCorrelationId = /Correlation id\s+(\S+)/.exec(done)?.[1] ?? '';
      tradeId = /trade (\S+)/.exec(done)?.[1] ?? '';
      if (!tradeCorrelationId || !tradeId) throw new Error(`trade message lacks the trade id / correlation id: ${done}`);
      step(`${label} → RFQ TRADED: ${done.split('\n').slice(0, 2).join(' ')} (correlation id ${tradeCorrelationId})`);
    } else {
      const text = await page.locator('[data-testid="ticket-error"]').innerText();
      if (!text.includes('Rejected on last look')) throw new Error(`acceptance failed: ${text.replace(/\n/g, ' | ')}`);
      step(`${label} → refused at last look, shown plainly: ${text.split('\n').slice(0, 2).join(' — ')}`);
      if (await page.locator('[data-testid="rfq-live"] .badge.status-rejected').count()) throw new Error('RFQ closed after the refusal; no trade');
    }
  }
  if (!traded) throw new Error('no trade after 4 acceptances');

  await page.click('[data-testid="tab-trades"]');
  const row = `[data-testid="trade-blotter"] .ag-row[row-id="${tradeId}"]`;
  await page.waitForSelector(`${row}:has-text("${tradeCorrelationId}")`, { timeout: 15_000 });
  step(`trade ${tradeId} is in the blotter with its correlation id ${tradeCorrelationId}`);
  await page.locator(`${row} [col-id="id"]`).first().click();
  await page.waitForSelector('[data-testid="details-drawer"]');
  const auditCount = await page.locator('[data-testid="details-drawer"] .audit li').count();
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid="details-drawer"]', { state: 'detached' });
  step(`details drawer opens (${auditCount} audit entries); Esc closes it`);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split('\n');
  const blotterRows = new Set(await page.locator('[data-testid="trade-blotter"] .ag-row[row-id]').evaluateAll((els) => els.map((e) => e.getAttribute('row-id')))).size;
  const mine = lines.filter((l) => l.includes(tradeCorrelationId));
  if (!lines[0]?.includes('Correlation id') || mine.length !== 1 || lines.length - 1 < 1) throw new Error(`CSV unexpected:\n${csv}`);
  if (!mine[0].includes(instrument)) throw new Error(`CSV row lacks the instrument: ${mine[0]}`);
  if (lines.length - 1 !== blotterRows) throw new Error(`CSV has ${lines.length - 1} rows, the blotter ${blotterRows}`);
  step(`CSV export: header + ${lines.length - 1} trade row(s) (grid renders ${blotterRows}); the new trade's row carries ${tradeCorrelationId} and ${instrument}`);

  const open = sockets.size;
  for (const { ws } of [...sockets]) ws.close({ code: 1001, reason: 'e2e: forced drop' });
  await page.waitForSelector('[data-status="reconnecting"], [data-status="connecting"]', { timeout: 10_000 });
  await page.waitForSelector('[data-status="connected"]', { timeout: 30_000 });
  step(`${await ticks(`forced WebSocket drop (${open} socket(s) closed) → reconnected, resubscribed, prices tick again`)}`);
  await page.screenshot({ path: 'screenshots/e2e-platform.png' });
  const shots = process.env.ORION_E2E_SCREENSHOTS;
  if (shots) {
    // For the README: the same live screen in both themes, with the journey's trade in the blotter.
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `${shots}/workstation-light.png` });
    await page.click('[data-testid="theme-toggle"]');
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `${shots}/workstation-dark.png` });
    step(`screenshots written to ${shots}`);
  }
} catch (error) {
  failed = true;
  console.error('✗', error instanceof Error ? error.message : error);
} finally {
  await browser.close();
}
const real = problems.filter((p) => !p.includes('favicon'));
if (real.length) { console.log('browser problems:\n' + real.join('\n')); failed = true; }
process.exit(failed ? 1 : 0);
