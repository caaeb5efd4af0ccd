/** A tiny GraphQL-over-HTTP client for queries and mutations (subscriptions go over graphql-ws). */
import { GraphqlRequestError } from './errors';

export type Fetcher = (input: string, init: RequestInit) => Promise<Response>;

export interface GraphqlHttpClientOptions {
  url: string;
  getAccessToken: () => Promise<string | null>;
  fetcher?: Fetcher;
  /** Called on HTTP 401 so the app can renew the token; return true to retry once. */
  onUnauthorized?: () => Promise<boolean>;
}

interface GraphqlErrorShape {
  message?: string;
  extensions?: { code?: string; correlationId?: string; errorId?: string };
}

type Body<T> = { data?: T; errors?: GraphqlErrorShape[] } | null;

async function readBody<T>(response: Response): Promise<Body<T>> {
  return (await response.json().catch(() => null)) as Body<T>;
}

function isUnauthenticated(response: Response, body: Body<unknown>): boolean {
  return response.status === 401 || body?.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
}

export class GraphqlHttpClient {
  private readonly fetcher: Fetcher;

  constructor(private readonly options: GraphqlHttpClientOptions) {
    this.fetcher = options.fetcher ?? ((input, init) => fetch(input, init));
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response = await this.send(query, variables);
    let body = await readBody<T>(response);
    // The BFF answers an expired token with HTTP 401 or a GraphQL error coded UNAUTHENTICATED.
    if (isUnauthenticated(response, body) && this.options.onUnauthorized && (await this.options.onUnauthorized())) {
      response = await this.send(query, variables);
      body = await readBody<T>(response);
    }
    if (response.status === 401) throw new GraphqlRequestError('Not logged in', 'UNAUTHENTICATED');
    if (!body) throw new GraphqlRequestError(`HTTP ${response.status}`, `HTTP_${response.status}`);
    const first = body.errors?.[0];
    if (first) {
      throw new GraphqlRequestError(
        first.message ?? 'GraphQL error',
        first.extensions?.code ?? 'GRAPHQL_ERROR',
        first.extensions?.correlationId ?? first.extensions?.errorId ?? null,
      );
    }
    if (!body.data) throw new GraphqlRequestError('Empty response', 'EMPTY_RESPONSE');
    return body.data;
  }

  private async send(query: string, variables: Record<string, unknown>): Promise<Response> {
    const token = await this.options.getAccessToken();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
    };
    if (token) headers.authorization = `Bearer ${token}`;
    return this.fetcher(this.options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: 'same-origin',
    });
  }
}
