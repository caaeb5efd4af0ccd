// Frame-time and long-task measurement of the demo build in headless Debian Chromium: every demo
// instrument (50) in the watchlist, each ticking up to 10 times a second. Prints JSON.
// Usage: npm run perf   (builds with --mode demo into dist-demo first)
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { launchChromium } from './browser.mjs';

const root = resolve(process.argv[2] ?? 'dist-demo');
const seconds = Number(process.argv[3] ?? 10);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  let file = join(root, path === '/' ? 'index.html' : path);
  if (!file.startsWith(root) || !existsSync(file)) file = join(root, 'index.html');
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const browser = await launchChromium();
async function measure(tickMs, flash = 'on') {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.addInitScript((t) => { localStorage.setItem('orion.theme', 'dark'); localStorage.setItem('orion.demo.tickMs', String(t.tickMs)); localStorage.setItem('orion.flash', t.flash); }, { tickMs, flash });
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector('[data-status="connected"]');
  // Put every instrument in the active watchlist through the UI's own "Add instrument" control.
  while ((await page.locator('.add-instrument select option').count()) > 1) {
    await page.locator('.add-instrument select').selectOption({ index: 1 });
    await page.locator('.add-instrument button').click();
  }
  await page.waitForTimeout(2_000);
  const result = await page.evaluate(async (ms) => {
    const frames = [];
    const longTasks = [];
    const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); });
    observer.observe({ type: 'longtask', buffered: false });
    await new Promise((done) => {
      let last = performance.now();
      const end = last + ms;
      const loop = (now) => { frames.push(now - last); last = now; if (now < end) requestAnimationFrame(loop); else done(); };
      requestAnimationFrame(loop);
    });
    observer.disconnect();
    const sorted = [...frames].sort((a, b) => a - b);
    const q = (p) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 10) / 10;
    return {
      frames: frames.length,
      frameMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) },
      longTasks: { count: longTasks.length, maxMs: longTasks.length ? Math.max(...longTasks) : 0 },
    };
  }, seconds * 1000);
  const watched = await page.locator('[data-testid="market-grid"] [row-id]').count();
  await page.close();
  return { tickMs, flash, rowsInDom: watched, ...result };
}

try {
  const idle = await measure(0);
  const ticking = await measure(100);
  const tickingNoFlash = await measure(100, 'off');
  console.log(JSON.stringify({ seconds, load: (await import('node:os')).loadavg(), idle, ticking, tickingNoFlash }, null, 2));
} finally {
  await browser.close();
  server.close();
}
