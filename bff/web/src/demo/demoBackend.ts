/** Dev-only Backend that simulates the BFF in the browser: ticks, LP quotes, last look, trades. */
import type { Backend, MarketDataHandlers, StreamHandle } from '../api/backend';
import type { ConnectionStatus } from '../api/connection';
import type { AuditEntry, OrionError, Quote, Rfq, Trade } from '../api/operations';
import { DEMO_INSTRUMENTS, DemoMarket } from './demoMarket';

const LPS = ['Atlas LP', 'Borealis', 'Cygnus Bank', 'Draco Markets', 'Eridanus'];
const iso = (ms = Date.now()) => new Date(ms).toISOString();
const uuid = () => crypto.randomUUID();

function audit(rfq: { audit: AuditEntry[] | null }, event: string, detail: string | null = null, actor: string | null = 'system'): void {
  rfq.audit = [...(rfq.audit ?? []), { at: iso(), event, actor, outcome: null, detail }];
}
const OPEN = (rfq: Rfq) => rfq.status === 'SENT' || rfq.status === 'QUOTING';

function err<N extends string>(typename: N, code: string, message: string, correlationId: string | null) {
  return { __typename: typename, code, message, correlationId: correlationId ?? 'none' } satisfies OrionError;
}

/** A morning's worth of finished RFQs and trades so the blotters have rows to look at. */
function seedHistory(rfqs: Map<string, Rfq>, trades: Map<string, Trade>, market: DemoMarket): void {
  const picks = ['EURUSD', 'USDJPY', 'UST10Y', 'GBPUSD', 'ESZ6', 'XAUUSD', 'EURGBP', 'BTCUSD'];
  picks.forEach((instrumentId, i) => {
    const at = Date.now() - (picks.length - i) * 7 * 60_000;
    const side = i % 3 === 1 ? 'SELL' : 'BUY';
    const fx = DEMO_INSTRUMENTS.find((x) => x.id === instrumentId)?.assetClass === 'FX';
    const quantity = String((i + 1) * (fx ? 1_000_000 : 50));
    const id = `RFQ-${String(901 + i)}`;
    const correlationId = uuid();
    const filled = i % 4 !== 3;
    const price = ((market.mid(instrumentId) ?? 1) * (1 + (i - 4) * 0.0003)).toFixed(6);
    const lp = LPS[i % LPS.length] ?? 'Atlas LP';
    const rfq: Rfq = {
      id, correlationId, instrumentId, side, quantity, minQuantity: null, allowPartial: false, status: filled ? 'TRADED' : 'EXPIRED',
      version: 5, createdAt: iso(at), expiresAt: iso(at + 30_000), timeRemainingMs: 0, acceptedQuoteId: null,
      statusReason: filled ? null : 'Expired without an accepted quote',
      quotes: [], tradeIds: filled ? [`TRD-${String(4901 + i)}`] : [],
      audit: [{ at: iso(at), event: 'RfqCreated', actor: 'demo.trader', outcome: null, detail: `${side} ${quantity} ${instrumentId}` },
        { at: iso(at + 2_000), event: filled ? 'QuoteAccepted' : 'RfqExpired', actor: filled ? lp : 'system', outcome: null, detail: null }],
    };
    rfqs.set(id, rfq);
    if (!filled) return;
    const trade: Trade = {
      id: `TRD-${String(4901 + i)}`, correlationId, rfqId: id, quoteId: null, instrumentId, side, quantity, price,
      notional: (Number(quantity) * Number(price)).toFixed(2), currency: DEMO_INSTRUMENTS.find((x) => x.id === instrumentId)?.currency ?? 'USD',
      lpId: `lp-${(i % LPS.length) + 1}`, lpName: lp, executedAt: iso(at + 2_100), status: 'EXECUTED',
      audit: [{ at: iso(at + 2_100), event: 'TradeExecuted', actor: 'system', outcome: null, detail: `${side} ${quantity} @ ${price} with ${lp}` }],
    };
    trades.set(trade.id, trade);
  });
}

