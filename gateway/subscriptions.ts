import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type ServiceMap } from '@apollo/gateway';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { QueryPlanner, type FetchNode, type QueryPlan, type SubscriptionNode } from '@apollo/query-planner';
import { GraphQLError, Kind, type ExecutionArgs, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Logger } from '../lib/logger.ts';
import type { GatewayContext } from './index.ts';

/** Events received from the subgraph but not yet sent on: past this the subscriber is too slow. */
export const UPSTREAM_BUFFER = 100;

export interface SubscriptionExecutorOptions {
  supergraphSdl: string;
  /** The gateway's own data sources, by subgraph name: `rest` fetches go through them. */
  serviceMap: ServiceMap;
  /** Where each subgraph answers HTTP; its websocket is the same URL with ws(s). */
  subgraphUrl(name: string): string;
  logger: Logger;
  onActiveChange?(delta: 1 | -1): void;
}

/**
 * Executes subscriptions through the gateway, as Apollo Router does, which `@apollo/gateway` refuses to
 * ("Execution of subscriptions not supported by gateway"):
 * 1. plan the operation with the query planner: `{ primary, rest }`;
 * 2. open `primary` upstream as a graphql-ws subscription to the subgraph that owns the field, with
 *    the caller's `Authorization`;
 * 3. for every event, run the plan `primary → rest` through `executeQueryPlan`, with the event standing
 *    in for the primary fetch's response, so fields of other subgraphs resolve as in a query.
 */
export function createSubscriptionExecutor(options: SubscriptionExecutorOptions) {
  const supergraph = Supergraph.build(options.supergraphSdl);
  const apiSchema: Schema = supergraph.apiSchema();
  const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);

  return {
    /** graphql-ws's `subscribe`: an error result, or a stream of results. */
    subscribe(args: ExecutionArgs, apiGraphQLSchema: GraphQLSchema): ExecutionResult | AsyncIterableIterator<ExecutionResult> {
      const context = args.contextValue as GatewayContext;
      let operationContext;
      let plan: QueryPlan;
      try {
        operationContext = buildOperationContext({ schema: apiGraphQLSchema, operationDocument: args.document, operationName: args.operationName ?? undefined });
        refuseUnsupported(operationContext.operation);
        const operation = operationFromDocument(apiSchema, args.document, { operationName: args.operationName ?? undefined });
        plan = planner.buildQueryPlan(operation);
      } catch (error) {
        return { errors: [asGraphQLError(error)] };
      }
      if (plan.node?.kind !== 'Subscription') return { errors: [new GraphQLError('Not a subscription')] };

      const node: SubscriptionNode = plan.node;
      const variables = (args.variableValues ?? {}) as Record<string, unknown>;
      const requestContext = {
        request: { query: undefined, variables, operationName: args.operationName ?? undefined },
        context,
        metrics: {},
        logger: options.logger,
        cache: undefined,
      } as unknown as GatewayGraphQLRequestContext<GatewayContext>;

      const runEvent = async (event: ExecutionResult): Promise<ExecutionResult> => {
        if (!event.data) return { errors: event.errors ?? [new GraphQLError('Empty event')] };
        // The primary fetch "returns" this event; every other fetch goes to its subgraph as usual.
        const eventPlan: QueryPlan = { kind: 'QueryPlan', node: node.rest ? { kind: 'Sequence', nodes: [node.primary, node.rest] } : node.primary };
        const serviceMap: ServiceMap = { ...options.serviceMap, [node.primary.serviceName]: replayEvent(node.primary, event, options.serviceMap[node.primary.serviceName]!) };
        const result = await executeQueryPlan(eventPlan, serviceMap, requestContext, operationContext, supergraphSchema, apiSchema);
        return { data: result.data ?? null, ...(result.errors?.length ? { errors: result.errors } : {}) };
      };

      return new UpstreamSubscription({
        url: options.subgraphUrl(node.primary.serviceName).replace(/^http/, 'ws'),
        fetch: node.primary,
        variables: pick(variables, node.primary.variableUsages ?? []),
        authorization: context.authorization,
        requestId: context.requestId,
        runEvent,
        logger: options.logger,
        onActiveChange: options.onActiveChange,
      });
    },
  };
}

