import { STATUS_CODES } from 'node:http';
import { Agent } from 'undici';

/** The request `RemoteGraphQLDataSource` makes: always a POST of a JSON string. */
export interface SubgraphRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The part of a fetch `Response` that `RemoteGraphQLDataSource` reads. */
export interface SubgraphResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export interface SubgraphFetcher {
  (url: string, init?: SubgraphRequestInit): Promise<SubgraphResponse>;
  close(): Promise<void>;
}

/**
 * The gateway's HTTP client for subgraph fetches: undici's `request` on a keep-alive agent, returning
 * only what `RemoteGraphQLDataSource` reads. Global `fetch` runs on the same undici, but builds WHATWG
 * Request, Response, Headers and streams for every call; on a plan of a dozen fetches that machinery
 * was the largest single cost of a gateway request. Subgraph URLs are few, so each is parsed once.
 */
export function createSubgraphFetcher(options: { timeoutMs: number }): SubgraphFetcher {
  // A subgraph that does not answer within the timeout (headers, or the body after them) fails the fetch.
  const agent = new Agent({ keepAliveTimeout: 60_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  const targets = new Map<string, { origin: string; path: string }>();
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      targets.set(url, target);
    }
    return target;
  };

  const fetcher = async (url: string, init: SubgraphRequestInit = {}): Promise<SubgraphResponse> => {
    const { statusCode, headers, body } = await agent.request({
      ...targetOf(url),
      method: (init.method ?? 'GET') as 'POST',
      headers: init.headers,
      body: init.body,
    });
    return {
      ok: statusCode >= 200 && statusCode < 300,
      status: statusCode,
      // undici does not expose the reason phrase; a subgraph's is the standard one in practice.
      statusText: STATUS_CODES[statusCode] ?? '',
      url,
      headers: {
        get(name) {
          const value = headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
      },
      json: () => body.json(),
      text: () => body.text(),
    };
  };
  return Object.assign(fetcher, { close: () => agent.close() });
}
