/** RFQ and trade blotters: sort, filter, quick search, CSV export, correlation ids, details drawer. */
import { useEffect, useMemo, useRef, useState } from 'react';
import { AgGridReact } from 'ag-grid-react';
import type { ColDef, GridApi } from 'ag-grid-community';
import type { AuditEntry, Rfq, Trade } from '../api/operations';
import type { EntityStore, BlotterStore } from '../blotter/blotterStore';
import { formatExactPrice, formatNotional, formatQuantity, formatTime } from '../format/format';
import { gridTheme } from './grid';

type Tab = 'rfqs' | 'trades';

const rfqColumns: ColDef<Rfq>[] = [
  { headerName: 'Created', field: 'createdAt', width: 96, sort: 'desc', valueFormatter: (p) => formatTime(p.value).slice(0, 8), tooltipValueGetter: (p) => p.value },
  { headerName: 'RFQ', field: 'id', width: 90 },
  { headerName: 'Instrument', field: 'instrumentId', width: 88 },
  { headerName: 'Side', field: 'side', width: 58, cellClassRules: { buy: (p) => p.value === 'BUY', sell: (p) => p.value === 'SELL' } },
  { headerName: 'Size', field: 'quantity', width: 100, type: 'rightAligned', valueFormatter: (p) => formatQuantity(p.value) },
  { headerName: 'Status', field: 'status', width: 96 },
  { headerName: 'Quotes', colId: 'quotes', width: 72, type: 'rightAligned', valueGetter: (p) => p.data?.quotes.length ?? 0 },
  { headerName: 'Reason', field: 'statusReason', width: 150, tooltipField: 'statusReason' },
  { headerName: 'Correlation id', field: 'correlationId', flex: 1, minWidth: 120, cellClass: 'mono', tooltipField: 'correlationId' },
];

const tradeColumns: ColDef<Trade>[] = [
  { headerName: 'Executed', field: 'executedAt', width: 96, sort: 'desc', valueFormatter: (p) => formatTime(p.value).slice(0, 8), tooltipValueGetter: (p) => p.value },
  { headerName: 'Trade', field: 'id', width: 76 },
  { headerName: 'Instrument', field: 'instrumentId', width: 88 },
  { headerName: 'Side', field: 'side', width: 58, cellClassRules: { buy: (p) => p.value === 'BUY', sell: (p) => p.value === 'SELL' } },
  { headerName: 'Size', field: 'quantity', width: 96, type: 'rightAligned', valueFormatter: (p) => formatQuantity(p.value) },
  { headerName: 'Price', field: 'price', width: 86, type: 'rightAligned', valueFormatter: (p) => formatExactPrice(p.value, '1') },
  { headerName: 'Notional', field: 'notional', width: 110, type: 'rightAligned', valueFormatter: (p) => formatNotional(1, p.value) },
  { headerName: 'Ccy', field: 'currency', width: 52, filter: false },
  { headerName: 'LP', field: 'lpName', width: 90, valueGetter: (p) => p.data?.lpName ?? p.data?.lpId ?? '' },
  { headerName: 'RFQ', field: 'rfqId', width: 70, hide: true },
  { headerName: 'Status', field: 'status', width: 90 },
  { headerName: 'Correlation id', field: 'correlationId', flex: 1, minWidth: 120, cellClass: 'mono', tooltipField: 'correlationId' },
];

function BlotterGrid<T extends { id: string }>(props: {
  store: EntityStore<T>; columns: ColDef<T>[]; search: string; onOpen: (row: T) => void; apiOut: (api: GridApi<T>) => void; testId: string;
}) {
  const { store, columns, search, onOpen, apiOut, testId } = props;
  const apiRef = useRef<GridApi<T> | null>(null);
  const [initialRows] = useState(() => store.getSnapshot());
  // Ids already handed to the grid (initial rows or a queued add): later changes are updates.
  const known = useRef(new Set(initialRows.map((row) => row.id)));
  useEffect(() => store.subscribe(({ add, update }) => {
    const api = apiRef.current;
    const fresh: T[] = [];
    const changed: T[] = [];
    for (const row of [...add, ...update]) {
      (known.current.has(row.id) ? changed : fresh).push(row);
      known.current.add(row.id);
    }
    api?.applyTransactionAsync({ add: fresh, update: changed });
  }), [store]);
  useEffect(() => apiRef.current?.setGridOption('quickFilterText', search), [search]);
  return (
    <div className="grid-host" data-testid={testId}>
      <AgGridReact<T>
        theme={gridTheme}
        columnDefs={columns}
        defaultColDef={{ sortable: true, resizable: true, filter: true }}
        getRowId={(p) => p.data.id}
        rowData={initialRows}
        asyncTransactionWaitMillis={100}
        includeHiddenColumnsInQuickFilter
        tooltipShowDelay={300}
        onGridReady={(e) => { apiRef.current = e.api; apiOut(e.api); e.api.setGridOption('quickFilterText', search); }}
        onRowClicked={(e) => { if (e.data) onOpen(e.data); }}
      />
    </div>
  );
}

