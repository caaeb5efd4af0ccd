import { describe, expect, it, vi } from 'vitest';
import { MarketDataStore } from '../src/marketdata/store';
import type { MarketRow, Tick } from '../src/marketdata/types';

function tick(instrumentId: string, sequence: number, bid: number, ask: number, extra: Partial<Tick> = {}): Tick {
  return { instrumentId, sequence, bid, ask, ts: 1_700_000_000_000 + sequence, ...extra };
}

function makeStore(now = { t: 1_000 }, staleAfterMs = 5_000) {
  const gaps: string[][] = [];
  const store = new MarketDataStore({ now: () => now.t, staleAfterMs, onGap: (ids) => gaps.push([...ids]) });
  const batches: MarketRow[][] = [];
  store.subscribe((rows) => batches.push([...rows]));
  return { store, gaps, batches, now };
}

describe('MarketDataStore', () => {
  it('applies a snapshot and then in-order increments', () => {
    const { store, batches } = makeStore();
    store.applySnapshot([tick('EURUSD', 10, 1.0831, 1.0833), tick('GBPUSD', 4, 1.2601, 1.2604)]);
    store.applyIncrements([tick('EURUSD', 11, 1.0832, 1.0834), tick('EURUSD', 12, 1.0833, 1.0835)]);
    const row = store.getRow('EURUSD');
    expect(row?.sequence).toBe(12);
    expect(row?.bid).toBe(1.0833);
    expect(row?.updates).toBe(2);
    expect(store.getRow('GBPUSD')?.sequence).toBe(4);
    expect(batches).toHaveLength(2);
    // Two increments for one instrument in one batch produce one grid update.
    expect(batches[1]).toHaveLength(1);
    expect(store.getSnapshot()).toHaveLength(2);
  });

  it('computes mid, spread and tick direction per side', () => {
    const { store } = makeStore();
    store.applySnapshot([tick('EURUSD', 1, 1.0830, 1.0832)]);
    let row = store.getRow('EURUSD')!;
    expect(row.mid).toBeCloseTo(1.0831, 10);
    expect(row.spread).toBeCloseTo(0.0002, 10);
    store.applyIncrements([tick('EURUSD', 2, 1.0831, 1.0832)]);
    row = store.getRow('EURUSD')!;
    expect(row.bidDir).toBe(1);
    expect(row.askDir).toBe(0);
    expect(row.midDir).toBe(1);
    store.applyIncrements([tick('EURUSD', 3, 1.0829, 1.0831)]);
    row = store.getRow('EURUSD')!;
    expect([row.bidDir, row.askDir, row.midDir]).toEqual([-1, -1, -1]);
    expect(row.spread).toBeCloseTo(0.0002, 10);
  });

  it('leaves mid and spread empty when one side is missing', () => {
    const { store } = makeStore();
    store.applySnapshot([{ instrumentId: 'X', sequence: 1, bid: null, ask: 101, ts: 0 }]);
    expect(store.getRow('X')?.mid).toBeNull();
    expect(store.getRow('X')?.spread).toBeNull();
  });

  it('drops duplicate and old increments', () => {
    const { store } = makeStore();
    store.applySnapshot([tick('EURUSD', 5, 1.1, 1.2)]);
    store.applyIncrements([tick('EURUSD', 5, 9, 9), tick('EURUSD', 3, 8, 8)]);
    expect(store.getRow('EURUSD')?.bid).toBe(1.1);
    expect(store.getRow('EURUSD')?.updates).toBe(0);
  });

  it('flags a sequence gap, asks once for a resync and ignores increments until a snapshot', () => {
    const { store, gaps } = makeStore();
    store.applySnapshot([tick('EURUSD', 5, 1.1, 1.2)]);
    store.applyIncrements([tick('EURUSD', 7, 1.3, 1.4)]);
    expect(gaps).toEqual([['EURUSD']]);
    expect(store.getRow('EURUSD')).toMatchObject({ resyncing: true, stale: true, bid: 1.1, sequence: 5 });
    store.applyIncrements([tick('EURUSD', 8, 1.5, 1.6)]);
    expect(gaps).toHaveLength(1);
    expect(store.getRow('EURUSD')?.bid).toBe(1.1);
    store.applySnapshot([tick('EURUSD', 8, 1.5, 1.6)]);
    expect(store.getRow('EURUSD')).toMatchObject({ resyncing: false, stale: false, sequence: 8, bid: 1.5 });
    store.applyIncrements([tick('EURUSD', 9, 1.51, 1.61)]);
    expect(store.getRow('EURUSD')?.sequence).toBe(9);
  });

  it('uses prevSequence for coalesced streams where sequences skip', () => {
    const { store, gaps } = makeStore();
    store.applySnapshot([tick('EURUSD', 5, 1.1, 1.2)]);
    store.applyIncrements([tick('EURUSD', 9, 1.3, 1.4, { prevSequence: 5 })]);
    expect(store.getRow('EURUSD')?.sequence).toBe(9);
    expect(gaps).toHaveLength(0);
    store.applyIncrements([tick('EURUSD', 12, 1.3, 1.4, { prevSequence: 10 })]);
    expect(gaps).toEqual([['EURUSD']]);
  });

  it('accepts an increment whose prevSequence is older than a newer snapshot, or null', () => {
    const { store, gaps } = makeStore();
    // The snapshot (seq 20) was newer than the stream's last increment for the instrument (seq 17).
    store.applySnapshot([tick('EURUSD', 20, 1.1, 1.2), tick('GBPUSD', 3, 1.3, 1.4)]);
    store.applyIncrements([tick('EURUSD', 23, 1.2, 1.3, { prevSequence: 17 })]);
    // First increment of an instrument in this stream: nothing earlier to compare with.
    store.applyIncrements([tick('GBPUSD', 9, 1.31, 1.41, { prevSequence: null })]);
    expect(gaps).toHaveLength(0);
    expect(store.getRow('EURUSD')?.sequence).toBe(23);
    expect(store.getRow('GBPUSD')?.sequence).toBe(9);
  });

  it('asks for a snapshot when an increment arrives for an unknown instrument', () => {
    const { store, gaps } = makeStore();
    store.applyIncrements([tick('USDJPY', 3, 150.1, 150.2)]);
    expect(gaps).toEqual([['USDJPY']]);
    expect(store.getRow('USDJPY')).toBeUndefined();
  });

  it('marks a row stale once the last update is older than the threshold (fake timers)', () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(0);
      const store = new MarketDataStore({ staleAfterMs: 3_000 });
      const changes: MarketRow[] = [];
      store.subscribe((rows) => changes.push(...rows));
      const sweeper = setInterval(() => store.sweep(), 1_000);
      store.applySnapshot([tick('EURUSD', 1, 1.1, 1.2)]);
      vi.advanceTimersByTime(3_000);
      expect(store.getRow('EURUSD')).toMatchObject({ stale: false, ageMs: 3_000 });
      vi.advanceTimersByTime(1_000);
      expect(store.getRow('EURUSD')).toMatchObject({ stale: true, ageMs: 4_000 });
      store.applyIncrements([tick('EURUSD', 2, 1.1, 1.2)]);
      expect(store.getRow('EURUSD')).toMatchObject({ stale: false, ageMs: 0 });
      expect(changes.some((row) => row.stale)).toBe(true);
      clearInterval(sweeper);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the server stale flag and marks everything stale while the link is down', () => {
    const { store } = makeStore();
    store.applySnapshot([tick('A', 1, 1, 2, { stale: true, quality: 'INDICATIVE' }), tick('B', 1, 1, 2)]);
    expect(store.getRow('A')).toMatchObject({ stale: true, serverStale: true, quality: 'INDICATIVE' });
    expect(store.getRow('B')?.stale).toBe(false);
    store.setLinkDown(true);
    expect(store.getRow('B')?.stale).toBe(true);
    store.setLinkDown(false);
    expect(store.getRow('B')?.stale).toBe(false);
  });

  it('returns the same snapshot array until something changes', () => {
    const { store } = makeStore();
    store.applySnapshot([tick('A', 1, 1, 2)]);
    const first = store.getSnapshot();
    expect(store.getSnapshot()).toBe(first);
    store.applyIncrements([tick('A', 2, 1, 3)]);
    expect(store.getSnapshot()).not.toBe(first);
  });
});
