/**
 * Every GraphQL operation the workstation sends, with hand-written result types.
 *
 * HAND-WRITTEN FOR NOW: once the subgraph SDL is checked in under schemas/graphql/*.graphql, these
 * types are to be generated from it (graphql-codegen typed documents) and this file reduced to the
 * documents. Until then this module IS the contract the UI expects from the workstation subgraph;
 * docs/adr/0008-workstation-ui-architecture.md lists it for the BFF engineers.
 *
 * Conventions assumed: Decimal scalars serialise as strings; DateTime as ISO-8601 strings (UTC);
 * expected business failures are union members implementing the `OrionError` interface.
 */

export type Decimal = string;
export type DateTime = string;
export type Side = 'BUY' | 'SELL';
export type DataQuality = 'GOOD' | 'INDICATIVE' | 'DEGRADED' | 'UNKNOWN';
export type RfqStatus = 'OPEN' | 'QUOTED' | 'ACCEPTED' | 'FILLED' | 'PARTIALLY_FILLED' | 'EXPIRED' | 'CANCELLED' | 'REJECTED';
export type QuoteStatus = 'ACTIVE' | 'ACCEPTED' | 'EXPIRED' | 'WITHDRAWN' | 'LAST_LOOK_REJECTED';

/** Error codes the UI knows how to explain (errors.ts); unknown codes still show their message. */
export type OrionErrorCode =
  | 'LAST_LOOK_REJECTED'
  | 'QUOTE_EXPIRED'
  | 'RFQ_EXPIRED'
  | 'RFQ_NOT_OPEN'
  | 'NOT_ENTITLED'
  | 'LIMIT_BREACHED'
  | 'KILL_SWITCH_ACTIVE'
  | 'INVALID_INPUT'
  | 'UNAUTHENTICATED'
  | 'RATE_LIMITED'
  | (string & {});

export interface OrionError {
  __typename: string;
  code: OrionErrorCode;
  message: string;
  correlationId?: string | null;
}

// ---------------------------------------------------------------- reference data and identity

export interface Instrument {
  id: string;
  symbol: string;
  assetClass: string;
  tickSize: Decimal;
  currency: string;
}

export const INSTRUMENTS = /* GraphQL */ `
  query Instruments {
    instruments { id symbol assetClass tickSize currency }
  }
`;
export interface InstrumentsResult { instruments: Instrument[] }

export interface Me { userId: string; displayName: string; tenantId: string; roles: string[] }
export const ME = /* GraphQL */ `
  query Me { me { userId displayName tenantId roles } }
`;
export interface MeResult { me: Me }

// ---------------------------------------------------------------- market data

export interface MarketTickGql {
  instrumentId: string;
  sequence: number;
  prevSequence: number | null;
  bid: Decimal | null;
  ask: Decimal | null;
  bidSize: Decimal | null;
  askSize: Decimal | null;
  ts: DateTime;
  stale: boolean;
  quality: DataQuality;
}

const TICK_FIELDS = 'instrumentId sequence prevSequence bid ask bidSize askSize ts stale quality';

export const MARKET_SNAPSHOT = /* GraphQL */ `
  query MarketSnapshot($instrumentIds: [ID!]!) {
    marketSnapshot(instrumentIds: $instrumentIds) { ${TICK_FIELDS} }
  }
`;
export interface MarketSnapshotVars { instrumentIds: string[] }
export interface MarketSnapshotResult { marketSnapshot: MarketTickGql[] }

/** First message: kind SNAPSHOT with every instrument; then INCREMENT batches (coalesced). */
export const MARKET_DATA = /* GraphQL */ `
  subscription MarketData($instrumentIds: [ID!], $watchlist: ID) {
    marketData(instrumentIds: $instrumentIds, watchlist: $watchlist) {
      kind
      ticks { ${TICK_FIELDS} }
    }
  }
`;
export interface MarketDataVars { instrumentIds?: string[]; watchlist?: string }
export interface MarketDataResult { marketData: { kind: 'SNAPSHOT' | 'INCREMENT'; ticks: MarketTickGql[] } }

// ---------------------------------------------------------------- RFQ

export interface Quote {
  id: string;
  rfqId: string;
  lpId: string;
  lpName: string;
  /** The price the LP offers to trade at for this RFQ's side (offer for a buyer, bid for a seller). */
  price: Decimal;
  quantity: Decimal;
  receivedAt: DateTime;
  validUntil: DateTime;
  status: QuoteStatus;
  correlationId: string;
}

export interface AuditEntry { at: DateTime; event: string; actor: string | null; detail: string | null }

