/**
 * Compiled result shaping: the semantics of `@apollo/gateway`'s `computeResponse`
 * (`dist/resultShaping.js`), compiled once per operation.
 *
 * Apollo walks the federation-internals `Operation` on every request: for each selection and each
 * object of the answer it looks up `@skip`/`@include` applications, resolves `__typename`s in the
 * schema, checks fragment type conditions with `isSubtype` and validates leaves with
 * `isValidLeafValue`. All of that depends only on the operation, the schema and the runtime type
 * name, so here it is done once: each selection set gets, per runtime `__typename`, a flat list of
 * steps (fragments that apply inlined, the ones that do not dropped), leaves get a precomputed
 * validation, and `@skip`/`@include` conditions become indices into a per-request memo. A request
 * then only reads the input, fills the output and records errors.
 *
 * The output is the same as Apollo's, byte for byte once serialized: same key order (the order of
 * the first visit of each response name), same nulls, same errors in the same order with the same
 * messages, paths and extensions, and the same exceptions (with the same messages) on inputs Apollo
 * rejects with an assertion. The visiting order is Apollo's on purpose: its selection sets are
 * already merged by key, but a response name can still be visited several times (with different
 * directives, or through several fragments), and each later visit merges into what the first one
 * produced, with errors in visiting order.
 */
import {
  ERRORS,
  isCompositeType,
  isCustomScalarType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isSubtype,
  typenameFieldName,
  Variable,
  type CompositeType,
  type Directive,
  type FieldSelection,
  type NamedType,
  type Operation,
  type OutputType,
  type Schema,
  type Selection,
  type SelectionSet,
} from '@apollo/federation-internals';
import type { GraphQLError } from 'graphql';

export interface ShapedResponse {
  data: Record<string, unknown> | null | undefined;
  errors: GraphQLError[];
}

export type Shaper = (input: Record<string, unknown> | null | undefined, variables: Record<string, unknown> | undefined) => ShapedResponse;

type Data = Record<string, unknown>;
type Path = Array<string | number>;

// ---------------------------------------------------------------------------------------------
// Compiled forms
// ---------------------------------------------------------------------------------------------

/** What a `__typename` can name, from the schema: looked up per object, so kept in a plain Map. */
interface TypeFacts {
  name: string;
  isObject: boolean;
  isComposite: boolean;
  type: NamedType;
}

/** Kinds of compiled output types (numbers: one `switch` in the hot loop, monomorphic objects). */
const LEAF = 0;
const COMPOSITE = 1;
const LIST = 2;
const NON_NULL = 3;
/** A composite field without a selection set: only possible when validation was skipped. */
const COMPOSITE_WITHOUT_SELECTION = 4;

/** How a leaf value is validated, decided once from the leaf type (see `isValidLeafValue`). */
const ANY_VALUE = 0; // custom scalars
const BOOLEAN_VALUE = 1;
const INTEGER_VALUE = 2; // Int: integral numbers only
const ID_VALUE = 3; // ID: integral numbers or strings
const FLOAT_VALUE = 4;
const STRING_VALUE = 5; // String and any other non-custom scalar: strings only
const ENUM_VALUE = 6;

/**
 * A field's output type, unwrapped level by level as Apollo's `updateOutputValue` does, with the
 * strings its error messages need already printed. Every level carries whether the field has a
 * selection set, which decides how an already produced value is merged.
 */
interface Shape {
  kind: number;
  /** `${type}` of this level, for messages. */
  description: string;
  hasSelectionSet: boolean;
  /** NON_NULL: the nullable type; LIST: the item type. */
  inner: Shape | null;
  /** COMPOSITE: the field's selection set. */
  selection: CompiledSelectionSet | null;
  /** LEAF: one of the `*_VALUE` kinds. */
  leafCheck: number;
  enumValues: ReadonlySet<string> | null;
}

/** Step kinds of a flattened selection set. */
const FIELD_STEP = 0;
const TYPENAME_STEP = 1;
/** Only evaluates its conditions: Apollo evaluates `@skip`/`@include` of fragments that do not apply, and that can throw. */
const PROBE_STEP = 2;
/** A fragment reached at the root while the root input has a non-string `__typename`: Apollo's assertion throws. */
const THROW_STEP = 3;

