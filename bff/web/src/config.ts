/** Build-time settings (Vite env), read once; defaults assume the BFF serves this page. */

export interface AppConfig {
  graphqlHttpUrl: string;
  graphqlWsUrl: string;
  oidcIssuer: string;
  oidcClientId: string;
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
    redirectUri: window.location.origin + window.location.pathname,
    staleAfterMs: Number(env.VITE_ORION_STALE_AFTER_MS ?? 5_000),
  });
}
