/**
 * Per-user preferences (watchlists, market-watch columns, theme) kept on the server
 * (`uiPreferences` / `saveUiPreferences`) with a localStorage copy, so the workstation keeps
 * working while the server is unreachable and reconciles when it is back.
 *
 * Every local change is written to localStorage at once (marked dirty) and saved to the server
 * after a short debounce with the version it was based on. A version conflict (the same user
 * saved from another browser) reloads the server copy, merges and saves again; a network failure
 * leaves the change dirty and retries later (or as soon as `retryNow` is called, e.g. on reconnect).
 */
import type { WatchlistState } from './watchlists';

export type Theme = 'light' | 'dark';

/** The AG Grid column-state subset we keep (order is the array order). */
export interface ColumnPref {
  colId: string;
  width?: number | null;
  hide?: boolean | null;
  pinned?: 'left' | 'right' | null;
  sort?: 'asc' | 'desc' | null;
  sortIndex?: number | null;
}

export interface PreferencesDoc {
  theme: Theme | null;
  watchlists: WatchlistState | null;
  columns: ColumnPref[] | null;
}

export const EMPTY_DOC: PreferencesDoc = { theme: null, watchlists: null, columns: null };

export interface ServerPreferences {
  /** 0: nothing saved yet. */
  version: number;
  doc: PreferencesDoc;
}

export type SaveOutcome =
  | { kind: 'saved'; version: number }
  | { kind: 'conflict'; currentVersion: number }
  | { kind: 'invalid'; message: string };

