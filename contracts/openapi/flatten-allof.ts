/**
 * `--flatten-allof` (oasdiff's "merge subschemas under allOf before diff"): a Resolver whose schemas come
 * out with their `allOf` parts merged into one schema, so `$ref: Pet` rewritten as `allOf: [$ref: Pet]`, or
 * a schema split into parts that together say the same, compare as unchanged, and a real change keeps the
 * id it would have without `allOf`.
 *
 * The merge follows oasdiff's flatten/allof: parts (`$ref`s resolved, nested `allOf`s expanded) have their
 * properties joined (a property in several parts becomes the merge of its schemas), `required` unioned,
 * types intersected (`integer` within `number`), bounds the stricter, enums intersected, formats the
 * narrowest numeric one. `nullable` (3.0) holds when every typed part has it, or when it stands beside the
 * allOf itself (`nullable: true` + `allOf: [$ref]`, 3.0's nullable reference, which oasdiff would drop).
 * What cannot be said as one schema without losing or inventing a constraint (conflicting types, formats,
 * patterns, defaults; an empty enum intersection; `oneOf`/`not`/`if` in several parts; `unevaluated*`; an
 * `allOf` that contains itself) keeps the `allOf` as written, which the walker compares member by member.
 *
 * Merging is lazy, one schema at a time as the walker reaches it: a property found in several parts becomes
 * a new `allOf` of those schemas, merged when it is reached. So recursive schemas terminate, and each
 * merged schema is one object (cached per source schema) that the walker's cycle checks can recognise.
 */
import { isObject } from '../../core/is-object';
import { jsonKey, sameJson } from '../json-equal';
import { isMultiple } from './bounds';
import { copyLocation } from './load';
import { Resolver, type Deref } from './resolve';

type Obj = Record<string, unknown>;

/** One schema under an allOf, with the file its `$ref`s resolve against. */
interface Part {
  schema: Obj;
  file: string;
}

/** A value taken from a part, with that part's file. */
interface Sourced {
  value: unknown;
  file: string;
}

/** Thrown inside a merge that one schema cannot express: the allOf stays as written. */
class CannotMerge extends Error {}

const ANNOTATIONS = new Set(['title', 'description', 'example', 'examples', 'externalDocs', '$comment', 'xml', '$id', '$schema', '$anchor', '$defs', 'definitions']);
const ANY_TRUE = ['uniqueItems', 'readOnly', 'writeOnly', 'deprecated'];
const LOWER_BOUNDS = ['minLength', 'minItems', 'minProperties'];
const UPPER_BOUNDS = ['maxLength', 'maxItems', 'maxProperties'];
/** Keywords that only mean something together: all of a group must come from one part. */
const ONE_PART_GROUPS = [['contains', 'minContains', 'maxContains'], ['if', 'then', 'else'], ['oneOf'], ['anyOf'], ['not'], ['discriminator'], ['dependentSchemas']];
/** Keywords whose meaning depends on every other applicator next to them: merging would change it. */
const NEVER_MERGED = ['unevaluatedProperties', 'unevaluatedItems', '$dynamicRef', '$recursiveRef'];
/** Keywords whose value is one schema, a list of schemas, or a map of names to schemas. */
const SCHEMA_VALUED = new Set(['items', 'additionalProperties', 'contains', 'propertyNames', 'if', 'then', 'else', 'not', 'contentSchema']);
const SCHEMA_LISTS = new Set(['prefixItems', 'oneOf', 'anyOf']);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'dependentSchemas']);
/** Numeric formats, narrowest first (oasdiff's order). */
const NUMERIC_FORMATS = ['int32', 'int64', 'float', 'double'];

export class AllOfFlatteningResolver extends Resolver {
  private readonly merged = new WeakMap<object, Deref>();
  /** The file a value placed in a merged schema resolves against (it may come from another file). */
  private readonly homes = new WeakMap<object, string>();
  private readonly merging = new Set<object>();
  /** The allOf made for each list of schemas (see `combine`). */
  private readonly allOfs = new ListKeyedMap<Obj>();
  private readonly madeHere = new WeakSet<object>();
  private readonly openapi30: boolean;

  constructor(rootFile: string, rootValue: unknown) {
    super(rootFile, rootValue);
    const version = isObject(rootValue) ? rootValue.openapi : undefined;
    this.openapi30 = typeof version === 'string' && /^3\.0(\.|$)/.test(version);
  }