function AuditTrail({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0) return <p className="muted">No audit entries yet.</p>;
  return (
    <ol className="audit">
      {entries.map((a, i) => (
        <li key={i}><span className="num">{formatTime(a.at)}</span> <strong>{a.event}</strong> {a.detail ?? ''} {a.actor ? <em>· {a.actor}</em> : null}</li>
      ))}
    </ol>
  );
}

function Drawer({ item, onClose }: { item: { kind: Tab; row: Rfq | Trade } | null; onClose: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') onClose(); };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  if (!item) return null;
  const { audit, quotes: _quotes, ...fields } = item.row as Rfq & Trade;
  void _quotes;
  return (
    <aside className="drawer" aria-label="Details" data-testid="details-drawer">
      <header className="panel-head"><h2>{item.kind === 'rfqs' ? 'RFQ' : 'Trade'} {item.row.id}</h2><button type="button" onClick={onClose} aria-label="Close details">✕</button></header>
      <dl>{Object.entries(fields).map(([k, v]) => <div key={k}><dt>{k}</dt><dd className={k === 'correlationId' ? 'mono' : ''}>{Array.isArray(v) ? v.join(', ') : String(v ?? '—')}</dd></div>)}</dl>
      <h3>Audit trail</h3>
      <AuditTrail entries={audit ?? []} />
    </aside>
  );
}

export function Blotters({ blotters }: { blotters: BlotterStore }) {
  const [tab, setTab] = useState<Tab>('rfqs');
  const [search, setSearch] = useState('');
  const [open, setOpen] = useState<{ kind: Tab; row: Rfq | Trade } | null>(null);
  const apis = useRef<{ rfqs?: GridApi<Rfq>; trades?: GridApi<Trade> }>({});
  const counts = useCounts(blotters);
  const exportCsv = () => {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    apis.current[tab]?.exportDataAsCsv({ fileName: `orion-${tab}-${stamp}.csv` });
  };
  const openLatest = useMemo(() => (kind: Tab, id: string) => {
    const row = kind === 'rfqs' ? blotters.rfqs.get(id) : blotters.trades.get(id);
    if (row) setOpen({ kind, row });
  }, [blotters]);
  return (
    <section className="panel blotters" aria-label="Blotters">
      <header className="panel-head">
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={tab === 'rfqs'} className={`tab ${tab === 'rfqs' ? 'active' : ''}`} onClick={() => setTab('rfqs')}>RFQs <span className="count">{counts.rfqs}</span></button>
          <button type="button" role="tab" aria-selected={tab === 'trades'} className={`tab ${tab === 'trades' ? 'active' : ''}`} onClick={() => setTab('trades')} data-testid="tab-trades">Trades <span className="count">{counts.trades}</span></button>
        </div>
        <input type="search" placeholder="Quick search (id, instrument, correlation id…)" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="Quick search" className="search" />
        <button type="button" onClick={exportCsv} data-testid="export-csv">Export CSV</button>
      </header>
      <div className="blotter-body">
        {tab === 'rfqs'
          ? <BlotterGrid key="rfqs" testId="rfq-blotter" store={blotters.rfqs} columns={rfqColumns} search={search} onOpen={(r) => openLatest('rfqs', r.id)} apiOut={(a) => (apis.current.rfqs = a)} />
          : <BlotterGrid key="trades" testId="trade-blotter" store={blotters.trades} columns={tradeColumns} search={search} onOpen={(r) => openLatest('trades', r.id)} apiOut={(a) => (apis.current.trades = a)} />}
        <Drawer item={open} onClose={() => setOpen(null)} />
      </div>
    </section>
  );
}

function useCounts(blotters: BlotterStore): { rfqs: number; trades: number } {
  const [counts, setCounts] = useState({ rfqs: 0, trades: 0 });
  useEffect(() => {
    const update = () => setCounts({ rfqs: blotters.rfqs.getSnapshot().length, trades: blotters.trades.getSnapshot().length });
    update();
    const a = blotters.rfqs.subscribe(update);
    const b = blotters.trades.subscribe(update);
    return () => { a(); b(); };
  }, [blotters]);
  return counts;
}
