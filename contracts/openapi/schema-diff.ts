/**
 * The schema comparison walker. It compares a base schema with a revision schema node by node (properties,
 * items, allOf/anyOf/oneOf members, additionalProperties and the JSON Schema 2020-12 applicators) and knows
 * which way data flows: in a request, tightening what is accepted breaks clients; in a response, loosening
 * what may come back does.
 *
 * Ids are composed the way oasdiff names them: a prefix for where the node is (`request-body-` for the root
 * of a request body, `request-property-` below it; `response-body-`/`response-property-`;
 * `request-parameter-`/`request-parameter-property-`; `response-header-`), then the change
 * (`max-length-decreased`). A composed id that oasdiff does not define (e.g. a response `enum-value-added` in a
 * header) is not reported; for bounds, where that gap once hid breaking changes, only a safe change may lack an
 * id (see `boundsCheck`). Nodes a request cannot
 * send (`readOnly`) use the `request-read-only-property-` prefix, nodes a response never carries
 * (`writeOnly`) the `response-write-only-property-` prefix, as oasdiff does.
 *
 * Cycles: a (base node, revision node) pair already on the walk is not entered again. Before a pair is
 * walked, how many levels below it the nearest change lies is worked out once per kind of place (see
 * `explore`): a walk skips the pairs whose changes it could not reach anyway, so big specs that share
 * schemas across thousands of operations walk the clean ones once, and every operation that reaches a
 * change reports it, whatever the order of the paths.
 */
import { isObject } from '../../core/is-object';
import { jsonKey, sameJson } from '../json-equal';
import { boundChanges } from './bounds';
import { isCheckId } from './checks';
import { q, type DiffContext } from './context';
import type { Operation, SchemaRef } from './model';
import { refName, type Resolver } from './resolve';
import {
  describeType,
  isNullable,
  isStronglyTyped,
  requestIsWidening,
  requestTypeBreaking,
  responseIsNarrowing,
  responseTypeBreaking,
  responseTypeWidened,
  typeChange,
  typeSetSubset,
  typesOf,
} from './schema-types';
import { deprecationDays, readStability, readSunset, daysBetween } from './sunset';
import { extensionsOf } from './model';

export type Direction = 'request' | 'response';
export type Scope = 'body' | 'parameter' | 'header';

export interface SchemaSite {
  ctx: DiffContext;
  op: Operation;
  direction: Direction;
  scope: Scope;
  /** Media type of a body (decides strong typing). */
  mediaType?: string;
  /** `in` of a parameter. */
  paramIn?: string;
  /** How texts name the root: "request body", "query parameter 'limit'", "response header 'X-Rate' (200)". */
  label: string;
}

type Obj = Record<string, unknown>;

interface Node {
  schema: Obj;
  file: string;
  ref?: string;
}

const ANNOTATION_KEYS = new Set(['description', 'title', 'example', 'examples', 'externalDocs', '$comment', 'deprecated', 'readOnly', 'writeOnly', 'xml', '$id', '$schema', '$anchor']);

/** Places where oasdiff judges every bound change (body and property schemas of requests and responses). */
const BOUND_PLACES = new Set(['request-body-', 'request-property-', 'response-body-', 'response-property-']);
/** Roots of parameters and response headers: oasdiff judges bounds set or unset there, not every change. */
const BOUND_SET_PLACES = new Set(['request-parameter-', 'response-header-']);

const MAX_DEPTH = 96;
/** Pairs one walk enters before it skips a pair it already walked with as much depth left (see `mayEnter`). */
const REVISIT_LIMIT = 500;

/**
 * Per kind of place, per (base, revision) pair: how many levels below the pair the nearest change lies
 * (0: in the pair itself; Infinity: none within MAX_DEPTH). Shared by every walk of one diff.
 */
export type ChangeDistances = Map<string, PairMap<number>>;

type PairMap<V> = WeakMap<object, WeakMap<object, V>>;

interface Pair {
  bn: Node;
  rn: Node;
  root: boolean;
}

/** What comparing one pair on its own shows: whether it has a change itself, and the pairs below it. */
interface Inspection {
  changed: boolean;
  children: Pair[];
}

export function compareSchemas(site: SchemaSite, base: SchemaRef, revision: SchemaRef, distances: ChangeDistances): void {
  new Walker(site, distances).walk(base, revision, '', true);
}

function pairGet<V>(map: PairMap<V>, b: object, r: object): V | undefined {
  return map.get(b)?.get(r);
}

function pairSet<V>(map: PairMap<V>, b: object, r: object, value: V): void {
  let inner = map.get(b);
  if (!inner) map.set(b, (inner = new WeakMap()));
  inner.set(r, value);
}

class Walker {
  private readonly baseResolver: Resolver;
  private readonly revResolver: Resolver;
  private readonly visiting = new Map<object, Set<object>>();
  /** Depth left when each pair was last entered by this walk, per `root`. */
  private readonly entered: [PairMap<number>, PairMap<number>] = [new WeakMap(), new WeakMap()];
  private entries = 0;
  /** This walk's entries of `distances`, per `root`. */
  private readonly kindDistances: [PairMap<number>?, PairMap<number>?] = [];
  /** Set while `inspect` compares one pair on its own: changes are noted, not reported, and nothing is walked. */
  private inspection: Inspection | undefined;
  private depth = 0;
  private readonly strong: boolean;

