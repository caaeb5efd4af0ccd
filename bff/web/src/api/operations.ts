/**
 * Every GraphQL operation the workstation sends, with hand-written result types.
 *
 * The source of truth is the workstation subgraph SDL, schemas/graphql/workstation.graphql
 * (generated from bff/workstation/**). tests/contract.test.ts validates every document below
 * against it, and scripts/mock-platform.mjs serves a schema built from the same file.
 *
 * Conventions: Decimal scalars serialise as strings; DateTime as ISO-8601 strings (UTC); expected
 * business failures are union members implementing the `OrionError` interface (NotEntitled has
 * only a message).
 *
 * RFQ lifecycle (the RFQ service's state machine): CREATED -> SENT -> QUOTING -> ACCEPTED ->
 * TRADED, or REJECTED / EXPIRED / CANCELLED. acceptQuote answers the RFQ in ACCEPTED, not a trade:
 * the LP may still refuse at last look (the RFQ goes back to QUOTING without that quote, or to
 * REJECTED once expired); the trade id appears in Rfq.tradeIds when the RFQ is TRADED.
 */

export type Decimal = string;
export type DateTime = string;
export type Side = 'BUY' | 'SELL';
export type DataQuality = 'GOOD' | 'INDICATIVE' | 'DEGRADED' | 'UNKNOWN';
export type RfqStatus = 'UNSPECIFIED' | 'CREATED' | 'SENT' | 'QUOTING' | 'ACCEPTED' | 'REJECTED' | 'EXPIRED' | 'CANCELLED' | 'TRADED';
export type QuoteStatus = 'ACTIVE' | 'ACCEPTED' | 'EXPIRED' | 'WITHDRAWN';

/** The RFQ takes quotes and may be cancelled. */
export const OPEN_RFQ_STATUSES: ReadonlySet<RfqStatus> = new Set<RfqStatus>(['CREATED', 'SENT', 'QUOTING']);
/** Nothing more will happen to the RFQ. */
export const FINAL_RFQ_STATUSES: ReadonlySet<RfqStatus> = new Set<RfqStatus>(['REJECTED', 'EXPIRED', 'CANCELLED', 'TRADED']);

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
  | 'VERSION_CONFLICT'
  | 'RFQ_NOT_FOUND'
  | 'PRE_TRADE_REJECTED'
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
  /** 1 = best for the requester (server ranking); 0 = no longer live. */
  rank: number;
  live: boolean;
  status: QuoteStatus;
  /** At the server, when the RFQ was read; 0 when not live. */
  timeRemainingMs: number;
  /** The LP may still refuse an acceptance (last look). */
  lastLook: boolean;
  correlationId: string;
}

export interface AuditEntry { at: DateTime; event: string; actor: string | null; outcome: string | null; detail: string | null }

export interface Rfq {
  id: string;
  correlationId: string;
  instrumentId: string;
  side: Side;
  quantity: Decimal;
  minQuantity: Decimal | null;
  allowPartial: boolean;
  status: RfqStatus;
  /** Name it as acceptQuote's expectedVersion; grows on every change. */
  version: number;
  createdAt: DateTime;
  expiresAt: DateTime;
  timeRemainingMs: number;
  statusReason: string | null;
  acceptedQuoteId: string | null;
  quotes: Quote[];
  /** [tradeId] once TRADED. */
  tradeIds: string[];
  /** null: no audit store. */
  audit: AuditEntry[] | null;
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
  /** Quote currency from reference data; null when unknown. */
  currency: string | null;
  lpId: string | null;
  lpName: string | null;
  executedAt: DateTime | null;
  status: string;
  audit: AuditEntry[] | null;
}

const QUOTE_FIELDS = 'id rfqId lpId lpName price quantity receivedAt validUntil rank live status timeRemainingMs lastLook correlationId';
const AUDIT_FIELDS = 'audit { at event actor outcome detail }';
const RFQ_FIELDS = `id correlationId instrumentId side quantity minQuantity allowPartial status version createdAt expiresAt
  timeRemainingMs statusReason acceptedQuoteId tradeIds quotes { ${QUOTE_FIELDS} } ${AUDIT_FIELDS}`;
const TRADE_FIELDS = `id correlationId rfqId quoteId instrumentId side quantity price notional currency lpId lpName
  executedAt status ${AUDIT_FIELDS}`;
// Every expected failure implements OrionError; NotEntitled (shared with other subgraphs) has a message only.
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

export interface AcceptQuoteInput { rfqId: string; quoteId: string; idempotencyKey: string; expectedVersion?: number | null }
/**
 * Answers the RFQ (ACCEPTED), not a trade: follow it with rfqUpdates until TRADED (tradeIds) or a
 * last-look refusal (back to QUOTING without the quote, or REJECTED).
 */
export const ACCEPT_QUOTE = /* GraphQL */ `
  mutation AcceptQuote($input: AcceptQuoteInput!) {
    acceptQuote(input: $input) { __typename ... on Rfq { ${RFQ_FIELDS} } ${ERROR_FIELDS} }
  }
`;
export interface AcceptQuoteResult { acceptQuote: ({ __typename: 'Rfq' } & Rfq) | OrionError }

