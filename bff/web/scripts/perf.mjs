// Rendering cost of the workstation in headless Debian Chromium: the demo build with every demo
// instrument (50) in the watchlist, each ticking up to 10 times a second, against an idle baseline.
//
// Per scenario, for `seconds`:
// - main-thread work per frame from a Chrome trace (scripts/frame-work.mjs): busy, CPU, script,
//   style + layout and paint milliseconds per frame interval, p50/p95/p99/max;
// - the page's cumulative main-thread times (CDP Performance.getMetrics: Task/Script/Layout/Style);
// - Long Animation Frames (`long-animation-frame`, frames over 50 ms) and long tasks;
// - requestAnimationFrame intervals (these only show the 60 Hz refresh while no frame is dropped).
//
// Usage: npm run perf [-- <seconds>]   (builds --mode demo into dist-demo first)
// Writes load/reports/workstation.json and the generated results section of
// load/reports/workstation.md. ORION_PERF_PORT sets the static server's port (default: any free).
import { createServer } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { launchChromium } from './browser.mjs';
import { frameWork } from './frame-work.mjs';

const root = resolve(process.argv[2] ?? 'dist-demo');
const seconds = Number(process.argv[3] ?? 10);
const reports = resolve(import.meta.dirname, '../../../load/reports');
const CATEGORIES = [
  'toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame',
  'v8.execute', 'blink.user_timing',
];
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  let file = join(root, path === '/' ? 'index.html' : path);
  if (!file.startsWith(root) || !existsSync(file)) file = join(root, 'index.html');
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((ok) => server.listen(Number(process.env.ORION_PERF_PORT ?? 0), '127.0.0.1', ok));
const browser = await launchChromium();

async function readTrace(cdp) {
  const complete = new Promise((done) => cdp.once('Tracing.tracingComplete', done));
  await cdp.send('Tracing.end');
  const { stream } = await complete;
  const chunks = [];
  for (;;) {
    const { data, eof, base64Encoded } = await cdp.send('IO.read', { handle: stream, size: 1 << 20 });
    chunks.push(base64Encoded ? Buffer.from(data, 'base64').toString() : data);
    if (eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  const trace = JSON.parse(chunks.join(''));
  return Array.isArray(trace) ? trace : trace.traceEvents;
}

async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

/** In the page: rAF intervals, long tasks and long animation frames for `ms`. */
function observe(ms) {
  return new Promise((done) => {
    const frames = [];
    const longTasks = [];
    const loafs = [];
    const tasks = new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); });
    tasks.observe({ type: 'longtask', buffered: false });
    const loaf = new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        loafs.push({ duration: e.duration, blocking: e.blockingDuration, script: e.scripts.reduce((s, x) => s + x.duration, 0) });
      }
    });
    loaf.observe({ type: 'long-animation-frame', buffered: false });
    let last = performance.now();
    const end = last + ms;
    const loop = (now) => {
      frames.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(loop);
      else { tasks.disconnect(); loaf.disconnect(); done({ frames, longTasks, loafs }); }
    };
    requestAnimationFrame(loop);
  });
}

function summarise(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 10) / 10;
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) };
}

async function measure(name, tickMs, flash = 'on') {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.addInitScript((t) => {
    localStorage.setItem('orion.theme', 'dark');
    localStorage.setItem('orion.demo.tickMs', String(t.tickMs));
    localStorage.setItem('orion.flash', t.flash);
  }, { tickMs, flash });
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector('[data-status="connected"]');
  // Every instrument into the active watchlist through the UI's own "Add instrument" control.
  while ((await page.locator('.add-instrument select option').count()) > 1) {
    await page.locator('.add-instrument select').selectOption({ index: 1 });
    await page.locator('.add-instrument button').click();
  }
  await page.waitForTimeout(2_000);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('Tracing.start', { transferMode: 'ReturnAsStream', traceConfig: { includedCategories: CATEGORIES } });
  const before = await metrics(cdp);
  const seen = await page.evaluate(observe, seconds * 1000);
  const after = await metrics(cdp);
  const work = frameWork(await readTrace(cdp));
  const rows = await page.locator('[data-testid="market-grid"] [row-id]').count();
  await page.close();
  const perSecond = (key) => Math.round(((after[key] - before[key]) / ((after.Timestamp - before.Timestamp) || 1)) * 1000) / 10;
  return {
    name, tickMs, flash, rowsInDom: rows,
    frameWork: work,
    // Share of wall time the page's main thread spent, in percent (cumulative CDP metrics).
    mainThreadPercent: { task: perSecond('TaskDuration'), script: perSecond('ScriptDuration'), layout: perSecond('LayoutDuration'), style: perSecond('RecalcStyleDuration') },
    rafIntervalMs: { frames: seen.frames.length, ...summarise(seen.frames) },
    longTasks: { count: seen.longTasks.length, maxMs: Math.round(Math.max(0, ...seen.longTasks)) },
    longAnimationFrames: {
      count: seen.loafs.length,
      maxMs: Math.round(Math.max(0, ...seen.loafs.map((l) => l.duration))),
      maxBlockingMs: Math.round(Math.max(0, ...seen.loafs.map((l) => l.blocking))),
      maxScriptMs: Math.round(Math.max(0, ...seen.loafs.map((l) => l.script))),
    },
  };
}

