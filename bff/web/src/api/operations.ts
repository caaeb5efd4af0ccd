/**
 * Every GraphQL operation the workstation sends, with hand-written result types.
 *
 * HAND-WRITTEN FOR NOW: once the subgraph SDL is checked in under schemas/graphql/*.graphql, these
 * types are to be generated from it (graphql-codegen typed documents) and this file reduced to the
 * documents. Until then this module IS the contract the UI expects from the workstation subgraph;
 * contract/workstation-ui-expected.graphql states the same as SDL for the BFF engineers.
 *
 * Conventions assumed: Decimal scalars serialise as strings; DateTime as ISO-8601 strings (UTC);
 * expected business failures are union members implementing the `OrionError` interface.
 *
 * Status per area (2026-11-24): instruments, me, marketSnapshot and marketData match the
 * workstation subgraph in bff/workstation/ as committed; the RFQ and trade operations below are the
 * UI's proposal for the RFQ subgraph work (Rfq and Trade are id-only stubs there so far).
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
  /** AssetClass enum: FX, RATES, CREDIT, EQUITY, ... */
  assetClass: string;
  tickSize: Decimal;
  lotSize?: Decimal;
  currency: string;
}

export const INSTRUMENTS = /* GraphQL */ `
  query Instruments {
    instruments { id symbol assetClass tickSize lotSize currency }
  }
`;
export interface InstrumentsResult { instruments: Instrument[] }

export interface Me { user: { id: string }; tenantId: string; username: string | null; roles: string[]; permissions: string[] }
export const ME = /* GraphQL */ `
  query Me { me { user { id } tenantId username roles permissions } }
`;
export interface MeResult { me: Me }

// ---------------------------------------------------------------- market data

export interface MarketTickGql {
  instrumentId: string;
  /** Per-instrument tick sequence (+1 per tick upstream; skips when the BFF coalesces). */
  sequence: number;
  /** This instrument's sequence in the stream's previous increment; null in snapshots / first time. */
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
    marketSnapshot(instrumentIds: $instrumentIds) {
      available unavailableReason missingInstrumentIds
      ticks { ${TICK_FIELDS} }
    }
  }
`;
export interface MarketSnapshotVars { instrumentIds: string[] }
export interface MarketSnapshotResult {
  marketSnapshot: { available: boolean; unavailableReason: string | null; missingInstrumentIds: string[]; ticks: MarketTickGql[] };
}

/**
 * First message: kind SNAPSHOT with every instrument; then coalesced INCREMENT batches. `seq` grows
 * by one per increment of the stream: a jump means a lost message and the UI resubscribes.
 */
export const MARKET_DATA = /* GraphQL */ `
  subscription MarketData($instrumentIds: [ID!], $watchlist: ID, $maxRateHz: Int) {
    marketData(instrumentIds: $instrumentIds, watchlist: $watchlist, maxRateHz: $maxRateHz) {
      kind seq snapshotAvailable unavailableReason
      ticks { ${TICK_FIELDS} }
    }
  }
`;
export interface MarketDataVars { instrumentIds?: string[]; watchlist?: string; maxRateHz?: number }
export interface MarketDataResult {
  marketData: {
    kind: 'SNAPSHOT' | 'INCREMENT';
    seq: number;
    snapshotAvailable: boolean;
    unavailableReason: string | null;
    ticks: MarketTickGql[];
  };
}

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
// Proposed for the RFQ subgraph: every expected failure implements OrionError. The shared
// NotEntitled type (message only) is selected too so the UI works with what exists today.
const ERROR_FIELDS = '... on OrionError { code message correlationId } ... on NotEntitled { message }';

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

/** Typed failures the BFF already has that carry no `code` field: their type name says it. */
const CODE_BY_TYPENAME: Record<string, OrionErrorCode> = {
  NotEntitled: 'NOT_ENTITLED',
  InstrumentNotFound: 'INSTRUMENT_NOT_FOUND',
  QuoteExpired: 'QUOTE_EXPIRED',
  LastLookRejected: 'LAST_LOOK_REJECTED',
  RfqExpired: 'RFQ_EXPIRED',
  RfqNotOpen: 'RFQ_NOT_OPEN',
  LimitBreached: 'LIMIT_BREACHED',
  KillSwitchActive: 'KILL_SWITCH_ACTIVE',
};

/** Any union member other than the success type counts as a failure, with or without `code`. */
export function isOrionError(value: { __typename: string } | null | undefined, successTypename?: string): value is OrionError {
  if (!value) return false;
  if (successTypename !== undefined) return value.__typename !== successTypename;
  return ('code' in value && typeof (value as OrionError).code === 'string') || value.__typename in CODE_BY_TYPENAME;
}

export function errorCodeOf(error: { __typename: string; code?: string | null }): OrionErrorCode {
  return error.code ?? CODE_BY_TYPENAME[error.__typename] ?? error.__typename;
}
