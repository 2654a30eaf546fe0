import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import { composeSupergraph } from '../../../lib/supergraph.ts';
import { resolvers, type Resolvers } from './resolvers.ts';

export interface SubgraphDefinition {
  name: string;
  sdl: string;
  resolvers: Resolvers;
}

/** The four subgraphs of the public benchmark: SDL files beside this one, resolvers in resolvers.ts. */
export const BENCH_SUBGRAPHS: SubgraphDefinition[] = (['accounts', 'inventory', 'products', 'reviews'] as const).map((name) => ({
  name,
  sdl: readFileSync(new URL(`./${name}.graphql`, import.meta.url), 'utf8'),
  resolvers: resolvers[name],
}));

/** Each subgraph answers at `<baseUrl>/<name>`, as in the public benchmark. */
export function composeBenchSupergraph(baseUrl: string, subgraphs = BENCH_SUBGRAPHS): string {
  return composeSupergraph(subgraphs.map(({ name, sdl }) => ({ name, sdl, url: `${baseUrl}/${name}` })));
}

export interface SubgraphStats {
  /** GraphQL requests received, all subgraphs together. */
  fetches: number;
  /** Requests that came without an `Authorization` header: a gateway that did not forward it. */
  withoutAuthorization: number;
  /** Requests without `x-request-id` (only Skillgraph's gateway sends one). */
  withoutRequestId: number;
  /** Distinct `Authorization` values seen: about one per client request when each is forwarded. */
  distinctAuthorizations: number;
}

export interface RunningBenchSubgraphs {
  baseUrl: string;
  /** What the subgraphs received since the last call, which starts a new count. */
  takeStats(): SubgraphStats;
  stop(): Promise<void>;
}

type CachedDocument = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };
const MAX_CACHED_DOCUMENTS = 1000;

/**
 * Serves subgraphs built with `buildSubgraphSchema` on one port, `/<name>` each, plus `GET /stats`
 * (what they received since the last read).
 * The HTTP layer is deliberately thin (one parse and validation per distinct operation, then
 * `execute`): the subgraphs share a core with the load generator and must not be what limits the
 * gateways under test.
 */
export async function startBenchSubgraphs(options: { port?: number; host?: string; subgraphs?: SubgraphDefinition[] } = {}): Promise<RunningBenchSubgraphs> {
  const schemas = new Map(
    (options.subgraphs ?? BENCH_SUBGRAPHS).map(({ name, sdl, resolvers }) => [`/${name}`, buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers }])]),
  );
  const documents = new Map<string, CachedDocument>();
  let stats = { fetches: 0, withoutAuthorization: 0, withoutRequestId: 0 };
  let authorizations = new Set<string>();
  const takeStats = (): SubgraphStats => {
    const taken = { ...stats, distinctAuthorizations: authorizations.size };
    stats = { fetches: 0, withoutAuthorization: 0, withoutRequestId: 0 };
    authorizations = new Set();
    return taken;
  };

  const documentFor = (schema: GraphQLSchema, query: string): CachedDocument => {
    let cached = documents.get(query);
    if (!cached) {
      try {
        const document = parse(query);
        const errors = validate(schema, document);
        cached = errors.length ? { errors } : { document };
      } catch (error) {
        cached = { errors: [error as GraphQLError] };
      }
      if (documents.size >= MAX_CACHED_DOCUMENTS) documents.clear();
      documents.set(query, cached);
    }
    return cached;
  };

  const answer = async (request: IncomingMessage, response: ServerResponse, schema: GraphQLSchema) => {
    const authorization = request.headers.authorization;
    stats.fetches++;
    if (authorization) authorizations.add(authorization);
    else stats.withoutAuthorization++;
    if (!request.headers['x-request-id']) stats.withoutRequestId++;

    const { query, variables, operationName } = JSON.parse(await readBody(request)) as { query: string; variables?: Record<string, unknown>; operationName?: string };
    const { document, errors } = documentFor(schema, query);
    const result = document ? await execute({ schema, document, variableValues: variables, operationName }) : { errors };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(result));
  };

  const server = createServer((request, response) => {
    const schema = schemas.get(request.url ?? '');
    if (request.method === 'GET' && request.url === '/stats') {
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end(JSON.stringify(takeStats()));
    }
    if (request.method !== 'POST' || !schema) {
      response.writeHead(404);
      return response.end();
    }
    answer(request, response, schema).catch(() => {
      response.writeHead(400);
      response.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    takeStats,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