  constructor(
    private readonly site: SchemaSite,
    private readonly distances: ChangeDistances,
  ) {
    this.baseResolver = site.ctx.base.resolver;
    this.revResolver = site.ctx.revision.resolver;
    this.strong = site.scope === 'body' ? isStronglyTyped(site.mediaType) : false;
  }

  private node(resolver: Resolver, ref: SchemaRef): Node {
    const d = resolver.derefSchema(ref.value, ref.file);
    const schema = isObject(d.value) ? d.value : d.value === false ? { not: {} } : {};
    return { schema, file: d.file, ref: d.ref };
  }

  private base(value: unknown, file: string): Node {
    return this.node(this.baseResolver, { value, file });
  }
  private rev(value: unknown, file: string): Node {
    return this.node(this.revResolver, { value, file });
  }

  private prefix(root: boolean, r: Obj, b: Obj): string {
    const { direction, scope } = this.site;
    if (scope === 'body') {
      if (!root && direction === 'request' && r.readOnly === true) return 'request-read-only-property-';
      if (!root && direction === 'response' && (r.writeOnly === true || b.writeOnly === true)) return 'response-write-only-property-';
      return `${direction}-${root ? 'body' : 'property'}-`;
    }
    if (scope === 'parameter') return root ? 'request-parameter-' : 'request-parameter-property-';
    return root ? 'response-header-' : 'response-header-property-';
  }

  private subject(path: string, root: boolean): string {
    return root ? `the ${this.site.label}` : `the property '${path}' of the ${this.site.label}`;
  }

  /** A composed id oasdiff does not define (a change it does not report in that place) is left out. */
  private emit(id: string, text: string, node: unknown): void {
    if (isCheckId(id)) this.report(id, text, node);
  }

  /** Records a change; an id missing from the catalogue throws (see DiffContext.emit). */
  private report(id: string, text: string, node: unknown): void {
    if (this.inspection) {
      this.inspection.changed = true;
      return;
    }
    this.site.ctx.emitOp(id, this.site.op, text, node);
  }

  walk(baseRef: SchemaRef, revRef: SchemaRef, path: string, root: boolean): void {
    const bn = this.node(this.baseResolver, baseRef);
    const rn = this.node(this.revResolver, revRef);
    this.walkNodes(bn, rn, path, root);
  }

  private walkNodes(bn: Node, rn: Node, path: string, root: boolean): void {
    if (this.inspection) {
      this.inspection.children.push({ bn, rn, root });
      return;
    }
    const b = bn.schema;
    const r = rn.schema;
    if (this.visiting.get(b)?.has(r)) return;
    // Chains of distinct schemas nested deeper than this are not followed (a stack guard; real payloads are
    // nowhere near it, and every schema that heads an operation is compared from its own root anyway).
    const depthLeft = MAX_DEPTH - this.depth;
    if (depthLeft <= 0 || this.distanceToChange({ bn, rn, root }) >= depthLeft) return;
    if (!this.mayEnter(b, r, root, depthLeft)) return;
    let inPair = this.visiting.get(b);
    if (!inPair) this.visiting.set(b, (inPair = new Set()));
    inPair.add(r);
    this.depth++;
    try {
      this.compare(bn, rn, path, root);
    } finally {
      this.depth--;
      inPair.delete(r);
    }
  }

  /**
   * Every way to a changed pair is walked (each is a path the change is reported at), up to REVISIT_LIMIT
   * pairs per walk; past it, densely linked schemas would make that exponential, and a pair already walked
   * with at least as much depth left is not walked again: each change is still reported once.
   */
  private mayEnter(b: Obj, r: Obj, root: boolean, depthLeft: number): boolean {
    const entered = this.entered[root ? 1 : 0];
    const before = pairGet(entered, b, r);
    if (before !== undefined && before >= depthLeft && this.entries >= REVISIT_LIMIT) return false;
    this.entries++;
    if (before === undefined || before < depthLeft) pairSet(entered, b, r, depthLeft);
    return true;
  }

  /** The distances of this kind of place: `root` is part of the kind. */
  private distancesOf(root: boolean): PairMap<number> {
    const index = root ? 1 : 0;
    const known = this.kindDistances[index];
    if (known) return known;
    const key = `${this.site.direction}|${this.site.scope}|${this.strong}|${root}|${this.site.paramIn ?? ''}`;
    let map = this.distances.get(key);
    if (!map) this.distances.set(key, (map = new WeakMap()));
    this.kindDistances[index] = map;
    return map;
  }

  private knownDistance(pair: Pair): number | undefined {
    return pairGet(this.distancesOf(pair.root), pair.bn.schema, pair.rn.schema);
  }

  private distanceToChange(pair: Pair): number {
    const known = this.knownDistance(pair);
    if (known !== undefined) return known;
    this.explore(pair);
    return this.knownDistance(pair)!;
  }

