// A stand-in for the platform, for the live code path before the real BFF exists: serves dist/,
// an OIDC issuer at /identity (discovery, authorize with PKCE S256, token with refresh rotation)
// and the workstation GraphQL API at /graphql/workstation (HTTP + graphql-transport-ws), built from
// the real subgraph SDL, schemas/graphql/workstation.graphql. RFQs follow the RFQ service's states:
// SENT -> QUOTING -> ACCEPTED (acceptQuote answers the RFQ) -> TRADED after the LP's last look, or
// back to QUOTING without the quote when the LP refuses ("Borealis" always refuses, so the UI's
// handling can be driven deterministically). 127.0.0.1 only. POST /__drop closes every socket.
// Usage: node scripts/mock-platform.mjs [port]   (prints the URL)
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildASTSchema, graphql, parse } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

const here = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(here, 'dist');
// The federation directives (@link, @key, @shareable) are not executed here: skip SDL validation.
const schema = buildASTSchema(parse(readFileSync(resolve(here, '../../schemas/graphql/workstation.graphql'), 'utf8')), { assumeValidSDL: true });
const port = Number(process.argv[2] ?? 0);
const b64url = (buf) => Buffer.from(buf).toString('base64url');
const iso = (ms = Date.now()) => new Date(ms).toISOString();

// ---------------------------------------------------------------- identity
const codes = new Map();
const accessTokens = new Set();
const refreshTokens = new Map();
let issuer = '';
function issue(nonce) {
  const access = randomUUID();
  const refresh = randomUUID();
  accessTokens.add(access);
  refreshTokens.set(refresh, nonce);
  const idToken = `${b64url(JSON.stringify({ alg: 'none' }))}.${b64url(JSON.stringify({
    iss: issuer, aud: 'orion-workstation', sub: 'u-1', name: 'Ada Trader', nonce, exp: Math.floor(Date.now() / 1000) + 300,
  }))}.`;
  return { access_token: access, token_type: 'Bearer', expires_in: 300, refresh_token: refresh, id_token: idToken };
}

// ---------------------------------------------------------------- market and RFQs
// Instrument ids as in the market-data universe / reference data: "FX.EURUSD".
const instruments = ['EURUSD', 'GBPUSD', 'USDJPY', 'AUDUSD', 'USDCHF', 'EURGBP'].map((s, i) => ({
  id: `FX.${s}`, symbol: s, assetClass: 'FX', currency: s.slice(3), tickSize: s.includes('JPY') ? '0.001' : '0.00001', lotSize: '1000',
  venueIds: ['RFQ'], version: 1, tenor: null, mid: [1.0834, 1.2712, 151.42, 0.6623, 0.8811, 0.8523][i],
}));
const seqs = new Map(instruments.map((i) => [i.id, 1]));
const tick = (inst, prevSequence) => {
  const t = Number(inst.tickSize);
  const now = Date.now();
  return {
    instrumentId: inst.id, bid: (inst.mid - 4 * t).toFixed(6), ask: (inst.mid + 4 * t).toFixed(6), mid: inst.mid.toFixed(6),
    bidSize: '1000000', askSize: '2000000', sequence: seqs.get(inst.id), prevSequence, ts: iso(now), sourceAtMs: now, receivedAtMs: now,
    late: false, stale: false, quality: 'GOOD', qualityFlags: 0,
  };
};
const OPEN = new Set(['CREATED', 'SENT', 'QUOTING']);
const FINAL = new Set(['REJECTED', 'EXPIRED', 'CANCELLED', 'TRADED']);
const rfqs = new Map();
const trades = new Map();
const rfqListeners = new Set();
const audit = (entity, event, detail, actor = 'mock') =>
  entity.audit.push({ at: iso(), event, actor, component: 'mock', outcome: null, detail, entityId: entity.id, correlationId: entity.correlationId });