/**
 * One selection of a flattened selection set, for one runtime type. Fragments are gone: their
 * fields are steps carrying the fragment's conditions and its type condition as parent type (which
 * Apollo uses in messages and as the fallback of `__typename`).
 */
interface Step {
  kind: number;
  responseName: string;
  /**
   * The response name is a property of `Object.prototype` or `Array.prototype` (`constructor`,
   * `__proto__`, `length`...): reads must check own properties and `__proto__` must be defined,
   * not assigned. False for every ordinary name, which then takes the direct path.
   */
  inheritedName: boolean;
  /** Indices into the condition table, in Apollo's order of evaluation; null when unconditional. */
  conditions: number[] | null;
  shape: Shape | null;
  parentName: string;
  parentIsObject: boolean;
  /** No earlier step of the plan has this response name: on a fresh output object there is no previous value to merge with. */
  firstOfName: boolean;
}

type Plan = Step[];

/** A `@skip`/`@include` whose `if` is a variable: evaluated at most once per request. */
interface Condition {
  variable: string;
  /** The variable value that skips the selection: true for `@skip`, false for `@include`. */
  skipWhen: boolean;
  /** ` for variable $v of @skip(if: $v)`: the end of Apollo's assertion message. */
  messageSuffix: string;
}

/** How the runtime `__typename` of the object a selection set applies to is known. */
type RuntimeKey =
  | { kind: 'absent' } // no `__typename` (or an empty one): the static type applies
  | { kind: 'type'; type: NamedType } // a type of the schema
  | { kind: 'unknown' } // root only: a string naming no type
  | { kind: 'invalid' }; // root only: a truthy non-string

/** The conditions of one selection, decided once per selection. */
interface SelectionConditions {
  conditions: number[];
  alwaysSkipped: boolean;
}

/** Condition memo states. */
const UNKNOWN = 0;
const KEEP = 1;
const SKIP = 2;

/** The result flags of `complete`, as in Apollo's `{ isInvalid, hasErrors }`, kept in the run state to avoid an object per value. */
const INVALID = 1;
const HAS_ERRORS = 2;

const hasOwn = Object.prototype.hasOwnProperty;
const isEnumerable = Object.prototype.propertyIsEnumerable;

/** Response names that need the careful (own-property) path. */
function isInheritedName(name: string): boolean {
  return name in Object.prototype || name in Array.prototype;
}

// ---------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------

const typeFactsBySchema = new WeakMap<Schema, Map<string, TypeFacts>>();

/** Every name `schema.type(name)` resolves, with what shaping needs to know about it. */
function typeFactsOf(schema: Schema): Map<string, TypeFacts> {
  let facts = typeFactsBySchema.get(schema);
  if (!facts) {
    facts = new Map();
    for (const type of schema.allTypes()) {
      facts.set(type.name, { name: type.name, isObject: isObjectType(type), isComposite: isCompositeType(type), type });
    }
    typeFactsBySchema.set(schema, facts);
  }
  return facts;
}

/**
 * A selection set and its flattened plans, built lazily per runtime type name: the first object of
 * a type pays for the schema work, the next ones find the plan in a Map.
 */
class CompiledSelectionSet {
  private absentPlan: Plan | undefined;
  private readonly plansByTypename = new Map<string, Plan>();

  constructor(
    private readonly compiler: Compiler,
    private readonly source: SelectionSet,
    private readonly staticType: CompositeType,
  ) {}

  /** The plan for an object without `__typename`. */
  absent(): Plan {
    return (this.absentPlan ??= this.compiler.plan(this.source, { kind: 'absent' }, this.staticType));
  }

  /** The plan for an object of type `typename`, or undefined when it names no composite type (Apollo's "Invalid __typename"). */
  forTypename(typename: string): Plan | undefined {
    let plan = this.plansByTypename.get(typename);
    if (plan === undefined) {
      const facts = this.compiler.types.get(typename);
      if (facts === undefined || !facts.isComposite) return undefined;
      plan = this.compiler.plan(this.source, { kind: 'type', type: facts.type }, facts.type as CompositeType);
      this.plansByTypename.set(typename, plan);
    }
    return plan;
  }
}

