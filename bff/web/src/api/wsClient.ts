/** The real graphql-ws client factory (graphql-transport-ws protocol) used by the ConnectionManager. */
import { createClient } from 'graphql-ws';
import type { WsClientFactory, WsClientLike } from './connection';

/** `webSocketImpl` is for Node (tests); browsers use their own WebSocket. */
export function graphqlWsFactory(url: string, webSocketImpl?: unknown): WsClientFactory {
  return (hooks): WsClientLike => {
    const client = createClient({
      url,
      ...(webSocketImpl ? { webSocketImpl } : {}),
      lazy: false,
      retryAttempts: 0,
      keepAlive: 10_000,
      onNonLazyError: () => undefined,
      connectionParams: hooks.connectionParams,
      on: {
        connected: () => hooks.onConnected(),
        closed: (event) => {
          const close = event as { code?: number; reason?: string } | undefined;
          hooks.onClosed(close?.code, close?.reason);
        },
      },
    });
    return {
      subscribe: (payload, sink) => client.subscribe(payload, sink as never),
      dispose: () => client.dispose(),
    };
  };
}
