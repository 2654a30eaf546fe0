/**
 * Differential tests of the compiled result shaping (gateway/shaping.ts) against Apollo Gateway's
 * own `computeResponse`: for many operations and many inputs (hand-written corners and inputs
 * fuzzed from the schema), both must give the same JSON (key order included), the same errors
 * (message, path, extensions) and throw the same exceptions.
 */
import { composeServices } from '@apollo/composition';
import { operationFromDocument, Supergraph, type Operation } from '@apollo/federation-internals';
import { computeResponse } from '@apollo/gateway/dist/resultShaping.js';
import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { compileShaper, type ShapedResponse } from '../gateway/shaping.ts';

const ACCOUNTS = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])

  scalar JSON

  enum Role {
    ADMIN
    MEMBER
    GUEST
  }

  interface Node {
    id: ID!
  }

  interface Named {
    name: String
  }

  interface Entity implements Node {
    id: ID!
    createdAt: String
  }

  type User implements Node & Named & Entity @key(fields: "id") {
    id: ID!
    name: String
    createdAt: String
    role: Role!
    tags: [String!]
    matrix: [[Int]!]
    meta: JSON
    friends: [User!]!
    bestFriend: User
    age: Int
    score: Float
    active: Boolean!
    constructor: String
  }

  type Team implements Node & Named & Entity @key(fields: "id") {
    id: ID!
    name: String
    createdAt: String
    members: [User]!
    lead: User!
  }

  type Bot implements Node {
    id: ID!
    model: String!
    version: Int
  }

  union SearchResult = User | Team | Bot

  type Query {
    node(id: ID!): Node
    nodes: [Node]!
    entities: [Entity!]
    search(q: String): [SearchResult!]
    first: SearchResult
    me: User!
    users: [User]
    team: Team
    matrix: [[Int!]]
    json: JSON
    role: Role
    ids: [ID]
    floats: [Float!]
  }

  type Mutation {
    rename(name: String!): User
  }
`;

const POSTS = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type User @key(fields: "id") {
    id: ID!
    posts: [Post!]!
  }

  type Post {
    title: String!
    likes: Int
    author: User
  }
`;