/** The RFQ as the subgraph answers it at this instant: quotes ranked, live flags and countdowns. */
function view(rfq) {
  const now = Date.now();
  const sign = rfq.side === 'BUY' ? 1 : -1;
  const live = rfq.status === 'QUOTING'
    ? rfq.quotes.filter((q) => q.status === 'ACTIVE' && Date.parse(q.validUntil) > now).sort((a, b) => sign * (Number(a.price) - Number(b.price)))
    : [];
  const quotes = rfq.quotes.map((q) => {
    const rank = live.indexOf(q) + 1;
    const status = q.id === rfq.acceptedQuoteId ? 'ACCEPTED' : rank > 0 ? 'ACTIVE' : Date.parse(q.validUntil) <= now ? 'EXPIRED' : q.status === 'ACTIVE' ? 'WITHDRAWN' : q.status;
    return { ...q, rank, live: rank > 0, status, timeRemainingMs: rank > 0 ? Math.max(0, Date.parse(q.validUntil) - now) : 0 };
  }).sort((a, b) => (a.live === b.live ? (a.rank - b.rank) || Date.parse(a.receivedAt) - Date.parse(b.receivedAt) : a.live ? -1 : 1));
  return structuredClone({
    ...rfq, quotes, tradeId: rfq.tradeIds[0] ?? null,
    timeRemainingMs: OPEN.has(rfq.status) ? Math.max(0, Date.parse(rfq.expiresAt) - now) : 0,
  });
}
const push = (rfq, trade = null) => {
  const v = rfq ? view(rfq) : null;
  for (const l of rfqListeners) l(v, trade ? structuredClone(trade) : null);
};
const change = (rfq) => { rfq.version += 1; push(rfq); };

function createRfq({ input }) {
  const rfq = {
    __typename: 'Rfq', id: `RFQ-${rfqs.size + 1}`, correlationId: randomUUID(), requesterId: 'u-1', instrumentId: input.instrumentId,
    side: input.side, quantity: input.quantity, minQuantity: input.minQuantity ?? null, allowPartial: input.allowPartial, venueId: null,
    status: 'SENT', version: 1, createdAt: iso(), expiresAt: iso(Date.now() + input.expirySeconds * 1000), statusReason: null,
    acceptedQuoteId: null, quotes: [], tradeIds: [], mid: null, lpIds: ['lp-1', 'lp-2', 'lp-3'], audit: [],
  };
  audit(rfq, 'RfqCreated', input.idempotencyKey, 'u-1');
  rfqs.set(rfq.id, rfq);
  const inst = instruments.find((i) => i.id === rfq.instrumentId) ?? instruments[0];
  ['Atlas LP', 'Borealis', 'Cygnus Bank'].forEach((lp, n) => setTimeout(() => {
    if (!OPEN.has(rfq.status)) return;
    const edge = (n + 2) * Number(inst.tickSize);
    rfq.quotes.push({
      __typename: 'Quote', id: `${rfq.id}-Q${n + 1}`, rfqId: rfq.id, lpId: lp, lpName: lp, price: (inst.mid + (rfq.side === 'BUY' ? edge : -edge)).toFixed(6),
      quantity: rfq.quantity, receivedAt: iso(), validUntil: iso(Date.now() + 20_000), status: 'ACTIVE', impactBps: null, lastLook: true,
      correlationId: rfq.correlationId,
    });
    rfq.status = 'QUOTING';
    audit(rfq, 'QuoteReceived', lp, lp);
    change(rfq);
  }, 200 + n * 150));
  setTimeout(() => {
    if (!OPEN.has(rfq.status)) return;
    rfq.status = 'EXPIRED';
    rfq.statusReason = 'expired';
    audit(rfq, 'RfqExpired', null);
    change(rfq);
  }, input.expirySeconds * 1000);
  push(rfq);
  return view(rfq);
}

const refusal = (typename, code, message, correlationId) => ({ __typename: typename, code, message, correlationId: correlationId ?? 'none' });

