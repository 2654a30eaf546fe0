import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchingDataSource } from '../gateway/batching.ts';
import { planExecutingGateway } from '../gateway/execution.ts';
import { createSubgraphFetcher, type SubgraphFetcher } from '../gateway/fetcher.ts';
import { SubgraphDataSource } from '../gateway/datasource.ts';
import type { GatewayContext } from '../gateway/index.ts';
import { formatError } from '../lib/errors.ts';
import { composeSupergraph } from '../lib/supergraph.ts';
import { BENCH_SUBGRAPHS, startBenchSubgraphs, type RunningBenchSubgraphs, type SubgraphDefinition } from '../bench/gateways/subgraphs/server.ts';
import { TEST_QUERY } from '../bench/gateways/test-query.ts';

/**
 * The gateway's subgraph fetches (undici client, merging, deduplicated representations) against
 * Apollo Gateway's stock `RemoteGraphQLDataSource` on global fetch: the same operations through both,
 * over the public benchmark's subgraphs plus two that fail on purpose (in GraphQL, and over HTTP), must
 * give byte-identical answers. The gateway's own plan executor runs the optimised side.
 */

/** Product fields that fail: an error per entity, a non-null field nulling its entity, an entity that does not exist. */
const faults: SubgraphDefinition = {
  name: 'faults',
  sdl: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
    type Query { failing: String }
    type Product @key(fields: "upc") {
      upc: String!
      flaky: String
      strict: String!
    }
  `,
  resolvers: {
    Query: {
      failing: () => {
        throw new GraphQLError('Root field failed', { extensions: { code: 'NOT_FOUND' } });
      },
    },
    Product: {
      // Product 3 is unknown here: a null in the middle of the `_entities` list.
      __resolveReference: ({ upc }: { upc: string }) => (upc === '3' ? null : { upc }),
      flaky: ({ upc }: { upc: string }) => {
        if (upc === '2') throw new GraphQLError(`Product ${upc} is flaky`, { extensions: { code: 'BAD_USER_INPUT' } });
        return `flaky ${upc}`;
      },
      strict: ({ upc }: { upc: string }) => {
        if (upc === '1') throw new GraphQLError('Strict failed', { extensions: { code: 'FORBIDDEN' } });
        return `strict ${upc}`;
      },
    },
  },
};

/**
 * Abstract types across subgraphs: an entity interface with its implementations in `media`, seen by
 * `ratings` as an `@interfaceObject` (the planner's input rewrites of `__typename`), a union whose
 * members are entities (type conditions in `requires`), and a field the planner must alias in a
 * fetch and rename back (an output rewrite).
 */
type Item = { id: string; kind: 'Book' | 'Movie'; title: string; pages?: number; minutes?: number };
const ITEMS: Item[] = [
  { id: '1', kind: 'Book', title: 'Dune', pages: 412 },
  { id: '2', kind: 'Movie', title: 'Alien', minutes: 117 },
  { id: '3', kind: 'Book', title: 'Emma', pages: 474 },
  { id: '4', kind: 'Movie', title: 'Heat', minutes: 170 },
];
const itemById = (id: string) => ITEMS.find((item) => item.id === id) ?? null;
const media: SubgraphDefinition = {
  name: 'media',
  sdl: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
    interface Media @key(fields: "id") { id: ID! title: String }
    type Book implements Media @key(fields: "id") { id: ID! title: String! @shareable pages: Int }
    type Movie implements Media @key(fields: "id") { id: ID! title: String minutes: Int }
    union SearchResult = Book | Movie
    type Query { media: [Media!]! search: [SearchResult!]! }
  `,
  resolvers: {
    Query: { media: () => ITEMS, search: () => [...ITEMS].reverse() },
    Media: { __resolveType: (item: Item) => item.kind, __resolveReference: ({ id }: { id: string }) => itemById(id) },
    SearchResult: { __resolveType: (item: Item) => item.kind },
    Book: { __resolveReference: ({ id }: { id: string }) => itemById(id) },
    Movie: { __resolveReference: ({ id }: { id: string }) => itemById(id) },
  },
};
/** Book.title nullable here, non-null in media: the planner aliases one of two `title`s in a media fetch and renames it back. */
const shelf: SubgraphDefinition = {
  name: 'shelf',
  sdl: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
    type Book @key(fields: "id") { id: ID! title: String @shareable }
  `,
  resolvers: { Book: { __resolveReference: ({ id }: { id: string }) => itemById(id) } },
};
const ratings: SubgraphDefinition = {
  name: 'ratings',
  sdl: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@interfaceObject"])
    type Media @key(fields: "id") @interfaceObject { id: ID! stars: Int! }
    type Query { topRated: [Media!]! }
  `,
  resolvers: {
    Query: { topRated: () => [{ id: '4' }, { id: '1' }, { id: '9' }] },
    Media: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      stars: ({ id }: { id: string }) => Number(id) * 2,
    },
  },
};

