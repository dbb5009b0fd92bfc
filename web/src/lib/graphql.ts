/**
 * GraphQL over HTTP (POST) for queries, and `graphql-transport-ws` (graphql-ws) for
 * subscriptions, against the gateway named in config.json.
 */
import { createClient, type Client } from 'graphql-ws';

export interface GqlErrorItem {
  message: string;
  extensions?: { code?: string } & Record<string, unknown>;
}

export class GqlError extends Error {
  readonly code: string | null;
  readonly errors: GqlErrorItem[];

  constructor(errors: GqlErrorItem[]) {
    const first = errors[0];
    super(first ? first.message : 'GraphQL error');
    this.name = 'GqlError';
    this.errors = errors;
    this.code = first?.extensions?.code ?? null;
  }
}

export type Variables = Record<string, unknown>;

export interface GraphQLClient {
  query<T>(query: string, variables?: Variables, signal?: AbortSignal): Promise<T>;
  /** Subscribes; returns the function that ends the subscription. */
  subscribe<T>(
    query: string,
    variables: Variables,
    handlers: { next: (data: T) => void; error?: (e: unknown) => void; complete?: () => void },
  ): () => void;
  dispose(): void;
  /** The gateway session (`Authorization: Bearer`) for HTTP and new WebSocket connections. */
  setToken(token: string | null): void;
}

/** Field errors that only hide private fields from a caller who is not signed in as a party. */
const PRIVACY_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

export function createGraphQLClient(httpUrl: string, wsUrl: string, fetchImpl: typeof fetch = fetch): GraphQLClient {
  let ws: Client | null = null;
  let token: string | null = null;
  const wsClient = (): Client => {
    if (!ws) {
      ws = createClient({
        url: wsUrl,
        connectionParams: () => (token ? { Authorization: `Bearer ${token}` } : {}),
        lazy: true,
        retryAttempts: Number.POSITIVE_INFINITY,
        shouldRetry: () => true,
        keepAlive: 10_000,
      });
    }
    return ws;
  };

  return {
    async query<T>(query: string, variables: Variables = {}, signal?: AbortSignal): Promise<T> {
      const resp = await fetchImpl(httpUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal,
      });
      let body: { data?: T | null; errors?: GqlErrorItem[] };
      try {
        body = (await resp.json()) as typeof body;
      } catch {
        throw new GqlError([{ message: `GraphQL answered HTTP ${resp.status}`, extensions: { code: 'HTTP' } }]);
      }
      if (body.errors && body.errors.length > 0) {
        // Private fields come back null with a field error for others: the rest is the answer.
        const onlyPrivacy = body.errors.every((e) => PRIVACY_CODES.has(e.extensions?.code ?? ''));
        const partial = body.data !== undefined && body.data !== null && onlyPrivacy && body.errors.every((e) => 'path' in e);
        if (!partial) throw new GqlError(body.errors);
      }
      if (!resp.ok || body.data === undefined || body.data === null) {
        throw new GqlError([{ message: `GraphQL answered HTTP ${resp.status}`, extensions: { code: 'HTTP' } }]);
      }
      return body.data;
    },

    subscribe<T>(
      query: string,
      variables: Variables,
      handlers: { next: (data: T) => void; error?: (e: unknown) => void; complete?: () => void },
    ): () => void {
      return wsClient().subscribe<T>(
        { query, variables },
        {
          next: (msg) => {
            if (msg.errors && msg.errors.length > 0) {
              handlers.error?.(new GqlError(msg.errors as GqlErrorItem[]));
              return;
            }
            if (msg.data) handlers.next(msg.data as T);
          },
          error: (e) => handlers.error?.(e),
          complete: () => handlers.complete?.(),
        },
      );
    },

    dispose(): void {
      void ws?.dispose();
      ws = null;
    },

    setToken(next: string | null): void {
      if (next === token) return;
      token = next;
      // New connections carry the new session; live subscriptions are re-made by their hooks.
      void ws?.dispose();
      ws = null;
    },
  };
}
