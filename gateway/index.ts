import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { ApolloGateway } from '@apollo/gateway';
import { GraphQLError, print, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { observabilityPlugin } from '../lib/apollo-plugins.ts';
import { bearerToken } from '../lib/auth.ts';
import { DEFAULT_PORTS, type SubgraphName } from '../lib/config.ts';
import { ErrorCode, formatError } from '../lib/errors.ts';
import { createServiceHttp, headerValue, REQUEST_ID_HEADER } from '../lib/http.ts';
import { createMetrics, type Metrics } from '../lib/metrics.ts';
import { once } from '../lib/once.ts';
import type { Runtime } from '../lib/runtime.ts';
import { SUPERGRAPH_FILE } from '../lib/supergraph.ts';
import { serveGraphQLOverWebSocket } from '../lib/websocket.ts';
import { keyValueCache } from './caching.ts';
import { explorerPage } from './explorer.ts';
import { operationLimitRules } from './limits.ts';
import { createRateLimiter, rateLimitPlugin } from './rate-limit.ts';
import { BatchingDataSource } from './batching.ts';
import { SubgraphDataSource } from './datasource.ts';
import { createSubgraphFetcher, type SubgraphFetcher, type SubgraphRequestInit } from './fetcher.ts';
import { planExecutingGateway } from './execution.ts';
import { createSubscriptionExecutor } from './subscriptions.ts';

// The gateway never calls out to anyone: no telemetry, no usage or schema reporting.
process.env.APOLLO_TELEMETRY_DISABLED = '1';

export interface GatewayContext {
  requestId: string;
  /** The caller's `Authorization` header, forwarded as is: each subgraph verifies it itself. */
  authorization: string | undefined;
  userId: string | null;
  /** Who the rate limit counts an anonymous caller as. */
  clientIp: string;
}

export interface StartGatewayOptions {
  port?: number;
  /** Subgraph URLs that win over both the supergraph's and `<NAME>_URL` (tests on random ports). */
  subgraphUrls?: Partial<Record<SubgraphName, string>>;
}

export interface RunningGateway {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A subgraph's fetches, timed into the `subgraph_fetch_duration_seconds` metric. */
function timed(subgraph: string, metrics: Metrics, fetcher: SubgraphFetcher): SubgraphFetcher {
  const fetch = async (url: string, init?: SubgraphRequestInit) => {
    const started = process.hrtime.bigint();
    let status = 'error';
    try {
      const response = await fetcher(url, init);
      status = String(response.status);
      return response;
    } finally {
      metrics.subgraphFetches.observe({ subgraph, status }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
  return Object.assign(fetch, { close: () => fetcher.close() });
}

/** The client's address: the socket's, or the first X-Forwarded-For hop when a trusted proxy sets it. */
function clientIpOf(request: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? headerValue(request.headers['x-forwarded-for'])?.split(',')[0]?.trim() : undefined;
  return forwarded || request.socket.remoteAddress || 'unknown';
}

/** Browsers send Origin on a websocket upgrade; with ALLOWED_ORIGINS set, only those may connect. */
function originAllowed(request: IncomingMessage, allowed: string[] | undefined): boolean {
  if (!allowed) return true;
  const origin = request.headers.origin;
  return origin === undefined || allowed.includes(origin);
}

export async function startGateway(runtime: Runtime, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const { config } = runtime;
  const logger = runtime.logger.child({ service: 'gateway' });
  const metrics = createMetrics('gateway');
  const supergraphPath = config.gateway.supergraphPath ?? SUPERGRAPH_FILE;
  const supergraphSdl = readFileSync(supergraphPath, 'utf8');
  const urlOverrides = { ...config.gateway.subgraphUrls, ...options.subgraphUrls } as Record<string, string | undefined>;

  const subgraphUrl = (name: string, url: string) => urlOverrides[name] ?? url;
  // One HTTP client for every subgraph; each subgraph's fetches are merged and deduplicated per request.
  const fetcher = createSubgraphFetcher({ timeoutMs: config.gateway.subgraphTimeoutMs });
  const buildService = ({ name, url }: { name: string; url?: string }) =>
    new BatchingDataSource(new SubgraphDataSource(subgraphUrl(name, url ?? ''), timed(name, metrics, fetcher)));
  const apolloGateway = new ApolloGateway({ supergraphSdl, buildService });

  // Queries and mutations run on the gateway's own plan executor; subscriptions are planned by the
  // same planner. Both are rebuilt whenever the supergraph changes.
  let live: { apiSchema: GraphQLSchema; executor: ReturnType<typeof createSubscriptionExecutor> } | undefined;
  const gateway = planExecutingGateway(apolloGateway, buildService, ({ runtime, serviceMap, apiSchema }) => {
    const subgraphs = runtime.supergraph.subgraphsMetadata();
    live = {
      apiSchema,
      executor: createSubscriptionExecutor({
        runtime,
        serviceMap,
        subgraphUrl: (name) => subgraphUrl(name, subgraphs.find((subgraph) => subgraph.name === name)?.url ?? ''),
        logger,
        onActiveChange: (delta) => metrics.subscriptionsActive.inc(delta),
      }),
    };
  });

  const landingPage = config.gateway.sandbox
    ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
    : ApolloServerPluginLandingPageDisabled();
  const limitRules = operationLimitRules(config.limits);
  const rateLimiter = createRateLimiter(runtime.cache, config.rateLimit);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: config.gateway.introspection,
    csrfPrevention: true,
    validationRules: limitRules,
    parseOptions: { maxTokens: config.limits.maxTokens },
    persistedQueries: { cache: keyValueCache(runtime.cache, 'apq:'), ttl: 24 * 3600 },
    plugins: [
      landingPage,
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      observabilityPlugin(logger, metrics),
      rateLimitPlugin<GatewayContext>(rateLimiter),
      // Public reads, as long as every subgraph's cache hints allow; a private answer is kept per user.
      ...(config.gateway.responseCache
        ? [responseCachePlugin<GatewayContext>({ cache: keyValueCache(runtime.cache, 'response:'), sessionId: async ({ contextValue }) => contextValue.userId })]
        : []),
    ],
  });
  await apollo.start();

  const http = createServiceHttp<GatewayContext>({
    apollo,
    logger,
    metrics,
    context: async (request: IncomingMessage, requestId: string) => {
      const authorization = request.headers.authorization;
      const token = bearerToken(authorization);
      // A bad token is refused here, before any subgraph is asked.
      const identity = token ? await runtime.verifier.verify(token) : undefined;
      return { requestId, authorization, userId: identity?.userId ?? null, clientIp: clientIpOf(request, config.rateLimit.trustProxy) };
    },
    readiness: { supergraph: () => live !== undefined },
    pages: { '/explorer': async () => ({ contentType: 'text/html; charset=utf-8', body: await explorerPage() }) },
  });
  const websocket = serveGraphQLOverWebSocket<GatewayContext>({
    http,
    schema: () => live!.apiSchema,
    verifier: runtime.verifier,
    logger,
    formatError,
    limits: config.websocket,
    validationRules: limitRules,
    maxTokens: config.limits.maxTokens,
    allowUpgrade: (request) => originAllowed(request, config.gateway.allowedOrigins),
    clientIp: (request) => clientIpOf(request, config.rateLimit.trustProxy),
    // Queries and mutations on the socket meet the rate limit inside Apollo Server, as over HTTP.
    beforeOperation: async (caller, operation) => (operation === 'subscription' ? rateLimiter(caller, operation) : undefined),
    context: (caller) => ({ requestId: caller.requestId, authorization: caller.authorization, userId: caller.userId, clientIp: caller.clientIp }),
    subscribe: (args) => live!.executor.subscribe(args, live!.apiSchema),
    // Queries and mutations sent over the socket run exactly as over HTTP.
    execute: async (args) => {
      const response = await apollo.executeOperation(
        { query: print(args.document), variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined, operationName: args.operationName ?? undefined },
        { contextValue: args.contextValue as GatewayContext },
      );
      return response.body.kind === 'single' ? (response.body.singleResult as ExecutionResult) : { errors: [new GraphQLError('Incremental delivery is not supported over websocket')] };
    },
    onConnectionCountChange: (delta) => metrics.websocketConnections.inc(delta),
  });
  const port = await http.listen(options.port ?? config.port ?? DEFAULT_PORTS.gateway, config.host);
  logger.info({ port, supergraph: supergraphPath }, `gateway ready at http://localhost:${port}/graphql`);

  return {
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    stop: once(async () => {
      await websocket.close();
      await http.close();
      await apollo.stop();
      await fetcher.close();
    }),
  };
}