/** The root selection set: its parent type is always the root type, whatever the root input's `__typename`. */
class CompiledRoot {
  private absentPlan: Plan | undefined;
  private unknownPlan: Plan | undefined;
  private invalidPlan: Plan | undefined;
  private readonly plansByTypename = new Map<string, Plan>();

  constructor(
    private readonly compiler: Compiler,
    private readonly source: SelectionSet,
    private readonly rootType: CompositeType,
  ) {}

  planFor(typename: unknown): Plan {
    if (!typename) return (this.absentPlan ??= this.compiler.plan(this.source, { kind: 'absent' }, this.rootType));
    if (typeof typename !== 'string') return (this.invalidPlan ??= this.compiler.plan(this.source, { kind: 'invalid' }, this.rootType));
    let plan = this.plansByTypename.get(typename);
    if (plan === undefined) {
      const facts = this.compiler.types.get(typename);
      // Unknown names all share one plan: no type condition applies to them.
      if (facts === undefined) return (this.unknownPlan ??= this.compiler.plan(this.source, { kind: 'unknown' }, this.rootType));
      plan = this.compiler.plan(this.source, { kind: 'type', type: facts.type }, this.rootType);
      this.plansByTypename.set(typename, plan);
    }
    return plan;
  }
}

/** Per-operation compilation state: the schema facts, the condition table and the caches of compiled pieces. */
class Compiler {
  readonly types: Map<string, TypeFacts>;
  readonly conditions: Condition[] = [];
  private readonly conditionIndex = new Map<string, number>();
  private readonly selectionSets = new Map<SelectionSet, CompiledSelectionSet>();
  private readonly fieldShapes = new Map<FieldSelection, Shape>();
  private readonly selectionConditions = new Map<Selection, SelectionConditions>();

  constructor(private readonly schema: Schema) {
    this.types = typeFactsOf(schema);
  }

  selectionSet(source: SelectionSet, staticType: CompositeType): CompiledSelectionSet {
    let compiled = this.selectionSets.get(source);
    if (!compiled) {
      compiled = new CompiledSelectionSet(this, source, staticType);
      this.selectionSets.set(source, compiled);
    }
    return compiled;
  }

  /** Flattens `source` for one runtime type: the steps Apollo's `applySelectionSet` would take, in order. */
  plan(source: SelectionSet, runtime: RuntimeKey, parentType: CompositeType): Plan {
    const steps: Step[] = [];
    this.flatten(source, runtime, parentType, [], steps);
    const seen = new Set<string>();
    for (const step of steps) {
      if (step.kind !== FIELD_STEP && step.kind !== TYPENAME_STEP) continue;
      step.firstOfName = !seen.has(step.responseName);
      seen.add(step.responseName);
    }
    return steps;
  }

  private flatten(source: SelectionSet, runtime: RuntimeKey, parentType: CompositeType, enclosing: number[], steps: Step[]): void {
    for (const selection of source.selections()) {
      const { conditions: own, alwaysSkipped } = this.conditionsOf(selection);
      const conditions = own.length === 0 ? enclosing : enclosing.concat(own);
      if (alwaysSkipped) {
        // Skipped by a literal, but after conditions on variables that Apollo evaluates (and that can throw).
        if (own.length > 0) steps.push(this.step(PROBE_STEP, '', conditions, null, parentType));
        continue;
      }
      if (selection.kind === 'FieldSelection') {
        const field = selection.element;
        if (field.name === typenameFieldName) {
          steps.push(this.step(TYPENAME_STEP, field.responseName(), conditions, null, parentType));
        } else {
          steps.push(this.step(FIELD_STEP, field.responseName(), conditions, this.fieldShape(selection), parentType));
        }
        continue;
      }
      if (runtime.kind === 'invalid') {
        steps.push(this.step(THROW_STEP, '', conditions, null, parentType));
        continue;
      }
      const typeCondition = selection.element.typeCondition;
      const applies =
        !typeCondition ||
        (runtime.kind === 'absent' ? isSubtype(typeCondition, parentType) : runtime.kind === 'type' ? isSubtype(typeCondition, runtime.type) : false);
      const before = steps.length;
      if (applies) this.flatten(selection.selectionSet, runtime, typeCondition ?? parentType, conditions, steps);
      // A fragment contributing no step still has its conditions evaluated by Apollo.
      if (steps.length === before && conditions.length > 0) steps.push(this.step(PROBE_STEP, '', conditions, null, parentType));
    }
  }

