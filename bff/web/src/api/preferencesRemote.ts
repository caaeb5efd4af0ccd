/** PreferencesRemote over the workstation subgraph: uiPreferences / saveUiPreferences. */
import type { GraphqlHttpClient } from './http';
import * as ops from './operations';
import type { ColumnPref, PreferencesDoc, PreferencesRemote, SaveOutcome, ServerPreferences } from '../workspace/preferences';

const PINS = new Set(['left', 'right']);
const SORTS = new Set(['asc', 'desc']);

export function fromServer(p: ops.UiPreferences): ServerPreferences {
  const watchlists = p.watchlists.length === 0 ? null : {
    lists: p.watchlists.map((w) => ({ id: w.id, name: w.name, instrumentIds: [...w.instrumentIds] })),
    activeId: p.activeWatchlistId ?? p.watchlists[0]?.id ?? 'default',
    pinned: [...p.pinnedInstrumentIds],
  };
  const columns = p.marketWatchColumns.length === 0 ? null : p.marketWatchColumns.map((c): ColumnPref => ({
    colId: c.colId, width: c.width, hide: c.hide, sortIndex: c.sortIndex,
    pinned: c.pinned === 'left' || c.pinned === 'right' ? c.pinned : null,
    sort: c.sort === 'asc' || c.sort === 'desc' ? c.sort : null,
  }));
  const theme = p.theme === 'DARK' ? 'dark' : p.theme === 'LIGHT' ? 'light' : null;
  return { version: p.version, doc: { theme, watchlists, columns } };
}

/** The typed input: only the fields and values the server accepts (AG Grid state has more). */
export function toInput(doc: PreferencesDoc, expectedVersion: number): ops.SaveUiPreferencesInput {
  const w = doc.watchlists;
  return {
    expectedVersion,
    theme: doc.theme === 'dark' ? 'DARK' : doc.theme === 'light' ? 'LIGHT' : null,
    watchlists: w ? w.lists.map((l) => ({ id: l.id, name: l.name, instrumentIds: l.instrumentIds })) : [{ id: 'default', name: 'Main', instrumentIds: [] }],
    activeWatchlistId: w?.activeId ?? null,
    pinnedInstrumentIds: w?.pinned ?? [],
    marketWatchColumns: (doc.columns ?? []).map((c) => ({
      colId: c.colId,
      width: typeof c.width === 'number' ? Math.min(2000, Math.max(1, Math.round(c.width))) : null,
      hide: c.hide ?? null,
      pinned: c.pinned && PINS.has(c.pinned) ? c.pinned : null,
      sort: c.sort && SORTS.has(c.sort) ? c.sort : null,
      sortIndex: c.sortIndex ?? null,
    })),
  };
}

export function preferencesRemote(http: GraphqlHttpClient): PreferencesRemote {
  return {
    load: async () => fromServer((await http.request<ops.UiPreferencesResult>(ops.UI_PREFERENCES)).uiPreferences),
    save: async (doc, expectedVersion): Promise<SaveOutcome> => {
      const input = toInput(doc, expectedVersion);
      const result = (await http.request<ops.SaveUiPreferencesResult>(ops.SAVE_UI_PREFERENCES, { input })).saveUiPreferences;
      switch (result.__typename) {
        case 'UiPreferences': return { kind: 'saved', version: result.version };
        case 'PreferencesVersionConflict': return { kind: 'conflict', currentVersion: result.currentVersion };
        default: return { kind: 'invalid', message: result.message };
      }
    },
  };
}
