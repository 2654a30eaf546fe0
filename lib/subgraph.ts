import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { observabilityPlugin } from './apollo-plugins.ts';
import { bearerToken } from './auth.ts';
import { startOutboxRelay, writeToOutbox } from './bus/outbox.ts';
import type { ConsumerOptions, Consumer } from './bus/types.ts';
import { DEFAULT_PORTS, type SubgraphName } from './config.ts';
import { databaseTargetFor, openDatabase, type Database, type DatabaseTarget, type Transaction } from './db/index.ts';
import { formatError, UnauthenticatedError } from './errors.ts';
import { createEnvelope } from './events.ts';
import { createServiceHttp, type ReadinessChecks, type ServiceHttp } from './http.ts';
import type { Logger } from './logger.ts';
import { createMetrics, trackQueueDepth, type Metrics } from './metrics.ts';
import { once } from './once.ts';
import type { Runtime } from './runtime.ts';

/** What every subgraph's resolvers know about the request. */
export interface RequestContext {
  /** The verified caller, or null when anonymous. */
  userId: string | null;
  requestId: string;
  logger: Logger;
}

/** A transaction that can record events: they reach the outbox with the change, or not at all. */
export interface UnitOfWork {
  tx: Transaction;
  emit<TData>(type: string, data: TData, version?: number): Promise<void>;
}

export interface SubgraphDeps {
  name: SubgraphName;
  runtime: Runtime;
  db: Database;
  metrics: Metrics;
  logger: Logger;
  /** Runs `work` in one transaction; events it emits are published once it commits. */
  transaction<T>(correlationId: string, work: (unit: UnitOfWork) => Promise<T>): Promise<T>;
}

export interface SubgraphInstance<TContext extends RequestContext> {
  /** Per-request context: where request-scoped DataLoaders are made. */
  context(request: RequestContext): TContext;
  consumers?: ConsumerOptions[];
  readiness?: ReadinessChecks;
  /** Hook for what needs the HTTP server itself (websockets). */
  attach?(http: ServiceHttp, schema: GraphQLSchema): void | Promise<void>;
  stop?(): Promise<void>;
}

/** A subgraph as a feature: its schema, resolvers and migrations, and how to build its domain from deps. */
export interface SubgraphModule<TContext extends RequestContext> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  migrationsFolder: string;
  create(deps: SubgraphDeps): Promise<SubgraphInstance<TContext>> | SubgraphInstance<TContext>;
}

export interface RunningSubgraph {
  name: SubgraphName;
  port: number;
  url: string;
  deps: SubgraphDeps;
  /** Publishes every outbox row still waiting (tests, shutdown). */
  drainOutbox(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartSubgraphOptions {
  port?: number;
  /** Where its data lives; defaults to what the config says for this subgraph. */
  database?: DatabaseTarget;
}

/** Wires a subgraph module to its database, the bus, an outbox relay and an HTTP server, and starts it. */
export async function startSubgraph<TContext extends RequestContext>(
  module: SubgraphModule<TContext>,
  runtime: Runtime,
  options: StartSubgraphOptions = {},
): Promise<RunningSubgraph> {
  const { config } = runtime;
  const logger = runtime.logger.child({ service: module.name });
  const metrics = createMetrics(module.name);
  const database = await openDatabase(options.database ?? databaseTargetFor(config, module.name), {
    migrationsFolder: module.migrationsFolder,
    onQuery: () => metrics.sqlQueries.inc(),
  });
  const relay = startOutboxRelay({
    db: database.db,
    bus: runtime.bus,
    pollMs: config.outboxPollMs,
    logger: logger.child({ component: 'outbox' }),
    onPublished: (event) => metrics.eventsPublished.inc({ type: event.type }),
  });

  const deps: SubgraphDeps = {
    name: module.name,
    runtime,
    db: database.db,
    metrics,
    logger,
    async transaction(correlationId, work) {
      let emitted = false;
      const result = await database.db.transaction((tx) =>
        work({
          tx,
          async emit(type, data, version) {
            emitted = true;
            await writeToOutbox(tx, createEnvelope({ type, data, version }, { producer: module.name, correlationId }));
          },
        }),
      );
      if (emitted) relay.nudge();
      return result;
    },
  };

  const instance = await module.create(deps);
  const consumers: Consumer[] = [];
  for (const consumer of instance.consumers ?? []) {
    consumers.push(await runtime.bus.consume(withConsumerMetrics(consumer, metrics)));
  }
  const durableQueues = (instance.consumers ?? []).filter((consumer) => !consumer.exclusive).map((consumer) => consumer.queue);
  trackQueueDepth(metrics, (queue) => runtime.bus.queueDepth(queue), durableQueues);

  const schema = buildSubgraphSchema({ typeDefs: module.typeDefs, resolvers: module.resolvers as GraphQLResolverMap<unknown> });
  const apollo = new ApolloServer<TContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: true,
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), observabilityPlugin(logger, metrics)],
  });
  await apollo.start();

  const http = createServiceHttp<TContext>({
    apollo,
    logger,
    metrics,
    context: async (request: IncomingMessage, requestId: string) => {
      const userId = await callerOf(request, runtime);
      return instance.context({ userId, requestId, logger: logger.child({ requestId }) });
    },
    readiness: {
      database: async () => {
        await database.db.execute('select 1');
        return true;
      },
      bus: () => runtime.bus.isConnected(),
      ...instance.readiness,
    },
  });
  await instance.attach?.(http, schema);
  const port = await http.listen(options.port ?? config.port ?? DEFAULT_PORTS[module.name], config.host);
  logger.info({ port }, `${module.name} subgraph ready`);

  return {
    name: module.name,
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    deps,
    drainOutbox: () => relay.drain(),
    stop: once(async () => {
      // The instance first: it owns what lives on the server beyond HTTP requests (websockets).
      await instance.stop?.();
      await http.close();
      await apollo.stop();
      await Promise.allSettled(consumers.map((consumer) => consumer.stop()));
      await relay.stop();
      await database.close();
    }),
  };
}

/** Subgraphs trust no identity header: they verify the caller's token themselves with the public key. */
async function callerOf(request: IncomingMessage, runtime: Runtime): Promise<string | null> {
  const token = bearerToken(request.headers.authorization);
  if (!token) return null;
  const identity = await runtime.verifier.verify(token);
  return identity.userId;
}

function withConsumerMetrics(consumer: ConsumerOptions, metrics: Metrics): ConsumerOptions {
  return {
    ...consumer,
    async handler(event) {
      try {
        await consumer.handler(event);
        metrics.eventsConsumed.inc({ queue: consumer.queue, outcome: 'ok' });
      } catch (error) {
        metrics.eventsConsumed.inc({ queue: consumer.queue, outcome: 'error' });
        throw error;
      }
    },
  };
}

/** The caller's id, for operations the contract marks *auth*. */
export function requireCaller(context: RequestContext): string {
  if (!context.userId) throw new UnauthenticatedError();
  return context.userId;
}
