import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationTypeNode,
  type ValidationRule,
} from 'graphql';
import { CloseCode, type Context as WsContext } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { bearerToken, type Identity, type TokenVerifier } from './auth.ts';
import type { ServiceHttp } from './http.ts';
import type { Logger } from './logger.ts';
import { once } from './once.ts';

/** Set by `WS_*` variables (lib/config.ts). */
export interface WebSocketLimits {
  /** Largest message a client may send. */
  maxPayloadBytes: number;
  /** A connection that has not sent `connection_init` by then is closed with 4408. */
  connectionInitWaitTimeoutMs: number;
  maxSubscriptionsPerConnection: number;
  /** Bytes queued for a client that is not reading; past this it is closed with CLIENT_TOO_SLOW. */
  maxBufferedBytes: number;
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}

/** Close codes beyond graphql-ws's own (4400 bad request, 4403 forbidden, 4408 init timeout, ...). */
export const CLIENT_TOO_SLOW = 1013;
export const TOKEN_EXPIRED = CloseCode.Forbidden;

/** Who is on the other end of a connection, settled once at `connection_init`. */
export interface WebSocketCaller {
  userId: string | null;
  /** `Bearer <token>` as the client sent it, to forward upstream. */
  authorization: string | undefined;
  /** One id for the connection: every operation on it logs and forwards it. */
  requestId: string;
  clientIp: string;
}

/** What a connection carries between graphql-ws callbacks. */
type ConnectionState = Record<PropertyKey, unknown> & {
  caller: WebSocketCaller;
  expiryTimer: NodeJS.Timeout;
  /** Operations running on the connection, for the per-connection cap. */
  operations: number;
};
type ConnectionExtra = Extra & Partial<ConnectionState>;

type OperationResult = ExecutionResult | AsyncIterable<ExecutionResult> | Promise<ExecutionResult | AsyncIterable<ExecutionResult>>;

export interface GraphQLWebSocketOptions<TContext> {
  /** The client's address as the HTTP side reads it (proxies, X-Forwarded-For). */
  clientIp?: (request: IncomingMessage) => string;
  http: ServiceHttp;
  schema: GraphQLSchema | (() => GraphQLSchema);
  verifier: TokenVerifier;
  logger: Logger;
  limits: WebSocketLimits;
  /**
   * How long past its token's expiry a connection is kept before it is closed with 4403: clock
   * tolerance. A subgraph behind the gateway allows some, so that the gateway, which faces the
   * client, ends the client's connection itself rather than seeing its upstream close first.
   */
  expiryGraceMs?: number;
  context(caller: WebSocketCaller): TContext | Promise<TContext>;
  /** Replaces graphql-js execution (the gateway runs query plans instead). */
  execute?: (args: ExecutionArgs) => OperationResult;
  subscribe?: (args: ExecutionArgs) => OperationResult;
  /** Refuses an upgrade (e.g. an Origin not allowed) before any GraphQL is spoken. */
  allowUpgrade?: (request: IncomingMessage) => boolean;
  onConnectionCountChange?: (delta: 1 | -1) => void;
  /** Shapes errors in results as HTTP responses are shaped (codes kept, internals masked). */
  formatError?: (error: GraphQLFormattedError) => GraphQLFormattedError;
  /** Rules beyond the specification's (the gateway's depth, alias and cost limits). */
  validationRules?: ValidationRule[];
  /** Largest document, in tokens, as the HTTP side's parse option. */
  maxTokens?: number;
  /** Last word before an operation runs (rate limits): an error refuses it. */
  beforeOperation?: (caller: WebSocketCaller, operation: OperationTypeNode) => Promise<GraphQLError | undefined>;
}

export interface GraphQLWebSocketServer {
  /** Completes every subscription (clients get `complete`), then closes the connections. */
  close(): Promise<void>;
}

/**
 * GraphQL over WebSocket (the graphql-ws protocol, what Apollo Sandbox and Apollo Client speak) at
 * `/graphql` on a service's HTTP server. The token in `connectionParams.authorization` is checked once,
 * at `connection_init`: a bad one closes with 4403, and the connection is closed with 4403 when the
 * token expires. Every buffer on the way is bounded.
 */
