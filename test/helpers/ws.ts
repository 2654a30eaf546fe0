import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface ReceivedResult {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
}

export interface LiveSubscription {
  results: ReceivedResult[];
  /** Resolves when `count` results have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedResult[]>;
  /** Resolves with the upstream error or close event, or 'complete'. */
  ended: Promise<unknown>;
  client: Client;
  close(): Promise<void>;
}

/** The gateway's websocket URL for an HTTP GraphQL URL. */
export const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/** A real graphql-ws client subscribed to one operation, collecting what it receives. */
export function subscribe(url: string, query: string, options: { token?: string; variables?: Record<string, unknown> } = {}): LiveSubscription {
  let closeEvent: unknown;
  const client = createClient({
    url: wsUrl(url),
    webSocketImpl: WebSocket,
    connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : {},
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => (closeEvent = event) },
  });
  const results: ReceivedResult[] = [];
  const waiters: Array<() => void> = [];
  let settle: (value: unknown) => void;
  const ended = new Promise((resolve) => (settle = resolve));
  client.subscribe(
    { query, variables: options.variables },
    {
      next: (result) => {
        results.push(result as ReceivedResult);
        for (const wake of waiters.splice(0)) wake();
      },
      error: (error) => settle(error instanceof Error ? error : (closeEvent ?? error)),
      complete: () => settle('complete'),
    },
  );
  return {
    results,
    ended,
    client,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (results.length < count) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`Expected ${count} results, got ${results.length}: ${JSON.stringify(results)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return results.slice(0, count);
    },
    close: () => client.dispose() as Promise<void>,
  };
}

/**
 * The cursor of the caller's newest notification, once they have `count` of them: subscribing after it
 * gets everything that follows, however long the subscription takes to reach the subgraph.
 */
export async function cursorOnceThere(graphql: (query: string) => Promise<{ data?: Record<string, any> | null }>, count: number, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const edges: Array<{ cursor: string }> = (await graphql(`{ notifications(first: 100) { edges { cursor } } }`)).data?.notifications.edges ?? [];
    if (edges.length === count) return edges[0]!.cursor;
    if (edges.length > count || Date.now() > deadline) throw new Error(`Expected ${count} notifications, found ${edges.length}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
