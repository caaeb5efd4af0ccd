import { describe, expect, it } from 'vitest';
import { frameWork, type TraceEvent } from '../scripts/frame-work.mjs';

const main = { pid: 1, tid: 7 };
const other = { pid: 2, tid: 9 };
const meta = (where: { pid: number; tid: number }): TraceEvent => ({ ...where, ph: 'M', name: 'thread_name', ts: 0, args: { name: 'CrRendererMain' } });
const frame = (ts: number, where = main): TraceEvent => ({ ...where, ph: 'I', name: 'BeginMainThreadFrame', ts });
const x = (name: string, ts: number, dur: number, tdur = dur): TraceEvent => ({ ...main, ph: 'X', name, ts, dur, tdur });

describe('frame work from a trace', () => {
  it('attributes each task to the frames it overlaps and counts nested script once', () => {
    const events: TraceEvent[] = [
      meta(main), meta(other), frame(0, other),
      frame(0), frame(16_667), frame(33_333), frame(50_000),
      // Frame 1: a 4 ms task (2 ms of CPU) with 3 ms of script, 1 ms nested inside it.
      x('RunTask', 1_000, 4_000, 2_000), x('FunctionCall', 1_500, 3_000), x('V8.Execute', 2_000, 1_000),
      x('Layout', 4_600, 300),
      // Frames 2-3: one 20 ms task straddling the boundary (a dropped frame's worth of work).
      x('RunTask', 30_000, 20_000), x('EvaluateScript', 30_000, 18_000),
    ];
    const work = frameWork(events);
    expect(work.frames).toBe(3);
    expect(work.busyMs.max).toBeCloseTo(16.67, 1);
    expect(work.framesOver16ms).toBe(1);
    expect(work.scriptMs.p50).toBeCloseTo(3.33, 1);
    expect(work.cpuMs.mean).toBeCloseTo((2 + 3.33 + 16.67) / 3, 1);
    expect(work.styleLayoutMs.max).toBeCloseTo(0.3, 2);
    expect(work.mainThreadBusyShare).toBeCloseTo(24 / 50, 2);
    expect(work.cpuMsPerSecond).toBeCloseTo((22 / 50) * 1000, 0);
  });

  it('refuses a trace without the page renderer', () => {
    expect(() => frameWork([frame(0)])).toThrow(/CrRendererMain/);
  });
});
