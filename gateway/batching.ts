import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Kind, OperationTypeNode, parse, print, visit, type DefinitionNode, type DocumentNode, type FieldNode, type SelectionNode, type VariableDefinitionNode } from 'graphql';
import { INCOMING_OPERATION } from './datasource.ts';

type Response = Awaited<ReturnType<GraphQLDataSource['process']>>;
type ResponseError = NonNullable<Response['errors']>[number];
type Variables = Record<string, unknown>;
type Options<TContext extends object> = GraphQLDataSourceProcessOptions<TContext>;
/**
 * Fewer and smaller subgraph fetches for one client request, with the same answers:
 *
 * - **Merging.** The query planner sends a subgraph several fetches at once (on `TestQuery`, 16 fetch
 *   nodes go to four subgraphs). Query fetches of one client request to one subgraph, sent in the same
 *   turn of the event loop, go as one operation: each one's root fields aliased `_<n>_<name>`, its
 *   variables and fragments renamed `_<n>_...`, and the answer split back. Only fetches of the same
 *   request are merged, so they carry the same forwarded headers. If the merged fetch fails as a whole
 *   (an error with no part's path, `data: null` from a non-null root field, a refused request), each
 *   fetch is sent again on its own, so one fetch's failure never becomes another's.
 * - **Deduplicating representations.** An `_entities` fetch lists an entity once per place it appears
 *   (on `TestQuery`, product 1 up to 96 times); each distinct representation is sent once and its answer
 *   copied back to every place, with errors repeated at each place as the subgraph would have.
 */
export class BatchingDataSource<TContext extends object> implements GraphQLDataSource<TContext> {
  private readonly pending = new WeakMap<TContext, Array<Part<TContext>>>();

  constructor(private readonly inner: GraphQLDataSource<TContext>) {}

  process(options: Options<TContext>): Promise<Response> {
    // Health checks and schema loading are not a client's request: they go as they are.
    const shape = options.kind === INCOMING_OPERATION && options.request.query ? shapeOf(options.request.query) : undefined;
    if (!shape) return this.inner.process(options);
    const context = options.context as TContext;
    return new Promise((resolve, reject) => {
      const part = { options, shape, resolve, reject };
      const queue = this.pending.get(context);
      if (queue) return void queue.push(part);
      this.pending.set(context, [part]);
      // Every fetch the plan starts in this turn (Promise.all over a Parallel node) is queued by then.
      setImmediate(() => {
        const parts = this.pending.get(context)!;
        this.pending.delete(context);
        void this.flush(parts);
      });
    });
  }

  private async flush(parts: Array<Part<TContext>>) {
    if (parts.length === 1) return settle(parts[0]!, this.sendDeduplicated(parts[0]!.options));
    const answers = await this.sendMerged(parts).catch(() => undefined);
    parts.forEach((part, i) => settle(part, answers ? Promise.resolve(answers[i]!) : this.sendDeduplicated(part.options)));
  }

  private async sendDeduplicated(options: Options<TContext>): Promise<Response> {
    const deduplicated = deduplicateRepresentations(options.request.variables);
    if (!deduplicated) return this.inner.process(options);
    const response = await this.inner.process(withRequest(options, { ...options.request, variables: deduplicated.variables }));
    return deduplicated.expand(response);
  }

  /** One fetch for all parts; undefined when the merged answer cannot be split faithfully. */
  private async sendMerged(parts: Array<Part<TContext>>): Promise<Response[] | undefined> {
    const merged = mergedOperation(parts.map((part) => part.shape));
    const deduplicated = parts.map((part) => deduplicateRepresentations(part.options.request.variables));
    const variables: Variables = {};
    parts.forEach((part, i) => {
      for (const [name, value] of Object.entries(deduplicated[i]?.variables ?? part.options.request.variables ?? {})) variables[`${prefix(i)}${name}`] = value;
    });
    const first = parts[0]!.options;
    const response = await this.inner.process(withRequest(first, { query: merged.query, operationName: merged.operationName, variables }));
    const split = splitResponse(response, parts.map((part) => part.shape));
    return split?.map((answer, i) => deduplicated[i]?.expand(answer) ?? answer);
  }
}

interface Part<TContext extends object> {
  options: Options<TContext>;
  shape: Shape;
  resolve(response: Response): void;
  reject(error: unknown): void;
}

