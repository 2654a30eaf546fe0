import { operationFromDocument } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type ServiceMap } from '@apollo/gateway';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import type { FetchNode, QueryPlan, SubscriptionNode } from '@apollo/query-planner';
import { GraphQLError, Kind, print, type ExecutionArgs, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Logger } from '../lib/logger.ts';
import { executePlan, preparePlan, type SupergraphRuntime } from './execution.ts';
import type { GatewayContext } from './index.ts';

/** Events received from the subgraph but not yet sent on: past this the subscriber is too slow. */
export const UPSTREAM_BUFFER = 100;

export interface SubscriptionExecutorOptions {
  /** The supergraph's schemas and query planner, shared with the gateway's query executor. */
  runtime: SupergraphRuntime;
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
 * 3. for every event, run the plan `primary → rest` on the gateway's plan executor (as queries run),
 *    with the event standing in for the primary fetch's response, so fields of other subgraphs resolve
 *    as in a query.
 */
export function createSubscriptionExecutor(options: SubscriptionExecutorOptions) {
  const { apiSchema, supergraphSchema, planner } = options.runtime;
  /** Open upstream subscriptions by what makes them identical: the caller's token, the operation, its variables. */
  const sources = new Map<string, SharedUpstream>();

  return {
    /** graphql-ws's `subscribe`: an error result, or a stream of results. */
    subscribe(args: ExecutionArgs, apiGraphQLSchema: GraphQLSchema): ExecutionResult | AsyncIterableIterator<ExecutionResult> {
      const context = args.contextValue as GatewayContext;
      let operationContext;
      let operation;
      let plan: QueryPlan;
      try {
        operationContext = buildOperationContext({ schema: apiGraphQLSchema, operationDocument: args.document, operationName: args.operationName ?? undefined });
        refuseUnsupported(operationContext.operation);
        operation = operationFromDocument(apiSchema, args.document, { operationName: args.operationName ?? undefined });
        plan = planner.buildQueryPlan(operation);
      } catch (error) {
        return { errors: [asGraphQLError(error)] };
      }
      if (plan.node?.kind !== 'Subscription') return { errors: [new GraphQLError('Not a subscription')] };

      const node: SubscriptionNode = plan.node;
      // Each event runs `primary → rest`, the event standing in for the primary fetch's answer.
      const eventPlan: QueryPlan = { kind: 'QueryPlan', node: node.rest ? { kind: 'Sequence', nodes: [node.primary, node.rest] } : node.primary };
      const prepared = preparePlan(eventPlan, operation);
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
        const serviceMap: ServiceMap = { ...options.serviceMap, [node.primary.serviceName]: replayEvent(node.primary, event, options.serviceMap[node.primary.serviceName]!) };
        // On the gateway's own executor, as queries; a plan with parts it does not take on, on Apollo's.
        const result = prepared
          ? await executePlan(prepared, requestContext, options.runtime, serviceMap)
          : await executeQueryPlan(eventPlan, serviceMap, requestContext, operationContext, supergraphSchema, apiSchema);
        return { data: result.data ?? null, ...(result.errors?.length ? { errors: result.errors } : {}) };
      };

      // The same caller subscribing to the same operation twice (two tabs) shares one upstream
      // subscription, and each event runs the rest of the plan once for both. Only a source that has
      // sent nothing yet is joined: what it already sent (a replay after a cursor) the newcomer would miss.
      const key = JSON.stringify([context.authorization ?? null, print(args.document), args.operationName ?? null, variables]);
      let source = sources.get(key);
      if (!source?.joinable) {
        const created: SharedUpstream = new SharedUpstream({
          url: options.subgraphUrl(node.primary.serviceName).replace(/^http/, 'ws'),
          fetch: node.primary,
          variables: pick(variables, node.primary.variableUsages ?? []),
          authorization: context.authorization,
          requestId: context.requestId,
          runEvent,
          logger: options.logger,
          onClosed: () => {
            if (sources.get(key) === created) sources.delete(key);
          },
        });
        sources.set(key, created);
        source = created;
      }
      return source.attach(options.onActiveChange);
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
  /** Called once the upstream is gone (no subscriber left, or it ended). */
  onClosed(): void;
}

/**
 * One upstream graphql-ws subscription and the client subscriptions it feeds. Events are run through
 * the rest of the plan one at a time, in order, as they arrive, and the result is handed to every
 * subscriber. Events waiting to be run are bounded too: past that, the source is too slow and ends.
 */
class SharedUpstream {
  private readonly client: Client;
  private readonly subscribers = new Set<Subscriber>();
  private readonly unsubscribe: () => void;
  private pending = 0;
  private running: Promise<void> = Promise.resolve();
  private closed = false;
  private received = false;

  constructor(private readonly options: UpstreamOptions) {
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
        next: (event) => this.receive(event as ExecutionResult),
        error: (error) => this.end(upstreamError(error)),
        complete: () => this.end(),
      },
    );
  }

