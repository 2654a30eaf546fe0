import { ERRORS, errorCodeDef, operationFromDocument, Supergraph, type Operation, type Schema } from '@apollo/federation-internals';
import type { GraphQLDataSource } from '@apollo/gateway';
import { evaluateCondition, getResponseName, QueryPlanner, type FetchDataRewrite, type FetchNode, type PlanNode, type QueryPlan, type QueryPlanSelectionNode } from '@apollo/query-planner';
import type { GatewayExecutionResult, GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import { getVariableValues, GraphQLError, isAbstractType, isInterfaceType, isObjectType, Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { compileShaper, type Shaper } from './shaping.ts';
import { INCOMING_OPERATION } from './datasource.ts';

type Data = Record<string, unknown>;
type ResponsePath = Array<string | number>;
export type ServiceMap = Record<string, GraphQLDataSource<object>>;
type RequestContext = GatewayGraphQLRequestContext<object>;

/** An operation ready to run: its plan and its compiled result shaping, kept per query text and operation name. */
export interface Prepared {
  plan: QueryPlan;
  operation: Operation;
  shape: Shaper;
}

/** What a supergraph needs to run operations: built once per supergraph, shared by queries and subscriptions. */
export interface SupergraphRuntime {
  supergraph: Supergraph;
  apiSchema: Schema;
  /** The supergraph as a graphql-js schema: type conditions in `@requires` selections are checked against it. */
  supergraphSchema: GraphQLSchema;
  planner: QueryPlanner;
}

export function supergraphRuntime(supergraph: Supergraph): SupergraphRuntime {
  return { supergraph, apiSchema: supergraph.apiSchema(), supergraphSchema: supergraph.schema.toGraphQLJSSchema(), planner: new QueryPlanner(supergraph) };
}

const MAX_PREPARED = 1000;

/**
 * Runs queries and mutations on Apollo Gateway's query plans, leaner than its `executeQueryPlan`.
 *
 * Apollo Gateway plans once per operation but, on every request, rebuilds the operation as
 * federation-internals objects and walks them to shape the answer (`computeResponse`), which on a
 * plan of a dozen fetches was a quarter of the gateway's CPU. Here the plan and a compiled shaping
 * of the operation are kept together, and each request only fetches, merges and shapes. The fetches,
 * their merging into the result, the error paths and the shaping follow Apollo Gateway's semantics
 * exactly: `test/gateway-fetches.test.ts` holds the answers to stock Apollo Gateway's byte for byte,
 * `test/shaping.test.ts` the shaping to `computeResponse`.
 *
 * Anything this executor does not take on (introspection fields, `@defer`, `@fromContext`, a plan
 * that fails) returns `undefined`, and the caller runs Apollo Gateway's own executor.
 */
function createPlanExecutor(runtime: SupergraphRuntime, serviceMap: ServiceMap) {
  const prepared = new Map<string, Prepared | null>();

  const prepare = (requestContext: RequestContext): Prepared | null => {
    const key = `${requestContext.queryHash}\u0000${requestContext.request.operationName ?? ''}`;
    let entry = prepared.get(key);
    if (entry !== undefined) return entry;
    entry = null;
    try {
      const operation = operationFromDocument(runtime.apiSchema, requestContext.document, { operationName: requestContext.request.operationName });
      if (operation.rootKind !== 'subscription') entry = preparePlan(runtime.planner.buildQueryPlan(operation), operation) ?? null;
    } catch {
      // Apollo Gateway's executor reports it as it always has.
    }
    if (prepared.size >= MAX_PREPARED) prepared.clear();
    prepared.set(key, entry);
    return entry;
  };

  return {
    /** The answer, or undefined when Apollo Gateway's executor should run this operation. */
    async execute(requestContext: RequestContext): Promise<GatewayExecutionResult | undefined> {
      const entry = prepare(requestContext);
      if (!entry) return undefined;
      const variableErrors = coerceVariables(requestContext);
      if (variableErrors) return { errors: variableErrors };
      return executePlan(entry, requestContext, runtime, serviceMap);
    },
  };
}

/**
 * A plan ready for `executePlan`, with its operation's shaping compiled; undefined when the plan or
 * the operation has parts only Apollo Gateway's `executeQueryPlan` runs.
 */
export function preparePlan(plan: QueryPlan, operation: Operation): Prepared | undefined {
  const shape = compileShaper(operation);
  return shape && plan.node?.kind !== 'Subscription' && supported(plan.node) ? { plan, operation, shape } : undefined;
}

/**
 * Apollo Gateway behind `createPlanExecutor`, for Apollo Server: every operation this executor takes
 * runs here, the rest in Apollo Gateway's executor. Schema loading and updates stay Apollo Gateway's.
 */
function withPlanExecutor(
  gateway: GatewayInterface,
  executorFor: () => ReturnType<typeof createPlanExecutor> | undefined,
): GatewayInterface {
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    async load(options) {
      const loaded = await gateway.load(options);
      const fallback = loaded.executor;
      if (!fallback) return loaded;
      const executor: GatewayExecutor = async (requestContext) => (await executorFor()?.execute(requestContext as RequestContext)) ?? fallback(requestContext);
      return { ...loaded, executor };
    },
  };
}

function supported(node: PlanNode | undefined): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return node.nodes.every(supported);
    case 'Flatten':
      return supported(node.node);
    case 'Condition':
      return supported(node.ifClause) && supported(node.elseClause);
    case 'Fetch':
      return !node.hasDefers && !node.contextRewrites?.length;
    default:
      return false;
  }
}

