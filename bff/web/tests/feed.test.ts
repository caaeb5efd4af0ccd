import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Backend, MarketDataHandlers } from '../src/api/backend';
import type { ConnectionStatus } from '../src/api/connection';
import { MarketDataFeed } from '../src/marketdata/feed';
import { MarketDataStore } from '../src/marketdata/store';
import type { Tick } from '../src/marketdata/types';

const t = (instrumentId: string, sequence: number, bid: number): Tick => ({ instrumentId, sequence, bid, ask: bid + 0.0002, ts: 0 });

function fakeBackend() {
  const statusListeners = new Set<(s: ConnectionStatus) => void>();
  const streams: Array<{ ids: string[]; handlers: MarketDataHandlers; restarts: number; closed: boolean }> = [];
  const snapshotQueries: string[][] = [];
  let snapshotAnswer: Tick[] = [];
  let status: ConnectionStatus = 'connected';
  const backend = {
    kind: 'demo',
    connection: {
      getStatus: () => status,
      onStatus: (l: (s: ConnectionStatus) => void) => { statusListeners.add(l); return () => statusListeners.delete(l); },
      reconnectNow: () => undefined,
    },
    marketSnapshot: async (ids: string[]) => { snapshotQueries.push(ids); return snapshotAnswer; },
    marketData: (ids: string[], handlers: MarketDataHandlers) => {
      const stream = { ids, handlers, restarts: 0, closed: false };
      streams.push(stream);
      return { unsubscribe: () => { stream.closed = true; }, restart: () => { stream.restarts += 1; } };
    },
  } as unknown as Backend;
  return {
    backend, streams, snapshotQueries,
    answer: (ticks: Tick[]) => { snapshotAnswer = ticks; },
    setStatus: (s: ConnectionStatus) => { status = s; for (const l of statusListeners) l(s); },
  };
}

describe('MarketDataFeed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('subscribes to the watched instruments and replaces the stream when they change', () => {
    const fake = fakeBackend();
    const store = new MarketDataStore();
    const feed = new MarketDataFeed(fake.backend, store);
    feed.start();
    feed.setInstruments(['EURUSD', 'GBPUSD']);
    fake.streams[0]!.handlers.onSnapshot([t('EURUSD', 1, 1.1), t('GBPUSD', 1, 1.3)]);
    feed.setInstruments(['EURUSD', 'GBPUSD']);
    expect(fake.streams).toHaveLength(1);
    feed.setInstruments(['EURUSD']);
    expect(fake.streams[0]!.closed).toBe(true);
    expect(fake.streams[1]!.ids).toEqual(['EURUSD']);
    expect(store.getRow('GBPUSD')).toBeUndefined();
    feed.stop();
  });

  it('resyncs instruments with a gap through one batched snapshot query', async () => {
    const fake = fakeBackend();
    const store = new MarketDataStore();
    const feed = new MarketDataFeed(fake.backend, store, { resyncBatchMs: 50 });
    feed.start();
    feed.setInstruments(['EURUSD', 'GBPUSD']);
    const stream = fake.streams[0]!;
    stream.handlers.onSnapshot([t('EURUSD', 1, 1.1), t('GBPUSD', 1, 1.3)]);
    stream.handlers.onIncrement([t('EURUSD', 3, 1.2)]);
    stream.handlers.onIncrement([t('GBPUSD', 5, 1.4)]);
    expect(store.getRow('EURUSD')?.resyncing).toBe(true);
    fake.answer([t('EURUSD', 4, 1.25), t('GBPUSD', 6, 1.45)]);
    await vi.advanceTimersByTimeAsync(50);
    expect(fake.snapshotQueries).toEqual([['EURUSD', 'GBPUSD']]);
    expect(store.getRow('EURUSD')).toMatchObject({ resyncing: false, sequence: 4, bid: 1.25 });
    stream.handlers.onIncrement([t('EURUSD', 5, 1.26)]);
    expect(store.getRow('EURUSD')?.sequence).toBe(5);
    feed.stop();
  });

  it('marks rows stale while the connection is down and takes the resubscribe snapshot after', () => {
    const fake = fakeBackend();
    const store = new MarketDataStore();
    const feed = new MarketDataFeed(fake.backend, store);
    feed.start();
    feed.setInstruments(['EURUSD']);
    fake.streams[0]!.handlers.onSnapshot([t('EURUSD', 10, 1.1)]);
    fake.setStatus('reconnecting');
    expect(store.getRow('EURUSD')?.stale).toBe(true);
    fake.setStatus('connected');
    // After a reconnect the server starts again with a snapshot, possibly at a later sequence.
    fake.streams[0]!.handlers.onSnapshot([t('EURUSD', 42, 1.2)]);
    expect(store.getRow('EURUSD')).toMatchObject({ stale: false, sequence: 42, bid: 1.2 });
    feed.stop();
  });
});

describe('StreamSequence (marketData message continuity)', () => {
  it('accepts seq + 1 after the snapshot and reports a lost message on a jump', async () => {
    const { StreamSequence } = await import('../src/api/liveBackend');
    const s = new StreamSequence();
    expect(s.accept('INCREMENT', 4)).toBe('lost');
    expect(s.accept('SNAPSHOT', 7)).toBe('ok');
    expect(s.accept('INCREMENT', 8)).toBe('ok');
    expect(s.accept('INCREMENT', 9)).toBe('ok');
    expect(s.accept('INCREMENT', 11)).toBe('lost');
    // After a loss nothing applies until a new snapshot.
    expect(s.accept('INCREMENT', 12)).toBe('lost');
    expect(s.accept('SNAPSHOT', 12)).toBe('ok');
    expect(s.accept('INCREMENT', 13)).toBe('ok');
  });
});
