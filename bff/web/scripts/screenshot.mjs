// Serves a demo build on 127.0.0.1, drives it in headless Debian Chromium (playwright-core) through
// watch → RFQ → accept, and writes PNGs (light/dark, 1366x768 and 1920x1080) to screenshots/.
// Usage: npm run screenshot   (builds with --mode demo into dist-demo first)
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { launchChromium } from './browser.mjs';

const root = resolve(process.argv[2] ?? 'dist-demo');
const outDir = resolve(process.argv[3] ?? 'screenshots');
mkdirSync(outDir, { recursive: true });
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  let file = join(root, path === '/' ? 'index.html' : path);
  if (!file.startsWith(root) || !existsSync(file)) file = join(root, 'index.html');
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await launchChromium();
const problems = [];
try {
  for (const theme of ['light', 'dark']) {
    for (const [width, height] of [[1366, 768], [1920, 1080]]) {
      const context = await browser.newContext({ viewport: { width, height } });
      await context.addInitScript((t) => localStorage.setItem('orion.theme', t), theme);
      const page = await context.newPage();
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${theme} ${width}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`${theme} ${width}: pageerror ${e.message}`));
      await page.goto(url);
      await page.waitForSelector('[data-testid="market-grid"] .ag-row', { timeout: 15_000 });
      await page.waitForSelector('[data-status="connected"]', { timeout: 15_000 });
      await page.locator('[data-testid="market-grid"] .ag-row').nth(1).locator('.ag-cell[col-id="symbol"]').click();
      await page.locator('[data-testid="send-rfq"]').click();
      await page.waitForSelector('[data-testid="quotes"] tbody tr.best', { timeout: 10_000 });
      await page.waitForTimeout(1_200);
      if (width === 1920) {
        await page.locator('[data-testid="accept-best"]').click();
        await page.waitForSelector('[data-testid="trade-done"], [data-testid="ticket-error"]', { timeout: 5_000 });
        await page.locator('[data-testid="tab-trades"]').click();
        await page.waitForTimeout(600);
      }
      await page.waitForTimeout(800);
      const file = join(outDir, `workstation-${theme}-${width}x${height}.png`);
      await page.screenshot({ path: file });
      console.log('wrote', file);
      await context.close();
    }
  }
} finally {
  await browser.close();
  server.close();
}
if (problems.length) console.log('console problems:\n' + problems.join('\n'));
