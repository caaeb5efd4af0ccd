/** Reconnect backoff schedule: stepped delays with optional jitter, reset after a good connection. */

export interface BackoffOptions {
  /** Delays in ms for attempts 1..n; the last one repeats. Mirrors the platform retry schedule. */
  stepsMs?: readonly number[];
  /** 0..1: the delay is scaled by a factor in [1 - jitter, 1 + jitter]. */
  jitter?: number;
  random?: () => number;
}

export const DEFAULT_BACKOFF_MS: readonly number[] = [500, 1_000, 2_000, 5_000, 10_000];

export class Backoff {
  private attempt = 0;
  private readonly steps: readonly number[];
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.steps = options.stepsMs && options.stepsMs.length > 0 ? options.stepsMs : DEFAULT_BACKOFF_MS;
    this.jitter = Math.min(Math.max(options.jitter ?? 0, 0), 1);
    this.random = options.random ?? Math.random;
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Delay before the next attempt, advancing the attempt counter. */
  next(): number {
    const index = Math.min(this.attempt, this.steps.length - 1);
    this.attempt += 1;
    const base = this.steps[index] ?? 0;
    if (this.jitter === 0) return base;
    const factor = 1 - this.jitter + 2 * this.jitter * this.random();
    return Math.round(base * factor);
  }

  reset(): void {
    this.attempt = 0;
  }
}
