/**
 * Watchlists and pinned instruments as a pure reducer. Persistence (server `uiPreferences` with a
 * localStorage copy) is workspace/preferences.ts; `legacyWatchlists` reads the pre-server key once.
 */

export interface Watchlist {
  id: string;
  name: string;
  instrumentIds: string[];
}

export interface WatchlistState {
  lists: Watchlist[];
  activeId: string;
  pinned: string[];
}

export type WatchlistAction =
  | { type: 'create'; id: string; name: string; instrumentIds?: string[] }
  | { type: 'rename'; id: string; name: string }
  | { type: 'delete'; id: string }
  | { type: 'move'; id: string; toIndex: number }
  | { type: 'select'; id: string }
  | { type: 'addInstrument'; instrumentId: string }
  | { type: 'removeInstrument'; instrumentId: string }
  | { type: 'togglePin'; instrumentId: string }
  /** The server (or a merge) replaced the saved state. */
  | { type: 'replace'; state: WatchlistState };

export function initialWatchlists(instrumentIds: string[]): WatchlistState {
  return { lists: [{ id: 'default', name: 'Main', instrumentIds }], activeId: 'default', pinned: [] };
}

function updateActive(state: WatchlistState, change: (ids: string[]) => string[]): WatchlistState {
  return {
    ...state,
    lists: state.lists.map((list) => (list.id === state.activeId ? { ...list, instrumentIds: change(list.instrumentIds) } : list)),
  };
}

export function watchlistReducer(state: WatchlistState, action: WatchlistAction): WatchlistState {
  switch (action.type) {
    case 'create': {
      const name = action.name.trim() || 'Untitled';
      return { ...state, lists: [...state.lists, { id: action.id, name, instrumentIds: action.instrumentIds ?? [] }], activeId: action.id };
    }
    case 'rename': {
      const name = action.name.trim();
      if (!name) return state;
      return { ...state, lists: state.lists.map((l) => (l.id === action.id ? { ...l, name } : l)) };
    }
    case 'delete': {
      if (state.lists.length <= 1) return state;
      const index = state.lists.findIndex((l) => l.id === action.id);
      if (index < 0) return state;
      const lists = state.lists.filter((l) => l.id !== action.id);
      const fallback = lists[Math.min(index, lists.length - 1)];
      const activeId = state.activeId === action.id && fallback ? fallback.id : state.activeId;
      return { ...state, lists, activeId };
    }
    case 'move': {
      const from = state.lists.findIndex((l) => l.id === action.id);
      if (from < 0) return state;
      const lists = [...state.lists];
      const [moved] = lists.splice(from, 1);
      if (!moved) return state;
      lists.splice(Math.max(0, Math.min(action.toIndex, lists.length)), 0, moved);
      return { ...state, lists };
    }
    case 'select':
      return state.lists.some((l) => l.id === action.id) ? { ...state, activeId: action.id } : state;
    case 'addInstrument':
      return updateActive(state, (ids) => (ids.includes(action.instrumentId) ? ids : [...ids, action.instrumentId]));
    case 'removeInstrument':
      return updateActive(state, (ids) => ids.filter((id) => id !== action.instrumentId));
    case 'replace':
      return action.state.lists.length > 0 ? action.state : state;
    case 'togglePin':
      return {
        ...state,
        pinned: state.pinned.includes(action.instrumentId)
          ? state.pinned.filter((id) => id !== action.instrumentId)
          : [...state.pinned, action.instrumentId],
      };
  }
}

export function activeList(state: WatchlistState): Watchlist | undefined {
  return state.lists.find((l) => l.id === state.activeId) ?? state.lists[0];
}

/** Instruments to stream: the active list plus pinned ones (pinned rows stay on top in every list). */
export function watchedInstruments(state: WatchlistState): string[] {
  const ids = new Set(state.pinned);
  for (const id of activeList(state)?.instrumentIds ?? []) ids.add(id);
  return [...ids];
}

/** Watchlists saved by the workstation before preferences moved to the server (migrated once). */
export function legacyWatchlists(key = 'orion.workspace.watchlists'): WatchlistState | null {
  try {
    const raw = globalThis.localStorage?.getItem(key);
    const parsed = raw ? (JSON.parse(raw) as WatchlistState) : null;
    return parsed && Array.isArray(parsed.lists) && parsed.lists.length > 0 ? parsed : null;
  } catch {
    return null;
  }
}
