import { describe, expect, it } from 'vitest';
import { fromServer, toInput } from '../src/api/preferencesRemote';
import {
  EMPTY_DOC, mergePreferences, PreferencesSync, type KeyValueStore, type PreferencesDoc, type PreferencesRemote,
  type SaveOutcome, type ServerPreferences, type Timers,
} from '../src/workspace/preferences';
import type { WatchlistState } from '../src/workspace/watchlists';

/** The server's rule in memory: one document, a version, compare-and-set on save. */
class FakeServer implements PreferencesRemote {
  version = 0;
  doc: PreferencesDoc = EMPTY_DOC;
  down = false;
  saves: number[] = [];

  async load(): Promise<ServerPreferences> {
    if (this.down) throw new Error('connection refused');
    return { version: this.version, doc: structuredClone(this.doc) };
  }

  async save(doc: PreferencesDoc, expectedVersion: number): Promise<SaveOutcome> {
    if (this.down) throw new Error('connection refused');
    this.saves.push(expectedVersion);
    if (expectedVersion !== this.version) return { kind: 'conflict', currentVersion: this.version };
    this.doc = structuredClone(doc);
    this.version += 1;
    return { kind: 'saved', version: this.version };
  }
}

class MemoryStorage implements KeyValueStore {
  items = new Map<string, string>();
  getItem(key: string): string | null { return this.items.get(key) ?? null; }
  setItem(key: string, value: string): void { this.items.set(key, value); }
}

