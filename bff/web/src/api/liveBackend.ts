/** Backend over the workstation GraphQL subgraph: HTTP for queries/mutations, graphql-ws for streams. */
import type { Backend } from './backend';
import type { ConnectionManager } from './connection';
import type { GraphqlHttpClient } from './http';
import * as ops from './operations';
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

export function createLiveBackend(http: GraphqlHttpClient, ws: ConnectionManager): Backend {
  return {
    kind: 'live',
    connection: ws,
    instruments: async () => (await http.request<ops.InstrumentsResult>(ops.INSTRUMENTS)).instruments,
    marketSnapshot: async (instrumentIds) =>
      (await http.request<ops.MarketSnapshotResult>(ops.MARKET_SNAPSHOT, { instrumentIds })).marketSnapshot.map(toTick),
    marketData: (instrumentIds, handlers) =>
      ws.subscribe<ops.MarketDataResult>(ops.MARKET_DATA, () => ({ instrumentIds }), {
        onData: (data) => {
          const ticks = data.marketData.ticks.map(toTick);
          if (data.marketData.kind === 'SNAPSHOT') handlers.onSnapshot(ticks);
          else handlers.onIncrement(ticks);
        },
        onError: handlers.onError,
      }),
    createRfq: async (input) => (await http.request<ops.CreateRfqResult>(ops.CREATE_RFQ, { input })).createRfq,
    acceptQuote: async (input) => (await http.request<ops.AcceptQuoteResult>(ops.ACCEPT_QUOTE, { input })).acceptQuote,
    cancelRfq: async (input) => (await http.request<ops.CancelRfqResult>(ops.CANCEL_RFQ, { input })).cancelRfq,
    rfqs: async (limit = 500) => (await http.request<ops.RfqsResult>(ops.RFQS, { limit })).rfqs,
    trades: async (limit = 500) => (await http.request<ops.TradesResult>(ops.TRADES, { limit })).trades,
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
          if (data.blotterUpdates.rfq) onRfq(data.blotterUpdates.rfq);
          if (data.blotterUpdates.trade) onTrade(data.blotterUpdates.trade);
        },
      });
      return () => handle.unsubscribe();
    },
  };
}