  /** Open and yet to receive anything: a new subscriber would see the same stream as the first. */
  get joinable(): boolean {
    return !this.closed && !this.received;
  }

  attach(onActiveChange?: (delta: 1 | -1) => void): Subscriber {
    const subscriber = new Subscriber(() => this.detach(subscriber), onActiveChange);
    this.subscribers.add(subscriber);
    return subscriber;
  }

  private receive(event: ExecutionResult) {
    if (this.closed) return;
    this.received = true;
    if (++this.pending > UPSTREAM_BUFFER) {
      this.end({ errors: [new GraphQLError(`Subscription too slow: more than ${UPSTREAM_BUFFER} events waiting`, { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } })] });
      return;
    }
    this.running = this.running.then(async () => {
      const result = await this.options.runEvent(event).catch((error: unknown) => {
        // An error in `rest` is this event's error; the subscription lives on.
        this.options.logger.warn({ err: error }, 'subscription event failed');
        return { data: null, errors: [asGraphQLError(error)] };
      });
      this.pending--;
      if (!this.closed) for (const subscriber of this.subscribers) subscriber.push(result);
    });
  }

  private detach(subscriber: Subscriber) {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) this.close();
  }

  /** The upstream ended (completed, failed or too slow): every subscriber gets `failure`, then the end. */
  private end(failure?: ExecutionResult) {
    if (this.closed) return;
    this.close();
    for (const subscriber of this.subscribers) subscriber.finish(failure);
  }

  private close() {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    void this.client.dispose();
    this.options.onClosed();
  }
}

/**
 * One client subscription: a bounded queue of results, read as the client pulls. `return()` (the
 * client completes, disconnects, or shutdown) detaches it at once.
 */
class Subscriber implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: ExecutionResult[] = [];
  private waiting: ((result: ExecutionResult | undefined) => void) | undefined;
  private ended = false;

  constructor(
    private readonly detach: () => void,
    private readonly onActiveChange?: (delta: 1 | -1) => void,
  ) {
    onActiveChange?.(1);
  }

  push(result: ExecutionResult) {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve(result);
    } else if (this.queue.length >= UPSTREAM_BUFFER) {
      this.queue.length = 0;
      this.finish({ errors: [new GraphQLError(`Subscriber too slow: more than ${UPSTREAM_BUFFER} events waiting`, { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } })] });
      this.detach();
    } else {
      this.queue.push(result);
    }
  }

  /** No more results after `last` (if any). */
  finish(last?: ExecutionResult) {
    if (this.ended) return;
    if (last) this.push(last);
    this.ended = true;
    this.onActiveChange?.(-1);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.(undefined);
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const result = this.queue.shift() ?? (this.ended ? undefined : await new Promise<ExecutionResult | undefined>((resolve) => (this.waiting = resolve)));
    return result ? { value: result, done: false } : { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.queue.length = 0;
    this.finish();
    this.detach();
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