/** The server side; a thrown error means "unreachable" (the change stays local and dirty). */
export interface PreferencesRemote {
  load(): Promise<ServerPreferences>;
  save(doc: PreferencesDoc, expectedVersion: number): Promise<SaveOutcome>;
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export type SyncStatus = 'loading' | 'synced' | 'pending' | 'saving' | 'offline' | 'invalid';

interface LocalRecord {
  doc: PreferencesDoc;
  /** The server version `doc` was based on (0: never synced). */
  baseVersion: number;
  /** Changed locally since the last successful save. */
  dirty: boolean;
}

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = { set: (cb, ms) => setTimeout(cb, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
const MAX_CONFLICT_RETRIES = 3;

/**
 * Both sides changed since the last sync. Local edits win where both have a value (they are this
 * trader's latest actions); watchlists only the server has (created in another browser) are kept,
 * pinned instruments are the union. A list deleted elsewhere while this browser was offline comes
 * back: losing a list silently would be worse than showing one to delete again.
 */
export function mergePreferences(local: PreferencesDoc, server: PreferencesDoc): PreferencesDoc {
  return {
    theme: local.theme ?? server.theme,
    columns: local.columns ?? server.columns,
    watchlists: mergeWatchlists(local.watchlists, server.watchlists),
  };
}

function mergeWatchlists(local: WatchlistState | null, server: WatchlistState | null): WatchlistState | null {
  if (!local || !server) return local ?? server;
  const ids = new Set(local.lists.map((l) => l.id));
  return {
    lists: [...local.lists, ...server.lists.filter((l) => !ids.has(l.id))],
    activeId: local.activeId,
    pinned: [...new Set([...local.pinned, ...server.pinned])],
  };
}

function sameDoc(a: PreferencesDoc, b: PreferencesDoc): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface PreferencesSyncOptions {
  remote: PreferencesRemote | null;
  storage: KeyValueStore | null;
  /** localStorage key: per user, so two users of one browser never see each other's layout. */
  key: string;
  debounceMs?: number;
  retryMs?: number;
  timers?: Timers;
  /** A local document to start from when this key has none yet (e.g. the pre-server keys). */
  legacy?: () => PreferencesDoc | null;
}

export class PreferencesSync {
  private record: LocalRecord;
  private status: SyncStatus = 'loading';
  private readonly listeners = new Set<(doc: PreferencesDoc) => void>();
  private readonly statusListeners = new Set<(status: SyncStatus) => void>();
  private timer: unknown = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  private readonly debounceMs: number;
  private readonly retryMs: number;
  private readonly timers: Timers;

  constructor(private readonly options: PreferencesSyncOptions) {
    this.debounceMs = options.debounceMs ?? 800;
    this.retryMs = options.retryMs ?? 5_000;
    this.timers = options.timers ?? realTimers;
    this.record = this.readLocal();
  }

  current(): PreferencesDoc {
    return this.record.doc;
  }

  getStatus(): SyncStatus {
    return this.status;
  }

  /** Called when the server (or a merge) replaced what the UI shows. */
  onReplace(listener: (doc: PreferencesDoc) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Load the server copy and reconcile it with the local one (call once after login). */
  async start(): Promise<PreferencesDoc> {
    await this.reconcile();
    return this.record.doc;
  }

  /** A local change: stored at once, saved to the server after the debounce. */
  update(patch: Partial<PreferencesDoc>): void {
    const doc = { ...this.record.doc, ...patch };
    if (sameDoc(doc, this.record.doc)) return;
    this.writeLocal({ ...this.record, doc, dirty: true });
    this.setStatus(this.status === 'offline' ? 'offline' : 'pending');
    this.schedule(this.debounceMs);
  }

  /** Try the server again now (the connection came back). */
  retryNow(): void {
    if (this.status === 'offline' || this.status === 'loading') this.schedule(0);
  }

  /** Save whatever is dirty now and wait for it (tests, page hide). */
  async flush(): Promise<void> {
    this.cancelTimer();
    await this.sync();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private async reconcile(): Promise<void> {
    const remote = this.options.remote;
    if (!remote) return this.setStatus(this.record.dirty ? 'pending' : 'synced');
    let server: ServerPreferences;
    try {
      server = await remote.load();
    } catch {
      this.setStatus('offline');
      this.schedule(this.retryMs);
      return;
    }
    const local = this.record;
    if (!local.dirty && server.version === local.baseVersion) return this.setStatus('synced');
    if (!local.dirty && server.version > 0) {
      this.writeLocal({ doc: server.doc, baseVersion: server.version, dirty: false });
      this.emitReplace();
      return this.setStatus('synced');
    }
    // Local changes not yet on the server (offline edits, or a first login with legacy local data).
    const doc = local.baseVersion === server.version || server.version === 0 ? local.doc : mergePreferences(local.doc, server.doc);
    const dirty = server.version === 0 ? !sameDoc(doc, EMPTY_DOC) : true;
    this.writeLocal({ doc, baseVersion: server.version, dirty });
    if (!sameDoc(doc, local.doc)) this.emitReplace();
    await this.save();
  }

  private async sync(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = (this.status === 'loading' || this.status === 'offline' ? this.reconcile() : this.save()).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async save(conflicts = 0): Promise<void> {
    const remote = this.options.remote;
    if (!remote || !this.record.dirty || this.stopped) return this.setStatus(this.record.dirty ? 'pending' : 'synced');
    const sent = this.record.doc;
    this.setStatus('saving');
    let outcome: SaveOutcome;
    try {
      outcome = await remote.save(sent, this.record.baseVersion);
    } catch {
      this.setStatus('offline');
      this.schedule(this.retryMs);
      return;
    }
    if (outcome.kind === 'saved') {
      // Changed again while saving: stay dirty, the pending debounce (or this) saves the rest.
      const dirty = !sameDoc(sent, this.record.doc);
      this.writeLocal({ ...this.record, baseVersion: outcome.version, dirty });
      if (dirty) this.schedule(this.debounceMs);
      return this.setStatus(dirty ? 'pending' : 'synced');
    }
    if (outcome.kind === 'invalid') return this.setStatus('invalid');
    if (conflicts >= MAX_CONFLICT_RETRIES) {
      this.schedule(this.retryMs);
      return this.setStatus('pending');
    }
    await this.mergeFromServer(remote);
    await this.save(conflicts + 1);
  }

  private async mergeFromServer(remote: PreferencesRemote): Promise<void> {
    try {
      const server = await remote.load();
      const doc = mergePreferences(this.record.doc, server.doc);
      this.writeLocal({ doc, baseVersion: server.version, dirty: true });
      this.emitReplace();
    } catch {
      this.setStatus('offline');
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.cancelTimer();
    this.timer = this.timers.set(() => {
      this.timer = null;
      void this.sync();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }

  private emitReplace(): void {
    for (const listener of this.listeners) listener(this.record.doc);
  }

  private setStatus(status: SyncStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }

  private readLocal(): LocalRecord {
    try {
      const raw = this.options.storage?.getItem(this.options.key);
      if (raw) {
        const parsed = JSON.parse(raw) as LocalRecord;
        if (parsed && typeof parsed.baseVersion === 'number' && parsed.doc) return parsed;
      }
    } catch {
      // Unreadable local copy: start from the server's.
    }
    const legacy = this.options.legacy?.() ?? null;
    return { doc: legacy ?? EMPTY_DOC, baseVersion: 0, dirty: legacy !== null };
  }

  private writeLocal(record: LocalRecord): void {
    this.record = record;
    try {
      this.options.storage?.setItem(this.options.key, JSON.stringify(record));
    } catch {
      // Storage full or disabled: preferences are a convenience, never block trading.
    }
  }
}