export function createDemoBackend(): Backend {
  const market = new DemoMarket();
  const rfqs = new Map<string, Rfq>();
  const trades = new Map<string, Trade>();
  const rfqWatchers = new Map<string, Set<(rfq: Rfq, serverTime: number) => void>>();
  const blotterListeners = new Set<{ onRfq: (r: Rfq) => void; onTrade: (t: Trade) => void }>();
  const statusListeners = new Set<(s: ConnectionStatus) => void>();
  const streams = new Set<{ ids: string[]; handlers: MarketDataHandlers; live: boolean }>();
  let status: ConnectionStatus = 'connecting';
  let tickCount = 0;

  const setStatus = (next: ConnectionStatus) => {
    status = next;
    for (const l of statusListeners) l(next);
  };
  const publish = (rfq: Rfq) => {
    const copy = structuredClone(rfq);
    for (const w of rfqWatchers.get(rfq.id) ?? []) w(copy, Date.now());
    for (const l of blotterListeners) l.onRfq(copy);
  };
  const startStream = (s: { ids: string[]; handlers: MarketDataHandlers; live: boolean }) => {
    s.live = true;
    s.handlers.onSnapshot(market.snapshot(s.ids));
  };

  seedHistory(rfqs, trades, market);
  setTimeout(() => {
    setStatus('connected');
    for (const s of streams) startStream(s);
  }, 300);
  // Tick period in ms; `localStorage['orion.demo.tickMs'] = '0'` stops ticks (perf baseline).
  const tickMs = Number(globalThis.localStorage?.getItem('orion.demo.tickMs') ?? 100);
  if (tickMs > 0) setInterval(() => {
    if (status !== 'connected') return;
    tickCount += 1;
    for (const s of streams) {
      if (!s.live) continue;
      // Every ~20 s one instrument skips a sequence number, exercising gap detection and resync.
      const gapFor = tickCount % 200 === 0 ? (s.ids[1] ?? null) : null;
      const ticks = market.step(s.ids, gapFor);
      if (ticks.length > 0) s.handlers.onIncrement(ticks);
    }
  }, tickMs);

  const quoteLoop = (rfq: Rfq) => {
    const delays = LPS.map(() => 150 + Math.random() * 1_100);
    LPS.forEach((lp, i) => setTimeout(() => sendQuote(rfq, lp, i), delays[i]));
  };
  const sendQuote = (rfq: Rfq, lp: string, i: number) => {
    if (!OPEN(rfq)) return;
    const mid = market.mid(rfq.instrumentId) ?? 1;
    const tick = market.tickSize(rfq.instrumentId);
    const edge = (2 + Math.floor(Math.random() * 6)) * tick;
    const price = rfq.side === 'BUY' ? mid + edge : mid - edge;
    const validMs = 4_000 + Math.random() * 4_000;
    const quote: Quote = {
      id: uuid(), rfqId: rfq.id, lpId: `lp-${i + 1}`, lpName: lp, price: price.toFixed(8), quantity: rfq.quantity,
      receivedAt: iso(), validUntil: iso(Date.now() + validMs), status: 'ACTIVE', rank: 1, live: true,
      timeRemainingMs: Math.round(validMs), lastLook: true, correlationId: rfq.correlationId,
    };
    rfq.quotes = [...rfq.quotes.filter((q) => q.lpId !== quote.lpId || q.status !== 'ACTIVE'), quote];
    rfq.status = 'QUOTING';
    rfq.version += 1;
    audit(rfq, 'QuoteReceived', `${lp} ${quote.price}`, lp);
    publish(rfq);
    // LPs requote when their quote lapses, until the RFQ ends.
    setTimeout(() => sendQuote(rfq, lp, i), validMs + 300);
  };

  const endRfq = (rfq: Rfq, statusValue: Rfq['status'], reason: string, event: string) => {
    rfq.status = statusValue;
    rfq.version += 1;
    rfq.statusReason = reason;
    rfq.quotes = rfq.quotes.map((q) => (q.status === 'ACTIVE' ? { ...q, status: 'EXPIRED' } : q));
    audit(rfq, event, reason);
    publish(rfq);
  };

  return {
    kind: 'demo',
    connection: {
      getStatus: () => status,
      onStatus: (l) => {
        statusListeners.add(l);
        return () => statusListeners.delete(l);
      },
      reconnectNow: () => {
        setStatus('reconnecting');
        for (const s of streams) s.live = false;
        setTimeout(() => {
          setStatus('connected');
          for (const s of streams) startStream(s);
        }, 1_200);
      },
    },
    instruments: async () => DEMO_INSTRUMENTS,
    marketSnapshot: async (ids) => market.snapshot(ids),
    marketData: (ids, handlers): StreamHandle => {
      const s = { ids: [...ids], handlers, live: false };
      streams.add(s);
      if (status === 'connected') setTimeout(() => startStream(s), 0);
      return { unsubscribe: () => void streams.delete(s), restart: () => startStream(s) };
    },
    createRfq: async (input) => {
      const now = Date.now();
      const expirySeconds = input.expirySeconds ?? 30;
      const instrumentId = String(input.instrumentId);
      const rfq: Rfq = {
        id: `RFQ-${String(rfqs.size + 1001)}`, correlationId: uuid(), instrumentId, side: input.side,
        quantity: input.quantity, minQuantity: input.minQuantity ?? null, allowPartial: input.allowPartial ?? false, status: 'SENT', version: 1,
        createdAt: iso(now), expiresAt: iso(now + expirySeconds * 1000), timeRemainingMs: expirySeconds * 1000,
        statusReason: null, acceptedQuoteId: null, quotes: [], tradeIds: [], audit: [],
      };
      audit(rfq, 'RfqCreated', `${input.side} ${input.quantity} ${instrumentId}`, 'demo.trader');
      rfqs.set(rfq.id, rfq);
      publish(rfq);
      quoteLoop(rfq);
      setTimeout(() => {
        if (OPEN(rfq)) endRfq(rfq, 'EXPIRED', 'Expired without an accepted quote', 'RfqExpired');
      }, expirySeconds * 1000);
      return { __typename: 'Rfq', ...structuredClone(rfq) };
    },
    acceptQuote: async (input) => {
      const [rfqId, quoteId] = [String(input.rfqId), String(input.quoteId)];
      await new Promise((r) => setTimeout(r, 120));
      const rfq = rfqs.get(rfqId);
      const quote = rfq?.quotes.find((q) => q.id === quoteId);
      if (!rfq) return err('RfqNotFound', 'RFQ_NOT_FOUND', 'No such RFQ', null);
      if (rfq.status !== 'QUOTING') return err('RfqNotOpen', 'RFQ_NOT_OPEN', `RFQ is ${rfq.status}`, rfq.correlationId);
      if (!quote) return err('InvalidInput', 'QUOTE_NOT_FOUND', 'No such quote', rfq.correlationId);
      if (quote.status !== 'ACTIVE' || Date.parse(quote.validUntil) <= Date.now()) {
        return err('QuoteExpired', 'QUOTE_EXPIRED', 'Quote no longer valid', rfq.correlationId);
      }
      // Like the service: ACCEPTED now, the LP's last look decides a moment later.
      rfq.status = 'ACCEPTED';
      rfq.version += 1;
      rfq.acceptedQuoteId = quoteId;
      rfq.quotes = rfq.quotes.map((q) => (q.id === quoteId ? { ...q, status: 'ACCEPTED' } : q));
      audit(rfq, 'QuoteAcceptanceRequested', quote.lpName, 'demo.trader');
      publish(rfq);
      setTimeout(() => {
        if (Math.random() < 0.2) {
          rfq.quotes = rfq.quotes.filter((q) => q.id !== quoteId);
          rfq.acceptedQuoteId = null;
          rfq.version += 1;
          rfq.status = Date.parse(rfq.expiresAt) > Date.now() ? 'QUOTING' : 'REJECTED';
          audit(rfq, 'QuoteAcceptanceRejected', 'price moved', quote.lpName);
          publish(rfq);
          return;
        }
        const trade: Trade = {
          id: `TRD-${String(trades.size + 5001)}`, correlationId: rfq.correlationId, rfqId, quoteId, instrumentId: rfq.instrumentId,
          side: rfq.side, quantity: rfq.quantity, price: quote.price, notional: (Number(rfq.quantity) * Number(quote.price)).toFixed(2),
          currency: DEMO_INSTRUMENTS.find((i) => i.id === rfq.instrumentId)?.currency ?? 'USD', lpId: quote.lpId, lpName: quote.lpName,
          executedAt: iso(), status: 'EXECUTED', audit: [],
        };
        audit(trade, 'TradeExecuted', `${trade.side} ${trade.quantity} @ ${trade.price} with ${trade.lpName}`);
        trades.set(trade.id, trade);
        for (const l of blotterListeners) l.onTrade(structuredClone(trade));
        rfq.quotes = rfq.quotes.map((q) => (q.id !== quoteId && q.status === 'ACTIVE' ? { ...q, status: 'WITHDRAWN' } : q));
        rfq.tradeIds = [trade.id];
        endRfq(rfq, 'TRADED', `Traded with ${quote.lpName}`, 'RfqTraded');
      }, 400);
      return { __typename: 'Rfq', ...structuredClone(rfq) };
    },
    cancelRfq: async (input) => {
      const rfq = rfqs.get(String(input.rfqId));
      if (!rfq) return err('RfqNotFound', 'RFQ_NOT_FOUND', 'No such RFQ', null);
      if (!OPEN(rfq)) return err('RfqNotOpen', 'RFQ_NOT_OPEN', `RFQ is ${rfq.status}`, rfq.correlationId);
      endRfq(rfq, 'CANCELLED', 'Cancelled by trader', 'RfqCancelled');
      return { __typename: 'Rfq', ...structuredClone(rfq) };
    },
    rfqs: async () => [...rfqs.values()].map((r) => structuredClone(r)),
    trades: async () => [...trades.values()].map((t) => structuredClone(t)),
    trade: async (id) => (trades.has(id) ? structuredClone(trades.get(id)!) : null),
    watchRfq: (rfqId, onUpdate) => {
      const set = rfqWatchers.get(rfqId) ?? new Set();
      set.add(onUpdate);
      rfqWatchers.set(rfqId, set);
      const rfq = rfqs.get(rfqId);
      if (rfq) onUpdate(structuredClone(rfq), Date.now());
      return () => set.delete(onUpdate);
    },
    blotterUpdates: (onRfq, onTrade) => {
      const entry = { onRfq, onTrade };
      blotterListeners.add(entry);
      return () => blotterListeners.delete(entry);
    },
  };
}