  /**
   * Inspects every pair reachable from `start` whose distance is not known yet (without recursion: chains of
   * any length and cycles are fine), then sets their distances to the nearest change, nearest first.
   */
  private explore(start: Pair): void {
    const found: Array<Pair & Inspection> = [];
    const index: [PairMap<number>, PairMap<number>] = [new WeakMap(), new WeakMap()];
    const indexOf = (p: Pair): number | undefined => pairGet(index[p.root ? 1 : 0], p.bn.schema, p.rn.schema);
    const queue: Pair[] = [start];
    while (queue.length > 0) {
      const pair = queue.pop()!;
      if (indexOf(pair) !== undefined || this.knownDistance(pair) !== undefined) continue;
      pairSet(index[pair.root ? 1 : 0], pair.bn.schema, pair.rn.schema, found.length);
      const inspection = this.inspect(pair);
      found.push({ ...pair, ...inspection });
      queue.push(...inspection.children);
    }
    const distance = found.map((f) => (f.changed ? 0 : Infinity));
    const parents = found.map((): number[] => []);
    found.forEach((f, i) => {
      for (const child of f.children) {
        const c = indexOf(child);
        if (c !== undefined) parents[c]!.push(i);
        else distance[i] = Math.min(distance[i]!, this.knownDistance(child)! + 1);
      }
    });
    // Breadth first from the changed pairs, with one bucket per distance up to MAX_DEPTH.
    const buckets: number[][] = Array.from({ length: MAX_DEPTH + 1 }, () => []);
    distance.forEach((d, i) => {
      if (d <= MAX_DEPTH) buckets[d]!.push(i);
    });
    for (let d = 0; d < MAX_DEPTH; d++) {
      for (const i of buckets[d]!) {
        if (distance[i] !== d) continue;
        for (const p of parents[i]!) {
          if (distance[p]! > d + 1) {
            distance[p] = d + 1;
            buckets[d + 1]!.push(p);
          }
        }
      }
    }
    found.forEach((f, i) => pairSet(this.distancesOf(f.root), f.bn.schema, f.rn.schema, distance[i]! <= MAX_DEPTH ? distance[i]! : Infinity));
  }

  /** Compares one pair on its own: whether it reports a change itself, and the pairs a walk would go on to. */
  private inspect(pair: Pair): Inspection {
    const inspection: Inspection = { changed: false, children: [] };
    this.inspection = inspection;
    try {
      this.compare(pair.bn, pair.rn, '', pair.root);
    } finally {
      this.inspection = undefined;
    }
    return inspection;
  }

  private compare(bn: Node, rn: Node, path: string, root: boolean): void {
    const b = bn.schema;
    const r = rn.schema;
    const p = this.prefix(root, r, b);
    const subject = this.subject(path, root);

    // A body that became `oneOf: [<the old schema>, …]`: reported once, then compared with that member.
    if (root && this.site.scope === 'body' && !Array.isArray(b.oneOf) && Array.isArray(r.oneOf)) {
      const member = this.findWrapped(bn, r.oneOf, rn.file);
      if (member) {
        this.emit(`${p}wrapped-in-one-of`, `${subject} was wrapped in a oneOf`, r);
        this.walkNodes(bn, member, path, root);
        return;
      }
    }

    const listOfTypes = this.listOfTypes(b, r, bn.file, rn.file, p, subject);
    if (!listOfTypes) this.typeCheck(b, r, p, subject, root);
    this.nullableCheck(b, r, p, subject);
    this.enumCheck(b, r, p, subject, root);
    this.boundsCheck(b, r, p, subject);
    this.patternCheck(b, r, p, subject);
    this.defaultCheck(b, r, p, subject);
    this.constCheck(b, r, p, subject);
    this.discriminatorCheck(b, r, p, subject);
    this.keywordPresence(b, r, p, subject);

    for (const kw of ['allOf', 'anyOf', 'oneOf'] as const) {
      if (listOfTypes && kw !== 'allOf') continue;
      this.composition(kw, bn, rn, path, p, subject);
    }
    this.properties(bn, rn, path);

    const sub = (key: string, label: string): void => {
      if (isObject(b[key]) && isObject(r[key])) this.walkNodes(this.base(b[key], bn.file), this.rev(r[key], rn.file), `${path}/${label}`, false);
    };
    sub('items', 'items');
    sub('additionalProperties', 'additionalProperties');
    sub('contains', 'contains');
    sub('propertyNames', 'propertyNames');
    sub('unevaluatedItems', 'unevaluatedItems');
    sub('unevaluatedProperties', 'unevaluatedProperties');
    sub('if', 'if');
    sub('then', 'then');
    sub('else', 'else');
    sub('contentSchema', 'contentSchema');
    sub('not', 'not');
    if (Array.isArray(b.prefixItems) && Array.isArray(r.prefixItems)) {
      const n = Math.min(b.prefixItems.length, r.prefixItems.length);
      for (let i = 0; i < n; i++) this.walkNodes(this.base(b.prefixItems[i], bn.file), this.rev(r.prefixItems[i], rn.file), `${path}/prefixItems[${i}]`, false);
    }
    for (const key of ['patternProperties', 'dependentSchemas'] as const) {
      if (!isObject(b[key]) || !isObject(r[key])) continue;
      const bm = b[key] as Obj;
      const rm = r[key] as Obj;
      for (const name of Object.keys(bm)) {
        if (name in rm) this.walkNodes(this.base(bm[name], bn.file), this.rev(rm[name], rn.file), `${path}/${key}[${name}]`, false);
      }
    }
  }