function acceptQuote({ input }) {
  const rfq = rfqs.get(input.rfqId);
  if (!rfq) return refusal('RfqNotFound', 'RFQ_NOT_FOUND', `no RFQ ${input.rfqId}`);
  if (rfq.status !== 'QUOTING') return refusal('RfqNotOpen', 'RFQ_NOT_OPEN', `RFQ is ${rfq.status}`, rfq.correlationId);
  if (input.expectedVersion != null && input.expectedVersion !== rfq.version) {
    return refusal('VersionConflict', 'VERSION_CONFLICT', `version ${rfq.version}`, rfq.correlationId);
  }
  const quote = rfq.quotes.find((q) => q.id === input.quoteId);
  if (!quote) return refusal('InvalidInput', 'QUOTE_NOT_FOUND', `quote ${input.quoteId} is not in RFQ ${rfq.id}`, rfq.correlationId);
  if (Date.parse(quote.validUntil) <= Date.now()) return refusal('QuoteExpired', 'QUOTE_EXPIRED', 'quote expired', rfq.correlationId);
  rfq.status = 'ACCEPTED';
  rfq.acceptedQuoteId = quote.id;
  audit(rfq, 'QuoteAcceptanceRequested', quote.lpName, 'u-1');
  rfq.version += 1;
  const answer = view(rfq);
  setTimeout(() => push(rfq), 0);
  // The LP's last look, a moment later.
  setTimeout(() => {
    if (quote.lpName === 'Borealis') {
      rfq.quotes = rfq.quotes.filter((q) => q.id !== quote.id);
      rfq.acceptedQuoteId = null;
      rfq.status = Date.now() < Date.parse(rfq.expiresAt) ? 'QUOTING' : 'REJECTED';
      if (rfq.status === 'REJECTED') rfq.statusReason = 'last look: price moved';
      audit(rfq, 'QuoteAcceptanceRejected', 'price moved', quote.lpName);
      change(rfq);
      return;
    }
    const trade = {
      __typename: 'Trade', id: `TRD-${trades.size + 1}`, correlationId: rfq.correlationId, rfqId: rfq.id, quoteId: quote.id,
      instrumentId: rfq.instrumentId, side: rfq.side, quantity: rfq.quantity, price: quote.price,
      notional: (Number(rfq.quantity) * Number(quote.price)).toFixed(2), lpId: quote.lpId, lpName: quote.lpName, status: 'EXECUTED',
      requesterId: 'u-1', buyerId: null, sellerId: null, venueId: null, acceptedAt: iso(), executedAt: iso(),
      currency: instruments.find((i) => i.id === rfq.instrumentId)?.currency ?? null, audit: [],
    };
    audit(trade, 'TradeExecuted', `${trade.side} ${trade.quantity} @ ${trade.price}`, quote.lpName);
    trades.set(trade.id, trade);
    push(null, trade);
    rfq.status = 'TRADED';
    rfq.tradeIds = [trade.id];
    audit(rfq, 'RfqTraded', trade.id);
    change(rfq);
  }, 400);
  return answer;
}

function cancelRfq({ input }) {
  const rfq = rfqs.get(input.rfqId);
  if (!rfq) return refusal('RfqNotFound', 'RFQ_NOT_FOUND', `no RFQ ${input.rfqId}`);
  if (!OPEN.has(rfq.status)) return refusal('RfqNotOpen', rfq.status === 'ACCEPTED' ? 'CANCEL_AFTER_ACCEPT' : 'RFQ_NOT_OPEN', `RFQ is ${rfq.status}`, rfq.correlationId);
  rfq.status = 'CANCELLED';
  rfq.statusReason = input.reason || 'cancelled';
  audit(rfq, 'RfqCancelled', rfq.statusReason, 'u-1');
  change(rfq);
  return view(rfq);
}

async function* marketData({ instrumentIds }) {
  const ids = instrumentIds ?? instruments.map((i) => i.id);
  const watched = instruments.filter((i) => ids.includes(i.id));
  let seq = 1;
  yield { marketData: { kind: 'SNAPSHOT', seq, snapshotAvailable: true, unavailableReason: null, ticks: watched.map((i) => tick(i, null)) } };
  const sent = new Map();
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const ticks = watched.map((inst) => {
      inst.mid += (Math.random() - 0.5) * 4 * Number(inst.tickSize);
      seqs.set(inst.id, seqs.get(inst.id) + 1);
      const t = tick(inst, sent.get(inst.id) ?? null);
      sent.set(inst.id, t.sequence);
      return t;
    });
    seq += 1;
    yield { marketData: { kind: 'INCREMENT', seq, snapshotAvailable: true, unavailableReason: null, ticks } };
  }
}

