import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  body: string;
  /** A fresh `Authorization` for every request, so no two requests look alike to a gateway. */
  authorization: () => string;
  seconds: number;
  connections: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx answers, socket errors and timeouts. */
  failures: number;
}

/** Closed-loop load with autocannon: `connections` clients, each sending its next request as soon as it has an answer. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    connections: options.connections,
    duration: options.seconds,
    headers: { 'content-type': 'application/json' },
    body: options.body,
    requests: [
      {
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: options.authorization() } }),
      },
    ],
  });
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