function buildApiSchema() {
  const composed = composeServices([
    { name: 'accounts', url: 'http://accounts', typeDefs: parse(ACCOUNTS) },
    { name: 'posts', url: 'http://posts', typeDefs: parse(POSTS) },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
  return Supergraph.build(composed.supergraphSdl).apiSchema();
}

const apiSchema = buildApiSchema();
const graphqlSchema = apiSchema.toGraphQLJSSchema();

function operationOf(source: string, operationName?: string): Operation {
  return operationFromDocument(apiSchema, parse(source), { operationName, validate: false });
}

type Input = Record<string, unknown> | null | undefined;
type Variables = Record<string, unknown> | undefined;
type Outcome = { thrown: string } | { json: string | undefined; isNull: boolean; errors: Array<{ message: string; path: unknown; extensions: string }> };

/** Everything the contract compares, as plain data: JSON of `data` (key order matters), errors, or the message of what was thrown. */
function outcomeOf(run: () => ShapedResponse): Outcome {
  let result: ShapedResponse;
  try {
    result = run();
  } catch (error) {
    return { thrown: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
  return {
    json: JSON.stringify(result.data),
    isNull: result.data === null,
    errors: result.errors.map((error) => ({ message: error.message, path: error.path, extensions: JSON.stringify(error.extensions) })),
  };
}

function apolloOutcome(operation: Operation, input: Input, variables: Variables): Outcome {
  return outcomeOf(() =>
    computeResponse({
      operation,
      variables,
      input,
      introspectionHandling: () => {
        throw new Error('introspection is not expected here');
      },
    }),
  );
}

/** Defines an own property, even `__proto__`. */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Deep-copies JSON-like values keeping undefined and non-JSON leaves: each side gets an input it cannot have changed for the other. */
function clone<T>(value: T): T {
  if (Array.isArray(value)) {
    // map keeps holes; named properties added to the array are copied too.
    const copy = value.map(clone) as unknown as Record<string, unknown>;
    for (const key of Object.keys(value)) if (!/^\d+$/.test(key)) setOwn(copy, key, clone((value as unknown as Record<string, unknown>)[key]));
    return copy as T;
  }
  if (value !== null && typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value) as object | null;
    const copy: Record<string, unknown> = Object.create(prototype === Object.prototype || prototype === null ? prototype : clone(prototype));
    for (const key of Object.keys(value)) setOwn(copy, key, clone((value as Record<string, unknown>)[key]));
    return copy as T;
  }
  return value;
}

/** Compares both implementations on one input; returns Apollo's outcome for further checks. */
function expectSame(operation: Operation, input: Input, variables?: Variables): Outcome {
  const shaper = compileShaper(operation);
  expect(shaper).toBeDefined();
  const expected = apolloOutcome(operation, clone(input), clone(variables));
  const actual = outcomeOf(() => shaper!(clone(input), clone(variables)));
  expect(actual, `input ${JSON.stringify(input)} variables ${JSON.stringify(variables)}`).toEqual(expected);
  return expected;
}

// ---------------------------------------------------------------------------------------------
// Fuzzed inputs
// ---------------------------------------------------------------------------------------------

/** mulberry32: deterministic, so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FuzzOptions {
  /** Probability of a null where a value is expected (non-null positions included). */
  nulls: number;
  /** Probability of a missing key. */
  missing: number;
  /** Probability of a wrong leaf value. */
  wrongLeaves: number;
  /** Probability of an odd `__typename` (absent, unknown, abstract, not composite, empty). */
  oddTypenames: number;
  /** Probability of a structurally wrong value (Apollo throws on those). */
  garbage: number;
}

/**
 * Generates answers for an operation from the schema: each selected response name gets a value of
 * its field's type (fragments of every type condition contribute, so that whichever runtime type
 * is picked finds its fields), with random nulls, missing keys, wrong leaves and odd typenames.
 */
class InputFuzzer {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    source: string,
    private readonly next: () => number,
    private readonly options: FuzzOptions,
  ) {
    for (const definition of parse(source).definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    }
  }

  private chance(probability: number): boolean {
    return this.next() < probability;
  }

  private pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)]!;
  }

  root(source: string, rootType: GraphQLCompositeType): Record<string, unknown> {
    const operation = parse(source).definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION)!;
    if (operation.kind !== Kind.OPERATION_DEFINITION) throw new Error('no operation');
    const data = this.object(rootType, [operation.selectionSet], rootType);
    if (this.chance(this.options.oddTypenames / 4)) data.__typename = this.pick(['Query', 'Mutation', 'User', 'Nope', 'String', '']);
    return data;
  }

  /** Fields selected under `selectionSets`, keyed by response name: their type and merged sub-selections. */
  private collect(parentType: GraphQLCompositeType, selectionSets: readonly SelectionSetNode[]) {
    const fields = new Map<string, { type: GraphQLOutputType | 'typename'; selectionSets: SelectionSetNode[] }>();
    const visit = (type: GraphQLCompositeType, selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const responseName = selection.alias?.value ?? selection.name.value;
          const name = selection.name.value;
          let entry = fields.get(responseName);
          if (!entry) {
            const fieldType = name === '__typename' ? 'typename' : 'getFields' in type ? type.getFields()[name]?.type : undefined;
            if (!fieldType) continue;
            entry = { type: fieldType, selectionSets: [] };
            fields.set(responseName, entry);
          }
          if (selection.selectionSet) entry.selectionSets.push(selection.selectionSet);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition ? (this.schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : type;
          visit(condition, selection.selectionSet);
        } else {
          const fragment = this.fragments.get(selection.name.value)!;
          visit(this.schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType, fragment.selectionSet);
        }
      }
    };
    for (const selectionSet of selectionSets) visit(parentType, selectionSet);
    return fields;
  }

  private object(type: GraphQLCompositeType, selectionSets: readonly SelectionSetNode[], runtimeType: GraphQLCompositeType): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    for (const [responseName, field] of this.collect(type, selectionSets)) {
      if (this.chance(this.options.missing)) continue;
      if (field.type === 'typename') {
        if (responseName !== '__typename' && this.chance(0.5)) continue;
        setOwn(data, responseName, this.chance(this.options.oddTypenames) ? this.oddTypename() : runtimeType.name);
        continue;
      }
      setOwn(data, responseName, this.value(field.type, field.selectionSets));
    }
    return data;
  }

  private oddTypename(): unknown {
    return this.pick(['Nope', 'Node', 'Named', 'Entity', 'SearchResult', 'String', 'Role', '', 'User', 'Team', 'Bot', 'Post', 'Query', null]);
  }

  private value(type: GraphQLOutputType, selectionSets: readonly SelectionSetNode[]): unknown {
    if (this.chance(this.options.nulls)) return null;
    if (this.chance(this.options.garbage)) return this.pick([42, 'text', true, [], {}, [1, 2], undefined]);
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      const length = Math.floor(this.next() * 4);
      return Array.from({ length }, () => this.value(nullable.ofType, selectionSets));
    }
    if (isCompositeType(nullable)) {
      const candidates = isAbstractType(nullable) ? this.schema.getPossibleTypes(nullable) : [nullable];
      const runtimeType = this.pick(candidates);
      const data = this.object(nullable, selectionSets, runtimeType);
      if (!('__typename' in data)) {
        if (this.chance(this.options.oddTypenames)) {
          const odd = this.oddTypename();
          if (odd !== null) data.__typename = odd;
        } else if (isAbstractType(nullable) || this.chance(0.5)) {
          data.__typename = runtimeType.name;
        }
      }
      return data;
    }
    return this.leaf(getNamedType(nullable));
  }

  private leaf(type: ReturnType<typeof getNamedType>): unknown {
    if (this.chance(this.options.wrongLeaves)) {
      return this.pick([
        'text',
        '',
        12,
        -7,
        0,
        -0,
        1.5,
        2 ** 31,
        2 ** 53,
        1e21,
        1e300,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        true,
        false,
        { a: 1 },
        [1],
        'ADMIN',
        'admin',
        'constructor',
      ]);
    }
    if (isEnumType(type)) return this.pick(type.getValues()).name;
    if (isScalarType(type)) {
      switch (type.name) {
        case 'Int':
          return Math.floor(this.next() * 2000) - 1000;
        case 'Float':
          return this.next() * 100;
        case 'Boolean':
          return this.chance(0.5);
        case 'ID':
          return this.chance(0.5) ? String(Math.floor(this.next() * 100)) : Math.floor(this.next() * 100);
        case 'String':
          return `s${Math.floor(this.next() * 1000)}`;
        default:
          return this.pick([{ any: ['json'] }, 'json', 3, null, [1, { b: 2 }]]);
      }
    }
    return null;
  }
}

