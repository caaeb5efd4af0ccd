import { describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../src/api/connection';
import type { GraphqlHttpClient } from '../src/api/http';
import { createLiveBackend, toTick } from '../src/api/liveBackend';
import type { MarketTickGql } from '../src/api/operations';

const gqlTick: MarketTickGql = {
  instrumentId: 'FX.EURUSD', sequence: 7, prevSequence: null, bid: '1.08331', ask: '1.08339', bidSize: null, askSize: '2000000',
  ts: '2026-11-24T10:00:00.250Z', stale: false, quality: 'GOOD',
};

describe('live backend mapping', () => {
  it('parses decimal strings and ISO timestamps into ticks', () => {
    expect(toTick(gqlTick)).toEqual({
      instrumentId: 'FX.EURUSD', sequence: 7, prevSequence: null, bid: 1.08331, ask: 1.08339, bidSize: null, askSize: 2_000_000,
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

describe('live backend RFQ reads', () => {
  it('follows the rfqs cursor pages up to the limit', async () => {
    const calls: unknown[] = [];
    const http = {
      request: async (_q: string, vars: { first: number; after: string | null }) => {
        calls.push(vars);
        const start = vars.after ? Number(vars.after) : 0;
        const nodes = Array.from({ length: vars.first }, (_, i) => ({ id: `R${start + i}` }));
        return { rfqs: { nodes, endCursor: String(start + vars.first), hasNextPage: start + vars.first < 250 } };
      },
    } as unknown as GraphqlHttpClient;
    const rfqs = await createLiveBackend(http, {} as ConnectionManager).rfqs(230);
    expect(rfqs).toHaveLength(230);
    expect(calls).toEqual([{ first: 100, after: null }, { first: 100, after: '100' }, { first: 30, after: '200' }]);
  });

  it('passes blotter rows on and skips the READY message', () => {
    let onData: ((d: unknown) => void) | undefined;
    const ws = { subscribe: (_q: string, _v: () => unknown, h: { onData: (d: unknown) => void }) => { onData = h.onData; return { unsubscribe: () => undefined }; } } as unknown as ConnectionManager;
    const seen: string[] = [];
    createLiveBackend({} as GraphqlHttpClient, ws).blotterUpdates((r) => seen.push(`rfq ${r.id}`), (t) => seen.push(`trade ${t.id}`));
    onData?.({ blotterUpdates: { kind: 'READY', serverTime: '2026-11-24T10:00:00Z', rfq: null, trade: null } });
    onData?.({ blotterUpdates: { kind: 'RFQ', serverTime: '2026-11-24T10:00:00Z', rfq: { id: 'R1' }, trade: null } });
    onData?.({ blotterUpdates: { kind: 'TRADE', serverTime: '2026-11-24T10:00:01Z', rfq: null, trade: { id: 'T1' } } });
    expect(seen).toEqual(['rfq R1', 'trade T1']);
  });
});
