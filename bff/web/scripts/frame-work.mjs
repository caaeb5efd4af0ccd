// Main-thread work per frame from a Chrome trace (CDP Tracing, devtools.timeline categories).
//
// requestAnimationFrame intervals only show the display's refresh (16.7 ms at 60 Hz) as long as no
// frame is dropped; they say nothing about how much of each frame our code used. Here each frame is
// the interval between two BeginMainThreadFrame events of the page's renderer main thread, and its
// work is what that thread did inside it: top-level tasks (wall and thread CPU time), the script
// part of them (outermost JS entry points only, so nested calls are not counted twice), style +
// layout, and paint.

const TASKS = new Set(['RunTask', 'ThreadControllerImpl::RunTask']);
const SCRIPT = new Set(['FunctionCall', 'EvaluateScript', 'TimerFire', 'FireAnimationFrame', 'EventDispatch', 'V8.Execute', 'RunMicrotasks', 'v8.callFunction']);
const STYLE_LAYOUT = new Set(['UpdateLayoutTree', 'Layout']);
const PAINT = new Set(['PrePaint', 'Paint', 'Layerize', 'Commit']);

/** The renderer main thread with the most frames: the measured page's. */
function mainThread(events) {
  const names = new Map();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') names.set(`${e.pid}:${e.tid}`, 0);
  }
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.name === 'BeginMainThreadFrame' && names.has(key)) names.set(key, names.get(key) + 1);
  }
  let best = null;
  for (const [key, frames] of names) if (!best || frames > best[1]) best = [key, frames];
  return best ? best[0] : null;
}

/** Outermost intervals of the events whose name is in `set` (a nested one is inside its parent). */
function outermost(events, set) {
  const picked = events.filter((e) => set.has(e.name)).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const out = [];
  let end = -Infinity;
  for (const e of picked) {
    if (e.ts >= end) {
      out.push(e);
      end = e.ts + e.dur;
    }
  }
  return out;
}

/** Sum over `intervals` of their overlap with [from, to), in µs; `weight` scales each (CPU share). */
function overlap(intervals, from, to, weight = () => 1) {
  let total = 0;
  for (const e of intervals) {
    const start = Math.max(e.ts, from);
    const stop = Math.min(e.ts + e.dur, to);
    if (stop > start) total += (stop - start) * weight(e);
  }
  return total;
}

export function quantiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
  const round = (v) => Math.round(v * 100) / 100;
  const mean = sorted.length ? sorted.reduce((s, v) => s + v, 0) / sorted.length : 0;
  return { mean: round(mean), p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(at(1)) };
}

/** Per-frame main-thread work of the page in `events` (trace events, µs timestamps). */
export function frameWork(events) {
  const thread = mainThread(events);
  if (!thread) throw new Error('no CrRendererMain thread with frames in the trace');
  const own = events.filter((e) => `${e.pid}:${e.tid}` === thread);
  const complete = own.filter((e) => e.ph === 'X' && typeof e.dur === 'number');
  const frames = own.filter((e) => e.name === 'BeginMainThreadFrame').map((e) => e.ts).sort((a, b) => a - b);
  const tasks = outermost(complete, TASKS);
  const script = outermost(complete, SCRIPT);
  const styleLayout = outermost(complete, STYLE_LAYOUT);
  const paint = outermost(complete, PAINT);
  const cpuShare = (e) => (typeof e.tdur === 'number' && e.dur > 0 ? Math.min(1, e.tdur / e.dur) : 1);
  const per = { busyMs: [], cpuMs: [], scriptMs: [], styleLayoutMs: [], paintMs: [], intervalMs: [] };
  for (let i = 0; i + 1 < frames.length; i += 1) {
    const [from, to] = [frames[i], frames[i + 1]];
    per.intervalMs.push((to - from) / 1000);
    per.busyMs.push(overlap(tasks, from, to) / 1000);
    per.cpuMs.push(overlap(tasks, from, to, cpuShare) / 1000);
    per.scriptMs.push(overlap(script, from, to) / 1000);
    per.styleLayoutMs.push(overlap(styleLayout, from, to) / 1000);
    per.paintMs.push(overlap(paint, from, to) / 1000);
  }
  const window = frames.length > 1 ? (frames[frames.length - 1] - frames[0]) / 1000 : 0;
  const busyTotal = per.busyMs.reduce((s, v) => s + v, 0);
  const cpuTotal = per.cpuMs.reduce((s, v) => s + v, 0);
  return {
    frames: per.busyMs.length,
    windowMs: Math.round(window),
    // Thread CPU per second of wall time: the cost that does not depend on how loaded the machine is.
    cpuMsPerSecond: window ? Math.round((cpuTotal / window) * 100_000) / 100 : 0,
    framesOver16ms: per.busyMs.filter((v) => v > 16).length,
    mainThreadBusyShare: window ? Math.round((busyTotal / window) * 1000) / 1000 : 0,
    ...Object.fromEntries(Object.entries(per).map(([k, v]) => [k, quantiles(v)])),
  };
}