/** Random values for the operation's variables: booleans mostly, sometimes absent (defaults or Apollo's assertion), rarely null. */
function fuzzVariables(next: () => number, names: readonly string[]): Variables {
  if (names.length === 0) return next() < 0.5 ? undefined : {};
  const variables: Record<string, unknown> = {};
  for (const name of names) {
    const roll = next();
    if (roll < 0.45) variables[name] = true;
    else if (roll < 0.9) variables[name] = false;
    else if (roll < 0.97) continue;
    else variables[name] = null;
  }
  return variables;
}

function variableNames(source: string): string[] {
  const operation = parse(source).definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return operation?.kind === Kind.OPERATION_DEFINITION ? (operation.variableDefinitions ?? []).map((definition) => definition.variable.name.value) : [];
}

const FUZZ_PROFILES: FuzzOptions[] = [
  { nulls: 0, missing: 0, wrongLeaves: 0, oddTypenames: 0, garbage: 0 },
  { nulls: 0.05, missing: 0.03, wrongLeaves: 0.03, oddTypenames: 0.03, garbage: 0 },
  { nulls: 0.2, missing: 0.1, wrongLeaves: 0.1, oddTypenames: 0.1, garbage: 0 },
  { nulls: 0.1, missing: 0.1, wrongLeaves: 0.1, oddTypenames: 0.2, garbage: 0.02 },
];

