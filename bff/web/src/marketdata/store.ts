/** Market-data store: snapshot then increments, gap detection, derived fields; no React inside. */
import type { Direction, MarketRow, Tick } from './types';

export type RowsListener = (changed: readonly MarketRow[]) => void;
export type GapListener = (instrumentIds: readonly string[]) => void;

export interface MarketDataStoreOptions {
  now?: () => number;
  /** A row whose last update is older than this is flagged stale. */
  staleAfterMs?: number;
  /** Called (once per gap) with instruments that need a snapshot resync. */
  onGap?: GapListener;
}

function direction(next: number | null, prev: number | null): Direction {
  if (next === null || prev === null || next === prev) return 0;
  return next > prev ? 1 : -1;
}

function midOf(bid: number | null, ask: number | null): number | null {
  return bid !== null && ask !== null ? (bid + ask) / 2 : null;
}

function spreadOf(bid: number | null, ask: number | null): number | null {
  return bid !== null && ask !== null ? ask - bid : null;
}

export class MarketDataStore {
  private readonly rows = new Map<string, MarketRow>();
  private readonly listeners = new Set<RowsListener>();
  private readonly gapListeners = new Set<GapListener>();
  private readonly now: () => number;
  private readonly staleAfterMs: number;
  private linkDown = false;
  private version = 0;
  private snapshotCache: readonly MarketRow[] = [];
  private snapshotVersion = -1;

  constructor(options: MarketDataStoreOptions = {}) {
    this.now = options.now ?? (() => Date.now());
    this.staleAfterMs = options.staleAfterMs ?? 5_000;
    if (options.onGap) this.gapListeners.add(options.onGap);
  }

  /** Listen for changed rows (batched per call); returns an unsubscribe function. */
  subscribe = (listener: RowsListener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  onGap(listener: GapListener): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
  }

  /** All rows; the same array until something changes (safe for useSyncExternalStore). */
  getSnapshot = (): readonly MarketRow[] => {
    if (this.snapshotVersion !== this.version) {
      this.snapshotCache = [...this.rows.values()];
      this.snapshotVersion = this.version;
    }
    return this.snapshotCache;
  };

  getRow(instrumentId: string): MarketRow | undefined {
    return this.rows.get(instrumentId);
  }

  /** Replace the state of each instrument in the snapshot; clears any resync flag. */
  applySnapshot(ticks: readonly Tick[]): void {
    const now = this.now();
    const changed: MarketRow[] = [];
    for (const tick of ticks) {
      const previous = this.rows.get(tick.instrumentId);
      const row = this.buildRow(tick, previous, now, 0);
      this.rows.set(tick.instrumentId, row);
      changed.push(row);
    }
    this.emit(changed);
  }

  /** Apply increments in order; duplicates are dropped, gaps flag the row and ask for a resync. */
  applyIncrements(ticks: readonly Tick[]): void {
    const now = this.now();
    const changed = new Map<string, MarketRow>();
    const gaps: string[] = [];
    for (const tick of ticks) {
      const previous = changed.get(tick.instrumentId) ?? this.rows.get(tick.instrumentId);
      const verdict = this.classify(tick, previous);
      if (verdict === 'drop') continue;
      if (verdict === 'gap') {
        if (previous && !previous.resyncing) {
          const flagged = { ...previous, resyncing: true, stale: true };
          changed.set(tick.instrumentId, flagged);
        }
        if (!previous || !previous.resyncing) gaps.push(tick.instrumentId);
        continue;
      }
      const row = this.buildRow(tick, previous, now, (previous?.updates ?? 0) + 1);
      changed.set(tick.instrumentId, row);
    }
    for (const row of changed.values()) this.rows.set(row.instrumentId, row);
    this.emit([...changed.values()]);
    if (gaps.length > 0) for (const listener of this.gapListeners) listener(gaps);
  }

  /** Recompute ages and stale flags; call on a timer (e.g. every second). */
  sweep(): void {
    const now = this.now();
    const changed: MarketRow[] = [];
    for (const row of this.rows.values()) {
      const ageMs = Math.max(0, now - row.receivedAt);
      const stale = this.isStale(row.serverStale, ageMs, row.resyncing);
      if (stale !== row.stale || Math.floor(ageMs / 1000) !== Math.floor(row.ageMs / 1000)) {
        const next = { ...row, ageMs, stale };
        this.rows.set(row.instrumentId, next);
        changed.push(next);
      }
    }
    this.emit(changed);
  }

  /** The transport is down (or back): every row is stale while it is down. */
  setLinkDown(down: boolean): void {
    if (this.linkDown === down) return;
    this.linkDown = down;
    const now = this.now();
    const changed: MarketRow[] = [];
    for (const row of this.rows.values()) {
      const ageMs = Math.max(0, now - row.receivedAt);
      const next = { ...row, ageMs, stale: this.isStale(row.serverStale, ageMs, row.resyncing) };
      this.rows.set(row.instrumentId, next);
      changed.push(next);
    }
    this.emit(changed);
  }

  /** Forget instruments no longer watched; returns the removed ids. */
  retain(instrumentIds: Iterable<string>): string[] {
    const keep = new Set(instrumentIds);
    const removed = [...this.rows.keys()].filter((id) => !keep.has(id));
    for (const id of removed) this.rows.delete(id);
    if (removed.length > 0) this.version += 1;
    return removed;
  }

  /**
   * prevSequence (a number) is what the stream last sent for the instrument: a value newer than
   * ours means we missed an update. An older one is fine (our snapshot was newer than the stream's
   * last increment). null means the stream has no earlier increment: coalesced sequences may skip,
   * so anything newer applies. Without the field at all, sequences must be contiguous.
   */
  private classify(tick: Tick, previous: MarketRow | undefined): 'apply' | 'drop' | 'gap' {
    if (!previous) return 'gap';
    if (previous.resyncing) return 'drop';
    if (tick.sequence <= previous.sequence) return 'drop';
    if (tick.prevSequence === null) return 'apply';
    if (tick.prevSequence !== undefined) return tick.prevSequence > previous.sequence ? 'gap' : 'apply';
    return tick.sequence === previous.sequence + 1 ? 'apply' : 'gap';
  }

  private buildRow(tick: Tick, previous: MarketRow | undefined, now: number, updates: number): MarketRow {
    const mid = midOf(tick.bid, tick.ask);
    const serverStale = tick.stale ?? false;
    return {
      instrumentId: tick.instrumentId,
      bid: tick.bid,
      ask: tick.ask,
      mid,
      spread: spreadOf(tick.bid, tick.ask),
      bidSize: tick.bidSize ?? null,
      askSize: tick.askSize ?? null,
      bidDir: direction(tick.bid, previous?.bid ?? null),
      askDir: direction(tick.ask, previous?.ask ?? null),
      midDir: direction(mid, previous?.mid ?? null),
      sequence: tick.sequence,
      sourceTs: tick.ts,
      receivedAt: now,
      ageMs: 0,
      serverStale,
      stale: this.isStale(serverStale, 0, false),
      quality: tick.quality ?? 'UNKNOWN',
      resyncing: false,
      updates,
    };
  }

  private isStale(serverStale: boolean, ageMs: number, resyncing: boolean): boolean {
    return serverStale || resyncing || this.linkDown || ageMs > this.staleAfterMs;
  }

  private emit(changed: readonly MarketRow[]): void {
    if (changed.length === 0) return;
    this.version += 1;
    for (const listener of this.listeners) listener(changed);
  }
}