/** The root field of a subscription must run every time: the planner cannot condition it. */
function refuseUnsupported(operation: OperationDefinitionNode) {
  for (const selection of operation.selectionSet.selections) {
    const directives = selection.directives?.map((directive) => directive.name.value) ?? [];
    if (directives.includes('skip') || directives.includes('include')) {
      throw new GraphQLError('@skip and @include are not supported on the root field of a subscription', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
    if (directives.includes('defer') || (selection.kind !== Kind.FIELD && directives.length)) {
      throw new GraphQLError('@defer is not supported in subscriptions', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
  }
}

function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Planner refusals (e.g. @defer inside a subscription) are about the operation, not the server.
  return new GraphQLError(`This subscription cannot be executed: ${message}`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
}

function pick(variables: Record<string, unknown>, names: string[]) {
  return Object.fromEntries(names.filter((name) => name in variables).map((name) => [name, variables[name]]));
}

/** A data source that answers the primary fetch with the event in hand and passes anything else on. */
function replayEvent(primary: FetchNode, event: ExecutionResult, fallback: GraphQLDataSource): GraphQLDataSource {
  return {
    process(request: GraphQLDataSourceProcessOptions) {
      if (request.request.query === primary.operation) {
        return Promise.resolve({ data: event.data as Record<string, unknown>, ...(event.errors ? { errors: event.errors as never } : {}) });
      }
      return fallback.process(request);
    },
  };
}

interface UpstreamOptions {
  url: string;
  fetch: FetchNode;
  variables: Record<string, unknown>;
  authorization: string | undefined;
  requestId: string;
  runEvent(event: ExecutionResult): Promise<ExecutionResult>;
  logger: Logger;
  onActiveChange?(delta: 1 | -1): void;
}

/**
 * One client subscription: the upstream graphql-ws subscription and a bounded queue of its events,
 * each run through the rest of the plan, in order, as the client pulls. `return()` (client completes,
 * disconnects, or shutdown) disposes the upstream at once.
 */
class UpstreamSubscription implements AsyncIterableIterator<ExecutionResult> {
  private readonly client: Client;
  private readonly queue: ExecutionResult[] = [];
  private waiting: ((event: ExecutionResult | undefined) => void) | undefined;
  private ended = false;
  private failure: ExecutionResult | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: UpstreamOptions) {
    options.onActiveChange?.(1);
    this.client = createClient({
      url: options.url,
      webSocketImpl: WebSocket,
      connectionParams: { ...(options.authorization ? { authorization: options.authorization } : {}), requestId: options.requestId },
      lazy: true,
      // A broken upstream ends the subscription; the client resubscribes with `after` and loses nothing.
      retryAttempts: 0,
    });
    this.unsubscribe = this.client.subscribe(
      { query: options.fetch.operation, variables: options.variables, operationName: options.fetch.operationName },
      {
        next: (event) => this.push(event as ExecutionResult),
        error: (error) => this.fail(upstreamError(error)),
        complete: () => this.finish(),
      },
    );
  }

  private push(event: ExecutionResult) {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve(event);
    } else if (this.queue.length >= UPSTREAM_BUFFER) {
      this.fail({ errors: [new GraphQLError(`Subscriber too slow: more than ${UPSTREAM_BUFFER} events waiting`, { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } })] });
    } else {
      this.queue.push(event);
    }
  }

  private fail(result: ExecutionResult) {
    if (this.ended) return;
    this.failure = result;
    this.queue.length = 0;
    this.finish();
  }

  private finish() {
    if (this.ended) return;
    this.ended = true;
    this.unsubscribe();
    void this.client.dispose();
    this.options.onActiveChange?.(-1);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.(undefined);
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const event = this.queue.shift() ?? (this.ended ? undefined : await new Promise<ExecutionResult | undefined>((resolve) => (this.waiting = resolve)));
    if (event) {
      try {
        return { value: await this.options.runEvent(event), done: false };
      } catch (error) {
        // An error in `rest` is this event's error; the subscription lives on.
        this.options.logger.warn({ err: error }, 'subscription event failed');
        return { value: { data: null, errors: [asGraphQLError(error)] }, done: false };
      }
    }
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return { value: failure, done: false };
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.queue.length = 0;
    this.failure = undefined;
    this.finish();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** What the subgraph sent as an error (GraphQL errors, or a close event), for the client. */
function upstreamError(error: unknown): ExecutionResult {
  if (Array.isArray(error)) return { errors: error.map((e: { message?: string; extensions?: Record<string, unknown> }) => new GraphQLError(e.message ?? 'Subscription failed', { extensions: e.extensions })) };
  const close = error as { code?: number; reason?: string };
  if (typeof close?.code === 'number') {
    const code = close.code === 4403 ? 'UNAUTHENTICATED' : 'SUBGRAPH_UNAVAILABLE';
    return { errors: [new GraphQLError(`The subscription's source closed (${close.code}${close.reason ? `: ${close.reason}` : ''})`, { extensions: { code } })] };
  }
  return { errors: [new GraphQLError('The subscription source failed', { extensions: { code: 'SUBGRAPH_UNAVAILABLE' } })] };
}
