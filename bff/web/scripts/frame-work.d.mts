// Types of scripts/frame-work.mjs for the unit test.
export interface Quantiles { mean: number; p50: number; p95: number; p99: number; max: number }
export interface TraceEvent { name: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number; args?: Record<string, unknown> }
export interface FrameWork {
  frames: number;
  framesOver16ms: number;
  mainThreadBusyShare: number;
  windowMs: number;
  cpuMsPerSecond: number;
  busyMs: Quantiles;
  cpuMs: Quantiles;
  scriptMs: Quantiles;
  styleLayoutMs: Quantiles;
  paintMs: Quantiles;
  intervalMs: Quantiles;
}
export function quantiles(values: number[]): Quantiles;
export function frameWork(events: TraceEvent[]): FrameWork;