  // ------------------------------------------------------------------------------------------ types

  private typeCheck(b: Obj, r: Obj, p: string, subject: string, root: boolean): void {
    const c = typeChange(b, r);
    if (!c) return;
    const { direction, scope } = this.site;
    let suffix: string;
    if (scope === 'parameter' && !root) {
      // An object parameter's serialisation is unknown: breaking either way is specialized (ERR),
      // breaking only when strongly typed is a WARN, never breaking is generalized.
      const strongBreak = requestTypeBreaking(c, true);
      const looseBreak = requestTypeBreaking(c, false);
      suffix = strongBreak && looseBreak ? 'type-specialized' : strongBreak !== looseBreak ? 'type-changed' : 'type-generalized';
    } else if (direction === 'request') {
      if (requestTypeBreaking(c, this.strong) && !this.scalarToFormArray(b, r)) suffix = 'type-changed';
      else suffix = scope === 'parameter' || requestIsWidening(c) ? 'type-generalized' : 'type-compatible';
    } else {
      if (responseTypeBreaking(c, this.strong)) suffix = responseTypeWidened(c) ? 'type-generalized' : 'type-changed';
      else suffix = responseIsNarrowing(c) ? 'type-specialized' : 'type-compatible';
    }
    const what = c.typeChanged ? 'type' : 'format';
    this.emit(`${p}${suffix}`, `the ${what} of ${subject} changed from '${describeType(c.baseTypes, c.baseFormat)}' to '${describeType(c.revTypes, c.revFormat)}'`, r);
  }

  /** A query/cookie parameter (form style, exploded) may become an array of what it was: `?a=1` still works. */
  private scalarToFormArray(b: Obj, r: Obj): boolean {
    const { scope, paramIn } = this.site;
    if (scope !== 'parameter' || (paramIn !== 'query' && paramIn !== 'cookie')) return false;
    const bt = typesOf(b);
    if (bt.length === 0 || bt.includes('array') || !typesOf(r).includes('array') || !isObject(r.items)) return false;
    const item = this.rev(r.items, '').schema;
    const it = typesOf(item);
    return it.length === 0 || typeSetSubset(bt, it) || (it.length === 1 && it[0] === 'string');
  }

  /** `oneOf`/`anyOf` of bare types (`[{type: string}, {type: integer}]`) compared as a list of types. */
  private listOfTypes(b: Obj, r: Obj, bFile: string, rFile: string, p: string, subject: string): boolean {
    const bl = this.typeList(b, (v) => this.base(v, bFile).schema);
    const rl = this.typeList(r, (v) => this.rev(v, rFile).schema);
    if (!bl.list && !rl.list) return false;
    if (!bl.types.length || !rl.types.length) return false;
    const same = bl.types.join(',') === rl.types.join(',');
    if (same) return bl.list && rl.list;
    const removed = bl.types.filter((t) => !rl.types.includes(t));
    const added = rl.types.filter((t) => !bl.types.includes(t));
    const req = this.site.direction === 'request';
    if (added.length) this.emit(`${p}list-of-types-widened`, `the list of types of ${subject} was widened with '${added.join(', ')}'`, r);
    if (removed.length) this.emit(`${p}list-of-types-narrowed`, `the list of types of ${subject} was narrowed: '${removed.join(', ')}' removed`, r);
    void req;
    return true;
  }

  private typeList(s: Obj, resolve: (v: unknown) => Obj): { list: boolean; types: string[] } {
    const own = typesOf(s);
    if (own.length > 0 || (!Array.isArray(s.oneOf) && !Array.isArray(s.anyOf))) return { list: false, types: own };
    const members = (Array.isArray(s.oneOf) ? s.oneOf : s.anyOf) as unknown[];
    const types: string[] = [];
    for (const m of members) {
      const ms = resolve(m);
      const keys = Object.keys(ms).filter((k) => !ANNOTATION_KEYS.has(k) && !k.startsWith('x-') && k !== 'format' && k !== 'nullable');
      if (keys.length !== 1 || keys[0] !== 'type' || typeof ms.type !== 'string' || ms.type === 'object' || ms.type === 'array') return { list: false, types: [] };
      types.push(ms.type);
    }
    return { list: true, types: [...new Set(types)].sort() };
  }

  private nullableCheck(b: Obj, r: Obj, p: string, subject: string): void {
    const bn = isNullable(b);
    const rn = isNullable(r);
    if (bn === rn) return;
    this.emit(`${p}${rn ? 'became-nullable' : 'became-not-nullable'}`, `${subject} became ${rn ? 'nullable' : 'not nullable'}`, r);
  }

  // ------------------------------------------------------------------------------------ values