  override derefSchema<T = unknown>(value: unknown, file: string): Deref<T> {
    const home = isObject(value) ? (this.homes.get(value) ?? file) : file;
    return this.flattened(super.derefSchema(value, home)) as Deref<T>;
  }

  private flattened(d: Deref): Deref {
    const schema = d.value;
    if (!isObject(schema) || !Array.isArray(schema.allOf)) return d;
    const known = this.merged.get(schema);
    if (known) return { ...known, ref: d.ref };
    // Reached again while being merged (an allOf that leads back to itself): as written.
    if (this.merging.has(schema)) return d;
    this.merging.add(schema);
    try {
      const result = this.mergeAllOf(schema, d.file) ?? { value: schema, file: d.file };
      this.merged.set(schema, result);
      return { ...result, ref: d.ref };
    } finally {
      this.merging.delete(schema);
    }
  }

  /** The one schema `schema`'s allOf says, or undefined when it cannot be merged. */
  private mergeAllOf(schema: Obj, file: string): Deref | undefined {
    const parts = this.partsOf(schema, file, new Set([schema]));
    if (!parts) return undefined;
    if (parts.length === 0) return { value: {}, file };
    if (parts.length === 1) return { value: parts[0]!.schema, file: parts[0]!.file };
    try {
      const merged = this.mergeParts(parts, file);
      // OpenAPI 3.0's way to make a referenced schema nullable (`nullable: true` beside `allOf: [$ref]`) is read
      // as the comparison without the flag reads it, rather than dropped with the part it sits in.
      if (this.openapi30 && schema.nullable === true) merged.nullable = true;
      copyLocation(schema, merged);
      return { value: merged, file };
    } catch (err) {
      if (err instanceof CannotMerge) return undefined;
      throw err;
    }
  }

  /** The schema's own keywords and its allOf members, resolved, nested allOfs expanded; undefined on a cycle or a `false` part. */
  private partsOf(schema: Obj, file: string, expanding: Set<object>): Part[] | undefined {
    const { allOf, ...own } = schema;
    const parts: Part[] = [];
    if (Object.keys(own).length > 0) {
      copyLocation(schema, own);
      parts.push({ schema: own, file });
    }
    for (const member of new Set(allOf as unknown[])) {
      const d = super.derefSchema(member, isObject(member) ? (this.homes.get(member) ?? file) : file);
      if (d.value === true) continue;
      if (!isObject(d.value)) return undefined;
      if (!Array.isArray(d.value.allOf)) {
        if (Object.keys(d.value).length > 0 && !parts.some((p) => p.schema === d.value)) parts.push({ schema: d.value, file: d.file });
        continue;
      }
      if (expanding.has(d.value)) return undefined;
      expanding.add(d.value);
      const nested = this.partsOf(d.value, d.file, expanding);
      expanding.delete(d.value);
      if (!nested) return undefined;
      for (const part of nested) if (!parts.some((p) => p.schema === part.schema)) parts.push(part);
    }
    return parts;
  }

  private mergeParts(parts: Part[], home: string): Obj {
    const merged: Obj = {};
    const keywords = [...new Set(parts.flatMap((p) => Object.keys(p.schema)))];
    if (keywords.some((k) => NEVER_MERGED.includes(k))) throw new CannotMerge();
    for (const group of ONE_PART_GROUPS) {
      if (parts.filter((p) => group.some((k) => k in p.schema)).length > 1) throw new CannotMerge();
    }
    const handled = new Set<string>();
    const take = (...names: string[]): void => names.forEach((n) => handled.add(n));

    this.mergeTypes(parts, merged);
    take('type', 'nullable');
    mergeFormat(parts, merged);
    take('format');
    mergeEnum(parts, merged);
    take('enum');
    mergeRange(parts, merged, 'minimum', 'exclusiveMinimum', 'lower');
    mergeRange(parts, merged, 'maximum', 'exclusiveMaximum', 'upper');
    take('minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum');
    for (const k of LOWER_BOUNDS) setIfAny(merged, k, numbersOf(parts, k), Math.max);
    for (const k of UPPER_BOUNDS) setIfAny(merged, k, numbersOf(parts, k), Math.min);
    take(...LOWER_BOUNDS, ...UPPER_BOUNDS);
    mergeMultipleOf(parts, merged);
    take('multipleOf');
    for (const k of ANY_TRUE) if (parts.some((p) => k in p.schema)) merged[k] = parts.some((p) => p.schema[k] === true);
    take(...ANY_TRUE);
    mergeRequired(parts, merged);
    take('required');
    this.mergeObjectKeywords(parts, merged, home);
    take('properties', 'additionalProperties', 'patternProperties');
    this.mergeArrayKeywords(parts, merged, home);
    take('items', 'prefixItems');
    this.mergeSchemaKeyword(parts, merged, home, 'propertyNames');
    take('propertyNames');

    for (const k of keywords) {
      if (handled.has(k)) continue;
      const present = parts.filter((p) => k in p.schema);
      if (ANNOTATIONS.has(k) || k.startsWith('x-')) merged[k] = present[0]!.schema[k];
      else merged[k] = this.adopt(k, sameValue(present.map((p) => p.schema[k])), present[0]!.file);
    }
    return merged;
  }

