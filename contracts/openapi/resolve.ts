/**
 * `$ref` resolution, lazily, one reference at a time: local (`#/components/schemas/Pet`), cross-file
 * (`common.yaml#/components/schemas/Error`, `paths/pets.yaml`), JSON-pointer escapes (`~1`, `~0`) and
 * percent-encoding (`%7Bid%7D`). Nothing is inlined, so circular schemas are fine: whoever walks them
 * keeps its own visited set. A chain of references that only points at itself is an error. In OpenAPI 3.1
 * schemas, keywords beside `$ref` apply as well (`derefSchema`).
 */
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { isObject } from '../../core/is-object';
import { OpenApiLoadError, copyLocation, locationOf, readSpecFile } from './load';

export interface Deref<T = unknown> {
  value: T;
  /** The file the value lives in: relative references inside it resolve against this file. */
  file: string;
  /** `file#pointer` of the last reference followed, when there was one. */
  ref?: string;
}

export class Resolver {
  private readonly files = new Map<string, unknown>();
  private readonly cache = new Map<string, Deref>();
  /** deref() per reference object (a parsed object lives in one file): schema walks meet the same ones often. */
  private readonly derefs = new WeakMap<object, Deref>();
  /** derefSchema() per reference object: the same object each time, which walks use to recognise a cycle. */
  private readonly schemaDerefs = new WeakMap<object, Deref>();
  /** OpenAPI 3.1 and later (JSON Schema 2020-12): keywords beside a schema's `$ref` apply too. */
  private readonly refSiblingsApply: boolean;

  constructor(rootFile: string, rootValue: unknown) {
    this.files.set(resolvePath(rootFile), rootValue);
    this.rootFile = rootFile;
    const version = isObject(rootValue) ? rootValue.openapi : undefined;
    this.refSiblingsApply = typeof version === 'string' && !/^3\.0(\.|$)/.test(version);
  }

  readonly rootFile: string;

  /**
   * deref() for a schema. From OpenAPI 3.1 on, `{$ref, ...keywords}` is the target with those keywords (see
   * `withSiblings`); in 3.0 the keywords beside `$ref` are ignored, as that specification says.
   */
  derefSchema<T = unknown>(value: unknown, file: string): Deref<T> {
    if (!this.refSiblingsApply || !isObject(value) || typeof value.$ref !== 'string') return this.deref<T>(value, file);
    const known = this.schemaDerefs.get(value);
    if (known) return known as Deref<T>;
    this.deref(value, file); // throws on a chain of references that only points at itself
    const { $ref: _ref, ...siblings } = value;
    const step = this.target(value.$ref, file, value);
    const inner = this.derefSchema(step.value, step.file);
    const result: Deref<T> = { value: withSiblings(inner.value, siblings, value) as T, file: inner.file, ref: inner.ref ?? step.key };
    this.schemaDerefs.set(value, result);
    return result;
  }

  /** Follow `$ref`s from `value` (which lives in `file`) until a value that is not a reference. */
  deref<T = unknown>(value: unknown, file: string): Deref<T> {
    if (!isObject(value) || typeof value.$ref !== 'string') return { value: value as T, file };
    const known = this.derefs.get(value);
    if (known) return known as Deref<T>;
    let current: unknown = value;
    let currentFile = file;
    let ref: string | undefined;
    const seen = new Set<string>();
    while (isObject(current) && typeof current.$ref === 'string') {
      const target = this.target(current.$ref, currentFile, current);
      if (seen.has(target.key)) {
        throw new OpenApiLoadError(currentFile, locationOf(current)?.line, `circular $ref ${JSON.stringify(current.$ref)} refers only to itself`);
      }
      seen.add(target.key);
      ref = target.key;
      current = target.value;
      currentFile = target.file;
    }
    const result: Deref<T> = { value: current as T, file: currentFile, ref };
    this.derefs.set(value, result);
    return result;
  }