  private enumCheck(b: Obj, r: Obj, p: string, subject: string, root: boolean): void {
    const be = Array.isArray(b.enum) ? b.enum : undefined;
    const re = Array.isArray(r.enum) ? r.enum : undefined;
    const { direction, scope, paramIn } = this.site;
    if (!be && re) {
      this.emit(`${p}became-enum`, `${subject} became an enum (${re.map((v) => q(v)).join(', ')})`, r);
      if (scope === 'parameter' && paramIn === 'header' && !root) this.emit('request-header-property-became-enum', `${subject} became an enum`, r);
    }
    if (be && re) {
      const bk = new Set(be.map(jsonKey));
      const rk = new Set(re.map(jsonKey));
      for (const v of be) {
        if (rk.has(jsonKey(v))) continue;
        const id = direction === 'response' && root && scope === 'body' ? 'response-mediatype-enum-value-removed' : `${p}enum-value-removed`;
        this.emit(id, `the enum value ${q(v)} was removed from ${subject}`, r);
      }
      for (const v of re) if (!bk.has(jsonKey(v))) this.emit(`${p}enum-value-added`, `the enum value ${q(v)} was added to ${subject}`, r);
    }
    const bx = Array.isArray(b['x-extensible-enum']) ? (b['x-extensible-enum'] as unknown[]) : undefined;
    const rx = Array.isArray(r['x-extensible-enum']) ? (r['x-extensible-enum'] as unknown[]) : undefined;
    if (bx && rx) {
      const rk = new Set(rx.map(jsonKey));
      for (const v of bx) if (!rk.has(jsonKey(v))) this.emit(`${p}x-extensible-enum-value-removed`, `the x-extensible-enum value ${q(v)} was removed from ${subject}`, r);
    }
  }

  /**
   * A bound change whose id oasdiff does not define is a safe change there (a response maximum decreased) or
   * sits where oasdiff does not judge bounds (read-only/write-only properties, inside object parameters and
   * headers), and is not reported. A change that breaks callers in a place oasdiff judges must have an id:
   * emitting it throws when the catalogue lacks it, rather than passing the change silently.
   */
  private boundsCheck(b: Obj, r: Obj, p: string, subject: string): void {
    const { direction } = this.site;
    for (const c of boundChanges(b, r, direction)) {
      const id = `${p}${c.change}`;
      const breaks = c.effect === 'incomparable' || c.effect === (direction === 'request' ? 'narrows' : 'widens');
      const judged = BOUND_PLACES.has(p) || (BOUND_SET_PLACES.has(p) && /-(set|unset)$/.test(c.change));
      if (isCheckId(id) || (breaks && judged)) this.report(id, c.text(subject), r);
    }
  }

  private patternCheck(b: Obj, r: Obj, p: string, subject: string): void {
    const bp = typeof b.pattern === 'string' ? b.pattern : undefined;
    const rp = typeof r.pattern === 'string' ? r.pattern : undefined;
    if (bp === rp) return;
    if (bp === undefined) this.emit(`${p}pattern-added`, `${subject} got the pattern ${q(rp)}`, r);
    else if (rp === undefined) this.emit(`${p}pattern-removed`, `the pattern ${q(bp)} of ${subject} was removed`, r);
    else if (/^\^?\.\*\$?$/.test(rp)) this.emit(`${p}pattern-generalized`, `the pattern of ${subject} was generalized from ${q(bp)} to ${q(rp)}`, r);
    else this.emit(`${p}pattern-changed`, `the pattern of ${subject} changed from ${q(bp)} to ${q(rp)}`, r);
  }

  private defaultCheck(b: Obj, r: Obj, p: string, subject: string): void {
    const has = (s: Obj): boolean => Object.prototype.hasOwnProperty.call(s, 'default');
    if (!has(b) && !has(r)) return;
    if (!has(b)) this.emit(`${p}default-value-added`, `${subject} got the default value ${q(r.default)}`, r);
    else if (!has(r)) this.emit(`${p}default-value-removed`, `the default value ${q(b.default)} of ${subject} was removed`, r);
    else if (!sameJson(b.default, r.default)) this.emit(`${p}default-value-changed`, `the default value of ${subject} changed from ${q(b.default)} to ${q(r.default)}`, r);
  }

  private constCheck(b: Obj, r: Obj, p: string, subject: string): void {
    const has = (s: Obj): boolean => Object.prototype.hasOwnProperty.call(s, 'const');
    if (!has(b) && !has(r)) return;
    if (!has(b)) this.emit(`${p}const-added`, `${subject} got the const value ${q(r.const)}`, r);
    else if (!has(r)) this.emit(`${p}const-removed`, `the const value ${q(b.const)} of ${subject} was removed`, r);
    else if (!sameJson(b.const, r.const)) this.emit(`${p}const-changed`, `the const value of ${subject} changed from ${q(b.const)} to ${q(r.const)}`, r);
  }

