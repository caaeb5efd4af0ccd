/** Wires a backend's market-data stream into the store: snapshot/increments, gap resync, link state. */
import type { Backend, StreamHandle } from '../api/backend';
import type { MarketDataStore } from './store';

export interface FeedOptions {
  sweepEveryMs?: number;
  /** Gaps within this window are resynced with one snapshot query. */
  resyncBatchMs?: number;
}

export class MarketDataFeed {
  private handle: StreamHandle | null = null;
  private instrumentIds: string[] = [];
  private readonly pendingResync = new Set<string>();
  private resyncTimer: ReturnType<typeof setTimeout> | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private readonly cleanups: Array<() => void> = [];
  lastError: string | null = null;

  constructor(
    private readonly backend: Backend,
    private readonly store: MarketDataStore,
    private readonly options: FeedOptions = {},
  ) {}

  start(): void {
    this.cleanups.push(this.store.onGap((ids) => this.requestResync(ids)));
    this.cleanups.push(
      this.backend.connection.onStatus((status) => this.store.setLinkDown(status !== 'connected')),
    );
    this.store.setLinkDown(this.backend.connection.getStatus() !== 'connected');
    this.sweepTimer = setInterval(() => this.store.sweep(), this.options.sweepEveryMs ?? 1_000);
  }

  stop(): void {
    this.handle?.unsubscribe();
    this.handle = null;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    if (this.resyncTimer !== null) clearTimeout(this.resyncTimer);
  }

  /** Stream exactly these instruments (the active watchlist plus pinned ones). */
  setInstruments(instrumentIds: string[]): void {
    const same = instrumentIds.length === this.instrumentIds.length && instrumentIds.every((id, i) => id === this.instrumentIds[i]);
    if (same && this.handle) return;
    this.instrumentIds = [...instrumentIds];
    this.store.retain(instrumentIds);
    this.handle?.unsubscribe();
    this.handle = instrumentIds.length === 0 ? null : this.backend.marketData(instrumentIds, {
      onSnapshot: (ticks) => this.store.applySnapshot(ticks),
      onIncrement: (ticks) => this.store.applyIncrements(ticks),
      onError: (message) => {
        this.lastError = message;
      },
    });
  }

  private requestResync(ids: readonly string[]): void {
    for (const id of ids) this.pendingResync.add(id);
    if (this.resyncTimer !== null) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      const wanted = [...this.pendingResync].filter((id) => this.instrumentIds.includes(id));
      this.pendingResync.clear();
      if (wanted.length === 0) return;
      this.backend.marketSnapshot(wanted).then(
        (ticks) => this.store.applySnapshot(ticks),
        // The snapshot query failed: restarting the stream also starts with a snapshot.
        () => this.handle?.restart(),
      );
    }, this.options.resyncBatchMs ?? 50);
  }
}