/** Timers run only when the test says so. */
class ManualTimers implements Timers {
  pending = new Map<number, () => void>();
  private next = 0;
  set(callback: () => void): unknown { this.next += 1; this.pending.set(this.next, callback); return this.next; }
  clear(handle: unknown): void { this.pending.delete(handle as number); }
  async runAll(): Promise<void> {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const callback of due) callback();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

const lists = (...ids: string[]): WatchlistState => ({
  lists: ids.map((id) => ({ id, name: id.toUpperCase(), instrumentIds: [`FX.${id}`] })), activeId: ids[0] ?? 'default', pinned: [],
});

function browser(server: FakeServer | null, storage = new MemoryStorage(), key = 'orion.preferences.acme/u1') {
  const timers = new ManualTimers();
  const sync = new PreferencesSync({ remote: server, storage, key, timers, debounceMs: 10, retryMs: 20 });
  return { sync, storage, timers };
}

describe('preferences sync', () => {
  it('a fresh browser of the same user shows what another browser saved', async () => {
    const server = new FakeServer();
    const first = browser(server);
    await first.sync.start();
    first.sync.update({ watchlists: lists('g10', 'mine') });
    await first.timers.runAll();
    expect(server.version).toBe(1);
    expect(first.sync.getStatus()).toBe('synced');

    const fresh = browser(server);
    const replaced: PreferencesDoc[] = [];
    fresh.sync.onReplace((doc) => replaced.push(doc));
    expect((await fresh.sync.start()).watchlists?.lists.map((l) => l.id)).toEqual(['g10', 'mine']);
    expect(replaced).toHaveLength(1);
  });

  it('debounces bursts of changes into one save based on the loaded version', async () => {
    const server = new FakeServer();
    const { sync, timers } = browser(server);
    await sync.start();
    sync.update({ theme: 'dark' });
    sync.update({ watchlists: lists('a') });
    sync.update({ watchlists: lists('a', 'b') });
    await timers.runAll();
    expect(server.saves).toEqual([0]);
    expect(server.doc.watchlists?.lists).toHaveLength(2);
    expect(server.doc.theme).toBe('dark');
  });

  it('keeps working from localStorage while the server is down and saves once it is back', async () => {
    const server = new FakeServer();
    server.down = true;
    const { sync, storage, timers } = browser(server);
    await sync.start();
    expect(sync.getStatus()).toBe('offline');
    sync.update({ watchlists: lists('offline') });
    await timers.runAll();
    expect(sync.getStatus()).toBe('offline');
    expect(JSON.parse(storage.getItem('orion.preferences.acme/u1') ?? '{}').dirty).toBe(true);

    // A reload while still offline starts from the local copy.
    const reloaded = browser(server, storage);
    expect(reloaded.sync.current().watchlists?.lists[0]?.id).toBe('offline');

    server.down = false;
    sync.retryNow();
    await timers.runAll();
    await timers.runAll();
    expect(server.doc.watchlists?.lists[0]?.id).toBe('offline');
    expect(sync.getStatus()).toBe('synced');
  });

  it('a version conflict reloads, merges and saves again without losing either side', async () => {
    const server = new FakeServer();
    const a = browser(server);
    const b = browser(server);
    await a.sync.start();
    await b.sync.start();
    a.sync.update({ watchlists: lists('from-a') });
    await a.timers.runAll();
    b.sync.update({ watchlists: lists('from-b'), theme: 'dark' });
    await b.timers.runAll();
    expect(server.saves).toEqual([0, 0, 1]);
    expect(server.doc.watchlists?.lists.map((l) => l.id)).toEqual(['from-b', 'from-a']);
    expect(server.doc.theme).toBe('dark');
    expect(b.sync.getStatus()).toBe('synced');
  });

  it('edits made offline are merged with what was saved elsewhere meanwhile', async () => {
    const server = new FakeServer();
    server.doc = { theme: 'light', watchlists: lists('server'), columns: null };
    server.version = 3;
    const storage = new MemoryStorage();
    storage.setItem('k', JSON.stringify({ doc: { theme: 'dark', watchlists: lists('local'), columns: null }, baseVersion: 2, dirty: true }));
    const { sync, timers } = browser(server, storage, 'k');
    const doc = await sync.start();
    await timers.runAll();
    expect(doc.watchlists?.lists.map((l) => l.id)).toEqual(['local', 'server']);
    expect(server.version).toBe(4);
    expect(server.doc.theme).toBe('dark');
  });

  it('each user of one browser has their own local copy', async () => {
    const storage = new MemoryStorage();
    const alice = browser(null, storage, 'orion.preferences.acme/alice');
    alice.sync.update({ theme: 'dark' });
    const bob = browser(null, storage, 'orion.preferences.acme/bob');
    expect(bob.sync.current()).toEqual(EMPTY_DOC);
  });

  it('merge keeps local values and server-only lists, and unions pinned instruments', () => {
    const local: PreferencesDoc = { theme: null, columns: [{ colId: 'bid' }], watchlists: { ...lists('a'), pinned: ['X'] } };
    const server: PreferencesDoc = { theme: 'dark', columns: [{ colId: 'ask' }], watchlists: { ...lists('a', 'b'), pinned: ['Y'] } };
    const merged = mergePreferences(local, server);
    expect(merged.theme).toBe('dark');
    expect(merged.columns).toEqual([{ colId: 'bid' }]);
    expect(merged.watchlists?.lists.map((l) => l.id)).toEqual(['a', 'b']);
    expect(merged.watchlists?.pinned).toEqual(['X', 'Y']);
  });

  it('converts to the typed GraphQL input and back', () => {
    const doc: PreferencesDoc = {
      theme: 'dark', watchlists: { ...lists('a'), pinned: ['FX.EURUSD'] },
      columns: [{ colId: 'bid', width: 96.6, pinned: 'left', sort: 'desc', sortIndex: 0, hide: false }],
    };
    const input = toInput(doc, 4);
    const columns = input.marketWatchColumns ?? [];
    expect(columns[0]?.width).toBe(97);
    const back = fromServer({
      version: 5, updatedAt: null, theme: input.theme ?? null, activeWatchlistId: input.activeWatchlistId ?? null,
      pinnedInstrumentIds: input.pinnedInstrumentIds ?? [], watchlists: input.watchlists,
      marketWatchColumns: columns.map((c) => ({ width: null, hide: null, pinned: null, sort: null, sortIndex: null, ...c })),
    });
    expect(back.version).toBe(5);
    expect(back.doc.watchlists).toEqual(doc.watchlists);
    expect(back.doc.theme).toBe('dark');
    expect(back.doc.columns?.[0]).toMatchObject({ colId: 'bid', width: 97, pinned: 'left', sort: 'desc' });
  });
});