  private discriminatorCheck(b: Obj, r: Obj, p: string, subject: string): void {
    const bd = isObject(b.discriminator) ? b.discriminator : undefined;
    const rd = isObject(r.discriminator) ? r.discriminator : undefined;
    if (!bd && !rd) return;
    if (!bd) return this.emit(`${p}discriminator-added`, `${subject} got a discriminator`, r);
    if (!rd) return this.emit(`${p}discriminator-removed`, `the discriminator of ${subject} was removed`, r);
    if (bd.propertyName !== rd.propertyName) {
      this.emit(`${p}discriminator-property-name-changed`, `the discriminator property of ${subject} changed from ${q(bd.propertyName)} to ${q(rd.propertyName)}`, r);
    }
    const bm = isObject(bd.mapping) ? bd.mapping : {};
    const rm = isObject(rd.mapping) ? rd.mapping : {};
    for (const k of Object.keys(bm)) {
      if (!(k in rm)) this.emit(`${p}discriminator-mapping-deleted`, `the discriminator mapping ${q(k)} was removed from ${subject}`, r);
      else if (bm[k] !== rm[k]) this.emit(`${p}discriminator-mapping-changed`, `the discriminator mapping ${q(k)} of ${subject} changed from ${q(bm[k])} to ${q(rm[k])}`, r);
    }
    for (const k of Object.keys(rm)) if (!(k in bm)) this.emit(`${p}discriminator-mapping-added`, `the discriminator mapping ${q(k)} was added to ${subject}`, r);
  }

  /** JSON Schema 2020-12 keywords whose mere appearance or disappearance is the change. */
  private keywordPresence(b: Obj, r: Obj, p: string, subject: string): void {
    const presence: ReadonlyArray<[string, string]> = [
      ['contains', 'contains'],
      ['if', 'if'],
      ['then', 'then'],
      ['else', 'else'],
      ['propertyNames', 'property-names'],
      ['contentSchema', 'content-schema'],
      ['unevaluatedItems', 'unevaluated-items'],
      ['unevaluatedProperties', 'unevaluated-properties'],
    ];
    for (const [kw, name] of presence) {
      const hb = b[kw] !== undefined;
      const hr = r[kw] !== undefined;
      if (hb === hr) continue;
      this.emit(`${p}${name}-${hr ? 'added' : 'removed'}`, `${subject} ${hr ? 'got' : 'lost'} the ${kw} keyword`, r);
    }
    const bpi = Array.isArray(b.prefixItems) ? b.prefixItems.length : 0;
    const rpi = Array.isArray(r.prefixItems) ? r.prefixItems.length : 0;
    if (rpi > bpi) this.emit(`${p}prefix-items-added`, `prefixItems were added to ${subject}`, r);
    if (rpi < bpi) this.emit(`${p}prefix-items-removed`, `prefixItems were removed from ${subject}`, r);
    for (const kw of ['contentEncoding', 'contentMediaType'] as const) {
      if (b[kw] !== r[kw]) {
        const name = kw === 'contentEncoding' ? 'content-encoding' : 'content-media-type';
        this.emit(`${p}${name}-changed`, `the ${kw} of ${subject} changed from ${q(b[kw] ?? '')} to ${q(r[kw] ?? '')}`, r);
      }
    }
    const bpp = isObject(b.patternProperties) ? b.patternProperties : {};
    const rpp = isObject(r.patternProperties) ? r.patternProperties : {};
    for (const k of Object.keys(rpp)) if (!(k in bpp)) this.emit(`${p}pattern-property-added`, `the pattern property ${q(k)} was added to ${subject}`, r);
    for (const k of Object.keys(bpp)) if (!(k in rpp)) this.emit(`${p}pattern-property-removed`, `the pattern property ${q(k)} was removed from ${subject}`, r);
    const bds = isObject(b.dependentSchemas) ? b.dependentSchemas : {};
    const rds = isObject(r.dependentSchemas) ? r.dependentSchemas : {};
    for (const k of Object.keys(rds)) if (!(k in bds)) this.emit(`${p}dependent-schema-added`, `a dependent schema for ${q(k)} was added to ${subject}`, r);
    for (const k of Object.keys(bds)) if (!(k in rds)) this.emit(`${p}dependent-schema-removed`, `the dependent schema for ${q(k)} was removed from ${subject}`, r);
    const bdr = isObject(b.dependentRequired) ? b.dependentRequired : {};
    const rdr = isObject(r.dependentRequired) ? r.dependentRequired : {};
    for (const k of Object.keys(rdr)) {
      if (!(k in bdr)) this.emit(`${p}dependent-required-added`, `dependentRequired for ${q(k)} was added to ${subject}`, r);
      else if (!sameJson(bdr[k], rdr[k])) this.emit(`${p}dependent-required-changed`, `dependentRequired for ${q(k)} of ${subject} changed`, r);
    }
    for (const k of Object.keys(bdr)) if (!(k in rdr)) this.emit(`${p}dependent-required-removed`, `dependentRequired for ${q(k)} was removed from ${subject}`, r);
  }

  // ------------------------------------------------------------------------------- composition

  private memberKey(value: unknown, file: string, resolver: Resolver): string | undefined {
    if (isObject(value) && typeof value.$ref === 'string') return refName(resolver.refKey(value.$ref, file));
    return undefined;
  }

  private findWrapped(bn: Node, members: unknown[], rFile: string): Node | undefined {
    const bName = refName(bn.ref);
    for (const m of members) {
      const name = this.memberKey(m, rFile, this.revResolver);
      if (bName && name === bName) return this.rev(m, rFile);
    }
    if (bName) return undefined;
    const bText = jsonKey(bn.schema);
    for (const m of members) {
      if (isObject(m) && typeof m.$ref !== 'string' && jsonKey(m) === bText) return this.rev(m, rFile);
    }
    return undefined;
  }