function settle<TContext extends object>(part: Part<TContext>, response: Promise<Response>) {
  response.then(part.resolve, part.reject);
}

function withRequest<TContext extends object>(options: Options<TContext>, request: Options<TContext>['request']): Options<TContext> {
  // The inner data source writes `request.http`; each fetch gets a request object of its own.
  return { ...options, request: { query: request.query, operationName: request.operationName, variables: request.variables } } as Options<TContext>;
}

/** A query fetch the merger can take apart again: its document and the response names of its root fields. */
interface Shape {
  query: string;
  document: DocumentNode;
  operationName: string | undefined;
  rootNames: string[];
}

const MAX_CACHED = 2000;
const shapes = new Map<string, Shape | null>();
const merges = new Map<string, { query: string; operationName: string | undefined }>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  // Plans are few and cached by Apollo Gateway; this bound only guards against a flood of distinct ones.
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, value);
  return value;
}

/** Queries with only fields at the root can be merged; mutations never are (their order matters). */
function shapeOf(query: string): Shape | undefined {
  const cached = shapes.get(query);
  if (cached !== undefined) return cached ?? undefined;
  let shape: Shape | null = null;
  try {
    const document = parse(query);
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const operation = operations[0];
    if (operations.length === 1 && operation?.operation === OperationTypeNode.QUERY && operation.selectionSet.selections.every(isField)) {
      const rootNames = (operation.selectionSet.selections as FieldNode[]).map((field) => (field.alias ?? field.name).value);
      shape = { query, document, operationName: operation.name?.value, rootNames };
    }
  } catch {
    // Not ours to judge: the subgraph answers whatever it makes of it.
  }
  return remember(shapes, query, shape) ?? undefined;
}

const isField = (selection: SelectionNode): selection is FieldNode => selection.kind === Kind.FIELD;
const prefix = (index: number) => `_${index}_`;

/** The parts as one query document, cached by their texts. */
function mergedOperation(parts: Shape[]): { query: string; operationName: string | undefined } {
  const key = parts.map((part) => part.query).join('\u0000');
  const cached = merges.get(key);
  if (cached) return cached;

  const variableDefinitions: VariableDefinitionNode[] = [];
  const selections: FieldNode[] = [];
  const fragments: DefinitionNode[] = [];
  parts.forEach((part, i) => {
    const rename = (name: { value: string }) => ({ ...name, value: `${prefix(i)}${name.value}` });
    const renamed = visit(part.document, {
      Variable: (node) => ({ ...node, name: rename(node.name) }),
      FragmentSpread: (node) => ({ ...node, name: rename(node.name) }),
      FragmentDefinition: (node) => ({ ...node, name: rename(node.name) }),
    });
    for (const definition of renamed.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) {
        fragments.push(definition);
        continue;
      }
      variableDefinitions.push(...(definition.variableDefinitions ?? []));
      for (const field of definition.selectionSet.selections as FieldNode[]) {
        selections.push({ ...field, alias: { kind: Kind.NAME, value: `${prefix(i)}${(field.alias ?? field.name).value}` } });
      }
    }
  });
  const operationName = parts[0]!.operationName ? `${parts[0]!.operationName}__merged` : undefined;
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        ...(operationName ? { name: { kind: Kind.NAME, value: operationName } } : {}),
        variableDefinitions,
        selectionSet: { kind: Kind.SELECTION_SET, selections },
      },
      ...fragments,
    ],
  };
  return remember(merges, key, { query: print(document), operationName });
}

/** Each part's own answer out of the merged one, or undefined when an error or a null cannot be placed. */
function splitResponse(response: Response, parts: Shape[]): Response[] | undefined {
  const data = response.data;
  if (!data || typeof data !== 'object') return undefined;
  const errorsByPart: ResponseError[][] = parts.map(() => []);
  for (const error of response.errors ?? []) {
    const first = error.path?.[0];
    const match = typeof first === 'string' ? /^_(\d+)_(.+)$/.exec(first) : null;
    const part = match ? Number(match[1]) : -1;
    if (!match || !parts[part]?.rootNames.includes(match[2]!)) return undefined;
    errorsByPart[part]!.push({ ...error, path: [match[2]!, ...error.path!.slice(1)] });
  }
  return parts.map((part, i) => {
    const own: Record<string, unknown> = {};
    for (const name of part.rootNames) {
      const key = `${prefix(i)}${name}`;
      if (key in data) own[name] = (data as Record<string, unknown>)[key];
    }
    const errors = errorsByPart[i]!;
    return { ...response, data: own, errors: errors.length ? errors : undefined };
  });
}