/** Pushes of RFQ views / trades, from the moment of the call. */
function listen() {
  const queue = [];
  let wake = null;
  const listener = (rfq, trade) => { queue.push({ rfq, trade }); wake?.(); wake = null; };
  rfqListeners.add(listener);
  return {
    next: async () => { while (queue.length === 0) await new Promise((r) => (wake = r)); return queue.shift(); },
    close: () => rfqListeners.delete(listener),
  };
}

async function* rfqUpdates({ rfqId }) {
  const events = listen();
  try {
    const current = rfqs.get(rfqId);
    if (!current) throw new Error(`no RFQ ${rfqId}`);
    yield { rfqUpdates: { serverTime: iso(), rfq: view(current) } };
    if (FINAL.has(current.status)) return;
    for (;;) {
      const { rfq } = await events.next();
      if (!rfq || rfq.id !== rfqId) continue;
      yield { rfqUpdates: { serverTime: iso(), rfq } };
      if (FINAL.has(rfq.status)) return; // the real stream ends with the final state
    }
  } finally {
    events.close();
  }
}

async function* blotterUpdates() {
  const events = listen();
  try {
    yield { blotterUpdates: { kind: 'READY', serverTime: iso(), rfq: null, trade: null } };
    for (;;) {
      const { rfq, trade } = await events.next();
      yield { blotterUpdates: { kind: trade ? 'TRADE' : 'RFQ', serverTime: iso(), rfq: trade ? null : rfq, trade } };
    }
  } finally {
    events.close();
  }
}

const newestFirst = (a, b) => Date.parse(b.createdAt ?? b.executedAt) - Date.parse(a.createdAt ?? a.executedAt) || b.id.localeCompare(a.id, 'en', { numeric: true });

// One user's saved preferences, with the server's compare-and-set on the version.
let preferences = { version: 0, updatedAt: null, theme: null, watchlists: [], activeWatchlistId: null, pinnedInstrumentIds: [], marketWatchColumns: [] };
function saveUiPreferences({ input }) {
  if (input.expectedVersion !== preferences.version) {
    return { __typename: 'PreferencesVersionConflict', code: 'VERSION_CONFLICT', message: 'stale version', correlationId: 'mock', currentVersion: preferences.version };
  }
  const { expectedVersion, ...doc } = input;
  const columns = (doc.marketWatchColumns ?? []).map((c) => ({ width: null, hide: null, pinned: null, sort: null, sortIndex: null, ...c }));
  preferences = { ...preferences, ...doc, marketWatchColumns: columns, version: expectedVersion + 1, updatedAt: new Date().toISOString() };
  return { __typename: 'UiPreferences', ...preferences };
}

const root = {
  uiPreferences: () => preferences,
  saveUiPreferences,
  instruments: ({ assetClass }) => instruments.filter((i) => !assetClass || i.assetClass === assetClass),
  me: () => ({
    user: { id: 'u-1' }, tenantId: 't-1', username: 'ada', roles: ['ROLE_TRADER'], permissions: ['rfq:create'], assetClasses: ['FX'], venues: ['RFQ'],
  }),
  marketSnapshot: ({ instrumentIds }) => ({
    available: true, unavailableReason: null, notEntitledInstrumentIds: [],
    missingInstrumentIds: instrumentIds.filter((id) => !instruments.some((i) => i.id === id)),
    ticks: instruments.filter((i) => instrumentIds.includes(i.id)).map((i) => tick(i, null)),
  }),
  rfq: ({ id }) => (rfqs.has(id) ? view(rfqs.get(id)) : null),
  rfqs: ({ filter, first, after }) => {
    const all = [...rfqs.values()].filter((r) => (!filter?.statuses || filter.statuses.includes(r.status))
      && (!filter?.instrumentId || r.instrumentId === filter.instrumentId)).sort(newestFirst);
    const start = after ? Number(after) : 0;
    const nodes = all.slice(start, start + first).map(view);
    const end = start + nodes.length;
    return { nodes, endCursor: nodes.length ? String(end) : null, hasNextPage: end < all.length };
  },
  trades: ({ limit, rfqId, instrumentId }) => [...trades.values()]
    .filter((t) => (!rfqId || t.rfqId === rfqId) && (!instrumentId || t.instrumentId === instrumentId)).sort(newestFirst).slice(0, Math.min(limit, 500)),
  trade: ({ id }) => trades.get(id) ?? null,
  createRfq, acceptQuote, cancelRfq,
  marketData, rfqUpdates, blotterUpdates,
};

