/** Backend over the workstation GraphQL subgraph: HTTP for queries/mutations, graphql-ws for streams. */
import type { Backend } from './backend';
import type { ConnectionManager } from './connection';
import { GraphqlRequestError } from './errors';
import type { GraphqlHttpClient } from './http';
import * as ops from './operations';
import { preferencesRemote } from './preferencesRemote';
import type { Tick } from '../marketdata/types';

function num(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

export function toTick(t: ops.MarketTickGql): Tick {
  return {
    instrumentId: t.instrumentId,
    sequence: t.sequence,
    prevSequence: t.prevSequence,
    bid: num(t.bid),
    ask: num(t.ask),
    bidSize: num(t.bidSize),
    askSize: num(t.askSize),
    ts: Date.parse(t.ts),
    stale: t.stale,
    quality: t.quality,
  };
}

/** Message-level continuity of one marketData subscription: seq is +1 per increment after the snapshot. */
export class StreamSequence {
  private last: number | null = null;

  reset(): void {
    this.last = null;
  }

  accept(kind: 'SNAPSHOT' | 'INCREMENT', seq: number): 'ok' | 'lost' {
    if (kind === 'SNAPSHOT') {
      this.last = seq;
      return 'ok';
    }
    if (this.last === null || seq !== this.last + 1) {
      this.last = null;
      return 'lost';
    }
    this.last = seq;
    return 'ok';
  }
}

export function createLiveBackend(http: GraphqlHttpClient, ws: ConnectionManager): Backend {
  return {
    kind: 'live',
    connection: ws,
    preferences: preferencesRemote(http),
    instruments: async () => (await http.request<ops.InstrumentsResult>(ops.INSTRUMENTS)).instruments,
    marketSnapshot: async (instrumentIds) => {
      const { marketSnapshot } = await http.request<ops.MarketSnapshotResult>(ops.MARKET_SNAPSHOT, { instrumentIds });
      if (!marketSnapshot.available) {
        throw new GraphqlRequestError(marketSnapshot.unavailableReason ?? 'Snapshot store unavailable', 'SNAPSHOT_UNAVAILABLE');
      }
      return marketSnapshot.ticks.map(toTick);
    },
    marketData: (instrumentIds, handlers) => {
      const stream = new StreamSequence();
      const handle = ws.subscribe<ops.MarketDataResult>(ops.MARKET_DATA, () => ({ instrumentIds }), {
        onStart: () => stream.reset(),
        onData: ({ marketData }) => {
          if (!marketData.snapshotAvailable && marketData.unavailableReason) handlers.onError(marketData.unavailableReason);
          const verdict = stream.accept(marketData.kind, marketData.seq);
          if (verdict === 'lost') {
            // A whole message is missing: start again, the new subscription opens with a snapshot.
            handle.restart();
            return;
          }
          const ticks = marketData.ticks.map(toTick);
          if (marketData.kind === 'SNAPSHOT') handlers.onSnapshot(ticks);
          else handlers.onIncrement(ticks);
        },
        onError: handlers.onError,
      });
      return handle;
    },
    createRfq: async (input) => (await http.request<ops.CreateRfqResult>(ops.CREATE_RFQ, { input })).createRfq,
    acceptQuote: async (input) => (await http.request<ops.AcceptQuoteResult>(ops.ACCEPT_QUOTE, { input })).acceptQuote,
    cancelRfq: async (input) => (await http.request<ops.CancelRfqResult>(ops.CANCEL_RFQ, { input })).cancelRfq,
    rfqs: async (limit = 500) => {
      const out: ops.Rfq[] = [];
      let after: string | null = null;
      for (;;) {
        const vars: ops.RfqsVars = { first: Math.min(100, limit - out.length), after };
        const page: ops.RfqsResult['rfqs'] = (await http.request<ops.RfqsResult>(ops.RFQS, vars)).rfqs;
        out.push(...page.nodes);
        if (!page.hasNextPage || !page.endCursor || out.length >= limit || page.nodes.length === 0) return out.slice(0, limit);
        after = page.endCursor;
      }
    },
    trades: async (limit = 500) => (await http.request<ops.TradesResult>(ops.TRADES, { limit: Math.min(limit, 500) })).trades,
    trade: async (id) => (await http.request<ops.TradeResult>(ops.TRADE, { id })).trade,
    watchRfq: (rfqId, onUpdate, onError) => {
      const handle = ws.subscribe<ops.RfqUpdatesResult>(ops.RFQ_UPDATES, () => ({ rfqId }), {
        onData: (data) => onUpdate(data.rfqUpdates.rfq, Date.parse(data.rfqUpdates.serverTime)),
        onError,
      });
      return () => handle.unsubscribe();
    },
    blotterUpdates: (onRfq, onTrade) => {
      const handle = ws.subscribe<ops.BlotterUpdatesResult>(ops.BLOTTER_UPDATES, () => ({}), {
        onData: (data) => {
          if (data.blotterUpdates.kind === 'READY') return;
          if (data.blotterUpdates.rfq) onRfq(data.blotterUpdates.rfq);
          if (data.blotterUpdates.trade) onTrade(data.blotterUpdates.trade);
        },
      });
      return () => handle.unsubscribe();
    },
  };
}