  /**
   * Resolves every `$ref` in `value` and in what they lead to, as oasdiff's loader does: a dangling one is an
   * input error even in a component nothing uses or an endpoint only one side has, where the diff never
   * looks. Literal data (`example`, `examples`' values, `default`, `enum`, `const`, `x-…`) is not searched.
   */
  checkRefs(value: unknown, file: string): void {
    const visited = new Set<object>();
    const stack: Array<{ node: unknown; file: string; names: boolean; depth: number }> = [{ node: value, file, names: false, depth: 0 }];
    while (stack.length > 0) {
      const { node, file: inFile, names, depth } = stack.pop()!;
      // YAML aliases can make a parsed file cyclic (`A: &a {properties: {self: *a}}`); no spec nests this deep.
      if (depth > MAX_DEPTH) continue;
      if (Array.isArray(node)) {
        for (const item of node) if (item !== null && typeof item === 'object') stack.push({ node: item, file: inFile, names: false, depth: depth + 1 });
        continue;
      }
      const record = node as Record<string, unknown>;
      if (!names && typeof record.$ref === 'string') {
        const target = this.target(record.$ref, inFile, record);
        // A parsed file is a tree: only references lead back to where the walk has been.
        if (target.value !== null && typeof target.value === 'object' && !visited.has(target.value)) {
          visited.add(target.value);
          stack.push({ node: target.value, file: target.file, names: false, depth: depth + 1 });
        }
      }
      for (const key in record) {
        const child = record[key];
        if (child === null || typeof child !== 'object') continue;
        // Under a map of names (properties, schemas, paths, …) a key is a name, not a keyword.
        if (!names && (LITERAL_KEYWORDS.has(key) || key.startsWith('x-'))) continue;
        if (!names && key === 'examples') {
          if (isObject(child)) for (const example of Object.values(child)) if (isObject(example)) stack.push({ node: withoutValue(example), file: inFile, names: false, depth: depth + 1 });
          continue;
        }
        stack.push({ node: child, file: inFile, names: !names && NAME_MAPS.has(key), depth: depth + 1 });
      }
    }
  }

  /** The canonical `file#pointer` a `$ref` string names, without loading anything. */
  refKey(ref: string, file: string): string {
    const hash = ref.indexOf('#');
    const filePart = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    const targetFile = filePart ? this.filePath(filePart, file) : resolvePath(file);
    return `${targetFile}#${fragment}`;
  }

  private filePath(filePart: string, file: string): string {
    let decoded = filePart;
    try {
      decoded = decodeURI(filePart);
    } catch {
      /* keep it as written */
    }
    if (decoded.startsWith('file://')) decoded = decoded.slice('file://'.length);
    return isAbsolute(decoded) ? decoded : resolvePath(dirname(file), decoded);
  }

  private target(ref: string, file: string, holder: object): { key: string; value: unknown; file: string } {
    const key = this.refKey(ref, file);
    const cached = this.cache.get(key);
    if (cached) return { key, value: cached.value, file: cached.file };
    const hash = ref.indexOf('#');
    const filePart = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    const line = locationOf(holder)?.line;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(filePart) && !filePart.startsWith('file://')) {
      throw new OpenApiLoadError(file, line, `cannot resolve $ref ${JSON.stringify(ref)}: remote references are not supported`);
    }
    const targetFile = filePart ? this.filePath(filePart, file) : resolvePath(file);
    let root = this.files.get(targetFile);
    if (root === undefined) {
      try {
        root = readSpecFile(targetFile).root;
      } catch (err) {
        if (err instanceof OpenApiLoadError && err.file === targetFile && err.line !== undefined) throw err;
        const why = err instanceof OpenApiLoadError ? err.reason : (err as Error).message;
        throw new OpenApiLoadError(file, line, `cannot resolve $ref ${JSON.stringify(ref)}: ${targetFile}: ${why}`);
      }
      this.files.set(targetFile, root);
    }
    let value: unknown = root;
    if (fragment !== '' && fragment !== '/') {
      if (!fragment.startsWith('/')) {
        throw new OpenApiLoadError(file, line, `cannot resolve $ref ${JSON.stringify(ref)}: the fragment is not a JSON pointer`);
      }
      for (const raw of fragment.slice(1).split('/')) {
        const token = decodePointerToken(raw);
        if (Array.isArray(value) && /^\d+$/.test(token) && Number(token) < value.length) value = value[Number(token)];
        else if (isObject(value) && Object.prototype.hasOwnProperty.call(value, token)) value = value[token];
        else throw new OpenApiLoadError(file, line, `cannot resolve $ref ${JSON.stringify(ref)}: no ${JSON.stringify(token)} there`);
      }
    }
    // A target that is itself a reference is resolved against its own file.
    this.cache.set(key, { value, file: targetFile });
    return { key, value, file: targetFile };
  }
}

