// A stand-in for the platform, for the live code path before the real BFF exists: serves dist/,
// an OIDC issuer at /identity (discovery, authorize with PKCE S256, token with refresh rotation)
// and the workstation GraphQL API at /graphql/workstation (HTTP + graphql-transport-ws), built from
// contract/workstation-ui-expected.graphql. 127.0.0.1 only. POST /__drop closes every socket.
// Usage: node scripts/mock-platform.mjs [port]   (prints the URL)
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, graphql } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

const here = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(here, 'dist');
const schema = buildSchema(readFileSync(resolve(here, 'contract/workstation-ui-expected.graphql'), 'utf8'));
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
const instruments = ['EURUSD', 'GBPUSD', 'USDJPY', 'AUDUSD', 'USDCHF', 'EURGBP'].map((s, i) => ({
  id: s, symbol: s, assetClass: 'FX', currency: s.slice(3), tickSize: s.includes('JPY') ? '0.001' : '0.00001', lotSize: '1000',
  mid: [1.0834, 1.2712, 151.42, 0.6623, 0.8811, 0.8523][i],
}));
const seqs = new Map(instruments.map((i) => [i.id, 1]));
const tick = (inst, prevSequence) => {
  const t = Number(inst.tickSize);
  return {
    instrumentId: inst.id, bid: (inst.mid - 4 * t).toFixed(6), ask: (inst.mid + 4 * t).toFixed(6), bidSize: '1000000', askSize: '2000000',
    sequence: seqs.get(inst.id), prevSequence, ts: iso(), stale: false, quality: 'GOOD',
  };
};
const rfqs = new Map();
const trades = new Map();
const rfqListeners = new Set();
const push = (rfq) => { for (const l of rfqListeners) l(rfq); };
const audit = (rfq, event, detail) => rfq.audit.push({ at: iso(), event, actor: 'mock', detail });

function createRfq({ input }) {
  const rfq = {
    __typename: 'Rfq', id: `RFQ-${rfqs.size + 1}`, correlationId: randomUUID(), instrumentId: input.instrumentId, side: input.side,
    quantity: input.quantity, minQuantity: input.minQuantity, allowPartial: input.allowPartial, status: 'OPEN', createdAt: iso(),
    expiresAt: iso(Date.now() + input.expirySeconds * 1000), statusReason: null, quotes: [], tradeIds: [], audit: [],
  };
  audit(rfq, 'RfqCreated', input.idempotencyKey);
  rfqs.set(rfq.id, rfq);
  const inst = instruments.find((i) => i.id === rfq.instrumentId) ?? instruments[0];
  ['Atlas LP', 'Borealis', 'Cygnus Bank'].forEach((lp, n) => setTimeout(() => {
    if (rfq.status !== 'OPEN' && rfq.status !== 'QUOTED') return;
    const edge = (n + 2) * Number(inst.tickSize);
    rfq.quotes.push({
      id: `${rfq.id}-Q${n + 1}`, rfqId: rfq.id, lpId: `lp-${n + 1}`, lpName: lp, price: (inst.mid + (rfq.side === 'BUY' ? edge : -edge)).toFixed(6),
      quantity: rfq.quantity, receivedAt: iso(), validUntil: iso(Date.now() + 20_000), status: 'ACTIVE', correlationId: rfq.correlationId,
    });
    rfq.status = 'QUOTED';
    audit(rfq, 'QuoteReceived', lp);
    push(rfq);
  }, 200 + n * 150));
  setTimeout(() => {
    if (rfq.status !== 'OPEN' && rfq.status !== 'QUOTED') return;
    rfq.status = 'EXPIRED';
    rfq.statusReason = 'Expired without an accepted quote';
    for (const q of rfq.quotes) if (q.status === 'ACTIVE') q.status = 'EXPIRED';
    audit(rfq, 'RfqExpired', null);
    push(rfq);
  }, input.expirySeconds * 1000);
  push(rfq);
  return rfq;
}

function acceptQuote({ input }) {
  const rfq = rfqs.get(input.rfqId);
  const quote = rfq?.quotes.find((q) => q.id === input.quoteId);
  if (!rfq || !quote || quote.status !== 'ACTIVE') return { __typename: 'QuoteExpired', code: 'QUOTE_EXPIRED', message: 'gone', correlationId: rfq?.correlationId ?? 'none' };
  if (quote.lpName === 'Borealis') {
    // This LP always declines on last look, so the UI's handling can be driven deterministically.
    quote.status = 'LAST_LOOK_REJECTED';
    audit(rfq, 'LastLookRejected', quote.lpName);
    push(rfq);
    return { __typename: 'LastLookRejected', code: 'LAST_LOOK_REJECTED', message: 'Borealis declined', correlationId: rfq.correlationId };
  }
  const trade = {
    __typename: 'Trade', id: `TRD-${trades.size + 1}`, correlationId: rfq.correlationId, rfqId: rfq.id, quoteId: quote.id, instrumentId: rfq.instrumentId,
    side: rfq.side, quantity: rfq.quantity, price: quote.price, notional: (Number(rfq.quantity) * Number(quote.price)).toFixed(2), currency: 'USD',
    lpId: quote.lpId, lpName: quote.lpName, executedAt: iso(), status: 'CONFIRMED', audit: [{ at: iso(), event: 'TradeExecuted', actor: 'mock', detail: null }],
  };
  trades.set(trade.id, trade);
  quote.status = 'ACCEPTED';
  rfq.status = 'FILLED';
  rfq.statusReason = `Filled with ${quote.lpName}`;
  rfq.tradeIds = [trade.id];
  audit(rfq, 'QuoteAccepted', quote.lpName);
  push(rfq);
  for (const l of rfqListeners) l(null, trade);
  return trade;
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

function events(filter) {
  // A tiny async iterator over RFQ/trade pushes.
  const queue = [];
  let wake = null;
  const listener = (rfq, trade) => { const v = filter(rfq, trade); if (v) { queue.push(v); wake?.(); } };
  rfqListeners.add(listener);
  return {
    [Symbol.asyncIterator]() { return this; },
    async next() { while (queue.length === 0) await new Promise((r) => (wake = r)); return { value: queue.shift(), done: false }; },
    async return() { rfqListeners.delete(listener); return { value: undefined, done: true }; },
  };
}

const root = {
  instruments: () => instruments,
  me: () => ({ user: { id: 'u-1' }, tenantId: 't-1', username: 'ada', roles: ['ROLE_TRADER'], permissions: ['rfq:create'] }),
  marketSnapshot: ({ instrumentIds }) => ({
    available: true, unavailableReason: null, missingInstrumentIds: [],
    ticks: instruments.filter((i) => instrumentIds.includes(i.id)).map((i) => tick(i, null)),
  }),
  rfq: ({ id }) => rfqs.get(id) ?? null,
  rfqs: () => [...rfqs.values()],
  trades: () => [...trades.values()],
  createRfq, acceptQuote,
  cancelRfq: ({ input }) => { const r = rfqs.get(input.rfqId); r.status = 'CANCELLED'; push(r); return r; },
  marketData,
  rfqUpdates: ({ rfqId }) => {
    const it = events((rfq) => (rfq && rfq.id === rfqId ? { rfqUpdates: { serverTime: iso(), rfq: structuredClone(rfq) } } : null));
    const current = rfqs.get(rfqId);
    if (current) setTimeout(() => push(current), 0);
    return it;
  },
  blotterUpdates: () => events((rfq, trade) => ({ blotterUpdates: { rfq: rfq ? structuredClone(rfq) : null, trade: trade ?? null } })),
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
