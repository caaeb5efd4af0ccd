import { describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../src/api/connection';
import type { GraphqlHttpClient } from '../src/api/http';
import { createLiveBackend, toTick } from '../src/api/liveBackend';
import type { MarketTickGql } from '../src/api/operations';

const gqlTick: MarketTickGql = {
  instrumentId: 'EURUSD', sequence: 7, prevSequence: null, bid: '1.08331', ask: '1.08339', bidSize: null, askSize: '2000000',
  ts: '2026-11-24T10:00:00.250Z', stale: false, quality: 'GOOD',
};

describe('live backend mapping', () => {
  it('parses decimal strings and ISO timestamps into ticks', () => {
    expect(toTick(gqlTick)).toEqual({
      instrumentId: 'EURUSD', sequence: 7, prevSequence: null, bid: 1.08331, ask: 1.08339, bidSize: null, askSize: 2_000_000,
      ts: Date.parse('2026-11-24T10:00:00.250Z'), stale: false, quality: 'GOOD',
    });
  });

  it('returns snapshot ticks, and fails plainly when the snapshot store is unavailable', async () => {
    let available = true;
    const http = {
      request: async () => ({ marketSnapshot: { available, unavailableReason: available ? null : 'redis down', missingInstrumentIds: [], ticks: [gqlTick] } }),
    } as unknown as GraphqlHttpClient;
    const backend = createLiveBackend(http, {} as ConnectionManager);
    expect((await backend.marketSnapshot(['EURUSD']))[0]?.bid).toBe(1.08331);
    available = false;
    await expect(backend.marketSnapshot(['EURUSD'])).rejects.toMatchObject({ code: 'SNAPSHOT_UNAVAILABLE', message: 'redis down' });
  });

  it('splits the marketData stream into snapshot and increments and resubscribes after a lost message', () => {
    let onData: ((d: unknown) => void) | undefined;
    let onStart: (() => void) | undefined;
    let restarts = 0;
    const ws = {
      subscribe: (_q: string, _v: () => unknown, h: { onData: (d: unknown) => void; onStart?: () => void }) => {
        onData = h.onData;
        onStart = h.onStart;
        return { unsubscribe: () => undefined, restart: () => { restarts += 1; onStart?.(); } };
      },
    } as unknown as ConnectionManager;
    const seen: string[] = [];
    createLiveBackend({} as GraphqlHttpClient, ws).marketData(['EURUSD'], {
      onSnapshot: (t) => seen.push(`S${t.length}`), onIncrement: (t) => seen.push(`I${t.length}`), onError: (m) => seen.push(`E:${m}`),
    });
    onStart?.();
    const msg = (kind: string, seq: number) => ({ marketData: { kind, seq, snapshotAvailable: true, unavailableReason: null, ticks: [gqlTick] } });
    onData?.(msg('SNAPSHOT', 3));
    onData?.(msg('INCREMENT', 4));
    onData?.(msg('INCREMENT', 6));
    expect(restarts).toBe(1);
    onData?.(msg('SNAPSHOT', 6));
    onData?.(msg('INCREMENT', 7));
    expect(seen).toEqual(['S1', 'I1', 'S1', 'I1']);
  });
});
