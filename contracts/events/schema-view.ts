/**
 * One schema node as the compatibility walk sees it: local `$ref`s followed (cycle-safe) and `allOf` members
 * merged, reduced to the keywords the rules look at.
 *
 * `$ref`s must be local: `#`, `#/definitions/…`, `#/$defs/…` or any JSON Pointer into the same document (also
 * written with the document's own `$id` in front). Anything else is an `EventContractError`, as is a pointer
 * that points nowhere.
 */
import { EventContractError } from './errors';
import { pointerTokens } from './json-path';
import type { JsonObject } from './load';

export type Schema = JsonObject | boolean;

export interface SchemaDocument {
  file: string;
  root: JsonObject;
}

/** Allowed values: `const` (one) or `enum` (a list). */
export interface ValueSet {
  kind: 'const' | 'enum';
  values: unknown[];
}

export const CONSTRAINT_KEYWORDS = [
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
] as const;
export type ConstraintKeyword = (typeof CONSTRAINT_KEYWORDS)[number];

/** Applicators the walk does not follow; a change to one is reported for a person to review. */
export const UNCHECKED_KEYWORDS = [
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'patternProperties',
  'propertyNames',
  'dependentSchemas',
  'dependentRequired',
  'dependencies',
  'contains',
  'additionalItems',
  'unevaluatedItems',
] as const;
export type UncheckedKeyword = (typeof UNCHECKED_KEYWORDS)[number];

export interface SchemaView {
  /** The object this view stands for once pure `$ref`s are followed: identity for cycle detection. */
  origin: object;
  /** `false`, or types that exclude each other (`allOf`): nothing validates. */
  never: boolean;
  /** Allowed JSON types, sorted (from `const` / `enum` when there is no `type`); undefined when any type is allowed. */
  types?: string[];
  values?: ValueSet;
  properties: Map<string, Schema>;
  required: Set<string>;
  /** `additionalProperties: false` or `unevaluatedProperties: false`. */
  closed: boolean;
  /** A schema-valued `additionalProperties` (a map's values). */
  additional?: Schema;
  /** `items` as one schema (draft-07 object form, 2020-12). */
  items?: Schema;
  /** Tuple positions: `prefixItems` (2020-12) or `items` as an array (draft-07). */
  tuple?: Schema[];
  constraints: Partial<Record<ConstraintKeyword, unknown>>;
  /** Keywords the walk does not follow (`anyOf`, `oneOf`, `not`, `if`, …) as written: compared as a whole. */
  unchecked: Partial<Record<UncheckedKeyword, unknown>>;
}

const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

const asSchema = (value: unknown): Schema | undefined => (typeof value === 'boolean' || isObject(value) ? value : undefined);