  private composition(kw: 'allOf' | 'anyOf' | 'oneOf', bn: Node, rn: Node, path: string, p: string, subject: string): void {
    const bl = Array.isArray(bn.schema[kw]) ? (bn.schema[kw] as unknown[]) : [];
    const rl = Array.isArray(rn.schema[kw]) ? (rn.schema[kw] as unknown[]) : [];
    if (bl.length === 0 && rl.length === 0) return;
    const name = kw === 'allOf' ? 'all-of' : kw === 'anyOf' ? 'any-of' : 'one-of';
    const bEntries = bl.map((v, i) => ({ v, i, key: this.memberKey(v, bn.file, this.baseResolver), text: '' }));
    const rEntries = rl.map((v, i) => ({ v, i, key: this.memberKey(v, rn.file, this.revResolver), text: '' }));
    const pairs: Array<[(typeof bEntries)[number], (typeof rEntries)[number]]> = [];
    const used = new Set<number>();
    const leftB: typeof bEntries = [];
    for (const be of bEntries) {
      if (!be.key) continue;
      const match = rEntries.find((re) => !used.has(re.i) && re.key === be.key);
      if (match) {
        used.add(match.i);
        pairs.push([be, match]);
      } else leftB.push(be);
    }
    const inlineB = bEntries.filter((e) => !e.key);
    const inlineR = rEntries.filter((e) => !e.key && !used.has(e.i));
    for (const e of inlineB) e.text = jsonKey(e.v);
    for (const e of inlineR) e.text = jsonKey(e.v);
    const restB: typeof bEntries = [];
    for (const be of inlineB) {
      const match = inlineR.find((re) => !used.has(re.i) && re.text === be.text);
      if (match) {
        used.add(match.i);
        pairs.push([be, match]);
      } else restB.push(be);
    }
    // A member moved between inline and `$ref` (or renamed) but unchanged: paired by resolved content.
    const unpairedB = [...leftB, ...restB];
    const resolvedText = (v: unknown, file: string, resolver: Resolver): string => jsonKey(resolver.derefSchema(v, file).value);
    const stillB: typeof bEntries = [];
    for (const be of unpairedB) {
      const bt = resolvedText(be.v, bn.file, this.baseResolver);
      const match = rEntries.find((re) => !used.has(re.i) && resolvedText(re.v, rn.file, this.revResolver) === bt);
      if (match) {
        used.add(match.i);
        pairs.push([be, match]);
      } else stillB.push(be);
    }
    const restR = inlineR.filter((re) => !used.has(re.i));
    const stillInlineB = stillB.filter((e) => !e.key);
    // Inline members that changed: paired in order.
    const n = Math.min(stillInlineB.length, restR.length);
    for (let i = 0; i < n; i++) {
      used.add(restR[i]!.i);
      pairs.push([stillInlineB[i]!, restR[i]!]);
    }
    const removed = [...stillB.filter((e) => e.key), ...stillInlineB.slice(n)];
    const added = rEntries.filter((re) => !used.has(re.i));
    const label = (e: { key?: string; i: number }): string => e.key ?? `#${e.i + 1}`;
    for (const e of removed) {
      const annotation = kw === 'allOf' && this.annotationOnly(this.base(e.v, bn.file).schema);
      this.emit(`${p}${name}-removed${annotation ? '-annotation-only' : ''}`, `the ${kw} member ${label(e)} was removed from ${subject}`, rn.schema);
    }
    for (const e of added) {
      const annotation = kw === 'allOf' && this.annotationOnly(this.rev(e.v, rn.file).schema);
      this.emit(`${p}${name}-added${annotation ? '-annotation-only' : ''}`, `the ${kw} member ${label(e)} was added to ${subject}`, rn.schema);
    }
    for (const [be, re] of pairs) {
      this.walkNodes(this.base(be.v, bn.file), this.rev(re.v, rn.file), `${path}/${kw}[${label(re)}]`, false);
    }
  }

  private annotationOnly(s: Obj): boolean {
    const keys = Object.keys(s);
    return keys.length > 0 && keys.every((k) => ANNOTATION_KEYS.has(k) || k.startsWith('x-'));
  }

  // -------------------------------------------------------------------------------- properties

