/**
 * One schema node as the compatibility walk sees it: local `$ref`s followed (cycle-safe) and `allOf` members
 * merged, reduced to the keywords the rules look at.
 *
 * `$ref`s must be local: `#`, `#/definitions/…`, `#/$defs/…` or any JSON Pointer into the same document (also
 * written with the document's own `$id` in front). Anything else is an `EventContractError`, as is a pointer
 * that points nowhere.
 */
import { isObject } from '../../core/is-object';
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

const UNION_KEYWORDS = ['anyOf', 'oneOf'] as const;

/** A node's `anyOf` or `oneOf`: a value validates when it matches one of the members (`oneOf`: only one). */
export interface Union {
  keyword: (typeof UNION_KEYWORDS)[number];
  /** The list as written: its identity is what `unionMember` leaves out. */
  list: unknown[];
  members: Schema[];
}

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

const keyOf = (schema: Schema): object => (schema === true ? TRUE_ORIGIN : schema === false ? FALSE_ORIGIN : schema);

/** Synthetic member schemas (see `unionMember`): the union list each one leaves out of its owner. */
const leftOutUnion = new WeakMap<object, unknown>();
const memberSchemas = new WeakMap<object, WeakMap<object, JsonObject>>();

/**
 * One way a value can match `owner`: `member` of `union` together with the rest of `owner` (its `type`,
 * `properties`, … without that union). Memoised, so the walk sees one identity per member.
 */
export function unionMember(owner: Schema, union: Union, member: Schema): Schema {
  let byMember = memberSchemas.get(keyOf(owner));
  if (!byMember) memberSchemas.set(keyOf(owner), (byMember = new WeakMap()));
  let synthetic = byMember.get(keyOf(member));
  if (!synthetic) {
    byMember.set(keyOf(member), (synthetic = { allOf: [owner, member] }));
    leftOutUnion.set(synthetic, union.list);
  }
  return synthetic;
}

const restrictions = new WeakMap<object, Map<string, Schema>>();

/** `schema` limited to values of these types. Memoised, so the walk sees one identity per restriction. */
export function restrictedTo(schema: Schema, types: readonly string[]): Schema {
  let byTypes = restrictions.get(keyOf(schema));
  if (!byTypes) restrictions.set(keyOf(schema), (byTypes = new Map()));
  const key = types.join('|');
  let restricted = byTypes.get(key);
  if (!restricted) byTypes.set(key, (restricted = { allOf: [schema, { type: [...types] }] }));
  return restricted;
}

/** The view's union when it has exactly one (`anyOf` or `oneOf`, not both) and that is a list of schemas. */
export function unionOf(view: SchemaView): Union | undefined {
  const present = UNION_KEYWORDS.filter((keyword) => view.unchecked[keyword] !== undefined);
  if (present.length !== 1) return undefined;
  const keyword = present[0]!;
  const list = view.unchecked[keyword];
  if (!Array.isArray(list)) return undefined;
  const members = list.map(asSchema);
  if (members.some((member) => member === undefined)) return undefined;
  return { keyword, list, members: members as Schema[] };
}

/** Whether the view has an `anyOf` or a `oneOf` of any shape. */
export function hasUnion(view: SchemaView): boolean {
  return UNION_KEYWORDS.some((keyword) => view.unchecked[keyword] !== undefined);
}

/**
 * The types a union admits: those of its members together (`integer` folded into `number`); undefined when
 * a member admits any type, or is not a schema. A union met again inside its own members admits any type.
 */
function typesAdmittedBy(list: unknown[], doc: SchemaDocument, at: string, typing: ReadonlySet<unknown>): string[] | undefined {
  if (typing.has(list)) return undefined;
  const inner = new Set(typing).add(list);
  const admitted = new Set<string>();
  for (const value of list) {
    const member = asSchema(value);
    if (member === undefined) return undefined;
    const view = buildView(member, doc, at, inner);
    if (view.never) continue;
    if (view.types === undefined) return undefined;
    for (const type of view.types) admitted.add(type);
  }
  if (admitted.has('number')) admitted.delete('integer');
  return [...admitted].sort();
}

/** The view of `schema` (found at JSON path `at`, used in messages) inside `doc`. */
export function viewOf(schema: Schema, doc: SchemaDocument, at: string): SchemaView {
  return buildView(schema, doc, at, new Set());
}

/** `typing`: the unions whose members' types are being collected further up (they stop a cycle). */
function buildView(schema: Schema, doc: SchemaDocument, at: string, typing: ReadonlySet<unknown>): SchemaView {
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
  const leftOut = new Set<unknown>();
  const unionTypes: string[][] = [];

  const collect = (node: Schema): void => {
    if (node === true) return;
    if (node === false) {
      view.never = true;
      return;
    }
    if (seen.has(node)) return;
    seen.add(node);
    if (leftOutUnion.has(node)) leftOut.add(leftOutUnion.get(node));
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
    for (const keyword of UNCHECKED_KEYWORDS) if (keyword in node && !leftOut.has(node[keyword])) view.unchecked[keyword] = node[keyword];
    for (const keyword of UNION_KEYWORDS) {
      const list = node[keyword];
      if (!Array.isArray(list) || leftOut.has(list)) continue;
      const admitted = typesAdmittedBy(list, doc, at, typing);
      if (admitted) unionTypes.push(admitted);
    }

    if (Array.isArray(node.allOf)) for (const member of node.allOf) {
      const sub = asSchema(member);
      if (sub !== undefined) collect(sub);
    }
  };
  collect(schema);
  // `const` / `enum` without `type`: the types of the allowed values.
  if (view.types === undefined && view.values) view.types = [...new Set(view.values.values.map(jsonTypeOf))].sort();
  for (const admitted of unionTypes) view.types = view.types ? intersectTypes(view.types, admitted) : admitted;
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