/** Follows one `$ref` string to its target in `doc`. */
export function resolveRef(ref: string, doc: SchemaDocument, at: string): Schema {
  let pointer: string | undefined;
  const id = typeof doc.root.$id === 'string' ? doc.root.$id.replace(/#.*$/, '') : undefined;
  if (ref.startsWith('#')) pointer = ref.slice(1);
  else if (id && ref.startsWith(`${id}#`)) pointer = ref.slice(id.length + 1);
  else if (id && ref === id) pointer = '';
  if (pointer === undefined || (pointer !== '' && !pointer.startsWith('/'))) {
    throw new EventContractError(doc.file, `$ref ${JSON.stringify(ref)} at ${at}: only local references are supported (#/definitions/…, #/$defs/…)`);
  }
  let node: unknown = doc.root;
  for (const raw of pointerTokens(pointer)) {
    let token: string;
    try {
      token = decodeURIComponent(raw);
    } catch {
      token = raw;
    }
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (node === undefined) break;
  }
  const target = asSchema(node);
  if (target === undefined) throw new EventContractError(doc.file, `$ref ${JSON.stringify(ref)} at ${at} does not resolve to a schema`);
  return target;
}

const TRUE_ORIGIN = {};
const FALSE_ORIGIN = {};

/** The object a schema stands for once pure `$ref`s (a `$ref` with only annotations beside it) are followed. */
function originOf(schema: Schema, doc: SchemaDocument, at: string): object {
  const seen = new Set<object>();
  let node: Schema = schema;
  for (;;) {
    if (typeof node === 'boolean') return node ? TRUE_ORIGIN : FALSE_ORIGIN;
    if (seen.has(node) || typeof node.$ref !== 'string' || !isPureRef(node)) return node;
    seen.add(node);
    node = resolveRef(node.$ref, doc, at);
  }
}

/** Keywords that do not constrain the value: a `$ref` with only these beside it is the referenced schema. */
const ANNOTATIONS = new Set(['$ref', '$schema', '$id', '$defs', 'definitions', '$comment', 'title', 'description', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly']);
const isPureRef = (node: JsonObject): boolean => Object.keys(node).every((key) => ANNOTATIONS.has(key) || key.startsWith('x-'));

const sortedTypes = (value: unknown): string[] | undefined => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((t) => typeof t === 'string')) return [...new Set(value as string[])].sort();
  return undefined;
};

/** Types allowed by both lists (`integer` is a `number`). */
function intersectTypes(a: string[], b: string[]): string[] {
  const out = new Set<string>();
  for (const t of a) {
    if (b.includes(t)) out.add(t);
    else if ((t === 'number' && b.includes('integer')) || (t === 'integer' && b.includes('number'))) out.add('integer');
  }
  return [...out].sort();
}

/** Two property schemas for one name (from two `allOf` members) as one: memoised, so identities stay stable. */
const mergedPairs = new WeakMap<object, WeakMap<object, Schema>>();
function both(a: Schema, b: Schema): Schema {
  if (a === true || b === false) return b;
  if (b === true || a === false) return a;
  let inner = mergedPairs.get(a);
  if (!inner) mergedPairs.set(a, (inner = new WeakMap()));
  let merged = inner.get(b);
  if (!merged) inner.set(b, (merged = { allOf: [a, b] }));
  return merged;
}

/** The view of `schema` (found at JSON path `at`, used in messages) inside `doc`. */
export function viewOf(schema: Schema, doc: SchemaDocument, at: string): SchemaView {
  const view: SchemaView = {
    origin: originOf(schema, doc, at),
    never: false,
    properties: new Map(),
    required: new Set(),
    closed: false,
    constraints: {},
    unchecked: {},
  };
  const seen = new Set<object>();

  const collect = (node: Schema): void => {
    if (node === true) return;
    if (node === false) {
      view.never = true;
      return;
    }
    if (seen.has(node)) return;
    seen.add(node);
    if (typeof node.$ref === 'string') collect(resolveRef(node.$ref, doc, at));

    const types = sortedTypes(node.type);
    if (types) view.types = view.types ? intersectTypes(view.types, types) : types;

    if ('const' in node) view.values = { kind: 'const', values: [node.const] };
    else if (Array.isArray(node.enum) && view.values?.kind !== 'const') view.values = { kind: 'enum', values: node.enum };

    if (isObject(node.properties)) {
      for (const [name, value] of Object.entries(node.properties)) {
        const property = asSchema(value);
        if (property === undefined) continue;
        const before = view.properties.get(name);
        view.properties.set(name, before === undefined ? property : both(before, property));
      }
    }
    if (Array.isArray(node.required)) for (const name of node.required) if (typeof name === 'string') view.required.add(name);

    if (node.additionalProperties === false || node.unevaluatedProperties === false) view.closed = true;
    const additional = isObject(node.additionalProperties) ? node.additionalProperties : undefined;
    if (additional) view.additional = view.additional === undefined ? additional : both(view.additional, additional);

    if (Array.isArray(node.prefixItems)) view.tuple = node.prefixItems.map((s) => asSchema(s) ?? true);
    if (Array.isArray(node.items)) view.tuple = node.items.map((s) => asSchema(s) ?? true);
    else {
      const items = asSchema(node.items);
      if (items !== undefined) view.items = view.items === undefined ? items : both(view.items, items);
    }

    for (const keyword of CONSTRAINT_KEYWORDS) if (keyword in node) view.constraints[keyword] = node[keyword];
    for (const keyword of UNCHECKED_KEYWORDS) if (keyword in node) view.unchecked[keyword] = node[keyword];

    if (Array.isArray(node.allOf)) for (const member of node.allOf) {
      const sub = asSchema(member);
      if (sub !== undefined) collect(sub);
    }
  };
  collect(schema);
  // `const` / `enum` without `type`: the types of the allowed values.
  if (view.types === undefined && view.values) view.types = [...new Set(view.values.values.map(jsonTypeOf))].sort();
  if (view.types && view.types.length === 0) view.never = true;
  return view;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Whether a view can describe a value of this JSON type (an unrestricted view can). */
export function mayBe(view: SchemaView, type: 'object' | 'array'): boolean {
  return view.types === undefined || view.types.includes(type);
}
