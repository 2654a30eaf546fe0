import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What readiness depends on, by name: `/ready` answers 503 naming whatever is not ready. */
export type ReadinessChecks = Record<string, () => Promise<boolean> | boolean>;

export interface ServiceHttpOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds the GraphQL context; may throw a GraphQLError (e.g. a bad token), which Apollo reports. */
  context: (request: IncomingMessage, requestId: string) => Promise<TContext>;
  readiness: ReadinessChecks;
  metrics: Metrics;
  logger: Logger;
  /** Largest accepted request body; larger ones get 413 before any parsing. */
  maxBodyBytes?: number;
  /** More GET pages by path, e.g. the gateway's `/explorer`. */
  pages?: Record<string, () => Promise<{ contentType: string; body: string }>>;
}

export interface ServiceHttp {
  server: Server;
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, lets requests in flight finish, then closes every socket. */
  close(): Promise<void>;
}

/**
 * GraphQL over HTTP at `/graphql` plus `/health`, `/ready` and `/metrics`, on Node's own HTTP server.
 * Apollo Server's framework-neutral `executeHTTPGraphQLRequest` does the GraphQL part; a framework
 * would add a routing layer and per-request cost on the gateway's hot path for four routes.
 */
export function createServiceHttp<TContext extends BaseContext>(options: ServiceHttpOptions<TContext>): ServiceHttp {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = routeOf(url.pathname, options.pages);
    response.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      options.metrics.httpRequests.observe({ route, status: String(response.statusCode) }, seconds);
    });
    switch (route) {
      case '/health':
        return sendJson(response, 200, { status: 'ok' });
      case '/ready':
        return sendReadiness(response, options.readiness);
      case '/metrics':
        response.setHeader('content-type', options.metrics.registry.contentType);
        return response.end(await options.metrics.registry.metrics());
      case '/graphql':
        return handleGraphQL(request, response, url, options, maxBodyBytes);
      case 'other':
        return sendJson(response, 404, { error: 'Not found' });
      default: {
        const page = await options.pages![route]!();
        response.setHeader('content-type', page.contentType);
        return response.end(page.body);
      }
    }
  };

  // Requests being handled, also those whose client has gone: shutdown waits for them, since what
  // they still do (the next fetches of a plan) needs the clients closed after the server.
  let running = 0;
  let idle: (() => void) | undefined;
  const server = createServer((request, response) => {
    running++;
    handle(request, response)
      .catch((error: unknown) => {
        options.logger.error({ err: error }, 'request failed');
        if (!response.headersSent) sendJson(response, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
        else response.destroy();
      })
      .finally(() => {
        if (--running === 0) idle?.();
      });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (!server.listening) return resolve();
        const closed = new Promise<void>((done) => server.close(() => done()));
        const drained = running === 0 ? Promise.resolve() : new Promise<void>((done) => (idle = done));
        server.closeIdleConnections();
        // Requests still running after a grace period are cut rather than holding shutdown forever.
        const grace = setTimeout(() => {
          server.closeAllConnections();
          idle?.();
        }, 5_000);
        grace.unref();
        void Promise.all([closed, drained]).then(() => {
          clearTimeout(grace);
          resolve();
        });
      }),
  };
}

/** The route a path serves, or 'other': also the `route` label of the HTTP metric, so its values stay few. */
function routeOf(pathname: string, pages: ServiceHttpOptions<BaseContext>['pages']): string {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  return ['/health', '/ready', '/metrics', '/graphql'].includes(path) || (pages && path in pages) ? path : 'other';
}

async function handleGraphQL<TContext extends BaseContext>(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  options: ServiceHttpOptions<TContext>,
  maxBodyBytes: number,
) {
  const requestId = headerValue(request.headers[REQUEST_ID_HEADER]) ?? randomUUID();
  response.setHeader(REQUEST_ID_HEADER, requestId);

  const raw = await readBody(request, maxBodyBytes);
  if (raw === undefined) return sendJson(response, 413, { errors: [{ message: `Request body larger than ${maxBodyBytes} bytes` }] });

  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown = raw;
  if (raw.length > 0 && (headers.get('content-type') ?? '').toLowerCase().includes('json')) {
    try {
      body = JSON.parse(raw);
    } catch {
      return sendJson(response, 400, { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    }
  }

  const result = await options.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: (request.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
    context: () => options.context(request, requestId),
  });

  response.statusCode = requestErrorStatus(result.status ?? 200, result.headers.get('content-type'), result.body);
  for (const [name, value] of result.headers) response.setHeader(name, value);
  // One UTF-8 encoding of the answer: given a string, Node would measure it for Content-Length, then encode it.
  if (result.body.kind === 'complete') return response.end(Buffer.from(result.body.string));
  for await (const chunk of result.body.asyncIterator) response.write(chunk);
  response.end();
}

const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/**
 * GraphQL over HTTP: a client that accepts only `application/json` SHOULD get 200 for a well-formed
 * request whose document does not parse or validate or whose variables do not coerce, the errors
 * being in the body. Apollo Server answers 400, right for `application/graphql-response+json` only,
 * where it stays.
 */
function requestErrorStatus(status: number, contentType: string | undefined, body: { kind: string; string?: string }): number {
  if (status !== 400 || !contentType?.startsWith('application/json') || body.kind !== 'complete') return status;
  try {
    const parsed = JSON.parse(body.string!) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
    const requestErrors = parsed.data === undefined && parsed.errors?.length && parsed.errors.every((error) => REQUEST_ERROR_CODES.has(error.extensions?.code ?? ''));
    return requestErrors ? 200 : status;
  } catch {
    return status;
  }
}

function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function sendReadiness(response: ServerResponse, checks: ReadinessChecks) {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await Promise.resolve(check()).catch(() => false)] as const),
  );
  const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
  sendJson(response, failing.length ? 503 : 200, failing.length ? { status: 'not ready', failing } : { status: 'ready' });
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