export function serveGraphQLOverWebSocket<TContext>(options: GraphQLWebSocketOptions<TContext>): GraphQLWebSocketServer {
  const { limits } = options;
  const clientIpOf = options.clientIp ?? ((request: IncomingMessage) => request.socket.remoteAddress ?? 'unknown');
  const currentSchema = typeof options.schema === 'function' ? options.schema : () => options.schema as GraphQLSchema;
  const rules = [...specifiedRules, ...(options.validationRules ?? [])];
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes });
  const contexts = new Set<WsContext<Record<string, unknown>, ConnectionExtra>>();

  options.http.server.on('upgrade', (request, socket, head) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname.replace(/\/$/, '');
    if (path !== '/graphql' || (options.allowUpgrade && !options.allowUpgrade(request))) {
      socket.end(path === '/graphql' ? 'HTTP/1.1 403 Forbidden\r\n\r\n' : 'HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  /**
   * The connection's caller, or the one an operation names itself: GraphiQL and other graphql-tools
   * clients send their headers in the operation's `extensions.headers`, not in `connectionParams`. Such a
   * token is verified like any other; a subscription it opens ends when the subgraph sees it expire.
   */
  async function operationCaller(connection: WebSocketCaller, extensions: Record<string, unknown> | null | undefined): Promise<WebSocketCaller> {
    const headers = extensions?.headers as Record<string, unknown> | undefined;
    const header = headers?.authorization ?? headers?.Authorization;
    if (typeof header !== 'string' || header === connection.authorization) return connection;
    const token = bearerToken(header);
    const identity = token ? await options.verifier.verify(token) : undefined;
    return { ...connection, userId: identity?.userId ?? null, authorization: header };
  }

  const server = useServer<Record<string, unknown>, ConnectionState>(
    {
      connectionInitWaitTimeout: limits.connectionInitWaitTimeoutMs,
      execute: options.execute,
      subscribe: options.subscribe,
      async onConnect(ctx) {
        const authorization = typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : undefined;
        let identity: Identity | undefined;
        try {
          const token = bearerToken(authorization);
          identity = token ? await options.verifier.verify(token) : undefined;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
        ctx.extra.caller = { userId: identity?.userId ?? null, authorization, requestId: randomUUID(), clientIp: clientIpOf(ctx.extra.request) };
        if (identity) {
          // setTimeout holds at most ~24.8 days; a token living longer is re-checked then.
          const delay = Math.min(identity.expiresAt * 1000 + (options.expiryGraceMs ?? 0) - Date.now(), 2 ** 31 - 1);
          ctx.extra.expiryTimer = setTimeout(() => ctx.extra.socket.close(TOKEN_EXPIRED, 'Token expired'), Math.max(delay, 0));
        }
        contexts.add(ctx);
        options.onConnectionCountChange?.(1);
        return true;
      },
      onClose(ctx) {
        clearTimeout(ctx.extra.expiryTimer);
        if (contexts.delete(ctx)) options.onConnectionCountChange?.(-1);
      },
      async onSubscribe(ctx, _id, payload) {
        // Counted here rather than read from `ctx.subscriptions`, which operations join only once running.
        if ((ctx.extra.operations ?? 0) >= limits.maxSubscriptionsPerConnection) {
          return [new GraphQLError(`At most ${limits.maxSubscriptionsPerConnection} operations at once on one connection`, { extensions: { code: 'BAD_REQUEST' } })];
        }
        const schema = currentSchema();
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: options.maxTokens });
        } catch (error) {
          return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
        }
        const invalid = validate(schema, document, rules);
        if (invalid.length) return invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('The document names no operation to run', { extensions: { code: 'BAD_REQUEST' } })];

        // The slot is taken before the first await, so operations arriving together cannot all slip in.
        ctx.extra.operations = (ctx.extra.operations ?? 0) + 1;
        let caller: WebSocketCaller;
        try {
          caller = await operationCaller(ctx.extra.caller!, payload.extensions);
        } catch (error) {
          ctx.extra.operations -= 1;
          return [error as GraphQLError];
        }
        const refused = await options.beforeOperation?.(caller, operation.operation);
        if (refused) {
          ctx.extra.operations -= 1;
          return [refused];
        }
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: (await options.context(caller)) as object,
        };
      },
      onComplete(ctx) {
        ctx.extra.operations = Math.max((ctx.extra.operations ?? 1) - 1, 0);
      },
      onNext(ctx, _id, _payload, _args, result) {
        if (ctx.extra.socket.bufferedAmount > limits.maxBufferedBytes) {
          ctx.extra.socket.close(CLIENT_TOO_SLOW, `Too slow: more than ${limits.maxBufferedBytes} bytes waiting to be sent`);
        }
        const { formatError } = options;
        if (formatError && result.errors?.length) {
          return { ...result, errors: result.errors.map((error) => formatError(error instanceof GraphQLError ? error.toJSON() : error)) };
        }
      },
      onError(_ctx, _id, _payload, errors) {
        for (const error of errors) if (!error.extensions?.code) options.logger.warn({ err: error }, 'websocket operation failed');
        const { formatError } = options;
        if (formatError) return errors.map((error) => formatError(error.toJSON()));
      },
    },
    wss,
  );

  const close = async () => {
    const running = [...contexts].flatMap((ctx) => Object.values(ctx.subscriptions));
    // An async generator parked in `await` runs its `return` only when it wakes: do not wait for it forever.
    const ended = Promise.allSettled(running.map((subscription) => (subscription as AsyncGenerator | null)?.return?.(undefined)));
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    // Let the `complete` messages reach the clients before the sockets go.
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Closes every socket and the websocket server itself.
    await server.dispose();
    for (const ctx of contexts) clearTimeout(ctx.extra.expiryTimer);
  };
  return { close: once(close) };
}