export interface Rfq {
  id: string;
  correlationId: string;
  instrumentId: string;
  side: Side;
  quantity: Decimal;
  minQuantity: Decimal | null;
  allowPartial: boolean;
  status: RfqStatus;
  createdAt: DateTime;
  expiresAt: DateTime;
  statusReason: string | null;
  quotes: Quote[];
  tradeIds: string[];
  audit: AuditEntry[];
}

export interface Trade {
  id: string;
  correlationId: string;
  rfqId: string | null;
  quoteId: string | null;
  instrumentId: string;
  side: Side;
  quantity: Decimal;
  price: Decimal;
  notional: Decimal;
  currency: string;
  lpId: string;
  lpName: string;
  executedAt: DateTime;
  status: string;
  audit: AuditEntry[];
}

const QUOTE_FIELDS = 'id rfqId lpId lpName price quantity receivedAt validUntil status correlationId';
const AUDIT_FIELDS = 'audit { at event actor detail }';
const RFQ_FIELDS = `id correlationId instrumentId side quantity minQuantity allowPartial status createdAt expiresAt
  statusReason tradeIds quotes { ${QUOTE_FIELDS} } ${AUDIT_FIELDS}`;
const TRADE_FIELDS = `id correlationId rfqId quoteId instrumentId side quantity price notional currency lpId lpName
  executedAt status ${AUDIT_FIELDS}`;
const ERROR_FIELDS = '... on OrionError { code message correlationId }';

export interface CreateRfqInput {
  instrumentId: string;
  side: Side;
  quantity: Decimal;
  expirySeconds: number;
  minQuantity: Decimal | null;
  allowPartial: boolean;
  /** Client-generated; a retry with the same key returns the first result. */
  idempotencyKey: string;
}

export const CREATE_RFQ = /* GraphQL */ `
  mutation CreateRfq($input: CreateRfqInput!) {
    createRfq(input: $input) { __typename ... on Rfq { ${RFQ_FIELDS} } ${ERROR_FIELDS} }
  }
`;
export interface CreateRfqResult { createRfq: ({ __typename: 'Rfq' } & Rfq) | OrionError }

export interface AcceptQuoteInput { rfqId: string; quoteId: string; idempotencyKey: string }
export const ACCEPT_QUOTE = /* GraphQL */ `
  mutation AcceptQuote($input: AcceptQuoteInput!) {
    acceptQuote(input: $input) { __typename ... on Trade { ${TRADE_FIELDS} } ${ERROR_FIELDS} }
  }
`;
export interface AcceptQuoteResult { acceptQuote: ({ __typename: 'Trade' } & Trade) | OrionError }

export interface CancelRfqInput { rfqId: string; idempotencyKey: string }
export const CANCEL_RFQ = /* GraphQL */ `
  mutation CancelRfq($input: CancelRfqInput!) {
    cancelRfq(input: $input) { __typename ... on Rfq { ${RFQ_FIELDS} } ${ERROR_FIELDS} }
  }
`;
export interface CancelRfqResult { cancelRfq: ({ __typename: 'Rfq' } & Rfq) | OrionError }

export const RFQ = /* GraphQL */ `
  query Rfq($id: ID!) { rfq(id: $id) { ${RFQ_FIELDS} } }
`;
export interface RfqResult { rfq: Rfq | null }

export const RFQS = /* GraphQL */ `
  query Rfqs($limit: Int) { rfqs(limit: $limit) { ${RFQ_FIELDS} } }
`;
export interface RfqsResult { rfqs: Rfq[] }

export const TRADES = /* GraphQL */ `
  query Trades($limit: Int) { trades(limit: $limit) { ${TRADE_FIELDS} } }
`;
export interface TradesResult { trades: Trade[] }

/** Live view of one RFQ: the whole RFQ (with quotes) on every change, plus server time for countdowns. */
export const RFQ_UPDATES = /* GraphQL */ `
  subscription RfqUpdates($rfqId: ID!) {
    rfqUpdates(rfqId: $rfqId) { serverTime rfq { ${RFQ_FIELDS} } }
  }
`;
export interface RfqUpdatesResult { rfqUpdates: { serverTime: DateTime; rfq: Rfq } }

/** Lifecycle of the user's RFQs and trades for the blotters (upserts by id). */
export const BLOTTER_UPDATES = /* GraphQL */ `
  subscription BlotterUpdates {
    blotterUpdates { rfq { ${RFQ_FIELDS} } trade { ${TRADE_FIELDS} } }
  }
`;
export interface BlotterUpdatesResult { blotterUpdates: { rfq: Rfq | null; trade: Trade | null } }

export function isOrionError(value: { __typename: string } | null | undefined): value is OrionError {
  return !!value && 'code' in value && 'message' in value && typeof (value as OrionError).code === 'string';
}