  /**
   * Types intersect (`integer` within `number`); none in common cannot be merged. In 3.0 `nullable: true`
   * adds null to a part's type, so the merge is nullable only when every typed part is, as in oasdiff.
   */
  private mergeTypes(parts: Part[], merged: Obj): void {
    const sets = parts.map((p) => typeSetOf(p.schema, this.openapi30)).filter((s): s is string[] => s !== undefined);
    if (sets.length === 0) {
      const stated = parts.filter((p) => 'nullable' in p.schema);
      if (stated.length > 0) merged.nullable = stated.every((p) => p.schema.nullable === true);
      return;
    }
    const types = sets.reduce(intersectTypes);
    const nonNull = types.filter((t) => t !== 'null');
    if (!this.openapi30) {
      if (types.length === 0) throw new CannotMerge();
      merged.type = types.length === 1 ? types[0] : types;
      return;
    }
    if (nonNull.length !== 1) throw new CannotMerge();
    merged.type = nonNull[0];
    if (types.includes('null')) merged.nullable = true;
  }

  /**
   * `properties` joined: a property in several parts is the allOf of its schemas. A part whose
   * `additionalProperties` restricts names it does not declare applies to the other parts' properties too:
   * `false` removes them, a schema joins theirs.
   */
  private mergeObjectKeywords(parts: Part[], merged: Obj, home: string): void {
    const restricting = parts.filter((p) => 'additionalProperties' in p.schema && !isUnrestricted(p.schema.additionalProperties));
    if (restricting.length > 0 && parts.some((p) => 'patternProperties' in p.schema)) throw new CannotMerge();
    const withProperties = parts.filter((p) => isObject(p.schema.properties));
    if (withProperties.length > 0) {
      const properties: Obj = {};
      const names = [...new Set(withProperties.flatMap((p) => Object.keys(p.schema.properties as Obj)))];
      for (const name of names) {
        const sources: Sourced[] = withProperties.filter((p) => name in (p.schema.properties as Obj)).map((p) => ({ value: (p.schema.properties as Obj)[name], file: p.file }));
        const outside = restricting.filter((p) => !(isObject(p.schema.properties) && name in p.schema.properties));
        if (outside.some((p) => p.schema.additionalProperties === false)) continue;
        sources.push(...outside.map((p) => ({ value: p.schema.additionalProperties, file: p.file })));
        properties[name] = this.combine(sources, home);
      }
      merged.properties = properties;
    }
    if (restricting.length > 0) {
      const denied = restricting.some((p) => p.schema.additionalProperties === false);
      merged.additionalProperties = denied ? false : this.combine(restricting.map((p) => ({ value: p.schema.additionalProperties, file: p.file })), home);
    } else {
      const open = parts.find((p) => 'additionalProperties' in p.schema);
      if (open) merged.additionalProperties = this.combine([{ value: open.schema.additionalProperties, file: open.file }], home);
    }
    const withPatterns = parts.filter((p) => isObject(p.schema.patternProperties));
    if (withPatterns.length > 0) {
      const patterns: Obj = {};
      for (const pattern of new Set(withPatterns.flatMap((p) => Object.keys(p.schema.patternProperties as Obj)))) {
        const sources = withPatterns.filter((p) => pattern in (p.schema.patternProperties as Obj)).map((p) => ({ value: (p.schema.patternProperties as Obj)[pattern], file: p.file }));
        patterns[pattern] = this.combine(sources, home);
      }
      merged.patternProperties = patterns;
    }
  }