/** The request's variables as Apollo Gateway checks them before planning; their errors are the answer. */
function coerceVariables(requestContext: RequestContext): readonly GraphQLError[] | undefined {
  const operation: OperationDefinitionNode = requestContext.operation;
  if (!operation.variableDefinitions?.length) return undefined;
  return getVariableValues(requestContext.schema, operation.variableDefinitions, requestContext.request.variables ?? {}).errors;
}

interface Execution {
  operation: Operation;
  requestContext: RequestContext;
  schema: GraphQLSchema;
  serviceMap: ServiceMap;
  errors: unknown[];
}

interface Cursor {
  path: ResponsePath;
  data: unknown;
  fullResult: Data;
}

/** Runs a prepared plan for one request (or one subscription event): fetches, merges, shapes. */
export async function executePlan(entry: Prepared, requestContext: RequestContext, runtime: SupergraphRuntime, serviceMap: ServiceMap): Promise<GatewayExecutionResult> {
  const execution: Execution = { operation: entry.operation, requestContext, schema: runtime.supergraphSchema, serviceMap, errors: [] };
  const data: Data = Object.create(null);
  if (entry.plan.node) await executeNode(execution, entry.plan.node as PlanNode, { path: [], data, fullResult: data });
  let shaped;
  try {
    shaped = entry.shape(data, requestContext.request.variables);
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [error] };
    if (error instanceof Error) return { errors: [new GraphQLError(error.message, { originalError: error })] };
    return { errors: [new GraphQLError('Unexpected error during query plan execution')] };
  }
  const { errors } = execution;
  // As Apollo Gateway: errors of shaping are reported (as an extension) only when nothing else failed.
  if (errors.length === 0 && shaped.errors.length > 0) return { extensions: { valueCompletion: shaped.errors }, data: shaped.data };
  return errors.length === 0 ? { data: shaped.data } : { errors: errors as GraphQLError[], data: shaped.data };
}

async function executeNode(execution: Execution, node: PlanNode, cursor: Cursor | undefined): Promise<void> {
  if (!cursor) return;
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await executeNode(execution, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => executeNode(execution, child, cursor)));
      return;
    case 'Flatten':
      return executeNode(execution, node.node, moveIntoCursor(cursor, node.path));
    case 'Fetch':
      try {
        await executeFetch(execution, node, cursor);
      } catch (error) {
        execution.errors.push(error);
      }
      return;
    case 'Condition': {
      const branch = evaluateCondition(node, execution.operation.variableDefinitions, execution.requestContext.request.variables) ? node.ifClause : node.elseClause;
      if (branch) await executeNode(execution, branch, cursor);
      return;
    }
    default:
      throw new Error(`Unexpected ${node.kind} node in a query plan`);
  }
}