function markdown(result) {
  const lines = [
    `Generated by \`npm run perf\` at ${result.at} (${result.seconds} s per scenario; ${result.machine}; load average ${result.load.map((l) => l.toFixed(2)).join(' / ')} at the start).`,
    '',
    '| scenario | frames | work/frame p50 | p95 | p99 | max | CPU/frame p95 | script/frame p95 | style+layout p95 | paint p95 | frames > 16 ms of work | main thread busy | CPU ms/s | CPU per 1k updates |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of result.scenarios) {
    const w = s.frameWork;
    lines.push(`| ${s.name} | ${w.frames} | ${w.busyMs.p50} ms | ${w.busyMs.p95} ms | ${w.busyMs.p99} ms | ${w.busyMs.max} ms | ${w.cpuMs.p95} ms | ${w.scriptMs.p95} ms | ${w.styleLayoutMs.p95} ms | ${w.paintMs.p95} ms | ${w.framesOver16ms} | ${Math.round(w.mainThreadBusyShare * 1000) / 10} % | ${w.cpuMsPerSecond} | ${s.cpuMsPer1kUpdates === undefined ? '—' : `${s.cpuMsPer1kUpdates} ms`} |`);
  }
  lines.push('', '| scenario | rAF interval p50 / p95 / max | long tasks (> 50 ms) | long animation frames (> 50 ms): count, max, max blocking, max script | CDP main thread: task / script / layout / style |', '|---|---|---|---|---|');
  for (const s of result.scenarios) {
    const r = s.rafIntervalMs;
    const l = s.longAnimationFrames;
    const m = s.mainThreadPercent;
    lines.push(`| ${s.name} | ${r.p50} / ${r.p95} / ${r.max} ms | ${s.longTasks.count} (max ${s.longTasks.maxMs} ms) | ${l.count}, ${l.maxMs} ms, ${l.maxBlockingMs} ms, ${l.maxScriptMs} ms | ${m.task} / ${m.script} / ${m.layout} / ${m.style} % |`);
  }
  return lines.join('\n');
}

function writeReports(result) {
  writeFileSync(join(reports, 'workstation.json'), `${JSON.stringify(result, null, 2)}\n`);
  const file = join(reports, 'workstation.md');
  const text = readFileSync(file, 'utf8');
  const [start, end] = ['<!-- results:start (generated by npm run perf) -->', '<!-- results:end -->'];
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file}: no generated-results markers`);
  writeFileSync(file, `${text.slice(0, from + start.length)}\n${markdown(result)}\n${text.slice(to)}`);
}

try {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const load = loadavg();
  const machine = `${cpus().length} CPU, ${Math.round(totalmem() / 2 ** 30)} GiB, Chromium ${browser.version()} headless`;
  const scenarios = [
    await measure('idle (no ticks)', 0),
    await measure('50 instruments × 10 Hz, flash on', 100),
    await measure('50 instruments × 10 Hz, flash off', 100, 'off'),
  ];
  // Main-thread CPU per 1,000 price updates above the idle page: ms of thread CPU per second
  // while ticking, minus idle, over the updates per second (50 instruments at 1000 / tickMs).
  const idle = scenarios[0].frameWork.cpuMsPerSecond;
  for (const s of scenarios.slice(1)) {
    const updatesPerSecond = 50 * (1000 / s.tickMs);
    s.cpuMsPer1kUpdates = Math.round(((s.frameWork.cpuMsPerSecond - idle) / updatesPerSecond) * 100_000) / 100;
  }
  const result = { at, seconds, machine, load, scenarios };
  writeReports(result);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  server.close();
}