// ---------------------------------------------------------------- HTTP + WS
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const readBody = (req) => new Promise((ok) => { let b = ''; req.on('data', (c) => (b += c)); req.on('end', () => ok(b)); });
const json = (res, status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', issuer || 'http://127.0.0.1');
  if (url.pathname === '/identity/.well-known/openid-configuration') {
    return json(res, 200, {
      issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, code_challenge_methods_supported: ['S256'],
    });
  }
  if (url.pathname === '/identity/authorize') {
    const p = url.searchParams;
    if (p.get('code_challenge_method') !== 'S256') return json(res, 400, { error: 'invalid_request' });
    const code = randomUUID();
    codes.set(code, { challenge: p.get('code_challenge'), nonce: p.get('nonce'), redirect: p.get('redirect_uri') });
    const back = new URL(p.get('redirect_uri'));
    back.searchParams.set('code', code);
    back.searchParams.set('state', p.get('state'));
    res.writeHead(302, { location: back.toString() });
    return res.end();
  }
  if (url.pathname === '/identity/token' && req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') === 'authorization_code') {
      const entry = codes.get(form.get('code'));
      codes.delete(form.get('code'));
      const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
      if (!entry || entry.challenge !== challenge || entry.redirect !== form.get('redirect_uri')) return json(res, 400, { error: 'invalid_grant' });
      return json(res, 200, issue(entry.nonce));
    }
    if (form.get('grant_type') === 'refresh_token' && refreshTokens.has(form.get('refresh_token'))) {
      const nonce = refreshTokens.get(form.get('refresh_token'));
      refreshTokens.delete(form.get('refresh_token'));
      return json(res, 200, issue(nonce));
    }
    return json(res, 400, { error: 'invalid_grant' });
  }
  if (url.pathname === '/graphql/workstation' && req.method === 'POST') {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!accessTokens.has(token)) return json(res, 401, { errors: [{ message: 'unauthenticated' }] });
    const { query, variables } = JSON.parse(await readBody(req));
    return json(res, 200, await graphql({ schema, source: query, variableValues: variables, rootValue: root }));
  }
  if (url.pathname === '/ui-config.json') {
    // What the BFF would serve next to index.html: where the issuer is, without a rebuild.
    return json(res, 200, { oidcIssuer: issuer, oidcClientId: 'orion-workstation' });
  }
  if (url.pathname === '/__drop' && req.method === 'POST') {
    for (const client of wss.clients) client.terminate();
    return json(res, 200, { dropped: true });
  }
  let file = join(dist, url.pathname === '/' ? 'index.html' : url.pathname);
  if (!file.startsWith(dist) || !existsSync(file)) file = join(dist, 'index.html');
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
const wss = new WebSocketServer({ server, path: '/graphql/workstation' });
useServer({
  schema,
  roots: { query: root, mutation: root, subscription: root },
  onConnect: (ctx) => accessTokens.has(String(ctx.connectionParams?.authorization ?? '').replace(/^Bearer /, '')),
}, wss);
await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
issuer = `http://127.0.0.1:${server.address().port}/identity`;
console.log(`mock platform on http://127.0.0.1:${server.address().port}/`);
export { server };