async function executeFetch(execution: Execution, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const service = execution.serviceMap[fetch.serviceName];
  if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const entities = (Array.isArray(cursor.data) ? cursor.data.filter((entity) => entity !== null && entity !== undefined) : [cursor.data]) as Data[];
  if (entities.length < 1) return;

  const variables: Data = Object.create(null);
  const provided = execution.requestContext.request.variables;
  if (fetch.variableUsages && provided) {
    for (const name of fetch.variableUsages) {
      if (Object.hasOwn(provided, name) && provided[name] !== undefined) variables[name] = provided[name];
    }
  }

  if (!fetch.requires) {
    const received = await send(execution, service, fetch, cursor, variables);
    if (received) applyRewrites(execution.schema, fetch.outputRewrites, received);
    for (const entity of entities) deepMerge(entity, received);
    return;
  }

  const representations: Data[] = [];
  const entityOfRepresentation: Data[] = [];
  for (const entity of entities) {
    const representation = selectRequired(execution.schema, entity, fetch.requires);
    if (representation && representation.__typename) {
      applyRewrites(execution.schema, fetch.inputRewrites, representation);
      representations.push(representation);
      entityOfRepresentation.push(entity);
    }
  }
  if (representations.length < 1) return;
  if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');

  const received = await send(execution, service, fetch, cursor, { ...variables, representations });
  if (!received) return;
  const receivedEntities = received._entities;
  if (!Array.isArray(receivedEntities)) throw new Error('Expected "data._entities" in response to be an array');
  if (receivedEntities.length !== representations.length) throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
  for (let i = 0; i < receivedEntities.length; i++) {
    const receivedEntity = receivedEntities[i] as Data | null;
    const entity = entityOfRepresentation[i]!;
    if (receivedEntity && !receivedEntity.__typename) receivedEntity.__typename = entity.__typename;
    applyRewrites(execution.schema, fetch.outputRewrites, receivedEntity);
    deepMerge(entity, receivedEntity);
  }
}

/** One fetch to its subgraph; its errors join the answer's, with paths in the client's response. */
async function send(execution: Execution, service: GraphQLDataSource<object>, fetch: FetchNode, cursor: Cursor, variables: Data): Promise<Data | null | undefined> {
  const response = await service.process({
    kind: INCOMING_OPERATION,
    request: { query: fetch.operation, variables, operationName: fetch.operationName },
    incomingRequestContext: execution.requestContext,
    context: execution.requestContext.context,
    document: fetch.operationDocumentNode as DocumentNode,
    pathInIncomingRequest: cursor.path,
  } as unknown as Parameters<GraphQLDataSource<object>['process']>[0]);
  if (response.errors) {
    const pathOf = errorPaths(fetch, cursor);
    for (const error of response.errors) execution.errors.push(downstreamError(error, fetch.serviceName, pathOf(error.path as ResponsePath | undefined)));
  }
  return response.data as Data | null | undefined;
}

/**
 * Where a subgraph's error belongs in the client's response. For an entity fetch, `_entities.<i>` is
 * the i-th entity at the fetch's path, each with its own list indexes, found only if some error needs it.
 */
function errorPaths(fetch: FetchNode, cursor: Cursor) {
  let hydrated: ResponsePath[] | undefined;
  return (path: ResponsePath | undefined): ResponsePath | undefined => {
    if (fetch.requires && typeof path?.[1] === 'number') {
      if (!hydrated) {
        hydrated = [];
        hydratePaths([], cursor.path, cursor.fullResult, hydrated);
      }
      return [...(hydrated[path[1]] ?? []), ...path.slice(2)];
    }
    return path ? [...cursor.path, ...path] : undefined;
  };
}

