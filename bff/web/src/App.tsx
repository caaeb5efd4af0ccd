/** The workstation screen: header, market watch, RFQ ticket and blotters on one page. */
import { useEffect, useMemo, useState } from 'react';
import type { Backend } from './api/backend';
import type { Instrument } from './api/operations';
import { explainUnknown } from './api/errors';
import type { AuthView } from './auth/authView';
import { BlotterStore } from './blotter/blotterStore';
import { MarketDataFeed } from './marketdata/feed';
import { MarketDataStore } from './marketdata/store';
import { Blotters } from './ui/Blotters';
import { ConnectionIndicator } from './ui/ConnectionIndicator';
import { MarketWatch } from './ui/MarketWatch';
import { RfqTicket } from './ui/RfqTicket';

type Theme = 'light' | 'dark';

function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  document.documentElement.dataset.agThemeMode = theme;
}

function initialTheme(): Theme {
  const saved = localStorage.getItem('orion.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function App({ backend, auth, staleAfterMs }: { backend: Backend; auth: AuthView; staleAfterMs: number }) {
  const store = useMemo(() => new MarketDataStore({ staleAfterMs }), [staleAfterMs]);
  const feed = useMemo(() => new MarketDataFeed(backend, store), [backend, store]);
  const blotters = useMemo(() => new BlotterStore(), []);
  const [instruments, setInstruments] = useState<Instrument[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [theme, setTheme] = useState<Theme>(initialTheme);

  useEffect(() => { applyTheme(theme); localStorage.setItem('orion.theme', theme); }, [theme]);
  useEffect(() => { feed.start(); return () => feed.stop(); }, [feed]);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    setLoadError(null);
    backend.instruments().then((list) => { setInstruments(list); setSelected((s) => s ?? list[0]?.id ?? null); },
      (error) => { const m = explainUnknown(error); setLoadError(`${m.title}: ${m.detail}`); });
  }, [backend, attempt]);
  useEffect(() => {
    const reload = () => {
      backend.rfqs().then((r) => blotters.rfqs.upsert(r), () => undefined);
      backend.trades().then((t) => blotters.trades.upsert(t), () => undefined);
    };
    reload();
    // Lifecycle events sent while the socket was down are not replayed: reload the blotters after a reconnect.
    let wasDown = false;
    const offStatus = backend.connection.onStatus((status) => {
      if (status === 'connected' && wasDown) reload();
      wasDown = status !== 'connected';
    });
    const offUpdates = backend.blotterUpdates((r) => blotters.rfqs.upsert([r]), (t) => blotters.trades.upsert([t]));
    return () => { offStatus(); offUpdates(); };
  }, [backend, blotters]);

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Orion <small>workstation</small></span>
        {backend.kind === 'demo' && <span className="badge demo" title="Simulated data, no BFF">DEMO DATA</span>}
        <span className="spacer" />
        <ConnectionIndicator connection={backend.connection} />
        <button type="button" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} data-testid="theme-toggle" title="Switch theme">
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
        <span className="user">{auth.userName ?? 'Not logged in'}</span>
        <button type="button" onClick={() => auth.logout()}>Log out</button>
      </header>
      {loadError && (
        <div className="message error" role="alert">
          {loadError}
          <button type="button" onClick={() => setAttempt((n) => n + 1)}>Retry</button>
        </div>
      )}
      {instruments ? (
        <main className="workspace">
          <MarketWatch store={store} feed={feed} instruments={instruments} selected={selected} onSelect={setSelected} />
          <RfqTicket backend={backend} store={store} blotters={blotters} instruments={instruments} instrumentId={selected} onInstrumentChange={setSelected} />
          <Blotters blotters={blotters} />
        </main>
      ) : (
        !loadError && <p className="loading">Loading instruments…</p>
      )}
    </div>
  );
}

export function LoginScreen({ onLogin, error }: { onLogin: () => void; error: string | null }) {
  return (
    <div className="login">
      <h1>Orion workstation</h1>
      <p>Sign in with your Orion account to see prices and trade.</p>
      {error && <div className="message error" role="alert">{error}</div>}
      <button type="button" className="primary" onClick={onLogin} data-testid="login">Log in</button>
    </div>
  );
}