export interface CancelRfqInput { rfqId: string; idempotencyKey: string; reason?: string }
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

export interface RfqFilter { statuses?: RfqStatus[] | null; instrumentId?: string | null }
/** One page, newest first; pass endCursor as `after` while hasNextPage. */
export const RFQS = /* GraphQL */ `
  query Rfqs($filter: RfqFilter, $first: Int!, $after: String) {
    rfqs(filter: $filter, first: $first, after: $after) { nodes { ${RFQ_FIELDS} } endCursor hasNextPage }
  }
`;
export type RfqsVars = { filter?: RfqFilter | null; first: number; after?: string | null };
export interface RfqsResult { rfqs: { nodes: Rfq[]; endCursor: string | null; hasNextPage: boolean } }

/** The tenant's trades, newest first (the server caps limit at 500). */
export const TRADES = /* GraphQL */ `
  query Trades($limit: Int!) { trades(limit: $limit) { ${TRADE_FIELDS} } }
`;
export interface TradesResult { trades: Trade[] }

export const TRADE = /* GraphQL */ `
  query Trade($id: ID!) { trade(id: $id) { ${TRADE_FIELDS} } }
`;
export interface TradeResult { trade: Trade | null }

/** Live view of one RFQ: now, then on every change; the stream ends when the RFQ is final. */
export const RFQ_UPDATES = /* GraphQL */ `
  subscription RfqUpdates($rfqId: ID!) {
    rfqUpdates(rfqId: $rfqId) { serverTime rfq { ${RFQ_FIELDS} } }
  }
`;
export interface RfqUpdatesResult { rfqUpdates: { serverTime: DateTime; rfq: Rfq } }

/** READY once (no row), then one RFQ or one trade per message (upserts by id). */
export const BLOTTER_UPDATES = /* GraphQL */ `
  subscription BlotterUpdates {
    blotterUpdates { kind serverTime rfq { ${RFQ_FIELDS} } trade { ${TRADE_FIELDS} } }
  }
`;
export interface BlotterUpdatesResult {
  blotterUpdates: { kind: 'READY' | 'RFQ' | 'TRADE'; serverTime: DateTime; rfq: Rfq | null; trade: Trade | null };
}

// ---------------------------------------------------------------- ui preferences

export type UiTheme = 'LIGHT' | 'DARK';
export interface WatchlistPreference { id: string; name: string; instrumentIds: string[] }
export interface GridColumnPreference {
  colId: string; width: number | null; hide: boolean | null; pinned: string | null; sort: string | null; sortIndex: number | null;
}
export interface UiPreferences {
  version: number;
  updatedAt: DateTime | null;
  theme: UiTheme | null;
  watchlists: WatchlistPreference[];
  activeWatchlistId: string | null;
  pinnedInstrumentIds: string[];
  marketWatchColumns: GridColumnPreference[];
}
const PREFERENCE_FIELDS = `version updatedAt theme activeWatchlistId pinnedInstrumentIds
  watchlists { id name instrumentIds } marketWatchColumns { colId width hide pinned sort sortIndex }`;

/** The caller's saved preferences; version 0 (and empty) when nothing was saved yet. */
export const UI_PREFERENCES = /* GraphQL */ `
  query UiPreferences { uiPreferences { ${PREFERENCE_FIELDS} } }
`;
export interface UiPreferencesResult { uiPreferences: UiPreferences }

export interface SaveUiPreferencesInput {
  expectedVersion: number;
  theme: UiTheme | null;
  watchlists: WatchlistPreference[];
  activeWatchlistId: string | null;
  pinnedInstrumentIds: string[];
  marketWatchColumns: Array<Partial<GridColumnPreference> & { colId: string }>;
}
/** Replaces the whole document; a stale expectedVersion answers PreferencesVersionConflict. */
export const SAVE_UI_PREFERENCES = /* GraphQL */ `
  mutation SaveUiPreferences($input: SaveUiPreferencesInput!) {
    saveUiPreferences(input: $input) {
      __typename
      ... on UiPreferences { version updatedAt }
      ... on PreferencesVersionConflict { currentVersion }
      ... on OrionError { code message correlationId }
    }
  }
`;
export interface SaveUiPreferencesResult {
  saveUiPreferences:
    | { __typename: 'UiPreferences'; version: number; updatedAt: DateTime | null }
    | ({ __typename: 'PreferencesVersionConflict'; currentVersion: number } & OrionError)
    | OrionError;
}

/** Typed failures the BFF already has that carry no `code` field: their type name says it. */
const CODE_BY_TYPENAME: Record<string, OrionErrorCode> = {
  NotEntitled: 'NOT_ENTITLED',
  InstrumentNotFound: 'INSTRUMENT_NOT_FOUND',
  QuoteExpired: 'QUOTE_EXPIRED',
  RfqNotFound: 'RFQ_NOT_FOUND',
  RfqNotOpen: 'RFQ_NOT_OPEN',
  VersionConflict: 'VERSION_CONFLICT',
  LimitBreached: 'LIMIT_BREACHED',
  InvalidInput: 'INVALID_INPUT',
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
