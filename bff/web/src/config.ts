/**
 * Settings read once: build-time Vite env, then an optional `ui-config.json` next to index.html
 * (served by the BFF) so a deployment can point at its issuer without rebuilding the bundle.
 */

export interface AppConfig {
  graphqlHttpUrl: string;
  graphqlWsUrl: string;
  oidcIssuer: string;
  oidcClientId: string;
  oidcScope: string;
  redirectUri: string;
  staleAfterMs: number;
}

function wsUrlFor(httpUrl: string): string {
  const url = new URL(httpUrl, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export function readConfig(): Readonly<AppConfig> {
  const env = import.meta.env;
  const graphqlHttpUrl = new URL(env.VITE_ORION_GRAPHQL_URL ?? '/graphql/workstation', window.location.href).toString();
  return Object.freeze({
    graphqlHttpUrl,
    graphqlWsUrl: env.VITE_ORION_GRAPHQL_WS_URL ?? wsUrlFor(graphqlHttpUrl),
    oidcIssuer: env.VITE_ORION_OIDC_ISSUER ?? `${window.location.origin}/identity`,
    oidcClientId: env.VITE_ORION_OIDC_CLIENT_ID ?? 'orion-workstation',
    oidcScope: env.VITE_ORION_OIDC_SCOPE ?? 'openid profile offline_access orion',
    redirectUri: window.location.origin + window.location.pathname,
    staleAfterMs: Number(env.VITE_ORION_STALE_AFTER_MS ?? 5_000),
  });
}

const RUNTIME_KEYS = ['graphqlHttpUrl', 'graphqlWsUrl', 'oidcIssuer', 'oidcClientId', 'oidcScope'] as const;

/** Overlay string settings from `./ui-config.json` when the server provides one; otherwise keep the defaults. */
export async function withRuntimeConfig(
  base: Readonly<AppConfig>,
  fetcher: (url: string) => Promise<Response> = (url) => fetch(url, { cache: 'no-store' }),
): Promise<Readonly<AppConfig>> {
  try {
    const response = await fetcher('./ui-config.json');
    if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return base;
    const raw = (await response.json()) as Record<string, unknown>;
    const overrides: Partial<AppConfig> = {};
    for (const key of RUNTIME_KEYS) {
      const value = raw[key];
      if (typeof value === 'string' && value !== '') overrides[key] = value;
    }
    return Object.freeze({ ...base, ...overrides });
  } catch {
    return base;
  }
}
