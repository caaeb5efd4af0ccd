import { describe, expect, it } from 'vitest';
import { GraphqlRequestError } from '../src/api/errors';
import { GraphqlHttpClient } from '../src/api/http';

describe('GraphqlHttpClient', () => {
  it('sends the bearer token and returns data', async () => {
    const seen: RequestInit[] = [];
    const client = new GraphqlHttpClient({
      url: '/graphql/workstation',
      getAccessToken: async () => 'tok',
      fetcher: async (_url, init) => { seen.push(init); return Response.json({ data: { ok: 1 } }); },
    });
    await expect(client.request('query { ok }')).resolves.toEqual({ ok: 1 });
    expect((seen[0]!.headers as Record<string, string>).authorization).toBe('Bearer tok');
    expect(JSON.parse(String(seen[0]!.body))).toEqual({ query: 'query { ok }', variables: {} });
  });

  it('turns a GraphQL error into a coded error with the correlation id', async () => {
    const client = new GraphqlHttpClient({
      url: '/g', getAccessToken: async () => null,
      fetcher: async () => Response.json({ errors: [{ message: 'Limit', extensions: { code: 'LIMIT_BREACHED', correlationId: 'c-1' } }] }),
    });
    await expect(client.request('q')).rejects.toMatchObject({ code: 'LIMIT_BREACHED', correlationId: 'c-1' });
  });

  it('renews once on 401 and retries', async () => {
    let calls = 0;
    let renewals = 0;
    const client = new GraphqlHttpClient({
      url: '/g', getAccessToken: async () => `t${renewals}`,
      onUnauthorized: async () => { renewals += 1; return true; },
      fetcher: async () => (++calls === 1 ? new Response('', { status: 401 }) : Response.json({ data: { ok: true } })),
    });
    await expect(client.request('q')).resolves.toEqual({ ok: true });
    expect([calls, renewals]).toEqual([2, 1]);
  });

  it('renews once when the BFF answers a GraphQL UNAUTHENTICATED error', async () => {
    let calls = 0;
    let renewals = 0;
    const client = new GraphqlHttpClient({
      url: '/g', getAccessToken: async () => `t${renewals}`,
      onUnauthorized: async () => { renewals += 1; return true; },
      fetcher: async () => (++calls === 1
        ? Response.json({ data: null, errors: [{ message: 'token expired', extensions: { code: 'UNAUTHENTICATED' } }] })
        : Response.json({ data: { ok: true } })),
    });
    await expect(client.request('q')).resolves.toEqual({ ok: true });
    expect([calls, renewals]).toEqual([2, 1]);
  });

  it('reports UNAUTHENTICATED when renewal is impossible', async () => {
    const client = new GraphqlHttpClient({ url: '/g', getAccessToken: async () => null, fetcher: async () => new Response('', { status: 401 }) });
    const error = await client.request('q').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphqlRequestError);
    expect((error as GraphqlRequestError).code).toBe('UNAUTHENTICATED');
  });
});

describe('runtime config (ui-config.json)', () => {
  const base = Object.freeze({
    graphqlHttpUrl: 'http://h/graphql/workstation', graphqlWsUrl: 'ws://h/graphql/workstation', oidcIssuer: 'http://h/identity',
    oidcClientId: 'orion-workstation', oidcScope: 'openid', redirectUri: 'http://h/', staleAfterMs: 5000,
  });

  it('overlays known string keys from the server', async () => {
    const { withRuntimeConfig } = await import('../src/config');
    const cfg = await withRuntimeConfig(base, async () => Response.json({ oidcIssuer: 'http://127.0.0.1:8001', staleAfterMs: 1, evil: 'x' }));
    expect(cfg.oidcIssuer).toBe('http://127.0.0.1:8001');
    expect(cfg.staleAfterMs).toBe(5000);
    expect('evil' in cfg).toBe(false);
  });

  it('keeps the build defaults when there is no file (SPA fallback answers HTML)', async () => {
    const { withRuntimeConfig } = await import('../src/config');
    const html = new Response('<!doctype html>', { headers: { 'content-type': 'text/html' } });
    expect(await withRuntimeConfig(base, async () => html)).toBe(base);
    expect(await withRuntimeConfig(base, async () => { throw new TypeError('offline'); })).toBe(base);
  });
});
