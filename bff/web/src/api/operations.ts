/**
 * Every GraphQL operation the workstation sends, and the types it reads, named for the UI.
 *
 * The documents live in operations.graphql; `npm run codegen` validates them against the
 * workstation subgraph SDL (schemas/graphql/workstation.graphql, generated from bff/workstation/**)
 * and writes generated.ts: the result and variable types and one document string per operation.
 * Nothing here is typed by hand any more: a schema change the UI does not follow fails
 * `npm run codegen:check` (run by the web suite) or the type check.
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
import * as gen from './generated';

export type Decimal = string;
export type DateTime = string;
export type Side = gen.Side;
export type DataQuality = gen.DataQuality;
export type RfqStatus = gen.RfqStatus;
export type QuoteStatus = gen.QuoteStatus;

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

/** A failure union member: OrionError implementations carry a code, NotEntitled only a message. */
export interface OrionError {
  __typename: string;
  code?: OrionErrorCode | null;
  message: string;
  correlationId?: string | null;
}

// ---------------------------------------------------------------- reference data and identity

export type Instrument = gen.InstrumentsQuery['instruments'][number];
export const INSTRUMENTS = gen.InstrumentsDocument.toString();
export type InstrumentsResult = gen.InstrumentsQuery;

export type Me = gen.MeQuery['me'];
export const ME = gen.MeDocument.toString();
export type MeResult = gen.MeQuery;

// ---------------------------------------------------------------- market data

/** sequence: +1 per tick upstream (skips when the BFF coalesces); prevSequence: null in snapshots. */
export type MarketTickGql = gen.TickFieldsFragment;
export const MARKET_SNAPSHOT = gen.MarketSnapshotDocument.toString();
export type MarketSnapshotVars = gen.MarketSnapshotQueryVariables;
export type MarketSnapshotResult = gen.MarketSnapshotQuery;

/** SNAPSHOT first, then coalesced INCREMENTs; `seq` +1 per increment (a jump: resubscribe). */
export const MARKET_DATA = gen.MarketDataDocument.toString();
export type MarketDataVars = gen.MarketDataSubscriptionVariables;
export type MarketDataResult = gen.MarketDataSubscription;

// ---------------------------------------------------------------- RFQ

/** price: what the LP offers for this RFQ's side; rank 1 = best, 0 = no longer live. */
export type Quote = gen.QuoteFieldsFragment;
export type AuditEntry = gen.AuditFieldsFragment;
/** version: name it as acceptQuote's expectedVersion; audit null: no audit store. */
export type Rfq = gen.RfqFieldsFragment;
export type Trade = gen.TradeFieldsFragment;

export type CreateRfqInput = gen.CreateRfqInput;
export const CREATE_RFQ = gen.CreateRfqDocument.toString();
export type CreateRfqResult = gen.CreateRfqMutation;

export type AcceptQuoteInput = gen.AcceptQuoteInput;
/** Answers the RFQ (ACCEPTED): follow rfqUpdates until TRADED or a last-look refusal. */
export const ACCEPT_QUOTE = gen.AcceptQuoteDocument.toString();
export type AcceptQuoteResult = gen.AcceptQuoteMutation;

export type CancelRfqInput = gen.CancelRfqInput;
export const CANCEL_RFQ = gen.CancelRfqDocument.toString();
export type CancelRfqResult = gen.CancelRfqMutation;

export const RFQ = gen.RfqDocument.toString();
export type RfqResult = gen.RfqQuery;

export type RfqFilter = gen.RfqFilter;
/** One page, newest first; pass endCursor as `after` while hasNextPage. */
export const RFQS = gen.RfqsDocument.toString();
export type RfqsVars = gen.RfqsQueryVariables;
export type RfqsResult = gen.RfqsQuery;

/** The tenant's trades, newest first (the server caps limit at 500). */
export const TRADES = gen.TradesDocument.toString();
export type TradesResult = gen.TradesQuery;

export const TRADE = gen.TradeDocument.toString();
export type TradeResult = gen.TradeQuery;

export const RFQ_UPDATES = gen.RfqUpdatesDocument.toString();
export type RfqUpdatesResult = gen.RfqUpdatesSubscription;

/** READY once (no row), then one RFQ or one trade per message (upserts by id). */
export const BLOTTER_UPDATES = gen.BlotterUpdatesDocument.toString();
export type BlotterUpdatesResult = gen.BlotterUpdatesSubscription;

// ---------------------------------------------------------------- ui preferences

export type UiTheme = gen.UiTheme;
export type UiPreferences = gen.UiPreferencesFieldsFragment;
/** The caller's saved preferences; version 0 (and empty) when nothing was saved yet. */
export const UI_PREFERENCES = gen.UiPreferencesDocument.toString();
export type UiPreferencesResult = gen.UiPreferencesQuery;

export type SaveUiPreferencesInput = gen.SaveUiPreferencesInput;
/** Replaces the whole document; a stale expectedVersion answers PreferencesVersionConflict. */
export const SAVE_UI_PREFERENCES = gen.SaveUiPreferencesDocument.toString();
export type SaveUiPreferencesResult = gen.SaveUiPreferencesMutation;

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

/** A union member other than `successTypename`: a failure, with or without `code` (NotEntitled). */
export function isOrionError<T extends { __typename: string }, S extends string>(value: T, successTypename: S): value is Exclude<T, { __typename: S }>;
export function isOrionError(value: { __typename: string } | null | undefined): value is OrionError;
export function isOrionError(value: { __typename: string } | null | undefined, successTypename?: string): boolean {
  if (!value) return false;
  if (successTypename !== undefined) return value.__typename !== successTypename;
  return ('code' in value && typeof (value as OrionError).code === 'string') || value.__typename in CODE_BY_TYPENAME;
}

export function errorCodeOf(error: { __typename: string; code?: string | null }): OrionErrorCode {
  return error.code ?? CODE_BY_TYPENAME[error.__typename] ?? error.__typename;
}
