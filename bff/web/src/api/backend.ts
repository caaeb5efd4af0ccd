/** The one interface the UI talks to: live (GraphQL BFF) or demo (simulated, dev only). */
import type { ConnectionStatus } from './connection';
import type {
  AcceptQuoteInput, AcceptQuoteResult, CancelRfqInput, CancelRfqResult, CreateRfqInput, CreateRfqResult,
  Instrument, Rfq, Trade,
} from './operations';
import type { Tick } from '../marketdata/types';
import type { PreferencesRemote } from '../workspace/preferences';

export interface MarketDataHandlers {
  onSnapshot(ticks: Tick[]): void;
  onIncrement(ticks: Tick[]): void;
  onError(message: string): void;
}

export interface StreamHandle {
  unsubscribe(): void;
  /** Start over: the server answers with a fresh snapshot (used to resync after a gap). */
  restart(): void;
}

export interface ConnectionView {
  getStatus(): ConnectionStatus;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  reconnectNow(): void;
}

export interface Backend {
  readonly kind: 'live' | 'demo';
  connection: ConnectionView;
  instruments(): Promise<Instrument[]>;
  marketSnapshot(instrumentIds: string[]): Promise<Tick[]>;
  marketData(instrumentIds: string[], handlers: MarketDataHandlers): StreamHandle;
  createRfq(input: CreateRfqInput): Promise<CreateRfqResult['createRfq']>;
  acceptQuote(input: AcceptQuoteInput): Promise<AcceptQuoteResult['acceptQuote']>;
  cancelRfq(input: CancelRfqInput): Promise<CancelRfqResult['cancelRfq']>;
  /** The newest RFQs, following the cursor pages up to `limit`. */
  rfqs(limit?: number): Promise<Rfq[]>;
  trades(limit?: number): Promise<Trade[]>;
  /** One trade; null when unknown (e.g. not yet visible). */
  trade(id: string): Promise<Trade | null>;
  /** Live view of one RFQ; serverTime (epoch ms) lets countdowns correct for clock skew. */
  watchRfq(rfqId: string, onUpdate: (rfq: Rfq, serverTime: number) => void, onError: (message: string) => void): () => void;
  /** Upserts for the blotters (the stream's READY message carries no row and is not passed on). */
  blotterUpdates(onRfq: (rfq: Rfq) => void, onTrade: (trade: Trade) => void): () => void;
  /** Per-user preferences on the server; absent: kept in this browser only (demo). */
  preferences?: PreferencesRemote;
}
