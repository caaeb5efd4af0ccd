/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_ORION_GRAPHQL_URL?: string;
  readonly VITE_ORION_GRAPHQL_WS_URL?: string;
  readonly VITE_ORION_OIDC_ISSUER?: string;
  readonly VITE_ORION_OIDC_CLIENT_ID?: string;
  readonly VITE_ORION_OIDC_SCOPE?: string;
  readonly VITE_ORION_STALE_AFTER_MS?: string;
}
