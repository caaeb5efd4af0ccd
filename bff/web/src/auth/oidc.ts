/** OIDC authorization code + PKCE client with refresh-token rotation and silent renew. */
import { decodeJwtClaims, randomToken, s256CodeChallenge } from './pkce';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  redirectUri: string;
  scope?: string;
  fetcher?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Where the pending login (verifier, state, nonce) and the session survive a redirect. */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  now?: () => number;
  /** Renew this long before the access token expires. */
  renewAheadMs?: number;
}

export interface DiscoveryDocument {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
  jwks_uri?: string;
  code_challenge_methods_supported?: string[];
}

export interface Session {
  accessToken: string;
  refreshToken: string | null;
  idToken: string | null;
  expiresAt: number;
  claims: Record<string, unknown>;
}

interface PendingLogin { verifier: string; state: string; nonce: string; returnTo: string }

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  refresh_token?: string;
  id_token?: string;
}

const PENDING_KEY = 'orion.oidc.pending';
const SESSION_KEY = 'orion.oidc.session';

export class OidcError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'OidcError';
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export class OidcClient {
  private discovery: DiscoveryDocument | null = null;
  private session: Session | null = null;
  private refreshing: Promise<Session | null> | null = null;
  private renewTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<(session: Session | null) => void>();
  private readonly fetcher: (input: string, init?: RequestInit) => Promise<Response>;
  private readonly now: () => number;

  constructor(private readonly settings: OidcSettings) {
    this.fetcher = settings.fetcher ?? ((input, init) => fetch(input, init));
    this.now = settings.now ?? (() => Date.now());
    const saved = settings.storage?.getItem(SESSION_KEY);
    if (saved) this.session = JSON.parse(saved) as Session;
  }

  getSession(): Session | null {
    return this.session;
  }

  onChange(listener: (session: Session | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async discover(): Promise<DiscoveryDocument> {
    if (this.discovery) return this.discovery;
    const issuer = trimSlash(this.settings.issuer);
    const response = await this.fetcher(`${issuer}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new OidcError(`Discovery failed: HTTP ${response.status}`, 'DISCOVERY_FAILED');
    const doc = (await response.json()) as DiscoveryDocument;
    if (trimSlash(doc.issuer) !== issuer) throw new OidcError('Issuer mismatch in discovery document', 'ISSUER_MISMATCH');
    const methods = doc.code_challenge_methods_supported;
    if (methods && !methods.includes('S256')) throw new OidcError('Issuer does not support PKCE S256', 'NO_S256');
    this.discovery = doc;
    return doc;
  }

  /** Build the authorization URL and remember verifier, state and nonce for the callback. */
  async beginLogin(returnTo = '/'): Promise<string> {
    const doc = await this.discover();
    const pending: PendingLogin = { verifier: randomToken(32), state: randomToken(16), nonce: randomToken(16), returnTo };
    this.settings.storage?.setItem(PENDING_KEY, JSON.stringify(pending));
    const url = new URL(doc.authorization_endpoint);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: this.settings.clientId,
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scope ?? 'openid profile offline_access',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await s256CodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
    };
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.toString();
  }

  /** Complete the login from the redirect URL; returns where to go back to. */
  async handleCallback(callbackUrl: string): Promise<string> {
    const params = new URL(callbackUrl).searchParams;
    const raw = this.settings.storage?.getItem(PENDING_KEY);
    this.settings.storage?.removeItem(PENDING_KEY);
    const error = params.get('error');
    if (error) throw new OidcError(params.get('error_description') ?? error, error);
    if (!raw) throw new OidcError('No login in progress', 'NO_PENDING_LOGIN');
    const pending = JSON.parse(raw) as PendingLogin;
    if (params.get('state') !== pending.state) throw new OidcError('State mismatch', 'STATE_MISMATCH');
    const code = params.get('code');
    if (!code) throw new OidcError('Missing authorization code', 'NO_CODE');
    const tokens = await this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.settings.redirectUri,
      client_id: this.settings.clientId,
      code_verifier: pending.verifier,
    });
    const claims = tokens.id_token ? decodeJwtClaims(tokens.id_token) : {};
    if (tokens.id_token) this.checkIdToken(claims, pending.nonce);
    this.setSession(this.toSession(tokens, null, claims));
    return pending.returnTo;
  }

  /** A valid access token, renewing first when it is about to expire. */
  async getAccessToken(): Promise<string | null> {
    const session = this.session;
    if (!session) return null;
    if (session.expiresAt - this.now() > (this.settings.renewAheadMs ?? 30_000)) return session.accessToken;
    const renewed = await this.refresh();
    return renewed?.accessToken ?? null;
  }

  /**
   * Exchange the refresh token for new tokens. Concurrent callers share one request: with rotation
   * the old refresh token is spent after one use, and a second use would revoke the whole family.
   */
  refresh(): Promise<Session | null> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /** Keep the session fresh in the background (silent renew). */
  startSilentRenew(): void {
    this.stopSilentRenew();
    const session = this.session;
    if (!session?.refreshToken) return;
    const delay = Math.max(1_000, session.expiresAt - this.now() - (this.settings.renewAheadMs ?? 30_000));
    this.renewTimer = setTimeout(() => {
      void this.refresh().then((next) => {
        if (next) this.startSilentRenew();
      });
    }, delay);
  }

  stopSilentRenew(): void {
    if (this.renewTimer !== null) clearTimeout(this.renewTimer);
    this.renewTimer = null;
  }

  async logout(): Promise<string | null> {
    const idToken = this.session?.idToken ?? null;
    this.stopSilentRenew();
    this.setSession(null);
    const doc = this.discovery ?? (await this.discover().catch(() => null));
    if (!doc?.end_session_endpoint) return null;
    const url = new URL(doc.end_session_endpoint);
    if (idToken) url.searchParams.set('id_token_hint', idToken);
    url.searchParams.set('client_id', this.settings.clientId);
    url.searchParams.set('post_logout_redirect_uri', this.settings.redirectUri);
    return url.toString();
  }

  private async doRefresh(): Promise<Session | null> {
    const current = this.session;
    if (!current?.refreshToken) return null;
    try {
      const tokens = await this.tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: current.refreshToken,
        client_id: this.settings.clientId,
      });
      const claims = tokens.id_token ? decodeJwtClaims(tokens.id_token) : current.claims;
      const next = this.toSession(tokens, current, claims);
      this.setSession(next);
      return next;
    } catch (error) {
      if (error instanceof OidcError && error.code === 'invalid_grant') this.setSession(null);
      throw error;
    }
  }

  private async tokenRequest(form: Record<string, string>): Promise<TokenResponse> {
    const doc = await this.discover();
    const response = await this.fetcher(doc.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
    });
    const body = (await response.json().catch(() => ({}))) as Partial<TokenResponse> & { error?: string; error_description?: string };
    if (!response.ok || !body.access_token) {
      throw new OidcError(body.error_description ?? `Token request failed: HTTP ${response.status}`, body.error ?? 'TOKEN_FAILED');
    }
    return body as TokenResponse;
  }

  private checkIdToken(claims: Record<string, unknown>, nonce: string): void {
    if (claims.nonce !== nonce) throw new OidcError('Nonce mismatch', 'NONCE_MISMATCH');
    if (trimSlash(String(claims.iss ?? '')) !== trimSlash(this.settings.issuer)) throw new OidcError('Issuer mismatch', 'ISSUER_MISMATCH');
    const aud = claims.aud;
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(this.settings.clientId)) throw new OidcError('Audience mismatch', 'AUDIENCE_MISMATCH');
  }

  private toSession(tokens: TokenResponse, previous: Session | null, claims: Record<string, unknown>): Session {
    return {
      accessToken: tokens.access_token,
      // Rotation: the response's refresh token replaces the spent one.
      refreshToken: tokens.refresh_token ?? previous?.refreshToken ?? null,
      idToken: tokens.id_token ?? previous?.idToken ?? null,
      expiresAt: this.now() + (tokens.expires_in ?? 300) * 1000,
      claims,
    };
  }

  private setSession(session: Session | null): void {
    this.session = session;
    if (session) this.settings.storage?.setItem(SESSION_KEY, JSON.stringify(session));
    else this.settings.storage?.removeItem(SESSION_KEY);
    for (const listener of this.listeners) listener(session);
  }
}