const MAX_DEPTH = 1000;
/** Keywords whose value is data, where a `$ref` key is just a key. */
const LITERAL_KEYWORDS = new Set(['example', 'default', 'enum', 'const']);
/** Keywords whose value maps names to schemas or objects: its keys are names, never keywords. */
const NAME_MAPS = new Set([
  'properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas',
  'paths', 'webhooks', 'schemas', 'responses', 'parameters', 'requestBodies', 'headers', 'securitySchemes', 'links', 'callbacks', 'pathItems', 'content', 'encoding', 'variables', 'mapping',
]);

/** An Example Object without its `value` (data); its `$ref`, when it is one, is still followed. */
function withoutValue(example: Record<string, unknown>): Record<string, unknown> {
  if (!('value' in example)) return example;
  const { value: _value, ...rest } = example;
  return rest;
}

/** Keywords that only mean something together: when both sides of a `$ref` have some, they stay apart. */
const JOINT_KEYWORDS = [
  ['properties', 'patternProperties', 'additionalProperties', 'unevaluatedProperties'],
  ['prefixItems', 'items', 'unevaluatedItems'],
  ['if', 'then', 'else'],
  ['contains', 'minContains', 'maxContains'],
];

/**
 * A 3.1 schema `{$ref, ...siblings}` as one schema: the target with the siblings' keywords, a sibling
 * replacing the target's keyword of the same name (`type: [string, 'null']` beside a string, a tighter
 * `maxLength`), `properties` and `required` joined. Keywords that work together (`additionalProperties`
 * with `properties`, `items` with `prefixItems`, …) on both sides cannot be merged that way: the schema is
 * then `allOf: [target, siblings]`. Both carry the location of the `$ref`, where the siblings are written.
 */
function withSiblings(target: unknown, siblings: Record<string, unknown>, holder: object): unknown {
  if (Object.keys(siblings).length === 0) return target;
  const combined = isObject(target) && !keptApart(target, siblings) ? mergeKeywords(target, siblings) : { allOf: [target, siblings] };
  copyLocation(holder, combined);
  copyLocation(holder, siblings);
  return combined;
}

function keptApart(target: Record<string, unknown>, siblings: Record<string, unknown>): boolean {
  return JOINT_KEYWORDS.some((group) => {
    const inTarget = group.filter((k) => k in target);
    const inSiblings = group.filter((k) => k in siblings);
    if (inTarget.length === 0 || inSiblings.length === 0) return false;
    const onlyProperties = [...inTarget, ...inSiblings].every((k) => k === 'properties');
    return !onlyProperties;
  });
}

function mergeKeywords(target: Record<string, unknown>, siblings: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...target, ...siblings };
  if (isObject(target.properties) && isObject(siblings.properties)) merged.properties = { ...target.properties, ...siblings.properties };
  if (Array.isArray(target.required) && Array.isArray(siblings.required)) merged.required = [...new Set([...target.required, ...siblings.required])];
  return merged;
}

export function decodePointerToken(raw: string): string {
  let token = raw;
  if (token.includes('%')) {
    try {
      token = decodeURIComponent(token);
    } catch {
      /* keep it as written */
    }
  }
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The last segment of a reference key: `…#/components/schemas/Pet` → `Pet`. */
export function refName(key: string | undefined): string | undefined {
  if (!key) return undefined;
  const hash = key.indexOf('#');
  const fragment = hash < 0 ? '' : key.slice(hash + 1);
  if (!fragment) return key.slice(key.lastIndexOf('/') + 1);
  return decodePointerToken(fragment.slice(fragment.lastIndexOf('/') + 1));
}
