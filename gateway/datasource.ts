import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { REQUEST_ID_HEADER } from '../lib/http.ts';
import type { SubgraphFetcher, SubgraphResponse } from './fetcher.ts';
import type { GatewayContext } from './index.ts';

type Response = Awaited<ReturnType<GraphQLDataSource['process']>>;
/** `GraphQLDataSourceRequestKind.INCOMING_OPERATION`: the enum is not exported from the package's ESM entry. */
export const INCOMING_OPERATION = 'incoming operation';

interface CachePolicy {
  restrict(hint: { maxAge?: number; scope?: 'PUBLIC' | 'PRIVATE' }): void;
}

/**
 * A subgraph as the gateway calls it: what Apollo Gateway's `RemoteGraphQLDataSource` does, with the
 * caller's `Authorization` and the request id forwarded, on the gateway's undici client and without
 * the WHATWG `Headers` and `Request` objects it builds for every fetch.
 *
 * Kept as Apollo's: the request body, a subgraph's `Cache-Control` restricting the answer's cache
 * policy (what the response cache goes by), a non-2xx answer becoming the error `<status>: <reason>`
 * with the response in `extensions.response` (UNAUTHENTICATED on 401, FORBIDDEN on 403), and a body
 * that is not a JSON object failing the fetch. `test/gateway-fetches.test.ts` holds it to Apollo's
 * answers byte for byte.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly url: string,
    private readonly fetcher: SubgraphFetcher,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<Response> {
    const { request } = options;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const context = options.context as Partial<GatewayContext>;
    // The gateway's own schema fetches and health checks carry no caller.
    if (context && 'requestId' in context) {
      headers[REQUEST_ID_HEADER] = context.requestId!;
      if (context.authorization) headers.authorization = context.authorization;
    }
    const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName });
    const response = await this.fetcher(this.url, { method: 'POST', headers, body });
    if (!response.ok) throw await errorFromResponse(response);
    const parsed = await parseBody(response);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`Expected JSON response body, but received: ${parsed}`);

    const policy = options.kind === INCOMING_OPERATION ? (options.incomingRequestContext.overallCachePolicy as CachePolicy | undefined) : undefined;
    if (policy && 'restrict' in policy) policy.restrict(cacheHint(response.headers.get('cache-control')));
    return parsed as Response;
  }
}

function parseBody(response: SubgraphResponse): Promise<unknown> {
  const contentType = response.headers.get('content-type');
  const json = contentType && (contentType.startsWith('application/json') || contentType.startsWith('application/graphql-response+json'));
  return json ? response.json() : response.text();
}

async function errorFromResponse(response: SubgraphResponse): Promise<GraphQLError> {
  const extensions: Record<string, unknown> = {
    response: { url: response.url, status: response.status, statusText: response.statusText, body: await parseBody(response) },
  };
  if (response.status === 401) extensions.code = 'UNAUTHENTICATED';
  else if (response.status === 403) extensions.code = 'FORBIDDEN';
  return new GraphQLError(`${response.status}: ${response.statusText}`, { extensions });
}

/** A subgraph's `Cache-Control` as a cache hint: `max-age` (0 when absent), and `public` or `private` (public wins). */
function cacheHint(header: string | null): { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } {
  const directives = new Map<string, string | true>();
  for (const part of header ? header.trim().split(/\s*,\s*/) : []) {
    const [name, value] = part.split(/\s*=\s*/, 2);
    directives.set(name!, value === undefined ? true : value.replace(/^"|"$/g, ''));
  }
  const maxAge = directives.get('max-age');
  const hint: { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } = { maxAge: typeof maxAge === 'string' && /^[0-9]+$/.test(maxAge) ? Number(maxAge) : 0 };
  if (directives.get('public') === true) hint.scope = 'PUBLIC';
  else if (directives.get('private') === true) hint.scope = 'PRIVATE';
  return hint;
}