  private step(kind: number, responseName: string, conditions: number[], shape: Shape | null, parentType: CompositeType): Step {
    return {
      kind,
      responseName,
      inheritedName: isInheritedName(responseName),
      conditions: conditions.length === 0 ? null : conditions,
      shape,
      parentName: parentType.name,
      parentIsObject: isObjectType(parentType),
      firstOfName: false,
    };
  }

  /**
   * Registers the conditions of every selection reachable from `selectionSet`. Done before the
   * first request: plans are built lazily, but the per-request memo is sized by the condition table.
   */
  registerConditions(selectionSet: SelectionSet, visited = new Set<SelectionSet>()): void {
    if (visited.has(selectionSet)) return;
    visited.add(selectionSet);
    for (const selection of selectionSet.selections()) {
      this.conditionsOf(selection);
      if (selection.selectionSet) this.registerConditions(selection.selectionSet, visited);
    }
  }

  /**
   * `@skip` then `@include`, as Apollo's `shouldSkip` evaluates them: literals are decided now,
   * variables become condition indices. `alwaysSkipped` when a literal skips (the conditions
   * before it are still evaluated at run time).
   */
  private conditionsOf(selection: Selection): SelectionConditions {
    let result = this.selectionConditions.get(selection);
    if (!result) {
      const { element } = selection;
      result = this.directiveConditions(element.appliedDirectivesOf(this.schema.skipDirective())[0], element.appliedDirectivesOf(this.schema.includeDirective())[0]);
      this.selectionConditions.set(selection, result);
    }
    return result;
  }

  private directiveConditions(skip: Directive<any> | undefined, include: Directive<any> | undefined): SelectionConditions {
    const conditions: number[] = [];
    for (const [directive, skipWhen] of [
      [skip, true],
      [include, false],
    ] as const) {
      if (!directive) continue;
      const condition: unknown = directive.arguments().if;
      if (condition instanceof Variable) {
        conditions.push(this.condition(directive, condition, skipWhen));
      } else if (!!condition === skipWhen) {
        return { conditions, alwaysSkipped: true };
      }
    }
    return { conditions, alwaysSkipped: false };
  }

  private condition(directive: Directive<any>, variable: Variable, skipWhen: boolean): number {
    const messageSuffix = ` for variable ${variable} of ${directive}`;
    let index = this.conditionIndex.get(messageSuffix);
    if (index === undefined) {
      index = this.conditions.length;
      this.conditions.push({ variable: variable.name, skipWhen, messageSuffix });
      this.conditionIndex.set(messageSuffix, index);
    }
    return index;
  }

  private fieldShape(selection: FieldSelection): Shape {
    let shape = this.fieldShapes.get(selection);
    if (!shape) {
      shape = this.shape(selection.element.definition.type!, selection.selectionSet);
      this.fieldShapes.set(selection, shape);
    }
    return shape;
  }

  private shape(type: OutputType, selectionSet: SelectionSet | undefined): Shape {
    const shape: Shape = {
      kind: LEAF,
      description: String(type),
      hasSelectionSet: selectionSet !== undefined,
      inner: null,
      selection: null,
      leafCheck: ANY_VALUE,
      enumValues: null,
    };
    if (isNonNullType(type)) {
      shape.kind = NON_NULL;
      shape.inner = this.shape(type.ofType, selectionSet);
    } else if (isListType(type)) {
      shape.kind = LIST;
      shape.inner = this.shape(type.ofType, selectionSet);
    } else if (isCompositeType(type)) {
      if (selectionSet) {
        shape.kind = COMPOSITE;
        shape.selection = this.selectionSet(selectionSet, type);
      } else {
        shape.kind = COMPOSITE_WITHOUT_SELECTION;
      }
    } else {
      shape.leafCheck = this.leafCheck(type);
      if (isEnumType(type)) shape.enumValues = new Set(type.values.map((value) => value.name));
    }
    return shape;
  }