  private properties(bn: Node, rn: Node, path: string): void {
    const b = bn.schema;
    const r = rn.schema;
    const bp = isObject(b.properties) ? b.properties : {};
    const rp = isObject(r.properties) ? r.properties : {};
    const bReq = new Set(Array.isArray(b.required) ? b.required.map(String) : []);
    const rReq = new Set(Array.isArray(r.required) ? r.required.map(String) : []);
    const { direction, scope, paramIn } = this.site;
    const full = (name: string): string => (path ? `${path}/${name}` : name);
    const where = `the ${this.site.label}`;

    for (const name of Object.keys(bp)) {
      if (name in rp) continue;
      const ps = this.base(bp[name], bn.file).schema;
      if (scope !== 'body') continue;
      if (direction === 'request') {
        if (ps.readOnly === true) continue;
        this.emit('request-property-removed', `removed the property '${full(name)}' from ${where}`, b);
      } else {
        const wo = ps.writeOnly === true ? 'write-only-' : '';
        const req = bReq.has(name) ? 'required' : 'optional';
        this.emit(`response-${req}-${wo}property-removed`, `removed the ${req} property '${full(name)}' from ${where}`, b);
      }
    }

    for (const name of Object.keys(rp)) {
      const prn = this.rev(rp[name], rn.file);
      const ps = prn.schema;
      if (!(name in bp)) {
        if (scope === 'parameter') {
          if (paramIn === 'header' && rReq.has(name)) this.emit('new-required-request-header-property', `added the required property '${full(name)}' to ${where}`, ps);
          continue;
        }
        if (scope !== 'body') continue;
        if (direction === 'request') {
          if (ps.readOnly === true) continue;
          if (rReq.has(name)) {
            const withDefault = Object.prototype.hasOwnProperty.call(ps, 'default');
            this.emit(withDefault ? 'new-required-request-property-with-default' : 'new-required-request-property', `added the required property '${full(name)}' to ${where}`, ps);
          } else this.emit('new-optional-request-property', `added the optional property '${full(name)}' to ${where}`, ps);
        } else {
          const wo = ps.writeOnly === true ? 'write-only-' : '';
          const req = rReq.has(name) ? 'required' : 'optional';
          this.emit(`response-${req}-${wo}property-added`, `added the ${req} property '${full(name)}' to ${where}`, ps);
        }
        continue;
      }
      const pbn = this.base(bp[name], bn.file);
      const pb = pbn.schema;
      const wasReq = bReq.has(name);
      const isReq = rReq.has(name);
      const subject = `the property '${full(name)}' of ${where}`;
      if (scope === 'body') {
        if (wasReq !== isReq) {
          if (direction === 'request') {
            if (ps.readOnly !== true) {
              const withDefault = isReq && Object.prototype.hasOwnProperty.call(ps, 'default');
              this.emit(isReq ? (withDefault ? 'request-property-became-required-with-default' : 'request-property-became-required') : 'request-property-became-optional', `${subject} became ${isReq ? 'required' : 'optional'}`, ps);
            }
          } else {
            const wo = ps.writeOnly === true || pb.writeOnly === true ? 'write-only-' : '';
            this.emit(`response-${wo}property-became-${isReq ? 'required' : 'optional'}`, `${subject} became ${isReq ? 'required' : 'optional'}`, ps);
          }
        }
        const req = isReq ? 'required' : 'optional';
        for (const [kw, id] of [
          ['readOnly', 'read-only'],
          ['writeOnly', 'write-only'],
        ] as const) {
          const was = pb[kw] === true;
          const now = ps[kw] === true;
          if (was !== now) this.emit(`${direction}-${req}-property-became-${now ? '' : 'not-'}${id}`, `${subject} became ${now ? '' : 'not '}${kw}`, ps);
        }
        this.propertyDeprecation(pb, ps, subject);
      } else if (scope === 'parameter' && paramIn === 'header' && !wasReq && isReq) {
        this.emit('request-header-property-became-required', `${subject} became required`, ps);
      }
      this.walkNodes(pbn, prn, full(name), false);
    }
  }

  private propertyDeprecation(pb: Obj, ps: Obj, subject: string): void {
    const { direction, ctx } = this.site;
    const was = pb.deprecated === true;
    const now = ps.deprecated === true;
    const stability = readStability(extensionsOf(ps));
    const level = stability.kind === 'level' ? stability.level : undefined;
    if (stability.kind === 'level') {
      const before = readStability(extensionsOf(pb));
      if (before.kind === 'level' && before.level !== level) {
        const order = ['draft', 'alpha', 'beta', 'stable'];
        const up = order.indexOf(level!) > order.indexOf(before.level);
        this.emit(`${direction}-property-stability-${up ? 'increased' : 'decreased'}`, `the stability level of ${subject} changed from ${q(before.level)} to ${q(level)}`, ps);
      }
    }
    if (was === now) return;
    if (!now) return this.emit(`${direction}-property-reactivated`, `${subject} is no longer deprecated`, ps);
    const sunset = readSunset(extensionsOf(ps));
    const days = deprecationDays(ctx, level);
    if (sunset.kind === 'none') {
      if (days > 0) this.emit(`${direction}-property-deprecated-sunset-missing`, `${subject} was deprecated without an x-sunset date (at least ${days} days required)`, ps);
      else this.emit(`${direction}-property-deprecated`, `${subject} was deprecated`, ps);
      return;
    }
    if (sunset.kind === 'invalid') return this.emit(`${direction}-property-deprecated-sunset-invalid`, `${subject} was deprecated with an invalid x-sunset ${q(sunset.raw)}`, ps);
    if (daysBetween(ctx.today, sunset.date) < days) {
      return this.emit(`${direction}-property-sunset-date-too-small`, `${subject} was deprecated with the sunset date ${sunset.date}, less than ${days} days away`, ps);
    }
    this.emit(`${direction}-property-deprecated-with-sunset`, `${subject} was deprecated with the sunset date ${sunset.date}`, ps);
  }
}
