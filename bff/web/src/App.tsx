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
import { PreferencesSync, type ColumnPref, type PreferencesDoc, type Theme } from './workspace/preferences';
import { legacyWatchlists } from './workspace/watchlists';

/** How long the first screen waits for the saved preferences before starting from the local copy. */
const PREFERENCES_WAIT_MS = 3_000;

function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  document.documentElement.dataset.agThemeMode = theme;
}

function systemTheme(): Theme {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** What this browser stored before preferences moved to the server: migrated on first login. */
function legacyPreferences(): PreferencesDoc | null {
  try {
    const theme = localStorage.getItem('orion.theme');
    const columns = localStorage.getItem('orion.workspace.marketWatch.columns');
    const doc: PreferencesDoc = {
      theme: theme === 'light' || theme === 'dark' ? theme : null,
      watchlists: legacyWatchlists(),
      columns: columns ? (JSON.parse(columns) as ColumnPref[]) : null,
    };
    return doc.theme || doc.watchlists || doc.columns ? doc : null;
  } catch {
    return null;
  }
}

function usePreferences(backend: Backend, userKey: string): { preferences: PreferencesSync; ready: boolean } {
  const preferences = useMemo(() => new PreferencesSync({
    remote: backend.preferences ?? null,
    storage: globalThis.localStorage ?? null,
    key: `orion.preferences.${userKey}`,
    legacy: legacyPreferences,
  }), [backend, userKey]);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let done = false;
    const finish = () => { if (!done) { done = true; setReady(true); } };
    const wait = setTimeout(finish, PREFERENCES_WAIT_MS);
    void preferences.start().finally(finish);
    // Back online: save what was changed while the server was unreachable.
    const offStatus = backend.connection.onStatus((status) => { if (status === 'connected') preferences.retryNow(); });
    const onHide = () => { if (document.visibilityState === 'hidden') void preferences.flush(); };
    document.addEventListener('visibilitychange', onHide);
    return () => { clearTimeout(wait); offStatus(); document.removeEventListener('visibilitychange', onHide); preferences.stop(); };
  }, [backend, preferences]);
  return { preferences, ready };
}

export function App({ backend, auth, staleAfterMs }: { backend: Backend; auth: AuthView; staleAfterMs: number }) {
  const store = useMemo(() => new MarketDataStore({ staleAfterMs }), [staleAfterMs]);
  const feed = useMemo(() => new MarketDataFeed(backend, store), [backend, store]);
  const blotters = useMemo(() => new BlotterStore(), []);
  const [instruments, setInstruments] = useState<Instrument[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const { preferences, ready } = usePreferences(backend, auth.userKey ?? 'anonymous');
  const [theme, setTheme] = useState<Theme>(() => preferences.current().theme ?? systemTheme());

  const [preferencesStatus, setPreferencesStatus] = useState(preferences.getStatus());
  useEffect(() => preferences.onStatus(setPreferencesStatus), [preferences]);
  useEffect(() => preferences.onReplace((doc) => { if (doc.theme) setTheme(doc.theme); }), [preferences]);
  useEffect(() => applyTheme(theme), [theme]);
  const toggleTheme = () => { const next = theme === 'dark' ? 'light' : 'dark'; setTheme(next); preferences.update({ theme: next }); };
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
    <div className="app" data-preferences={preferencesStatus}>
      <header className="topbar">
        <span className="brand">Orion <small>workstation</small></span>
        {backend.kind === 'demo' && <span className="badge demo" title="Simulated data, no BFF">DEMO DATA</span>}
        <span className="spacer" />
        <ConnectionIndicator connection={backend.connection} />
        <button type="button" onClick={toggleTheme} data-testid="theme-toggle" title="Switch theme">
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
      {instruments && ready ? (
        <main className="workspace">
          <MarketWatch store={store} feed={feed} instruments={instruments} selected={selected} onSelect={setSelected} preferences={preferences} />
          <RfqTicket backend={backend} store={store} blotters={blotters} instruments={instruments} instrumentId={selected} onInstrumentChange={setSelected} />
          <Blotters blotters={blotters} />
        </main>
      ) : (
        !loadError && <p className="loading">{instruments ? 'Loading your workspace…' : 'Loading instruments…'}</p>
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
