// The real graphql-ws client and ConnectionManager against a real graphql-transport-ws server on
// 127.0.0.1: token in connection_init, server dropped and restarted, subscription resumes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { ConnectionManager, type ConnectionStatus } from '../src/api/connection';
import { graphqlWsFactory } from '../src/api/wsClient';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'ok' } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      counter: {
        type: GraphQLInt,
        subscribe: async function* () {
          for (let i = 1; i <= 1_000; i += 1) {
            yield { counter: i };
            await new Promise((r) => setTimeout(r, 20));
          }
        },
      },
    },
  }),
});

interface Running { http: Server; wss: WebSocketServer; tokens: unknown[] }

async function startServer(port = 0): Promise<Running> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: '/graphql/workstation' });
  const tokens: unknown[] = [];
  useServer({ schema, onConnect: (ctx) => { tokens.push(ctx.connectionParams?.authorization); return ctx.connectionParams?.authorization === 'Bearer good'; } }, wss);
  await new Promise<void>((ok) => http.listen(port, '127.0.0.1', ok));
  return { http, wss, tokens };
}

async function stopServer(s: Running): Promise<void> {
  for (const client of s.wss.clients) client.terminate();
  await new Promise<void>((ok) => s.wss.close(() => ok()));
  await new Promise<void>((ok) => s.http.close(() => ok()));
}

const until = async (check: () => boolean, ms = 5_000) => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('ConnectionManager over a real graphql-transport-ws server', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

  it('sends the token, resumes the subscription after the server restarts', async () => {
    let server = await startServer();
    const port = (server.http.address() as AddressInfo).port;
    const statuses: ConnectionStatus[] = [];
    const values: number[] = [];
    let starts = 0;
    const manager = new ConnectionManager({
      createClient: graphqlWsFactory(`ws://127.0.0.1:${port}/graphql/workstation`, WebSocket),
      getAccessToken: async () => 'good',
      backoff: { stepsMs: [100, 200] },
    });
    cleanups.push(() => manager.stop());
    manager.onStatus((s) => statuses.push(s));
    manager.subscribe<{ counter: number }>('subscription { counter }', () => ({}), { onData: (d) => values.push(d.counter), onStart: () => (starts += 1) });
    manager.start();
    await until(() => values.length >= 3);
    expect(server.tokens).toEqual(['Bearer good']);

    await stopServer(server);
    await until(() => manager.getStatus() === 'reconnecting');
    const before = values.length;
    server = await startServer(port);
    const restarted = server;
    cleanups.push(() => stopServer(restarted));
    await until(() => manager.getStatus() === 'connected' && values.length > before + 2);
    expect(starts).toBe(2);
    // The new subscription starts from its beginning: the server's first message after the resubscribe.
    expect(values[before]).toBe(1);
    expect(statuses[0]).toBe('connecting');
    expect(statuses).toContain('reconnecting');
    expect(statuses.at(-1)).toBe('connected');
  });

  it('reports unauthorized when the server refuses the token and renewal fails', async () => {
    const server = await startServer();
    cleanups.push(() => stopServer(server));
    const port = (server.http.address() as AddressInfo).port;
    const manager = new ConnectionManager({
      createClient: graphqlWsFactory(`ws://127.0.0.1:${port}/graphql/workstation`, WebSocket),
      getAccessToken: async () => 'expired',
      onUnauthorized: async () => false,
      backoff: { stepsMs: [100] },
    });
    cleanups.push(() => manager.stop());
    manager.start();
    await until(() => manager.getStatus() === 'unauthorized');
    expect(server.tokens).toEqual(['Bearer expired']);
  });
});
