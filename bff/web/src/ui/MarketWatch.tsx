/** Market watch: watchlists toolbar plus a grid fed from the store by async transactions, not React state. */
import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { AgGridReact } from 'ag-grid-react';
import type { ColDef, ColumnState, GetRowIdParams, GridApi, GridReadyEvent, PostSortRowsParams } from 'ag-grid-community';
import type { Instrument } from '../api/operations';
import { formatAge, formatCompact, formatPrice, spreadInTicks } from '../format/format';
import type { MarketDataFeed } from '../marketdata/feed';
import type { MarketDataStore } from '../marketdata/store';
import type { MarketRow } from '../marketdata/types';
import type { ColumnPref, PreferencesSync } from '../workspace/preferences';
import {
  activeList, initialWatchlists, watchedInstruments, watchlistReducer, type WatchlistState,
} from '../workspace/watchlists';
import { gridTheme } from './grid';

export interface GridRow extends MarketRow {
  symbol: string;
  tickSize: string;
  pinned: boolean;
}

function emptyRow(instrumentId: string): MarketRow {
  return {
    instrumentId, bid: null, ask: null, mid: null, spread: null, bidSize: null, askSize: null, bidDir: 0, askDir: 0, midDir: 0,
    sequence: 0, sourceTs: 0, receivedAt: 0, ageMs: Number.NaN, serverStale: false, stale: true, quality: 'UNKNOWN', resyncing: false, updates: 0,
  };
}

const dirClass = (key: 'bidDir' | 'askDir' | 'midDir') => ({
  'tick-up': (p: { data?: GridRow }) => p.data?.[key] === 1,
  'tick-down': (p: { data?: GridRow }) => p.data?.[key] === -1,
});

function flags(row: GridRow): string {
  if (row.resyncing) return 'RESYNC';
  if (row.serverStale) return `STALE · ${row.quality}`;
  if (row.stale) return row.sequence === 0 ? 'WAITING' : 'STALE';
  return row.quality === 'GOOD' ? 'OK' : row.quality;
}

/** The saved subset of AG Grid's column state (order, width, visibility, pinning, sort). */
function columnPrefs(state: ColumnState[]): ColumnPref[] {
  return state.map((c) => ({
    colId: c.colId,
    width: c.width ?? null,
    hide: c.hide ?? null,
    pinned: c.pinned === true || c.pinned === 'left' ? 'left' : c.pinned === 'right' ? 'right' : null,
    sort: c.sort ?? null,
    sortIndex: c.sortIndex ?? null,
  }));
}

/** Column layout goes to the user's preferences (server, with a local copy). */
function saveColumns(api: GridApi<GridRow>, preferences: PreferencesSync): void {
  preferences.update({ columns: columnPrefs(api.getColumnState()) });
}

function restoreColumns(api: GridApi<GridRow>, columns: ColumnPref[] | null): void {
  if (columns && columns.length > 0) api.applyColumnState({ state: columns as ColumnState[], applyOrder: true });
}

/** Cell flash on price change; off with prefers-reduced-motion or localStorage['orion.flash'] = 'off'. */
const FLASH =
  globalThis.localStorage?.getItem('orion.flash') !== 'off' &&
  !globalThis.matchMedia?.('(prefers-reduced-motion: reduce)').matches;