  /** The type identities `isValidLeafValue` compares against (a shadowed built-in is not the built-in). */
  private leafCheck(type: NamedType): number {
    if (isCustomScalarType(type)) return ANY_VALUE;
    if (isEnumType(type)) return ENUM_VALUE;
    if (type === this.schema.booleanType()) return BOOLEAN_VALUE;
    if (type === this.schema.intType()) return INTEGER_VALUE;
    if (type === this.schema.idType()) return ID_VALUE;
    if (type === this.schema.floatType()) return FLOAT_VALUE;
    return STRING_VALUE;
  }
}

/** Whether the operation reaches `__schema` or `__type` anywhere (fragments included): those need Apollo's introspection execution. */
function selectsSchemaIntrospection(selectionSet: SelectionSet, visited: Set<SelectionSet>): boolean {
  if (visited.has(selectionSet)) return false;
  visited.add(selectionSet);
  for (const selection of selectionSet.selections()) {
    if (selection.kind === 'FieldSelection' && selection.element.definition.isSchemaIntrospectionField()) return true;
    const subSelection = selection.selectionSet;
    if (subSelection && selectsSchemaIntrospection(subSelection, visited)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------------------------

/** Per-request state: the errors, the current path (copied into errors) and the memo of conditions. */
class Run {
  readonly errors: GraphQLError[] = [];
  readonly path: Path = [];
  /** `complete`'s result flags (INVALID, HAS_ERRORS). */
  flags = 0;
  readonly memo: Uint8Array | null;

  constructor(
    readonly shaper: CompiledOperation,
    readonly variables: Record<string, unknown> | undefined,
  ) {
    const count = shaper.conditions.length;
    this.memo = count === 0 ? null : new Uint8Array(count);
  }

  error(message: string): void {
    this.errors.push(ERRORS.INVALID_GRAPHQL.err(message, { path: this.path.slice() }));
  }
}

interface CompiledOperation {
  conditions: Condition[];
  /** `operation.collectDefaultedVariableValues()`, computed once. */
  defaults: Record<string, unknown>;
  types: Map<string, TypeFacts>;
}

/** Whether a step is skipped: each condition is evaluated once per request, in order, stopping at the first that skips. */
function isSkipped(run: Run, conditions: number[]): boolean {
  const memo = run.memo!;
  for (let i = 0; i < conditions.length; i++) {
    const index = conditions[i]!;
    let state = memo[index]!;
    if (state === UNKNOWN) state = memo[index] = evaluateCondition(run, run.shaper.conditions[index]!);
    if (state === SKIP) return true;
  }
  return false;
}

function evaluateCondition(run: Run, condition: Condition): number {
  const { variables } = run;
  // Apollo reads `{ ...defaults, ...variables }`: an own enumerable entry wins, even undefined.
  const value =
    variables != null && isEnumerable.call(variables, condition.variable) ? variables[condition.variable] : run.shaper.defaults[condition.variable];
  if (typeof value !== 'boolean') throw new Error(`Unexpected value ${value}${condition.messageSuffix}`);
  return value === condition.skipWhen ? SKIP : KEEP;
}

/** Apollo's `getOwn`. */
function ownValue(object: Data, name: string): unknown {
  return hasOwn.call(object, name) ? object[name] : undefined;
}

function setOutput(output: Data, step: Step, value: unknown): void {
  if (step.inheritedName && step.responseName === '__proto__') {
    Object.defineProperty(output, '__proto__', { value, writable: true, enumerable: true, configurable: true });
  } else {
    output[step.responseName] = value;
  }
}

/** `field Parent.name` or `array element of type T at index i`, from the last path element. */
function describeLast(path: Path, typeDescription: string, parentName: string): string {
  const last = path[path.length - 1];
  return typeof last === 'string' ? `field ${parentName}.${last}` : `array element of type ${typeDescription} at index ${last}`;
}

/**
 * Applies a plan to one input object, filling `output`. Returns true when the object must be
 * nulled (Apollo's NULL_BUBBLE_UP).
 *
 * Apollo reads inputs with `getOwn`. Plain and null-prototype objects (all JSON gives) are read
 * directly, which is the same for any name not inherited from `Object.prototype`; other inputs
 * (arrays where an object is expected, class instances) are read `careful`ly, own properties only.
 * `fresh`: `output` was just created, so a step first of its name has nothing to merge with.
 */
function applyPlan(run: Run, plan: Plan, input: Data, output: Data, fresh: boolean): boolean {
  const prototype = Object.getPrototypeOf(input);
  const careful = prototype !== Object.prototype && prototype !== null;
  for (let i = 0; i < plan.length; i++) {
    const step = plan[i]!;
    if (step.conditions !== null && isSkipped(run, step.conditions)) continue;
    switch (step.kind) {
      case FIELD_STEP: {
        const name = step.responseName;
        let value: unknown;
        let previous: unknown;
        if (step.inheritedName || careful) {
          value = ownValue(input, name);
          previous = ownValue(output, name);
        } else {
          value = input[name];
          previous = fresh && step.firstOfName ? undefined : output[name];
        }
        if (value === undefined) value = null;
        const path = run.path;
        path.push(name);
        const updated = complete(run, step.shape!, previous, value, step.parentName);
        if (step.inheritedName) setOutput(output, step, updated);
        else output[name] = updated;
        path.pop();
        if ((run.flags & INVALID) !== 0) return true;
        break;
      }
      case TYPENAME_STEP: {
        const name = step.responseName;
        if ((step.inheritedName ? ownValue(output, name) : output[name]) !== undefined) break;
        let value = step.inheritedName || careful ? ownValue(input, name) : input[name];
        if (value == null) {
          value = name === typenameFieldName ? null : (input[typenameFieldName] ?? null);
        }
        let typename: string | undefined;
        if (typeof value === 'string') {
          const facts = run.shaper.types.get(value);
          if (facts !== undefined) {
            if (!facts.isObject) return true;
            typename = facts.name;
          }
        }
        if (typename === undefined) {
          if (!step.parentIsObject) return true;
          typename = step.parentName;
        }
        if (step.inheritedName) setOutput(output, step, typename);
        else output[name] = typename;
        break;
      }
      case PROBE_STEP:
        break;
      case THROW_STEP:
        throw new Error(`Got unexpected value for __typename: ${input[typenameFieldName]}`);
    }
  }
  return false;
}

/**
 * Apollo's `updateOutputValue`: the value of `shape` at the current path, from `input` and what a
 * previous visit of the same response name produced (`previous`). Sets `run.flags`.
 */
function complete(run: Run, shape: Shape, previous: unknown, input: unknown, parentName: string): unknown {
  if (previous === null || (previous !== undefined && !shape.hasSelectionSet)) {
    run.flags = 0;
    return previous;
  }
  const kind = shape.kind;
  if (kind === NON_NULL) {
    const inner = shape.inner!;
    const updated = complete(run, inner, previous, input, parentName);
    if (updated === null) {
      if ((run.flags & HAS_ERRORS) === 0) run.error(`Cannot return null for non-nullable ${describeLast(run.path, inner.description, parentName)}.`);
      run.flags = INVALID | HAS_ERRORS;
      return null;
    }
    run.flags = 0;
    return updated;
  }
  if (input === null) {
    run.flags = 0;
    return null;
  }
  switch (kind) {
    case LEAF: {
      if (isValidLeaf(shape, input)) {
        run.flags = 0;
        return input;
      }
      run.error(`Invalid value found for ${describeLast(run.path, shape.description, parentName)}.`);
      run.flags = HAS_ERRORS;
      return null;
    }
    case COMPOSITE: {
      if (typeof input !== 'object') throw new Error(`Invalid non-object value ${input} returned by subgraph for composite type ${shape.description}`);
      if (previous !== undefined && typeof previous !== 'object') {
        throw new Error(`Invalid non-object value ${input} returned by subgraph for composite type ${shape.description}`);
      }
      const object = input as Data;
      const typename = object[typenameFieldName];
      let plan: Plan | undefined;
      if (typename === undefined || typename === '') {
        plan = shape.selection!.absent();
      } else if (typeof typename !== 'string') {
        throw new Error(`Invalid non-string value ${typename} for __typename at ${run.path}`);
      } else {
        plan = shape.selection!.forTypename(typename);
        if (plan === undefined) {
          run.error(`Invalid __typename found for object at ${describeLast(run.path, shape.description, parentName)}.`);
          run.flags = HAS_ERRORS;
          return null;
        }
      }
      const fresh = previous === undefined;
      const output = fresh ? {} : (previous as Data);
      if (applyPlan(run, plan, object, output, fresh)) {
        run.flags = HAS_ERRORS;
        return null;
      }
      run.flags = 0;
      return output;
    }
    case LIST: {
      if (!Array.isArray(input)) throw new Error(`Invalid non-list value ${input} returned by subgraph for list type ${shape.description}`);
      if (previous !== undefined) {
        if (!Array.isArray(previous)) throw new Error(`Invalid non-list value ${previous} returned by subgraph for list type ${shape.description}`);
        if (previous.length !== input.length) throw new Error(`[${input}].length (${input.length}) !== [${previous}].length (${previous.length})`);
      }
      const item = shape.inner!;
      const length = input.length;
      const updated = new Array<unknown>(length);
      const path = run.path;
      let nullify = false;
      let hasErrors = false;
      for (let index = 0; index < length; index++) {
        const element: unknown = input[index];
        if (element === undefined) throw new Error('Should not pass undefined for `inputValue` to this method');
        path.push(index);
        updated[index] = complete(run, item, previous === undefined ? undefined : (previous as unknown[])[index], element, parentName);
        path.pop();
        const flags = run.flags;
        if ((flags & INVALID) !== 0) nullify = true;
        if ((flags & HAS_ERRORS) !== 0) hasErrors = true;
      }
      run.flags = hasErrors ? HAS_ERRORS : 0;
      return nullify ? null : updated;
    }
    default:
      throw new Error(`Invalid empty selection set for composite type ${shape.description}`);
  }
}

/** `isValidLeafValue` with the type comparisons done at compile time. */
function isValidLeaf(shape: Shape, value: unknown): boolean {
  const check = shape.leafCheck;
  if (check === ANY_VALUE) return true;
  switch (typeof value) {
    case 'string':
      if (check === ENUM_VALUE) return shape.enumValues!.has(value);
      return check === STRING_VALUE || check === ID_VALUE;
    case 'number':
      if (!Number.isFinite(value)) return false;
      // `/^-?(?:0|[1-9][0-9]*)$/` on `String(value)`: integers below 1e21 (above, String() uses an exponent).
      if (check === INTEGER_VALUE || check === ID_VALUE) return Number.isInteger(value) && Math.abs(value) < 1e21;
      return check === FLOAT_VALUE;
    case 'boolean':
      return check === BOOLEAN_VALUE;
    default:
      return false;
  }
}

/**
 * Compiles `computeResponse` for `operation` (built by `operationFromDocument` on the API schema).
 * Undefined when the operation selects `__schema` or `__type`: the caller then uses Apollo's own
 * path, which executes those against the schema.
 */
export function compileShaper(operation: Operation): Shaper | undefined {
  if (selectsSchemaIntrospection(operation.selectionSet, new Set())) return undefined;
  const schema = operation.schema();
  const compiler = new Compiler(schema);
  compiler.registerConditions(operation.selectionSet);
  const rootType = schema.schemaDefinition.rootType(operation.rootKind);
  if (!rootType) throw new Error(`The schema has no ${operation.rootKind} root type`);
  const root = new CompiledRoot(compiler, operation.selectionSet, rootType);
  const compiled: CompiledOperation = { conditions: compiler.conditions, defaults: operation.collectDefaultedVariableValues(), types: compiler.types };

  return (input, variables) => {
    if (!input) return { data: input, errors: [] };
    const run = new Run(compiled, variables);
    const data: Data = {};
    const bubbled = applyPlan(run, root.planFor(input[typenameFieldName]), input, data, true);
    return { data: bubbled ? null : data, errors: run.errors };
  };
}