function hydratePaths(parent: ResponsePath, path: ResponsePath, data: unknown, result: ResponsePath[]): void {
  if (data === null || data === undefined) return;
  const head = path[0];
  if (head === undefined) {
    result.push([...parent]);
  } else if (head === '@') {
    (data as unknown[]).forEach((value, i) => hydratePaths([...parent, i], path.slice(1), value, result));
  } else if (Array.isArray(data)) {
    data.forEach((value, i) => hydratePaths([...parent, i], path, value, result));
  } else if (Object.hasOwn(data as object, head)) {
    hydratePaths([...parent, head], path.slice(1), (data as Data)[head as string], result);
  }
}

/** A subgraph's error as the gateway reports it: a known federation code kept, else DOWNSTREAM_SERVICE_ERROR unless it has a code. */
function downstreamError(error: { message?: string; extensions?: Data }, serviceName: string, path: ResponsePath | undefined): GraphQLError {
  const message = error.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = { originalError: error as Error, path, extensions: { ...error.extensions, serviceName } };
  const code = errorCodeDef(error as GraphQLError);
  if (!code && error.extensions?.code) return new GraphQLError(message, options);
  return (code ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}

function moveIntoCursor(cursor: Cursor, path: ResponsePath): Cursor | undefined {
  const data = flattenAtPath(cursor.data, path, 0);
  return data ? { path: cursor.path.concat(path), data, fullResult: cursor.fullResult } : undefined;
}

/**
 * The values at a response path; through lists (`@`), flattened into one list in order, each
 * value that is itself a list spread into it (Apollo Gateway's `flatMap` semantics).
 */
function flattenAtPath(value: unknown, path: ResponsePath, at: number): unknown {
  for (; at < path.length; at++) {
    if (value === undefined || value === null) return value;
    const step = path[at]!;
    if (step === '@') {
      const found: unknown[] = [];
      for (const item of value as unknown[]) appendAtPath(found, item, path, at + 1);
      return found;
    }
    value = stepInto(value, step);
  }
  return value;
}

function appendAtPath(found: unknown[], value: unknown, path: ResponsePath, at: number): void {
  for (; at < path.length; at++) {
    if (value === undefined || value === null) break;
    const step = path[at]!;
    if (step === '@') {
      for (const item of value as unknown[]) appendAtPath(found, item, path, at + 1);
      return;
    }
    value = stepInto(value, step);
  }
  if (Array.isArray(value)) for (const item of value) found.push(item);
  else found.push(value);
}

function stepInto(value: unknown, step: string | number): unknown {
  if (typeof step !== 'string') throw new Error(`Unexpected ${typeof step} found in path`);
  if (Array.isArray(value)) throw new Error(`Unexpected array in result for path element ${step}`);
  return Object.hasOwn(value as object, step) ? (value as Data)[step] : undefined;
}

/** The representation of an entity for an `_entities` fetch: the fields its `requires` selects, or null if one is missing. */
function selectRequired(schema: GraphQLSchema, source: Data | null, selections: readonly QueryPlanSelectionNode[]): Data | null {
  if (source === null) return null;
  const result: Data = Object.create(null);
  for (const selection of selections) {
    if (selection.kind === Kind.FIELD) {
      const name = getResponseName(selection);
      const value = Object.hasOwn(source, name) ? source[name] : undefined;
      if (value === undefined) return null;
      const nested = selection.selections;
      if (Array.isArray(value)) result[name] = value.map((item) => (nested ? selectRequired(schema, item as Data | null, nested) : item));
      else result[name] = nested ? selectRequired(schema, value as Data | null, nested) : value;
    } else if (selection.typeCondition && isObjectOfType(schema, source, selection.typeCondition)) {
      deepMerge(result, selectRequired(schema, source, selection.selections));
    }
  }
  return result;
}

/** Apollo Gateway's merge of a fetch's answer into the result: objects merged key by key, equal-length lists item by item. */
function deepMerge(target: Data, source: Data | null | undefined): Data {
  if (source === undefined || source === null) return target;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    defineOwn(target, key);
    const existing = target[key];
    if (existing && isObject(value)) {
      deepMerge(existing as Data, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        if (isObject(existing[i]) && isObject(value[i])) deepMerge(existing[i] as Data, value[i] as Data);
        else existing[i] = value[i];
      }
    } else {
      target[key] = value;
    }
  }
  return target;
}

