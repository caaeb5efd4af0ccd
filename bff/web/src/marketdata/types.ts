/** Market-data shapes shared by the store, the feed and the grid. */

export type Quality = 'GOOD' | 'INDICATIVE' | 'DEGRADED' | 'UNKNOWN';

/** One top-of-book update as it arrives from the BFF (prices already parsed from decimal strings). */
export interface Tick {
  instrumentId: string;
  /** Per-instrument sequence number assigned upstream; strictly increasing. */
  sequence: number;
  /**
   * Sequence the stream last sent for this instrument (the BFF coalesces, so sequences skip).
   * A number newer than the client's is a gap; null: no earlier increment, apply; absent: the
   * source does not coalesce and sequences must be contiguous. See MarketDataStore.classify.
   */
  prevSequence?: number | null;
  bid: number | null;
  ask: number | null;
  bidSize?: number | null;
  askSize?: number | null;
  /** Source timestamp, epoch milliseconds. */
  ts: number;
  stale?: boolean;
  quality?: Quality;
}

export type Direction = -1 | 0 | 1;

/** A market-watch row: immutable, replaced on every change. */
export interface MarketRow {
  instrumentId: string;
  bid: number | null;
  ask: number | null;
  mid: number | null;
  spread: number | null;
  bidSize: number | null;
  askSize: number | null;
  bidDir: Direction;
  askDir: Direction;
  midDir: Direction;
  sequence: number;
  sourceTs: number;
  /** Local receive time (epoch ms), used for the age column and the stale threshold. */
  receivedAt: number;
  ageMs: number;
  /** Stale as reported by the server. */
  serverStale: boolean;
  /** True when the server says stale, the age exceeds the threshold, or the link is down. */
  stale: boolean;
  quality: Quality;
  /** A gap was detected; increments are ignored until a fresh snapshot arrives. */
  resyncing: boolean;
  /** Number of updates applied since the last snapshot (for diagnostics). */
  updates: number;
}
