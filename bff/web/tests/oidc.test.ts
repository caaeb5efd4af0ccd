import { describe, expect, it } from 'vitest';
import { OidcClient, OidcError } from '../src/auth/oidc';
import { base64UrlEncode, s256CodeChallenge } from '../src/auth/pkce';

const ISSUER = 'http://127.0.0.1:8081/issuer';

function memoryStorage() {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}

function jwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(o)));
  return `${enc({ alg: 'none' })}.${enc(claims)}.sig`;
}

function fakeIssuer() {
  const tokenRequests: URLSearchParams[] = [];
  let counter = 0;
  let nonce = '';
  const fetcher = async (url: string, init?: RequestInit): Promise<Response> => {
    if (url === `${ISSUER}/.well-known/openid-configuration`) {
      return Response.json({
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/authorize`,
        token_endpoint: `${ISSUER}/token`,
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url === `${ISSUER}/token`) {
      const form = new URLSearchParams(String(init?.body));
      tokenRequests.push(form);
      if (form.get('grant_type') === 'refresh_token' && form.get('refresh_token') !== `rt-${counter}`) {
        return Response.json({ error: 'invalid_grant', error_description: 'refresh token reused' }, { status: 400 });
      }
      counter += 1;
      return Response.json({
        access_token: `at-${counter}`, token_type: 'Bearer', expires_in: 300, refresh_token: `rt-${counter}`,
        id_token: jwt({ iss: ISSUER, aud: 'workstation', nonce, sub: 'u1', name: 'Ada Trader' }),
      });
    }
    return new Response('not found', { status: 404 });
  };
  return { fetcher, tokenRequests, setNonce: (n: string) => (nonce = n) };
}

describe('PKCE', () => {
  it('computes the RFC 7636 S256 challenge', async () => {
    await expect(s256CodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).resolves.toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});

describe('OidcClient', () => {
  const setup = () => {
    const issuer = fakeIssuer();
    const storage = memoryStorage();
    let now = 1_000_000;
    const client = new OidcClient({
      issuer: ISSUER, clientId: 'workstation', redirectUri: 'http://127.0.0.1:5173/callback',
      fetcher: issuer.fetcher, storage, now: () => now,
    });
    return { client, issuer, storage, advance: (ms: number) => (now += ms) };
  };

  async function login(ctx: ReturnType<typeof setup>) {
    const url = new URL(await ctx.client.beginLogin('/desk'));
    ctx.issuer.setNonce(url.searchParams.get('nonce')!);
    return { url, returnTo: await ctx.client.handleCallback(`http://127.0.0.1:5173/callback?code=abc&state=${url.searchParams.get('state')}`) };
  }

  it('sends an S256 challenge, state and nonce, then exchanges the code with the verifier', async () => {
    const ctx = setup();
    const { url, returnTo } = await login(ctx);
    expect(url.origin + url.pathname).toBe(`${ISSUER}/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('response_type')).toBe('code');
    const exchange = ctx.issuer.tokenRequests[0]!;
    expect(exchange.get('grant_type')).toBe('authorization_code');
    expect(await s256CodeChallenge(exchange.get('code_verifier')!)).toBe(url.searchParams.get('code_challenge'));
    expect(returnTo).toBe('/desk');
    expect(ctx.client.getSession()?.accessToken).toBe('at-1');
    expect(ctx.client.getSession()?.claims.name).toBe('Ada Trader');
  });

  it('rejects a callback whose state does not match', async () => {
    const ctx = setup();
    await ctx.client.beginLogin();
    await expect(ctx.client.handleCallback('http://127.0.0.1:5173/callback?code=abc&state=forged')).rejects.toMatchObject({ code: 'STATE_MISMATCH' });
  });

  it('rejects an id token with another nonce', async () => {
    const ctx = setup();
    const url = new URL(await ctx.client.beginLogin());
    ctx.issuer.setNonce('other');
    await expect(ctx.client.handleCallback(`http://x/callback?code=abc&state=${url.searchParams.get('state')}`)).rejects.toBeInstanceOf(OidcError);
  });

  it('renews near expiry with the rotated refresh token, one request for concurrent callers', async () => {
    const ctx = setup();
    await login(ctx);
    expect(await ctx.client.getAccessToken()).toBe('at-1');
    ctx.advance(290_000);
    const [a, b] = await Promise.all([ctx.client.getAccessToken(), ctx.client.getAccessToken()]);
    expect([a, b]).toEqual(['at-2', 'at-2']);
    const refreshes = ctx.issuer.tokenRequests.filter((f) => f.get('grant_type') === 'refresh_token');
    expect(refreshes.map((f) => f.get('refresh_token'))).toEqual(['rt-1']);
    ctx.advance(290_000);
    expect(await ctx.client.getAccessToken()).toBe('at-3');
    expect(ctx.issuer.tokenRequests.at(-1)?.get('refresh_token')).toBe('rt-2');
    expect(ctx.client.getSession()?.refreshToken).toBe('rt-3');
  });
});