export function MarketWatch(props: {
  store: MarketDataStore;
  feed: MarketDataFeed;
  instruments: Instrument[];
  selected: string | null;
  onSelect: (instrumentId: string) => void;
  preferences: PreferencesSync;
}) {
  const { store, feed, instruments, onSelect, preferences } = props;
  const [state, dispatch] = useReducer(watchlistReducer, null, (): WatchlistState =>
    preferences.current().watchlists ?? initialWatchlists(instruments.slice(0, 16).map((i) => i.id)));
  const [editing, setEditing] = useState<string | null>(null);
  const [toAdd, setToAdd] = useState('');
  const apiRef = useRef<GridApi<GridRow> | null>(null);
  const meta = useMemo(() => new Map(instruments.map((i) => [i.id, i])), [instruments]);
  const watched = useMemo(() => watchedInstruments(state), [state]);
  const context = useRef({ watched: new Set<string>(), pinned: new Set<string>(), meta });
  context.current = { watched: new Set(watched), pinned: new Set(state.pinned), meta };

  const toGridRow = (row: MarketRow): GridRow => ({
    ...row,
    symbol: context.current.meta.get(row.instrumentId)?.symbol ?? row.instrumentId,
    tickSize: context.current.meta.get(row.instrumentId)?.tickSize ?? '0.0001',
    pinned: context.current.pinned.has(row.instrumentId),
  });

  useEffect(() => preferences.update({ watchlists: state }), [preferences, state]);
  // Another browser of the same user saved (or a reconcile merged): show what is now saved.
  useEffect(() => preferences.onReplace((doc) => {
    if (doc.watchlists) dispatch({ type: 'replace', state: doc.watchlists });
    if (apiRef.current) restoreColumns(apiRef.current, doc.columns);
  }), [preferences]);
  useEffect(() => feed.setInstruments(watched), [feed, watched]);

  // Ids the grid already holds or has queued, so each change is sent as add or update exactly once.
  const known = useRef(new Set<string>());
  const resetRows = () => {
    const api = apiRef.current;
    if (!api) return;
    // Apply queued updates to the old rows first, or they would arrive for rows that no longer exist.
    api.flushAsyncTransactions();
    known.current = new Set(watched);
    api.setGridOption('rowData', watched.map((id) => toGridRow(store.getRow(id) ?? emptyRow(id))));
  };
  useEffect(resetRows, [watched, state.pinned, meta]); // eslint-disable-line react-hooks/exhaustive-deps

  // The hot path: store change batches go straight to the grid, batched by AG Grid's async transactions.
  useEffect(
    () =>
      store.subscribe((changed) => {
        const api = apiRef.current;
        if (!api) return;
        const add: GridRow[] = [];
        const update: GridRow[] = [];
        for (const row of changed) {
          if (!context.current.watched.has(row.instrumentId)) continue;
          (known.current.has(row.instrumentId) ? update : add).push(toGridRow(row));
          known.current.add(row.instrumentId);
        }
        if (add.length + update.length > 0) api.applyTransactionAsync({ add, update });
      }),
    [store], // eslint-disable-line react-hooks/exhaustive-deps
  );

  const columns = useMemo<ColDef<GridRow>[]>(() => [
    { headerName: '', field: 'pinned', width: 40, minWidth: 40, maxWidth: 40, sortable: false, cellDataType: false, valueFormatter: (p) => (p.value ? '★' : '☆'), cellClass: 'pin-cell', headerTooltip: 'Pin to every watchlist' },
    { headerName: 'Instrument', field: 'symbol', minWidth: 108, flex: 1.3, filter: 'agTextColumnFilter', cellClass: 'sym' },
    { headerName: 'Bid', field: 'bid', minWidth: 96, flex: 1.3, type: 'rightAligned', enableCellChangeFlash: FLASH, cellClassRules: dirClass('bidDir'), valueFormatter: (p) => formatPrice(p.value, p.data?.tickSize ?? '0.01') },
    { headerName: 'Ask', field: 'ask', minWidth: 96, flex: 1.3, type: 'rightAligned', enableCellChangeFlash: FLASH, cellClassRules: dirClass('askDir'), valueFormatter: (p) => formatPrice(p.value, p.data?.tickSize ?? '0.01') },
    { headerName: 'Mid', field: 'mid', minWidth: 96, flex: 1.3, type: 'rightAligned', cellClassRules: dirClass('midDir'), valueFormatter: (p) => formatPrice(p.value, p.data?.tickSize ?? '0.01') },
    { headerName: 'Sprd', field: 'spread', minWidth: 64, flex: 1, type: 'rightAligned', headerTooltip: 'Spread in ticks', valueFormatter: (p) => { const t = spreadInTicks(p.value, p.data?.tickSize ?? '0.01'); return t === null ? '—' : String(t); } },
    { headerName: 'Bid sz', field: 'bidSize', minWidth: 70, flex: 1, type: 'rightAligned', valueFormatter: (p) => formatCompact(p.value) },
    { headerName: 'Ask sz', field: 'askSize', minWidth: 70, flex: 1, type: 'rightAligned', valueFormatter: (p) => formatCompact(p.value) },
    { headerName: 'Age', field: 'ageMs', minWidth: 58, flex: 1, type: 'rightAligned', valueFormatter: (p) => formatAge(p.value) },
    { headerName: 'Flags', colId: 'flags', minWidth: 112, flex: 1.3, valueGetter: (p) => (p.data ? flags(p.data) : ''), cellClassRules: { 'flag-bad': (p) => !!p.data?.stale, 'flag-ok': (p) => !p.data?.stale } },
    { headerName: '', colId: 'remove', width: 40, minWidth: 40, maxWidth: 40, sortable: false, valueGetter: () => '✕', cellClass: 'remove-cell', headerTooltip: 'Remove from this watchlist' },
  ], []);

  const list = activeList(state);
  const addable = instruments.filter((i) => !list?.instrumentIds.includes(i.id));

  return (
    <section className="panel market-watch" aria-label="Market watch">
      <header className="panel-head">
        <h2>Market watch</h2>
        <div className="tabs" role="tablist">
          {state.lists.map((l, index) => (
            <span key={l.id} className={`tab ${l.id === state.activeId ? 'active' : ''}`}>
              {editing === l.id ? (
                <input autoFocus defaultValue={l.name} aria-label="Watchlist name" className="tab-edit"
                  onBlur={(e) => { dispatch({ type: 'rename', id: l.id, name: e.currentTarget.value }); setEditing(null); }}
                  onKeyDown={(e) => { if (e.key === 'Enter' || e.key === 'Escape') e.currentTarget.blur(); }} />
              ) : (
                <button type="button" role="tab" aria-selected={l.id === state.activeId} title="Double-click to rename"
                  onClick={() => dispatch({ type: 'select', id: l.id })} onDoubleClick={() => setEditing(l.id)}>{l.name}</button>
              )}
              {l.id === state.activeId && (
                <span className="tab-tools">
                  <button type="button" title="Move left" disabled={index === 0} onClick={() => dispatch({ type: 'move', id: l.id, toIndex: index - 1 })}>‹</button>
                  <button type="button" title="Move right" disabled={index === state.lists.length - 1} onClick={() => dispatch({ type: 'move', id: l.id, toIndex: index + 1 })}>›</button>
                  <button type="button" title="Rename" onClick={() => setEditing(l.id)}>✎</button>
                  <button type="button" title="Delete watchlist" disabled={state.lists.length <= 1}
                    onClick={() => { if (window.confirm(`Delete watchlist "${l.name}"?`)) dispatch({ type: 'delete', id: l.id }); }}>Delete</button>
                </span>
              )}
            </span>
          ))}
          <button type="button" className="tab-new" title="New watchlist" data-testid="new-watchlist"
            onClick={() => { const id = `wl-${Date.now().toString(36)}`; dispatch({ type: 'create', id, name: `List ${state.lists.length + 1}` }); setEditing(id); }}>+ New list</button>
        </div>
        <div className="add-instrument">
          <select value={toAdd} onChange={(e) => setToAdd(e.target.value)} aria-label="Instrument to add">
            <option value="">Add instrument…</option>
            {addable.map((i) => <option key={i.id} value={i.id}>{i.symbol} · {i.assetClass}</option>)}
          </select>
          <button type="button" disabled={!toAdd} onClick={() => { dispatch({ type: 'addInstrument', instrumentId: toAdd }); setToAdd(''); }}>Add</button>
        </div>
      </header>
      <div className="grid-host" data-testid="market-grid">
        <AgGridReact<GridRow>
          theme={gridTheme}
          columnDefs={columns}
          defaultColDef={{ sortable: true, resizable: true, suppressMovable: false }}
          getRowId={(p: GetRowIdParams<GridRow>) => p.data.instrumentId}
          asyncTransactionWaitMillis={50}
          alwaysShowVerticalScroll
          cellFlashDuration={300}
          cellFadeDuration={0}
          rowSelection={{ mode: 'singleRow', checkboxes: false, enableClickSelection: true }}
          rowClassRules={{ 'row-stale': (p) => !!p.data?.stale, 'row-pinned': (p) => !!p.data?.pinned }}
          postSortRows={(p: PostSortRowsParams<GridRow>) => {
            const pinned = p.nodes.filter((n) => n.data?.pinned);
            const rest = p.nodes.filter((n) => !n.data?.pinned);
            p.nodes.splice(0, p.nodes.length, ...pinned, ...rest);
          }}
          onGridReady={(e: GridReadyEvent<GridRow>) => { apiRef.current = e.api; restoreColumns(e.api, preferences.current().columns); resetRows(); }}
          onColumnMoved={(e) => { if (e.finished) saveColumns(e.api, preferences); }}
          onColumnResized={(e) => { if (e.finished && e.source === 'uiColumnResized') saveColumns(e.api, preferences); }}
          onSortChanged={(e) => saveColumns(e.api, preferences)}
          onCellClicked={(e) => {
            const id = e.data?.instrumentId;
            if (!id) return;
            if (e.colDef.field === 'pinned') dispatch({ type: 'togglePin', instrumentId: id });
            else if (e.colDef.colId === 'remove') dispatch({ type: 'removeInstrument', instrumentId: id });
            else onSelect(id);
          }}
        />
      </div>
    </section>
  );
}
