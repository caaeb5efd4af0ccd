/**
 * Connection manager around graphql-ws: one socket, status for the indicator, reconnect with
 * backoff, and every registered subscription re-subscribed after a reconnect (the server then
 * sends a fresh snapshot first, which is how the market-data store resyncs).
 */
import { Backoff, type BackoffOptions } from './backoff';

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'unauthorized' | 'closed';

export interface Sink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/** The slice of a graphql-ws Client the manager needs (lets tests inject a fake). */
export interface WsClientLike {
  subscribe<T>(payload: { query: string; variables?: Record<string, unknown> }, sink: Sink<{ data?: T | null; errors?: readonly unknown[] }>): () => void;
  dispose(): void | Promise<void>;
}

export interface WsClientHooks {
  connectionParams: () => Promise<Record<string, unknown>>;
  onConnected: () => void;
  onClosed: (code: number | undefined, reason: string | undefined) => void;
}

export type WsClientFactory = (hooks: WsClientHooks) => WsClientLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ConnectionManagerOptions {
  createClient: WsClientFactory;
  /** Access token for connection_init; may refresh it first. Null means "not logged in". */
  getAccessToken: () => Promise<string | null>;
  /** Called when the server rejects the token (close 4401/4403) so the app can renew or log in again. */
  onUnauthorized?: () => Promise<boolean>;
  backoff?: BackoffOptions;
  timers?: Timers;
}

export interface SubscriptionHandle {
  unsubscribe(): void;
  /** Start again with the current variables (watchlist changed, or a resync is needed). */
  restart(): void;
}

interface Registration {
  query: string;
  variables: () => Record<string, unknown>;
  onData: (data: unknown) => void;
  onError: (message: string) => void;
  /** Called each time the subscription is (re)started on a fresh socket. */
  onStart?: () => void;
  dispose: (() => void) | null;
}

const AUTH_CLOSE_CODES = new Set([4401, 4403]);

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class ConnectionManager {
  private status: ConnectionStatus = 'idle';
  private readonly statusListeners = new Set<(status: ConnectionStatus) => void>();
  private readonly registrations = new Set<Registration>();
  private readonly backoff: Backoff;
  private readonly timers: Timers;
  private client: WsClientLike | null = null;
  private retryTimer: unknown = null;
  private generation = 0;
  private stopped = true;
  /** Delay chosen for the pending reconnect, for the indicator ("retrying in 2s"). */
  nextRetryMs: number | null = null;

  constructor(private readonly options: ConnectionManagerOptions) {
    this.backoff = new Backoff(options.backoff);
    this.timers = options.timers ?? defaultTimers;
  }

  getStatus = (): ConnectionStatus => this.status;

  onStatus = (listener: (status: ConnectionStatus) => void): (() => void) => {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  };

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open('connecting');
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry();
    this.teardownClient();
    this.setStatus('closed');
  }

  /** Drop the socket and reconnect at once (after login, token change or a manual retry). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.cancelRetry();
    this.backoff.reset();
    this.teardownClient();
    this.open('reconnecting');
  }

  subscribe<T>(
    query: string,
    variables: () => Record<string, unknown>,
    handlers: { onData: (data: T) => void; onError?: (message: string) => void; onStart?: () => void },
  ): SubscriptionHandle {
    const registration: Registration = {
      query,
      variables,
      onData: handlers.onData as (data: unknown) => void,
      onError: handlers.onError ?? (() => undefined),
      dispose: null,
    };
    if (handlers.onStart) registration.onStart = handlers.onStart;
    this.registrations.add(registration);
    if (this.status === 'connected') this.startRegistration(registration);
    return {
      unsubscribe: () => {
        registration.dispose?.();
        registration.dispose = null;
        this.registrations.delete(registration);
      },
      restart: () => {
        if (this.registrations.has(registration) && this.status === 'connected') this.startRegistration(registration);
      },
    };
  }

  /** Restart every subscription on the current socket (used after a gap when a resync is needed). */
  resubscribeAll(): void {
    if (this.status !== 'connected') return;
    for (const registration of this.registrations) this.startRegistration(registration);
  }

  private open(status: ConnectionStatus): void {
    const generation = ++this.generation;
    this.setStatus(status);
    this.client = this.options.createClient({
      connectionParams: async () => {
        const token = await this.options.getAccessToken();
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      onConnected: () => {
        if (generation !== this.generation) return;
        this.backoff.reset();
        this.nextRetryMs = null;
        this.setStatus('connected');
        for (const registration of this.registrations) this.startRegistration(registration);
      },
      onClosed: (code) => {
        if (generation !== this.generation || this.stopped) return;
        void this.handleClosed(code);
      },
    });
  }

  private async handleClosed(code: number | undefined): Promise<void> {
    const generation = this.generation;
    this.teardownClient();
    if (code !== undefined && AUTH_CLOSE_CODES.has(code)) {
      const renewed = this.options.onUnauthorized ? await this.options.onUnauthorized() : false;
      if (generation !== this.generation || this.stopped) return;
      if (!renewed) {
        this.setStatus('unauthorized');
        return;
      }
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.cancelRetry();
    const delay = this.backoff.next();
    this.nextRetryMs = delay;
    this.setStatus('reconnecting');
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.open('reconnecting');
    }, delay);
  }

  private startRegistration(registration: Registration): void {
    registration.dispose?.();
    const client = this.client;
    if (!client) return;
    registration.onStart?.();
    registration.dispose = client.subscribe(
      { query: registration.query, variables: registration.variables() },
      {
        next: (result) => {
          if (result.errors && result.errors.length > 0) registration.onError(describeErrors(result.errors));
          if (result.data) registration.onData(result.data);
        },
        error: (error) => registration.onError(describeErrors([error])),
        complete: () => undefined,
      },
    );
  }

  private teardownClient(): void {
    for (const registration of this.registrations) {
      registration.dispose?.();
      registration.dispose = null;
    }
    const client = this.client;
    this.client = null;
    // graphql-ws's dispose() rejects when the socket closed before the ack: nothing left to clean up then.
    if (client) void Promise.resolve(client.dispose()).catch(() => undefined);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }
}

function describeErrors(errors: readonly unknown[]): string {
  return errors
    .map((error) => (error && typeof error === 'object' && 'message' in error ? String(error.message) : String(error)))
    .join('; ');
}
