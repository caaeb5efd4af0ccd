/** Entry point: picks the live (OIDC + GraphQL BFF) or demo backend and renders the workstation. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, LoginScreen } from './App';
import type { Backend } from './api/backend';
import type { AuthView } from './auth/authView';
import { readConfig, withRuntimeConfig } from './config';
import { registerGridModules } from './ui/grid';
import './ui/theme.css';

registerGridModules();
const buildConfig = readConfig();
const root = createRoot(document.getElementById('root')!);

function render(backend: Backend, auth: AuthView): void {
  root.render(<StrictMode><App backend={backend} auth={auth} staleAfterMs={buildConfig.staleAfterMs} /></StrictMode>);
}

async function bootLive(): Promise<void> {
  const config = await withRuntimeConfig(buildConfig);
  const [{ OidcClient }, { ConnectionManager }, { GraphqlHttpClient }, { graphqlWsFactory }, { createLiveBackend }] = await Promise.all([
    import('./auth/oidc'), import('./api/connection'), import('./api/http'), import('./api/wsClient'), import('./api/liveBackend'),
  ]);
  const oidc = new OidcClient({
    issuer: config.oidcIssuer, clientId: config.oidcClientId, scope: config.oidcScope, redirectUri: config.redirectUri, storage: sessionStorage,
  });
  const login = () => void oidc.beginLogin(window.location.pathname).then((url) => window.location.assign(url), (e: Error) => showLogin(`Cannot start the login (identity provider at ${config.oidcIssuer}): ${e.message}`));
  const showLogin = (error: string | null) => root.render(<LoginScreen onLogin={login} error={error} />);

  const params = new URLSearchParams(window.location.search);
  if (params.has('state') && (params.has('code') || params.has('error'))) {
    try {
      const returnTo = await oidc.handleCallback(window.location.href);
      window.history.replaceState(null, '', returnTo);
    } catch (error) {
      window.history.replaceState(null, '', window.location.pathname);
      showLogin(`Login failed: ${(error as Error).message}`);
      return;
    }
  }
  if (!oidc.getSession()) {
    showLogin(null);
    return;
  }
  oidc.startSilentRenew();
  const renew = async () => (await oidc.refresh().catch(() => null)) !== null;
  const getAccessToken = () => oidc.getAccessToken().catch(() => null);
  const http = new GraphqlHttpClient({ url: config.graphqlHttpUrl, getAccessToken, onUnauthorized: renew });
  const ws = new ConnectionManager({ createClient: graphqlWsFactory(config.graphqlWsUrl), getAccessToken, onUnauthorized: renew, backoff: { jitter: 0.2 } });
  ws.start();
  const claims = oidc.getSession()?.claims ?? {};
  const { ME } = await import('./api/operations');
  // The header shows who the BFF thinks we are (user and tenant), falling back to token claims.
  const me = await http.request<import('./api/operations').MeResult>(ME).then((r) => r.me, () => null);
  const fallback = String(claims.name ?? claims.preferred_username ?? claims.sub ?? 'trader');
  render(createLiveBackend(http, ws), {
    userName: me ? `${me.username ?? me.user.id} · ${me.tenantId}` : fallback,
    userKey: me ? `${me.tenantId}/${me.user.id}` : `${String(claims.tenant_id ?? '')}/${String(claims.sub ?? 'anonymous')}`,
    login,
    logout: () => void oidc.logout().then((url) => { ws.stop(); if (url) window.location.assign(url); else showLogin(null); }),
  });
}

async function bootDemo(): Promise<void> {
  const { createDemoBackend } = await import('./demo/demoBackend');
  render(createDemoBackend(), { userName: 'demo.trader', userKey: 'demo', login: () => undefined, logout: () => window.location.reload() });
}

if (import.meta.env.MODE === 'demo') void bootDemo();
else void bootLive();