/** Runs `count` fuzzed inputs through both implementations; returns how many produced errors, nulls or throws (to check the fuzzing reaches them). */
function fuzz(source: string, count: number, seed: number) {
  const operation = operationOf(source);
  const rootType = (operation.rootKind === 'mutation' ? graphqlSchema.getMutationType() : graphqlSchema.getQueryType())!;
  const names = variableNames(source);
  const stats = { withErrors: 0, nullData: 0, thrown: 0, clean: 0 };
  for (let index = 0; index < count; index++) {
    const next = random(seed * 7919 + index);
    const fuzzer = new InputFuzzer(graphqlSchema, source, next, FUZZ_PROFILES[index % FUZZ_PROFILES.length]!);
    const outcome = expectSame(operation, fuzzer.root(source, rootType), fuzzVariables(next, names));
    if ('thrown' in outcome) stats.thrown++;
    else if (outcome.isNull) stats.nullData++;
    else if (outcome.errors.length > 0) stats.withErrors++;
    else stats.clean++;
  }
  return stats;
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

const OPERATIONS: Record<string, string> = {
  leaves: `{ me { id name role tags age score active meta createdAt } json role ids floats }`,
  aliasesAndDuplicates: `{ me { a: name name a: name id ... on User { name b: id age } } users { id } me { age c: age } }`,
  inheritedNames: `{ me { constructor toString: name valueOf: age length: id __proto__: name hasOwnProperty: __typename } }`,
  typenames: `{ node(id: "1") { __typename t: __typename ... on User { __typename name } } search { __typename ... on Named { t2: __typename name } } first { ... on Node { __typename } t: __typename } }`,
  rootTypename: `{ __typename t: __typename me { id } }`,
  abstractFragments: `
    query Search {
      search {
        ... on Node { id }
        ... on User { name friends { id } }
        ... on Team { name lead { id } }
        ...BotFields
      }
    }
    fragment BotFields on Bot { model version }
  `,
  nestedFragments: `
    {
      nodes {
        ... on Named { name ... on User { role } ... on Team { members { ...U } } }
        ... { id }
        ... on Entity { createdAt ... on Node { id } }
      }
    }
    fragment U on User { id ... on Named { name } ...on Node { __typename } }
  `,
  interfaceHierarchy: `{ entities { id ... on Entity { createdAt } ... on Node { id } ... on Team { lead { name } } } }`,
  conditions: `
    query Conditions($a: Boolean!, $b: Boolean = true, $c: Boolean = false) {
      me {
        id @skip(if: $a)
        name @include(if: $b)
        age @skip(if: true)
        score @include(if: false)
        role @include(if: true)
        active @skip(if: false)
        ... on User @include(if: $c) { tags }
        ...F @skip(if: $a)
        ... @include(if: $a) { meta name }
        bestFriend @include(if: $b) @skip(if: $c) { id name @skip(if: $b) }
      }
      team @include(if: $c) { id }
    }
    fragment F on User { active meta createdAt }
  `,
  sameNameDifferentDirectives: `query Same($a: Boolean!) { me { name @include(if: $a) name @skip(if: $a) id b: age @skip(if: $a) b: age } }`,
  nestedConditions: `
    query Nested($a: Boolean!, $b: Boolean!) {
      me @include(if: $a) {
        id
        ... @skip(if: $b) { name ... @include(if: $a) { age } }
        ... on Node @include(if: $b) { id }
        friends { ... on Team @include(if: $b) { name } id }
      }
      nodes { ... on Bot @skip(if: $a) { model } ... on Team @skip(if: true) { name } }
    }
  `,
  nonNullPropagation: `{ me { friends { id active friends { id role } } } team { lead { id active } members { id role } } users { active } }`,
  listsOfLists: `{ matrix me { matrix tags } floats ids }`,
  mergedSubselections: `
    {
      me { bestFriend { id } ... on User { bestFriend { name bestFriend { id } } } ...G }
      users { id bestFriend { id } }
      users { name bestFriend { name } }
    }
    fragment G on User { bestFriend { age bestFriend { name active } } }
  `,
  mergedAcrossTypes: `{ search { ... on User { x: name friends { id } } ... on Team { x: name members { id } } ... on Node { id } } }`,
  posts: `{ me { posts { title likes author { id name posts { title } } } } }`,
  rootFragments: `{ ...Q ... on Query { users { id } } ... @skip(if: false) { role } } fragment Q on Query { me { id } json }`,
  unionTypenameOnly: `{ search { kind: __typename ... on Bot { id } } first { __typename } }`,
  mutation: `mutation Rename { rename(name: "x") { id name ... on Node { id } } }`,
  deferred: `query($a: Boolean!) { me { id ... @defer { name ... on User @defer(label: "x") { age } } ... @defer(if: $a) @include(if: $a) { role } } }`,
  deep: `{ users { id friends { id friends { id bestFriend { name role friends { id } } } } } }`,
};

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('compileShaper', () => {
  it('leaves introspection operations to Apollo', () => {
    expect(compileShaper(operationOf(`{ __schema { types { name } } }`))).toBeUndefined();
    expect(compileShaper(operationOf(`{ __type(name: "User") { name } }`))).toBeUndefined();
    expect(compileShaper(operationOf(`{ me { id } ...I } fragment I on Query { __typename t: __type(name: "User") { name } }`))).toBeUndefined();
    expect(compileShaper(operationOf(`{ me { id } ... on Query { ... on Query { __schema { queryType { name } } } } }`))).toBeUndefined();
    expect(compileShaper(operationOf(`{ __typename me { __typename } }`))).toBeDefined();
  });

  it('returns null and undefined inputs as they are', () => {
    const operation = operationOf(OPERATIONS.leaves!);
    for (const input of [null, undefined]) {
      expect(compileShaper(operation)!(input, undefined)).toEqual({ data: input, errors: [] });
      expectSame(operation, input);
    }
  });

  it('detects differences in key order (the comparison itself)', () => {
    const a = outcomeOf(() => ({ data: { x: 1, y: 2 }, errors: [] }));
    const b = outcomeOf(() => ({ data: { y: 2, x: 1 }, errors: [] }));
    expect(a).not.toEqual(b);
  });

  it('keeps the first position of fields selected several times', () => {
    const operation = operationOf(OPERATIONS.mergedSubselections!);
    const input = {
      me: { bestFriend: { id: '1', name: 'a', age: 3, bestFriend: { id: '2', name: 'b', active: true } } },
      users: [{ id: '1', name: 'n', bestFriend: { id: '2', name: 'm' } }],
    };
    const outcome = expectSame(operation, input);
    expect('json' in outcome && outcome.json).toBe(
      JSON.stringify({
        me: { bestFriend: { id: '1', name: 'a', bestFriend: { id: '2', name: 'b', active: true }, age: 3 } },
        users: [{ id: '1', bestFriend: { id: '2', name: 'm' }, name: 'n' }],
      }),
    );
  });

  it('matches Apollo on hand-written corners', () => {
    const leaves = operationOf(OPERATIONS.leaves!);
    const user = { id: '1', name: 'a', role: 'ADMIN', tags: ['x'], age: 3, score: 1.5, active: true, meta: { any: 1 }, createdAt: 'now' };
    expectSame(leaves, { me: user, json: [1, 'x'], role: 'GUEST', ids: ['1', 2, null], floats: [1, 2.5] });
    // Int range is not checked by Apollo: 2^40 passes, 1e21 does not (String() gives an exponent).
    expectSame(leaves, { me: { ...user, age: 2 ** 40 }, ids: [1e21, 1e20, -0, 1.5] });
    expectSame(leaves, { me: { ...user, role: 'admin', active: 'true', score: '1', name: 5 } });
    expectSame(leaves, { me: { ...user, active: null } });
    expectSame(leaves, { me: { ...user, tags: ['a', null, 'b', null] } });
    expectSame(leaves, { me: { ...user, __typename: 'Team' } });
    expectSame(leaves, { me: { ...user, __typename: 'Nope' } });
    expectSame(leaves, { me: { ...user, __typename: 'Node' } });
    expectSame(leaves, { me: { ...user, __typename: '' } });
    expectSame(leaves, { me: {} });
    expectSame(leaves, {});
    expectSame(leaves, Object.assign(Object.create(null), { me: user }));

    const typenames = operationOf(OPERATIONS.typenames!);
    expectSame(typenames, { node: { id: '1' } });
    expectSame(typenames, { node: { __typename: 'User', name: 'a' } });
    expectSame(typenames, { node: { __typename: 'User', t: 'Team' } });
    expectSame(typenames, { node: { __typename: 'User', t: 'Nope' } });
    expectSame(typenames, { node: { __typename: 'User', t: 'Node' } });
    expectSame(typenames, { node: { __typename: 'Node' } });
    expectSame(typenames, { search: [{ __typename: 'Team', name: 'x' }, { __typename: 'Bot' }, { __typename: 'SearchResult' }] });
    expectSame(typenames, { first: { id: '1' } });
    expectSame(typenames, { first: { __typename: 'Bot', t: 3 } });
    // A root __typename that is not a string only matters to fragments at the root.
    expectSame(typenames, { __typename: 7, node: null });

    // Inputs that are not plain objects: only own properties count.
    expectSame(leaves, { me: Object.assign(Object.create({ name: 'inherited', id: '7' }), { role: 'ADMIN', active: true }) });
    expectSame(leaves, { me: Object.assign(['a', 'b'], { role: 'ADMIN', active: true, id: '1' }) });
    const inherited = operationOf(OPERATIONS.inheritedNames!);
    expectSame(inherited, { me: {} });
    expectSame(inherited, { me: JSON.parse('{"__proto__": "p", "constructor": "c", "toString": "t", "valueOf": 3, "length": "1", "hasOwnProperty": "User"}') });
    expectSame(inherited, { me: Object.assign(['a', 'b'], { toString: 'x' }) });
    expectSame(inherited, { me: Object.assign(Object.create({ constructor: 'c' }), { valueOf: 1.5 }) });

    const rootTypename = operationOf(OPERATIONS.rootTypename!);
    expectSame(rootTypename, { me: { id: '1' } });
    expectSame(rootTypename, { __typename: 'Team', me: { id: '1' } });
    expectSame(rootTypename, { __typename: 'Node', me: { id: '1' } });
    expectSame(rootTypename, { t: 'User', me: { id: '1' } });

    const propagation = operationOf(OPERATIONS.nonNullPropagation!);
    expectSame(propagation, { me: { friends: [{ id: '1', active: true, friends: [{ id: '2', role: null }] }] }, team: { lead: null, members: [null, { id: '3' }] } });
    expectSame(propagation, { me: null, team: { lead: { id: '1', active: true }, members: [] } });
    expectSame(propagation, { me: { friends: [null] }, users: [{ active: 'x' }, { active: null }] });

    const lists = operationOf(OPERATIONS.listsOfLists!);
    expectSame(lists, { matrix: [[1, 2], [null], null, []], me: { matrix: [null, [null, 1]], tags: [] }, floats: [1, null] });
    expectSame(lists, { matrix: [[1.5]], me: { matrix: [[1], null] }, floats: [Number.NaN] });
  });

  it('throws what Apollo throws on inputs it rejects', () => {
    const leaves = operationOf(OPERATIONS.leaves!);
    const lists = operationOf(OPERATIONS.listsOfLists!);
    const conditions = operationOf(OPERATIONS.conditions!);
    const me = { id: '1', role: 'ADMIN', active: true };
    const cases: Array<[Operation, Input, Variables?]> = [
      [leaves, { me: 'x' }],
      [leaves, { me: { __typename: 5 } }],
      [leaves, { me: { __typename: null } }],
      [leaves, { me: { id: '1', name: 'a', role: 'ADMIN', tags: 'x' } }],
      [lists, { matrix: [[1, undefined]] }],
      [lists, { matrix: [[1, , 2]] }], // eslint-disable-line no-sparse-arrays
      [operationOf(OPERATIONS.rootFragments!), { __typename: 7 }],
      [conditions, { me }, {}],
      [conditions, { me }, { a: 'yes' }],
      [conditions, { me }, { a: true, b: undefined }],
      [conditions, { me }, { a: false, c: null }],
      // Conditions of fragments that do not apply, or of selections a literal skips after them, are still evaluated.
      [operationOf(`query($v: Boolean!) { nodes { ... on Bot @skip(if: $v) { model } id } }`), { nodes: [{ __typename: 'Team', id: '1' }] }, {}],
      [operationOf(`query($v: Boolean!) { nodes { id @skip(if: $v) @include(if: false) } }`), { nodes: [{ id: '1' }] }, {}],
      [operationOf(`query($v: Boolean!) { nodes { ... @skip(if: $v) { ... on Bot { id } } } }`), { nodes: [{ __typename: 'Team', id: '1' }] }, {}],
    ];
    for (const [operation, input, variables] of cases) {
      const outcome = expectSame(operation, input, variables);
      expect(outcome, JSON.stringify(input)).toHaveProperty('thrown');
    }
    // A literal @skip is decided before @include's variable is looked at.
    const notThrown = expectSame(operationOf(`query($v: Boolean!) { nodes { id @include(if: $v) @skip(if: true) } }`), { nodes: [{ id: '1' }] }, {});
    expect(notThrown).not.toHaveProperty('thrown');
  });

  it('evaluates conditions from defaults and variables like Apollo', () => {
    const operation = operationOf(OPERATIONS.conditions!);
    const input = { me: { id: '1', name: 'a', age: 1, score: 2, role: 'ADMIN', active: true, tags: ['t'], meta: 1, createdAt: 'c', bestFriend: { id: '2', name: 'b' } }, team: { id: '3' } };
    for (const a of [true, false]) {
      for (const b of [true, false, undefined]) {
        for (const c of [true, false, undefined]) {
          const variables: Record<string, unknown> = { a };
          if (b !== undefined) variables.b = b;
          if (c !== undefined) variables.c = c;
          expectSame(operation, input, variables);
        }
      }
    }
  });

  for (const [name, source] of Object.entries(OPERATIONS)) {
    it(`matches Apollo on fuzzed inputs: ${name}`, () => {
      const stats = fuzz(source, 160, name.length * 1000 + name.charCodeAt(0));
      // The fuzzing must reach both clean answers and error paths.
      expect(stats.clean).toBeGreaterThan(0);
      expect(stats.withErrors + stats.nullData).toBeGreaterThan(0);
    });
  }

  it('reuses compiled plans across requests and runtime types', () => {
    const operation = operationOf(OPERATIONS.abstractFragments!);
    const shaper = compileShaper(operation)!;
    const inputs = [
      { search: [{ __typename: 'User', id: '1', name: 'a', friends: [] }, { __typename: 'Bot', id: '2', model: 'm', version: 1 }] },
      { search: [{ __typename: 'Team', id: '3', name: 't', lead: { id: '4' } }, { __typename: 'User', id: '1', name: null, friends: [{ id: '5' }] }] },
    ];
    for (let round = 0; round < 3; round++) {
      for (const input of inputs) {
        const expected = apolloOutcome(operation, clone(input), undefined);
        expect(outcomeOf(() => shaper(clone(input), undefined))).toEqual(expected);
      }
    }
  });

  it('keeps error paths independent of each other', () => {
    const operation = operationOf(OPERATIONS.leaves!);
    const { errors } = compileShaper(operation)!({ me: { id: '1', role: 'x', active: 'y', tags: [null] } }, undefined);
    expect(errors.map((error) => error.path)).toEqual([['me', 'role']]);
    const second = compileShaper(operationOf(`{ users { age score } }`))!({ users: [{ age: 'x', score: 'y' }, { age: 1.5 }] }, undefined);
    expect(second.errors.map((error) => error.path)).toEqual([
      ['users', 0, 'age'],
      ['users', 0, 'score'],
      ['users', 1, 'age'],
    ]);
  });
});

describe('fuzzer sanity', () => {
  it('produces inputs for abstract types with their runtime typename', () => {
    const source = OPERATIONS.abstractFragments!;
    const fuzzer = new InputFuzzer(graphqlSchema, source, random(1), FUZZ_PROFILES[0]!);
    const data = fuzzer.root(source, graphqlSchema.getQueryType()!);
    const search = data.search as Array<Record<string, unknown>>;
    for (const item of search) expect(isObjectType(graphqlSchema.getType(item.__typename as string))).toBe(true);
    expect(isNonNullType(graphqlSchema.getQueryType()!.getFields().me!.type)).toBe(true);
  });
});
