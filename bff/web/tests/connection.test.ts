import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backoff } from '../src/api/backoff';
import { ConnectionManager, type ConnectionStatus, type Sink, type WsClientHooks, type WsClientLike } from '../src/api/connection';

class FakeSocket implements WsClientLike {
  readonly subscriptions: Array<{ query: string; variables?: Record<string, unknown>; sink: Sink<{ data?: unknown }>; active: boolean }> = [];
  disposed = false;
  constructor(readonly hooks: WsClientHooks) {}
  subscribe<T>(payload: { query: string; variables?: Record<string, unknown> }, sink: Sink<{ data?: T | null }>): () => void {
    const entry = { ...payload, sink: sink as Sink<{ data?: unknown }>, active: true };
    this.subscriptions.push(entry);
    return () => {
      entry.active = false;
    };
  }
  dispose(): void {
    this.disposed = true;
  }
}

describe('Backoff', () => {
  it('follows the step schedule, repeats the last step and resets', () => {
    const backoff = new Backoff({ stepsMs: [500, 1_000, 2_000, 5_000] });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([500, 1_000, 2_000, 5_000, 5_000]);
    backoff.reset();
    expect(backoff.next()).toBe(500);
  });

  it('applies bounded jitter', () => {
    expect(new Backoff({ stepsMs: [1_000], jitter: 0.2, random: () => 0 }).next()).toBe(800);
    expect(new Backoff({ stepsMs: [1_000], jitter: 0.2, random: () => 1 }).next()).toBe(1_200);
  });
});

describe('ConnectionManager', () => {
  let sockets: FakeSocket[];
  let manager: ConnectionManager;
  let statuses: ConnectionStatus[];
  let tokens: string[];

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    statuses = [];
    tokens = ['t1', 't2', 't3', 't4', 't5'];
    manager = new ConnectionManager({
      createClient: (hooks) => {
        const socket = new FakeSocket(hooks);
        sockets.push(socket);
        return socket;
      },
      getAccessToken: async () => tokens.shift() ?? null,
      backoff: { stepsMs: [500, 1_000, 2_000] },
    });
    manager.onStatus((s) => statuses.push(s));
  });

  afterEach(() => {
    manager.stop();
    vi.useRealTimers();
  });

  const last = () => sockets[sockets.length - 1]!;

  it('sends the access token in connection_init params', async () => {
    manager.start();
    await expect(last().hooks.connectionParams()).resolves.toEqual({ authorization: 'Bearer t1' });
  });

  it('reconnects on the backoff schedule and resubscribes every subscription', () => {
    const data: unknown[] = [];
    let starts = 0;
    manager.start();
    manager.subscribe('subscription A', () => ({ ids: ['EURUSD'] }), { onData: (d) => data.push(d), onStart: () => (starts += 1) });
    expect(last().subscriptions).toHaveLength(0);
    last().hooks.onConnected();
    expect(manager.getStatus()).toBe('connected');
    expect(last().subscriptions).toHaveLength(1);
    expect(last().subscriptions[0]?.variables).toEqual({ ids: ['EURUSD'] });

    last().hooks.onClosed(1006, 'drop');
    expect(manager.getStatus()).toBe('reconnecting');
    expect(sockets[0]?.disposed).toBe(true);
    expect(sockets[0]?.subscriptions[0]?.active).toBe(false);
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);

    // The second attempt fails too: the next wait is longer.
    last().hooks.onClosed(1006, 'refused');
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);

    last().hooks.onConnected();
    expect(last().subscriptions).toHaveLength(1);
    expect(last().subscriptions[0]?.query).toBe('subscription A');
    expect(starts).toBe(2);
    last().subscriptions[0]?.sink.next({ data: { x: 1 } });
    expect(data).toEqual([{ x: 1 }]);
    expect(statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);

    // A good connection resets the schedule to the first step.
    last().hooks.onClosed(1006, 'drop');
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(4);
  });

  it('does not resubscribe a subscription that was unsubscribed', () => {
    manager.start();
    const handle = manager.subscribe('subscription A', () => ({}), { onData: () => undefined });
    last().hooks.onConnected();
    handle.unsubscribe();
    expect(last().subscriptions[0]?.active).toBe(false);
    last().hooks.onClosed(1006, 'drop');
    vi.advanceTimersByTime(500);
    last().hooks.onConnected();
    expect(last().subscriptions).toHaveLength(0);
  });

  it('asks for a token renewal on 4401 and stops as unauthorized when renewal fails', async () => {
    let renewals = 0;
    const m = new ConnectionManager({
      createClient: (hooks) => {
        const socket = new FakeSocket(hooks);
        sockets.push(socket);
        return socket;
      },
      getAccessToken: async () => 'x',
      onUnauthorized: async () => {
        renewals += 1;
        return renewals === 1;
      },
      backoff: { stepsMs: [500] },
    });
    m.start();
    last().hooks.onClosed(4401, 'Unauthorized');
    await vi.advanceTimersByTimeAsync(500);
    expect(sockets).toHaveLength(2);
    last().hooks.onClosed(4401, 'Unauthorized');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(m.getStatus()).toBe('unauthorized');
    expect(sockets).toHaveLength(2);
    m.stop();
  });

  it('ignores events from a socket it has already replaced', () => {
    manager.start();
    const first = last();
    manager.reconnectNow();
    first.hooks.onClosed(1006, 'late');
    first.hooks.onConnected();
    expect(manager.getStatus()).toBe('reconnecting');
    expect(sockets).toHaveLength(2);
  });
});