/** A subgraph that fails over HTTP: 401 with a JSON body, 503 with a text body, and 200 with JSON that is not an object. */
const BROKEN_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Query { unauthorized: String outage: String notAnObject: String }
`;

async function startBrokenSubgraph(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const query = (JSON.parse(body) as { query: string }).query;
      if (query.includes('unauthorized')) {
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errors: [{ message: 'Who are you?' }] }));
      } else if (query.includes('outage')) {
        response.writeHead(503, { 'content-type': 'text/plain' });
        response.end('Down for maintenance');
      } else {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('[1]');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const CASES: Array<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  { name: 'the benchmark query', query: TEST_QUERY },
  { name: 'variables', query: 'query U($id: ID!) { user(id: $id) { name reviews { body product { name inStock shippingEstimate } } } }', variables: { id: '1' } },
  { name: 'a null root field', query: 'query U($id: ID!) { user(id: $id) { name reviews { id } } }', variables: { id: '99' } },
  {
    name: 'aliases and fragments',
    query: '{ a: topProducts(first: 2) { upc n: name ...P } b: topProducts(first: 9) { upc shippingEstimate ...P } } fragment P on Product { price weight inStock }',
  },
  { name: '@include', query: 'query Q($with: Boolean!) { topProducts { name inStock @include(if: $with) reviews @skip(if: $with) { id author { name } } } }', variables: { with: true } },
  { name: '@skip', query: 'query Q($with: Boolean!) { topProducts { name inStock @include(if: $with) reviews @skip(if: $with) { id author { name } } } }', variables: { with: false } },
  { name: 'entity errors, a nulled entity and a null in the entity list', query: '{ topProducts(first: 9) { upc name flaky strict } }' },
  { name: 'errors in fetches merged together', query: '{ a: topProducts(first: 9) { upc flaky inStock } b: topProducts(first: 4) { upc strict inStock } }' },
  { name: 'errors at repeated representations', query: '{ users { id reviews { product { upc strict inStock } } } me { reviews { product { flaky } } } }' },
  { name: 'a failing root field beside others', query: '{ failing users { name } topProducts { flaky } }' },
  { name: 'a validation error', query: '{ users { nope } }' },
  { name: 'a missing variable', query: 'query U($id: ID!) { user(id: $id) { name } }' },
  { name: 'an interface entity and an @interfaceObject', query: '{ media { __typename id title stars ... on Book { pages } ... on Movie { minutes } } }' },
  { name: 'union members as entities', query: '{ search { __typename ... on Book { title stars } ... on Movie { minutes stars } } }' },
  { name: 'fields aliased by the planner and renamed back', query: '{ topRated { id ... on Book { title } ... on Movie { title } } }' },
  { name: 'from an @interfaceObject to its implementations, one missing', query: '{ topRated { id stars title ... on Book { pages } ... on Movie { minutes } } }' },
  { name: 'a subgraph answering 401', query: '{ unauthorized users { name } }' },
  { name: 'a subgraph answering 503 in text', query: '{ outage topProducts { name } }' },
  { name: 'a subgraph answering JSON that is not an object', query: '{ notAnObject }' },
  { name: 'introspection beside federated fields', query: '{ __type(name: "Product") { name fields { name } } topProducts(first: 1) { name __typename } }' },
  { name: '__typename and a fragment on the root', query: 'query { __typename ... on Query { me { name __typename } } }' },
];

/** Stock Apollo Gateway's data source, forwarding what the gateway forwards: the reference answers. */
class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
    if (!('requestId' in context)) return;
    request.http?.headers.set('x-request-id', context.requestId);
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
  }
}

let subgraphs: RunningBenchSubgraphs;
let broken: Awaited<ReturnType<typeof startBrokenSubgraph>>;
let stock: ApolloServer<GatewayContext>;
let optimised: ApolloServer<GatewayContext>;
let fetcher: SubgraphFetcher;

async function serve(supergraphSdl: string, dataSource: (url: string) => GraphQLDataSource<GatewayContext>, options: { planExecutor?: boolean } = {}) {
  const gateway = new ApolloGateway({ supergraphSdl, buildService: ({ url }) => dataSource(url!) });
  const server = new ApolloServer<GatewayContext>({
    gateway: options.planExecutor ? planExecutingGateway(gateway, ({ url }) => dataSource(url) as GraphQLDataSource<object>) : gateway,
    formatError,
    includeStacktraceInErrorResponses: false,
  });
  await server.start();
  return server;
}

async function answer(server: ApolloServer<GatewayContext>, query: string, variables?: Record<string, unknown>) {
  const context: GatewayContext = { requestId: randomUUID(), authorization: `Bearer ${randomUUID()}`, userId: null, clientIp: '127.0.0.1' };
  const response = await server.executeOperation({ query, variables }, { contextValue: context });
  return JSON.stringify(response.body);
}

beforeAll(async () => {
  const definitions = [...BENCH_SUBGRAPHS, faults, media, shelf, ratings];
  subgraphs = await startBenchSubgraphs({ subgraphs: definitions });
  broken = await startBrokenSubgraph();
  const supergraphSdl = composeSupergraph([
    ...definitions.map(({ name, sdl }) => ({ name, sdl, url: `${subgraphs.baseUrl}/${name}` })),
    { name: 'broken', sdl: BROKEN_SDL, url: broken.url },
  ]);
  fetcher = createSubgraphFetcher({ timeoutMs: 10_000 });
  stock = await serve(supergraphSdl, (url) => new ForwardingDataSource({ url }));
  optimised = await serve(supergraphSdl, (url) => new BatchingDataSource(new SubgraphDataSource(url, fetcher)), { planExecutor: true });
});

afterAll(async () => {
  await Promise.all([stock?.stop(), optimised?.stop()]);
  await fetcher?.close();
  await subgraphs?.stop();
  await broken?.close();
});

describe('subgraph fetches', () => {
  it.each(CASES)('answers $name exactly as stock Apollo Gateway does', async ({ query, variables }) => {
    const expected = await answer(stock, query, variables);
    subgraphs.takeStats();
    const actual = await answer(optimised, query, variables);
    const stats = subgraphs.takeStats();

    expect(actual).toBe(expected);
    expect(stats.withoutAuthorization).toBe(0);
    expect(stats.withoutRequestId).toBe(0);
  });

  it('answers concurrent requests each with its own data and in fewer fetches', async () => {
    subgraphs.takeStats();
    const expected = await answer(stock, TEST_QUERY);
    const stockFetches = subgraphs.takeStats().fetches;

    const answers = await Promise.all(Array.from({ length: 20 }, () => answer(optimised, TEST_QUERY)));
    const stats = subgraphs.takeStats();

    for (const actual of answers) expect(actual).toBe(expected);
    // Requests are never merged with each other: every fetch carries one request's token.
    expect(stats.distinctAuthorizations).toBe(20);
    expect(stats.fetches).toBeLessThan(20 * stockFetches);
  });
});