  /** `items` of several parts is their allOf; `prefixItems` changes what `items` means, so it must stand alone. */
  private mergeArrayKeywords(parts: Part[], merged: Obj, home: string): void {
    const withTuple = parts.filter((p) => 'prefixItems' in p.schema);
    if (withTuple.length > 0) {
      if (withTuple.length > 1 || parts.some((p) => 'items' in p.schema && !withTuple.includes(p))) throw new CannotMerge();
      const only = withTuple[0]!;
      merged.prefixItems = this.adopt('prefixItems', only.schema.prefixItems, only.file);
      if ('items' in only.schema) merged.items = this.adopt('items', only.schema.items, only.file);
      return;
    }
    this.mergeSchemaKeyword(parts, merged, home, 'items');
  }

  private mergeSchemaKeyword(parts: Part[], merged: Obj, home: string, keyword: string): void {
    const sources = parts.filter((p) => keyword in p.schema).map((p) => ({ value: p.schema[keyword], file: p.file }));
    if (sources.length > 0) merged[keyword] = this.combine(sources, home);
  }

  /**
   * One schema for all of `sources`: itself when there is one, else an allOf of them (merged when reached).
   * The same schemas always give the same allOf object, so a recursive property declared in several parts
   * leads back to a schema the walker has seen, instead of to a new one at every level.
   */
  private combine(sources: Sourced[], home: string): unknown {
    // An allOf made here is spliced into the new one: lists hold only schemas from the documents, so there are finitely many.
    const spliced = sources.flatMap((s) => (isObject(s.value) && this.madeHere.has(s.value) ? (s.value.allOf as unknown[]).map((value) => ({ value, file: s.file })) : [s]));
    const unique = spliced.filter((s, i) => !isObject(s.value) || spliced.findIndex((o) => o.value === s.value) === i);
    if (unique.length === 1) return this.adoptSchema(unique[0]!.value, unique[0]!.file);
    const members = unique.map((s) => this.adoptSchema(s.value, s.file));
    const known = this.allOfs.get(members);
    if (known) return known;
    const allOf = { allOf: members };
    const first = members.find(isObject);
    if (first) copyLocation(first, allOf);
    this.homes.set(allOf, home);
    this.allOfs.set(members, allOf);
    this.madeHere.add(allOf);
    return allOf;
  }

  /** Records where the schemas inside a keyword's value resolve their `$ref`s, wherever the value ends up. */
  private adopt(keyword: string, value: unknown, file: string): unknown {
    if (SCHEMA_VALUED.has(keyword)) this.adoptSchema(value, file);
    else if (SCHEMA_LISTS.has(keyword) && Array.isArray(value)) value.forEach((v) => this.adoptSchema(v, file));
    else if (SCHEMA_MAPS.has(keyword) && isObject(value)) Object.values(value).forEach((v) => this.adoptSchema(v, file));
    return value;
  }

  private adoptSchema(value: unknown, file: string): unknown {
    if (isObject(value) && !this.homes.has(value)) this.homes.set(value, file);
    return value;
  }
}

/** A map whose keys are lists of values, compared element by element (objects by identity). */
class ListKeyedMap<V> {
  private readonly root: TrieNode<V> = { next: new Map() };

  get(key: unknown[]): V | undefined {
    let node: TrieNode<V> | undefined = this.root;
    for (const k of key) {
      node = node.next.get(k);
      if (!node) return undefined;
    }
    return node.value;
  }

  set(key: unknown[], value: V): void {
    let node = this.root;
    for (const k of key) {
      let child = node.next.get(k);
      if (!child) node.next.set(k, (child = { next: new Map() }));
      node = child;
    }
    node.value = value;
  }
}

interface TrieNode<V> {
  next: Map<unknown, TrieNode<V>>;
  value?: V;
}

// ------------------------------------------------------------------------------------------ keywords