const isObject = (value: unknown): value is Data => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A key the target only inherits (e.g. `constructor`) becomes its own before it is written. */
function defineOwn(target: Data, key: string) {
  if (!Object.hasOwn(target, key) && key in target) Object.defineProperty(target, key, { configurable: true, enumerable: true, value: undefined, writable: true });
}

function isObjectOfType(schema: GraphQLSchema, value: Data, typeCondition: string, whenUnknown = false): boolean {
  const typename = value.__typename as string | undefined;
  if (!typename) return whenUnknown;
  if (typename === typeCondition) return true;
  const type = schema.getType(typename);
  const condition = schema.getType(typeCondition);
  if (!type || !condition || !isAbstractType(condition)) return false;
  return (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(condition, type);
}

/** The planner's input and output rewrites: a value set, or a key renamed, at a path that may pass through type conditions. */
function applyRewrites(schema: GraphQLSchema, rewrites: readonly FetchDataRewrite[] | undefined, value: unknown) {
  if (!rewrites) return;
  for (const rewrite of rewrites) {
    if (rewrite.path.length === 0) continue;
    const field = rewrite.path[rewrite.path.length - 1]!;
    if (field.startsWith(FRAGMENT_PREFIX)) throw new Error(`Unexpected fragment as last element of ${rewrite.path}`);
    const apply =
      rewrite.kind === 'ValueSetter'
        ? (object: Data) => {
            defineOwn(object, field);
            object[field] = rewrite.setValueTo;
          }
        : (object: Data) => {
            const found = Object.hasOwn(object, field) ? object[field] : undefined;
            if (found) {
              defineOwn(object, rewrite.renameKeyTo);
              object[rewrite.renameKeyTo] = found;
              object[field] = undefined;
            }
          };
    applyAtPath(schema, rewrite.path, 0, rewrite.path.length - 1, value, apply);
  }
}

const FRAGMENT_PREFIX = '... on ';

function applyAtPath(schema: GraphQLSchema, path: string[], at: number, end: number, value: unknown, apply: (object: Data) => void) {
  if (Array.isArray(value)) {
    for (const item of value) applyAtPath(schema, path, at, end, item, apply);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (at === end) return apply(value as Data);
  const step = path[at]!;
  if (step.startsWith(FRAGMENT_PREFIX)) {
    if (isObjectOfType(schema, value as Data, step.slice(FRAGMENT_PREFIX.length), true)) applyAtPath(schema, path, at + 1, end, value, apply);
  } else {
    applyAtPath(schema, path, at + 1, end, Object.hasOwn(value, step) ? (value as Data)[step] : undefined, apply);
  }
}

/**
 * Apollo Gateway with this executor in front: on every supergraph it loads, the supergraph's runtime
 * and a data source per subgraph are built once, handed to `onLoad` (the subscription executor plans
 * on the same planner) and used for the operations this executor takes.
 */
export function planExecutingGateway(
  gateway: GatewayInterface,
  buildService: (subgraph: { name: string; url: string }) => GraphQLDataSource<object>,
  onLoad?: (loaded: { runtime: SupergraphRuntime; serviceMap: ServiceMap; apiSchema: GraphQLSchema }) => void,
): GatewayInterface {
  let executor: ReturnType<typeof createPlanExecutor> | undefined;
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl, apiSchema }) => {
    const supergraph = Supergraph.build(coreSupergraphSdl);
    const serviceMap: ServiceMap = Object.fromEntries(supergraph.subgraphsMetadata().map((subgraph) => [subgraph.name, buildService(subgraph)]));
    const runtime = supergraphRuntime(supergraph);
    executor = createPlanExecutor(runtime, serviceMap);
    onLoad?.({ runtime, serviceMap, apiSchema });
  });
  return withPlanExecutor(gateway, () => executor);
}