interface Deduplicated {
  variables: Variables;
  /** The answer as if every representation had been sent. */
  expand(response: Response): Response;
}

/** `representations` with each distinct one once; undefined when there is nothing to gain. */
function deduplicateRepresentations(variables: Variables | undefined): Deduplicated | undefined {
  const representations = variables?.representations;
  if (!Array.isArray(representations) || representations.length < 2) return undefined;
  const index = new RepresentationIndex();
  const unique: unknown[] = [];
  const positions = representations.map((representation) => {
    const position = index.positionOf(representation, unique.length);
    if (position === unique.length) unique.push(representation);
    return position;
  });
  if (unique.length === representations.length) return undefined;
  return { variables: { ...variables, representations: unique }, expand: (response) => expandEntities(response, positions, unique.length) };
}

/**
 * Representations by their content, as a tree of maps: field name, then value, then the next field.
 * Nearly every representation is a flat object of strings and numbers, so finding one builds no key
 * at all (a `JSON.stringify` per representation was most of what deduplication cost). A value that is
 * an object or a list is keyed by its JSON in a map of its own, apart from string values.
 */
class RepresentationIndex {
  private readonly root = new IndexNode();

  /** Where an equal representation already stands, or `next` (and it is recorded there). */
  positionOf(representation: unknown, next: number): number {
    let node = this.root;
    if (typeof representation === 'object' && representation !== null && !Array.isArray(representation)) {
      for (const name in representation) node = node.child(name, (representation as Record<string, unknown>)[name]);
    } else {
      node = node.child('', representation);
    }
    node.position ??= next;
    return node.position;
  }
}

class IndexNode {
  position: number | undefined;
  private readonly fields = new Map<string, { values: Map<unknown, IndexNode>; structured?: Map<unknown, IndexNode> }>();

  child(name: string, value: unknown): IndexNode {
    let field = this.fields.get(name);
    if (!field) {
      field = { values: new Map() };
      this.fields.set(name, field);
    }
    const structured = typeof value === 'object' && value !== null;
    const map = structured ? (field.structured ??= new Map()) : field.values;
    const key = structured ? JSON.stringify(value) : value;
    let node = map.get(key);
    if (!node) {
      node = new IndexNode();
      map.set(key, node);
    }
    return node;
  }
}

function expandEntities(response: Response, positions: number[], uniqueCount: number): Response {
  const entities = (response.data as { _entities?: unknown } | null | undefined)?._entities;
  // An answer of the wrong length is passed on as is: the gateway reports it as it would have.
  if (!Array.isArray(entities) || entities.length !== uniqueCount) return response;
  // The first place gets the parsed entity; later places get copies, since the gateway merges later
  // fetches into each place's object and places must not share one.
  const used = new Set<number>();
  const expanded = positions.map((position) => {
    const entity = entities[position];
    if (!used.has(position)) {
      used.add(position);
      return entity;
    }
    return copyJson(entity);
  });
  return { ...response, data: { ...response.data, _entities: expanded }, errors: expandErrors(response.errors, positions) };
}

/**
 * An error at a deduplicated entity belongs at every place it stood, in the order of the places (the
 * order a subgraph reports them in for a list). Errors at no entity, rare in an `_entities` answer, follow.
 */
function expandErrors(errors: Response['errors'], positions: number[]): Response['errors'] {
  if (!errors?.length) return errors;
  const placed: Array<{ place: number; error: ResponseError }> = [];
  const others: ResponseError[] = [];
  for (const error of errors) {
    const [field, position, ...rest] = error.path ?? [];
    if (field !== '_entities' || typeof position !== 'number') {
      others.push(error);
      continue;
    }
    positions.forEach((at, place) => {
      if (at === position) placed.push({ place, error: { ...error, path: ['_entities', place, ...rest] } });
    });
  }
  placed.sort((a, b) => a.place - b.place);
  return [...placed.map(({ error }) => error), ...others];
}

function copyJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJson);
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const key in value) copy[key] = copyJson((value as Record<string, unknown>)[key]);
    return copy;
  }
  return value;
}