/** A part's types, null included (3.0: `nullable: true`), or undefined when it does not constrain the type. */
function typeSetOf(schema: Obj, openapi30: boolean): string[] | undefined {
  const t = schema.type;
  const list = typeof t === 'string' ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : undefined;
  if (!list) return undefined;
  if (openapi30 && schema.nullable === true) list.push('null');
  return [...new Set(list)];
}

function intersectTypes(a: string[], b: string[]): string[] {
  const within = (t: string, other: string[]): boolean => other.includes(t) || (t === 'integer' && other.includes('number'));
  return [...new Set([...a.filter((t) => within(t, b)), ...b.filter((t) => within(t, a))])];
}

/** One format, or the narrowest of numeric ones (oasdiff); different other formats cannot be merged. */
function mergeFormat(parts: Part[], merged: Obj): void {
  const formats = [...new Set(parts.map((p) => p.schema.format).filter((f): f is string => typeof f === 'string' && f !== ''))];
  if (formats.length === 0) return;
  if (formats.length === 1) merged.format = formats[0];
  else if (formats.every((f) => NUMERIC_FORMATS.includes(f))) merged.format = NUMERIC_FORMATS.find((f) => formats.includes(f));
  else throw new CannotMerge();
}

function mergeEnum(parts: Part[], merged: Obj): void {
  const enums = parts.map((p) => p.schema.enum).filter((e): e is unknown[] => Array.isArray(e));
  if (enums.length === 0) return;
  const common = enums.reduce((acc, e) => {
    const keys = new Set(e.map(jsonKey));
    return acc.filter((v) => keys.has(jsonKey(v)));
  });
  if (common.length === 0) throw new CannotMerge();
  merged.enum = common;
}

/**
 * minimum/maximum with their exclusive forms, the stricter winning. OpenAPI 3.0 writes exclusivity as a
 * boolean beside the bound (at a tie, exclusive is stricter); 3.1's numeric exclusive bounds are separate
 * keywords, each merged on its own.
 */
function mergeRange(parts: Part[], merged: Obj, bound: string, exclusive: string, side: 'lower' | 'upper'): void {
  const stricter = side === 'lower' ? Math.max : Math.min;
  const booleanForm = parts.some((p) => typeof p.schema[exclusive] === 'boolean');
  if (!booleanForm) {
    setIfAny(merged, bound, numbersOf(parts, bound), stricter);
    setIfAny(merged, exclusive, numbersOf(parts, exclusive), stricter);
    return;
  }
  if (parts.some((p) => typeof p.schema[exclusive] === 'number')) throw new CannotMerge();
  const bounds = parts.filter((p) => typeof p.schema[bound] === 'number').map((p) => ({ value: p.schema[bound] as number, exclusive: p.schema[exclusive] === true }));
  if (bounds.length === 0) return;
  const value = stricter(...bounds.map((b) => b.value));
  merged[bound] = value;
  if (bounds.some((b) => b.value === value && b.exclusive)) merged[exclusive] = true;
}

/** The step that is a multiple of every other; steps with no such one (2 and 3) cannot be merged exactly. */
function mergeMultipleOf(parts: Part[], merged: Obj): void {
  const steps = [...new Set(numbersOf(parts, 'multipleOf'))];
  if (steps.length === 0) return;
  const step = steps.find((s) => steps.every((o) => isMultiple(s, o)));
  if (step === undefined) throw new CannotMerge();
  merged.multipleOf = step;
}

function mergeRequired(parts: Part[], merged: Obj): void {
  const lists = parts.map((p) => p.schema.required).filter((r): r is unknown[] => Array.isArray(r));
  if (lists.length > 0) merged.required = [...new Set(lists.flat())];
}

function numbersOf(parts: Part[], keyword: string): number[] {
  return parts.map((p) => p.schema[keyword]).filter((v): v is number => typeof v === 'number');
}

function setIfAny(merged: Obj, keyword: string, values: number[], pick: (...values: number[]) => number): void {
  if (values.length > 0) merged[keyword] = pick(...values);
}

/** The value every part that has the keyword gives it; different values cannot be merged. */
function sameValue(values: unknown[]): unknown {
  if (values.some((v) => !sameJson(v, values[0]))) throw new CannotMerge();
  return values[0];
}

/** `additionalProperties: true` or `{}` allows every name. */
function isUnrestricted(value: unknown): boolean {
  return value === true || (isObject(value) && Object.keys(value).length === 0);
}
