/** RFQ ticket: compose, send, watch ranked live quotes with countdowns, accept best or chosen, cancel. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Backend } from '../api/backend';
import { explainOrionError, explainUnknown, type TraderMessage } from '../api/errors';
import { isOrionError, OPEN_RFQ_STATUSES, type Instrument, type Quote, type Rfq, type Side, type Trade } from '../api/operations';
import { formatExactPrice, formatNotional, formatPrice, formatQuantity, formatTimeRemaining } from '../format/format';
import type { MarketDataStore } from '../marketdata/store';
import { rankQuotes, quoteStateLabel } from '../rfq/ranking';
import { acceptanceOutcome, type PendingAcceptance } from '../rfq/acceptance';
import type { BlotterStore } from '../blotter/blotterStore';

const EXPIRIES = [15, 30, 60, 120, 300];
const OPEN = OPEN_RFQ_STATUSES;

type Outcome =
  | { kind: 'trade'; trade: Trade }
  | { kind: 'pending'; text: string }
  | { kind: 'error'; message: TraderMessage }
  | { kind: 'info'; text: string };

const lastLookMessage = (quote: Quote, reason: string | null, rfqClosed: boolean): TraderMessage => ({
  title: 'Rejected on last look',
  detail: `${quote.lpName} declined to trade at ${quote.price}${reason ? ` (${reason})` : ''}. No trade was done.`,
  action: rfqClosed ? 'The RFQ has closed: send a new RFQ.' : 'Choose another quote or send a new RFQ.',
  severity: 'warning',
  code: 'LAST_LOOK_REJECTED',
});

function LiveTop({ store, instrumentId, tickSize }: { store: MarketDataStore; instrumentId: string; tickSize: string }) {
  const bid = useRef<HTMLSpanElement>(null);
  const ask = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    const paint = () => {
      const row = store.getRow(instrumentId);
      if (bid.current) bid.current.textContent = formatPrice(row?.bid ?? null, tickSize);
      if (ask.current) ask.current.textContent = formatPrice(row?.ask ?? null, tickSize);
    };
    paint();
    // Written straight to the DOM: a tick never re-renders the ticket.
    return store.subscribe((rows) => { if (rows.some((r) => r.instrumentId === instrumentId)) paint(); });
  }, [store, instrumentId, tickSize]);
  return (
    <div className="live-top" aria-label="Current market">
      <span>Bid <span ref={bid} className="num" /></span>
      <span>Ask <span ref={ask} className="num" /></span>
    </div>
  );
}

export function RfqTicket(props: {
  backend: Backend;
  store: MarketDataStore;
  blotters: BlotterStore;
  instruments: Instrument[];
  instrumentId: string | null;
  onInstrumentChange: (id: string) => void;
}) {
  const { backend, store, blotters, instruments, instrumentId, onInstrumentChange } = props;
  const [side, setSide] = useState<Side>('BUY');
  const [quantity, setQuantity] = useState('1000000');
  const [expiry, setExpiry] = useState(30);
  const [minQuantity, setMinQuantity] = useState('');
  const [allowPartial, setAllowPartial] = useState(false);
  const [rfq, setRfq] = useState<Rfq | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  // The acceptance being followed to a trade or a last-look refusal, and the quotes refused so far
  // (the server drops a refused quote from the RFQ; the ticket keeps showing it, marked).
  const pending = useRef<PendingAcceptance | null>(null);
  const [refused, setRefused] = useState<Quote[]>([]);
  const [now, setNow] = useState(Date.now());
  const skew = useRef(0);
  const createKey = useRef<string | null>(null);
  const qtyInput = useRef<HTMLInputElement>(null);
  const instrument = instruments.find((i) => i.id === instrumentId) ?? null;
  const tickSize = instrument?.tickSize ?? '0.0001';
  const open = rfq !== null && OPEN.has(rfq.status);

  // A changed ticket is a new request: the next send gets a new idempotency key.
  useEffect(() => { createKey.current = null; }, [instrumentId, side, quantity, expiry, minQuantity, allowPartial]);

  useEffect(() => {
    if (!rfq || !OPEN.has(rfq.status)) return;
    const timer = setInterval(() => setNow(Date.now() + skew.current), 200);
    return () => clearInterval(timer);
  }, [rfq]);

  const showTrade = useCallback((tradeId: string) => {
    const known = blotters.trades.get(tradeId);
    if (known) { setOutcome({ kind: 'trade', trade: known }); return; }
    // Not streamed yet: read it, and take it from the blotter stream if that is faster.
    let done = false;
    const off = blotters.trades.subscribe(({ add, update }) => {
      const t = [...add, ...update].find((x) => x.id === tradeId);
      if (t && !done) { done = true; off(); setOutcome({ kind: 'trade', trade: t }); }
    });
    backend.trade(tradeId).then((t) => {
      if (t && !done) { done = true; off(); blotters.trades.upsert([t]); setOutcome({ kind: 'trade', trade: t }); }
    }, () => undefined);
  }, [backend, blotters]);

  const follow = useCallback((next: Rfq) => {
    const p = pending.current;
    if (p && p.rfqId === next.id) {
      const result = acceptanceOutcome(p, next);
      if (result.kind === 'traded') {
        pending.current = null;
        showTrade(result.tradeId);
      } else if (result.kind === 'rejected') {
        pending.current = null;
        setRefused((list) => [...list.filter((q) => q.id !== p.quote.id), p.quote]);
        setOutcome({ kind: 'error', message: lastLookMessage(p.quote, result.reason, result.rfqClosed) });
      }
    }
    if (next.status === 'EXPIRED') setOutcome({ kind: 'info', text: 'RFQ expired with no trade. Send a new RFQ to try again.' });
  }, [showTrade]);

  const rfqId = rfq?.id ?? null;
  useEffect(() => {
    if (!rfqId) return;
    return backend.watchRfq(rfqId, (next, serverTime) => {
      skew.current = serverTime - Date.now();
      setRfq((prev) => (prev && prev.id === next.id && prev.version > next.version ? prev : next));
      blotters.rfqs.upsert([next]);
      follow(next);
    }, (message) => setOutcome({ kind: 'error', message: explainUnknown(new Error(message)) }));
  }, [backend, blotters, rfqId, follow]);

  const validation = useMemo(() => {
    const qty = Number(quantity);
    if (!instrumentId) return 'Pick an instrument (click a row in Market watch).';
    if (!(qty > 0)) return 'Enter a size greater than zero.';
    if (minQuantity !== '' && !(Number(minQuantity) > 0 && Number(minQuantity) <= qty)) return 'Minimum size must be between 0 and the size.';
    return null;
  }, [instrumentId, quantity, minQuantity]);

  const send = useCallback(async () => {
    if (validation || busy || !instrumentId) return;
    setBusy(true);
    setOutcome(null);
    createKey.current ??= crypto.randomUUID();
    try {
      const result = await backend.createRfq({
        instrumentId, side, quantity, expirySeconds: expiry, minQuantity: minQuantity === '' ? null : minQuantity,
        allowPartial, idempotencyKey: createKey.current,
      });
      if (isOrionError(result, 'Rfq')) setOutcome({ kind: 'error', message: explainOrionError(result) });
      else {
        createKey.current = null;
        pending.current = null;
        setRefused([]);
        setRfq(result);
        blotters.rfqs.upsert([result]);
      }
    } catch (error) {
      setOutcome({ kind: 'error', message: explainUnknown(error) });
    } finally {
      setBusy(false);
    }
  }, [validation, busy, instrumentId, side, quantity, expiry, minQuantity, allowPartial, backend, blotters]);

  const accept = useCallback(async (quote: Quote | null | undefined) => {
    if (!rfq || !quote || busy) return;
    setBusy(true);
    try {
      const result = await backend.acceptQuote({ rfqId: rfq.id, quoteId: quote.id, idempotencyKey: `${rfq.id}:${quote.id}` });
      if (isOrionError(result, 'Rfq')) setOutcome({ kind: 'error', message: explainOrionError(result) });
      else {
        // Accepted, not yet traded: the RFQ stream says whether the LP confirms (TRADED) or refuses.
        pending.current = { rfqId: rfq.id, quote, version: result.version };
        setOutcome({
          kind: 'pending',
          text: quote.lastLook
            ? `Accepted ${quote.lpName} @ ${quote.price}: waiting for the LP's last look…`
            : `Accepted ${quote.lpName} @ ${quote.price}: waiting for the trade…`,
        });
        setRfq((prev) => (prev && prev.id === result.id && prev.version > result.version ? prev : result));
        blotters.rfqs.upsert([result]);
        follow(result);
      }
    } catch (error) {
      setOutcome({ kind: 'error', message: explainUnknown(error) });
    } finally {
      setBusy(false);
    }
  }, [rfq, busy, backend, blotters, follow]);

  const cancel = useCallback(async () => {
    if (!rfq || !OPEN.has(rfq.status)) return;
    try {
      const result = await backend.cancelRfq({ rfqId: rfq.id, idempotencyKey: `${rfq.id}:cancel` });
      if (isOrionError(result, 'Rfq')) setOutcome({ kind: 'error', message: explainOrionError(result) });
      else { setRfq(result); setOutcome({ kind: 'info', text: 'RFQ cancelled. No trade was done.' }); }
    } catch (error) {
      setOutcome({ kind: 'error', message: explainUnknown(error) });
    }
  }, [rfq, backend]);

  const refusedIds = useMemo(() => new Set(refused.map((q) => q.id)), [refused]);
  const ranked = useMemo(() => {
    if (!rfq) return [];
    const shown = [...rfq.quotes, ...refused.filter((q) => q.rfqId === rfq.id && !rfq.quotes.some((x) => x.id === q.id))];
    return rankQuotes(shown, rfq.side, now, rfq.status === 'QUOTING', refusedIds);
  }, [rfq, now, refused, refusedIds]);
  const best = ranked.find((r) => r.live)?.quote ?? null;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const key = e.key.toLowerCase();
      if (e.altKey && key === 'b') { e.preventDefault(); setSide('BUY'); }
      else if (e.altKey && key === 's') { e.preventDefault(); setSide('SELL'); }
      else if (e.altKey && key === 't') { e.preventDefault(); qtyInput.current?.focus(); qtyInput.current?.select(); }
      else if (e.altKey && key === 'a') { e.preventDefault(); void accept(best); }
      else if (e.altKey && key === 'x') { e.preventDefault(); void cancel(); }
      else if ((e.ctrlKey || e.metaKey) && key === 'enter') { e.preventDefault(); void send(); }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [accept, best, cancel, send]);

  const timeLeft = rfq ? Date.parse(rfq.expiresAt) - now : 0;

  return (
    <section className="panel ticket" aria-label="RFQ ticket" data-testid="rfq-ticket">
      <header className="panel-head"><h2>RFQ ticket</h2>{instrument && <LiveTop store={store} instrumentId={instrument.id} tickSize={tickSize} />}</header>
      <form className="ticket-form" onSubmit={(e) => { e.preventDefault(); void send(); }}>
        <label>Instrument
          <select value={instrumentId ?? ''} onChange={(e) => onInstrumentChange(e.target.value)} data-testid="ticket-instrument">
            <option value="" disabled>Select…</option>
            {instruments.map((i) => <option key={i.id} value={i.id}>{i.symbol}</option>)}
          </select>
        </label>
        <div className="side-toggle" role="radiogroup" aria-label="Side">
          <button type="button" role="radio" aria-checked={side === 'BUY'} className={`buy ${side === 'BUY' ? 'on' : ''}`} onClick={() => setSide('BUY')} title="Alt+B">Buy</button>
          <button type="button" role="radio" aria-checked={side === 'SELL'} className={`sell ${side === 'SELL' ? 'on' : ''}`} onClick={() => setSide('SELL')} title="Alt+S">Sell</button>
        </div>
        <label>Size<input ref={qtyInput} inputMode="decimal" value={quantity} onChange={(e) => setQuantity(e.target.value.replace(/[^0-9.]/g, ''))} data-testid="ticket-size" title="Alt+T" /></label>
        <label>Expiry
          <select value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>{EXPIRIES.map((s) => <option key={s} value={s}>{s < 60 ? `${s} s` : `${s / 60} min`}</option>)}</select>
        </label>
        <label>Min size<input inputMode="decimal" placeholder="optional" value={minQuantity} onChange={(e) => setMinQuantity(e.target.value.replace(/[^0-9.]/g, ''))} /></label>
        <label className="check"><input type="checkbox" checked={allowPartial} onChange={(e) => setAllowPartial(e.target.checked)} />Partial fills allowed</label>
        <div className="ticket-actions">
          <button type="submit" className="primary" disabled={!!validation || busy || open || rfq?.status === 'ACCEPTED'} data-testid="send-rfq" title="Ctrl+Enter">Send RFQ</button>
          <button type="button" disabled={!open} onClick={() => void cancel()} title="Alt+X">Cancel RFQ</button>
        </div>
        {validation && <p className="hint">{validation}</p>}
      </form>

      {rfq && (
        <div className="rfq-live" data-testid="rfq-live">
          <div className="rfq-status">
            <span className={`badge status-${rfq.status.toLowerCase()}`}>{rfq.status}</span>
            <span>{rfq.side} {formatQuantity(rfq.quantity)} {rfq.instrumentId}</span>
            <span className="num">{open ? formatTimeRemaining(timeLeft) : rfq.statusReason ?? ''}</span>
          </div>
          <table className="quotes" data-testid="quotes">
            <thead><tr><th>#</th><th>LP</th><th className="r">{rfq.side === 'BUY' ? 'Offer' : 'Bid'}</th><th className="r">Left</th><th>State</th><th /></tr></thead>
            <tbody>
              {ranked.length === 0 && <tr><td colSpan={6} className="muted">Waiting for quotes…</td></tr>}
              {ranked.map((r) => (
                <tr key={r.quote.id} className={refusedIds.has(r.quote.id) ? 'dead refused' : r.quote.status === 'ACCEPTED' ? 'accepted' : r.live ? (r.rank === 1 ? 'best' : '') : 'dead'}>
                  <td>{r.rank ?? '–'}</td>
                  <td>{r.quote.lpName}{r.quote.lastLook ? <span className="muted small" title="The LP may still refuse an acceptance (last look)"> LL</span> : null}</td>
                  <td className="r num">{formatExactPrice(r.quote.price, tickSize)}</td>
                  <td className="r num">{r.live ? formatTimeRemaining(r.timeRemainingMs) : ''}</td>
                  <td>{quoteStateLabel(r.quote, now, open || rfq.status === 'ACCEPTED' || rfq.status === 'TRADED', refusedIds.has(r.quote.id))}</td>
                  <td>{r.live && rfq.status === 'QUOTING' && <button type="button" onClick={() => void accept(r.quote)} disabled={busy}>Accept</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="ticket-actions">
            <button type="button" className="primary" disabled={!best || rfq.status !== 'QUOTING' || busy} onClick={() => void accept(best)} data-testid="accept-best" title="Alt+A">
              Accept best{best ? ` @ ${formatExactPrice(best.price, tickSize)}` : ''}
            </button>
          </div>
          <p className="muted small">Correlation id <code>{rfq.correlationId}</code></p>
        </div>
      )}

      {outcome?.kind === 'trade' && (
        <div className="message ok" role="status" data-testid="trade-done">
          <strong>Done: {outcome.trade.side} {formatQuantity(outcome.trade.quantity)} {outcome.trade.instrumentId} @ {formatExactPrice(outcome.trade.price, tickSize)}</strong>
          <span>with {outcome.trade.lpName ?? outcome.trade.lpId ?? 'LP'} · notional {formatNotional(outcome.trade.quantity, outcome.trade.price, outcome.trade.currency ?? undefined)} · trade {outcome.trade.id}</span>
          <span className="small">Correlation id <code>{outcome.trade.correlationId}</code></span>
        </div>
      )}
      {outcome?.kind === 'error' && (
        <div className={`message ${outcome.message.severity}`} role="alert" data-testid="ticket-error">
          <strong>{outcome.message.title}</strong>
          <span>{outcome.message.detail}</span>
          {outcome.message.action && <span>{outcome.message.action}</span>}
          {outcome.message.correlationId && <span className="small">Reference {outcome.message.correlationId}</span>}
        </div>
      )}
      {outcome?.kind === 'info' && <div className="message info" role="status">{outcome.text}</div>}
      {outcome?.kind === 'pending' && <div className="message info" role="status" data-testid="accept-pending">{outcome.text}</div>}
      <p className="shortcuts small muted">Alt+B buy · Alt+S sell · Alt+T size · Ctrl+Enter send · Alt+A accept best · Alt+X cancel</p>
    </section>
  );
}
