/**
 * Structural diff of two parsed JSON values, in Diffy's terms: primitive, object and sequence
 * differences, reported at templated paths (`$.items[*].price`).
 *
 * Kinds: `added` (only in the candidate), `removed` (only in legacy), `changed` (same JSON type, other
 * value), `type` (different JSON types; null, boolean, number, string, array and object are six types).
 *
 * Arrays are compared index by index (extra elements are removed/added at `path[*]`), or, when unordered,
 * as multisets: elements equal by canonical JSON (ignored members left out) are paired first; with a
 * numeric/timestamp tolerance configured, the rest are then paired by a tolerant comparison (up to 64×64
 * leftovers); what is left is reported as `removed`/`added` at `path[*]`, legacy order then candidate order.
 *
 * Cost model: equal primitives stop at `===` before anything else; no path string is built unless a
 * difference is reported (the walk keeps a stack of keys); ignore/unordered patterns are followed through
 * the compiled trie, and with no patterns nothing at all is looked up. Containers nested deeper than
 * `maxDepth` are compared whole (exactly, iteratively) and, if unequal, reported once as `changed` there.
 */
import type { DifferenceKind, FieldDifference } from '../../core/comparison';
import { canonicalJson, deepEqual } from './equality';
import { ExactDecimal, isJsonNumber, numberText, sameNumber, type JsonNumber } from './exact-decimal';
import { DiffBudgetExceededError } from './not-comparable';
import { isIgnored, isMapHere, isUnorderedHere, stepIndex, stepKey, type CompiledDiffOptions, type PathState } from './options';
import { hasTemplatedKey, MapKey, renderLocation, renderPath, renderValue, UNORDERED_ELEMENT, type PathSegment } from './render';
import { exactlyClose, numbersClose, stringsClose } from './tolerance';

const hasOwn = Object.prototype.hasOwnProperty;
/** Leftover pairs tried with tolerance in an unordered array: at most this many on each side. */
const TOLERANT_PAIRING_LIMIT = 64;
/**
 * Elements one diff may look at in unordered arrays once tolerant pairing has begun (each probe of a pair
 * walks its elements again): some 70 ms on one core. Exact comparisons never count against it.
 */
export const TOLERANT_WORK_BUDGET = 1_000_000;

type JsonRecord = Record<string, unknown>;

/**
 * Appends the differences between `legacy` and `candidate` to `out` (a new array by default) and returns it.
 * Stops once `out` holds `options.maxDifferences` entries. Throws DiffBudgetExceededError only when
 * tolerant pairing of unordered arrays runs past TOLERANT_WORK_BUDGET; any other JSON value is compared.
 */
export function diffJson(legacy: unknown, candidate: unknown, options: CompiledDiffOptions, out: FieldDifference[] = []): FieldDifference[] {
  if (options.ignoreRoot || legacy === candidate || out.length >= options.maxDifferences) return out;
  new JsonDiffer(options, out).value(legacy, candidate, options.root, undefined, 0);
  return out;
}

/** Is there no difference at all between two JSON values under these options? */
export function jsonEqual(legacy: unknown, candidate: unknown, options: CompiledDiffOptions): boolean {
  if (options.ignoreRoot || legacy === candidate) return true;
  const differ = new JsonDiffer(options, []);
  differ.probing = true;
  differ.limit = 1;
  differ.value(legacy, candidate, options.root, undefined, 0);
  return differ.out.length === 0;
}

/** Presence of a member in a parsed JSON object; `value` is `record[key]`, already read. */
function isOwn(record: JsonRecord, key: string, value: unknown): boolean {
  // JSON values are never undefined. Inherited members of Object.prototype are functions, or the
  // `__proto__` accessor; only those need the slower own-property check.
  return value !== undefined && ((typeof value !== 'function' && key !== '__proto__') || hasOwn.call(record, key));
}

class JsonDiffer {
  /** Keys and array indices from the root to the current location. */
  private readonly stack: PathSegment[] = [];
  limit: number;
  full = false;
  /** Only asking "equal or not": differences are counted, not rendered. */
  probing = false;
  /** Inside tolerant pairing (how many levels): the work there is counted against TOLERANT_WORK_BUDGET. */
  private pairingDepth = 0;
  private tolerantWork = 0;

  constructor(
    private readonly options: CompiledDiffOptions,
    public out: FieldDifference[],
  ) {
    this.limit = options.maxDifferences;
  }

  /** Compares two values at the current location. `key` is the nearest object key (for timestamp rules). */
  value(a: unknown, b: unknown, state: PathState, key: string | undefined, depth: number): void {
    if (a === b) return;
    const ta = typeof a;
    const tb = typeof b;
    if (ta === 'bigint' || tb === 'bigint' || (ta === 'object' && a instanceof ExactDecimal) || (tb === 'object' && b instanceof ExactDecimal)) {
      this.exactNumbers(a, b, key);
      return;
    }
    if (ta !== 'object' || tb !== 'object' || a === null || b === null) {
      if (ta === tb && a !== null && b !== null) {
        if (ta === 'number' ? numbersClose(a as number, b as number, key, this.options) : ta === 'string' && stringsClose(a as string, b as string, this.options)) return;
        this.report('changed', a, b);
      } else {
        this.report('type', a, b);
      }
      return;
    }
    const arrayA = Array.isArray(a);
    if (arrayA !== Array.isArray(b)) {
      this.report('type', a, b);
      return;
    }
    if (depth >= this.options.maxDepth) {
      if (!deepEqual(a, b)) this.report('changed', a, b);
      return;
    }
    if (!arrayA) this.objects(a as JsonRecord, b as JsonRecord, state, depth);
    else if (this.options.unorderedAll || (state !== undefined && isUnorderedHere(state))) this.unordered(a as unknown[], b as unknown[], state, key, depth);
    else this.ordered(a as unknown[], b as unknown[], state, key, depth);
  }

  /**
   * Integers beyond 2^53 arrive as bigints, fractions a double would round as ExactDecimals (see
   * parseJsonBody): to JSON they are numbers like any other, compared by their exact values.
   */
  private exactNumbers(a: unknown, b: unknown, key: string | undefined): void {
    if (!isJsonNumber(a) || !isJsonNumber(b)) {
      this.report('type', a, b);
      return;
    }
    if (this.exactNumbersClose(a, b, key)) return;
    this.report('changed', a, b);
  }

  private exactNumbersClose(a: JsonNumber, b: JsonNumber, key: string | undefined): boolean {
    if (a instanceof ExactDecimal || b instanceof ExactDecimal) return sameNumber(a, b) || exactlyClose(a, b, this.options);
    const x = exactInteger(a);
    const y = exactInteger(b);
    return x !== undefined && y !== undefined ? x === y || exactlyClose(x, y, this.options) : numbersClose(Number(a), Number(b), key, this.options);
  }

  private objects(a: JsonRecord, b: JsonRecord, state: PathState, depth: number): void {
    const stack = this.stack;
    // A map (shadow.mapKeys): its keys are data, each reported as `*`; the MapKey is made only for a key that differs.
    const map = state !== undefined && isMapHere(state);
    for (const k in a) {
      const av = a[k];
      const bv = b[k];
      if (av === bv) continue;
      let child: PathState;
      if (state !== undefined) {
        child = stepKey(state, k);
        if (child !== undefined && isIgnored(child)) continue;
      }
      stack.push(map ? new MapKey(k) : k);
      if (isOwn(b, k, bv)) this.value(av, bv, child, k, depth + 1);
      else this.report('removed', av, undefined);
      stack.pop();
      if (this.full) return;
    }
    for (const k in b) {
      if (isOwn(a, k, a[k])) continue;
      if (state !== undefined) {
        const child = stepKey(state, k);
        if (child !== undefined && isIgnored(child)) continue;
      }
      stack.push(map ? new MapKey(k) : k);
      this.report('added', undefined, b[k]);
      stack.pop();
      if (this.full) return;
    }
  }

  private ordered(a: unknown[], b: unknown[], state: PathState, key: string | undefined, depth: number): void {
    const n = Math.min(a.length, b.length);
    const stack = this.stack;
    const level = stack.push(0) - 1;
    for (let i = 0; i < n; i++) {
      const av = a[i];
      const bv = b[i];
      if (av === bv) continue;
      stack[level] = i;
      let child: PathState;
      if (state !== undefined) {
        child = stepIndex(state, i);
        if (child !== undefined && isIgnored(child)) continue;
      }
      this.value(av, bv, child, key, depth + 1);
      if (this.full) break;
    }
    for (let i = n; i < a.length && !this.full; i++) {
      if (this.elementIgnored(state, i)) continue;
      stack[level] = i;
      this.report('removed', a[i], undefined);
    }
    for (let i = n; i < b.length && !this.full; i++) {
      if (this.elementIgnored(state, i)) continue;
      stack[level] = i;
      this.report('added', undefined, b[i]);
    }
    this.stack.pop();
  }

  private elementIgnored(state: PathState, index: number): boolean {
    if (state === undefined) return false;
    const child = stepIndex(state, index);
    return child !== undefined && isIgnored(child);
  }

  private unordered(a: unknown[], b: unknown[], state: PathState, key: string | undefined, depth: number): void {
    // Elements of a multiset have no index: only wildcard patterns apply inside.
    const child = state === undefined ? undefined : stepIndex(state, -1);
    if (child !== undefined && isIgnored(child)) return;
    // Fast path: same order (the common case) needs no canonical text.
    if (a.length === b.length) {
      let same = true;
      for (let i = 0; i < a.length && same; i++) same = a[i] === b[i] || this.equalHere(a[i], b[i], child, key, depth + 1);
      if (same) return;
    }
    if (this.pairingDepth > 0) this.spend(a.length + b.length);
    const depthLeft = this.options.maxDepth - depth - 1;
    const pending = new Map<string, number[]>();
    const leftA: boolean[] = new Array<boolean>(a.length).fill(true);
    const texts = (this.canonicalTexts ??= new WeakMap());
    for (let i = 0; i < a.length; i++) {
      const text = canonicalJson(a[i], child, depthLeft, this.options.unorderedAll, texts);
      const list = pending.get(text);
      if (list === undefined) pending.set(text, [i]);
      else list.push(i);
    }
    let leftB: number[] = [];
    for (let j = 0; j < b.length; j++) {
      const list = pending.get(canonicalJson(b[j], child, depthLeft, this.options.unorderedAll, texts));
      if (list !== undefined && list.length > 0) leftA[list.shift()!] = false;
      else leftB.push(j);
    }
    let restA: number[] = [];
    for (let i = 0; i < a.length; i++) if (leftA[i]) restA.push(i);

    if (this.options.tolerant && restA.length > 0 && leftB.length > 0 && restA.length <= TOLERANT_PAIRING_LIMIT && leftB.length <= TOLERANT_PAIRING_LIMIT) {
      const unpairedA: number[] = [];
      this.pairingDepth++;
      for (const i of restA) {
        const match = leftB.findIndex((j) => {
          this.spend(1);
          return this.equalHere(a[i], b[j], child, key, depth + 1);
        });
        if (match < 0) unpairedA.push(i);
        else leftB = leftB.filter((_, index) => index !== match);
      }
      this.pairingDepth--;
      restA = unpairedA;
    }

    this.stack.push(UNORDERED_ELEMENT);
    // The same element changed: compared inside, so `$.items[*].price` is reported, not item 1 dropped and another added.
    const paired = pairLeftovers(a, restA, b, leftB);
    for (const [i, j] of paired) {
      if (this.full) break;
      this.value(a[i], b[j], child, key, depth + 1);
    }
    for (const i of restA) {
      if (this.full) break;
      if (!paired.has(i)) this.report('removed', a[i], undefined);
    }
    const pairedB = new Set(paired.values());
    for (const j of leftB) {
      if (this.full) break;
      if (!pairedB.has(j)) this.report('added', undefined, b[j]);
    }
    this.stack.pop();
  }

  private spend(work: number): void {
    this.tolerantWork += work;
    if (this.tolerantWork > TOLERANT_WORK_BUDGET) throw new DiffBudgetExceededError(TOLERANT_WORK_BUDGET);
  }

  /**
   * Would `value(a, b)` at this location report nothing? (Runs the diff in probing mode, stopping at the first.)
   * Answers for two containers are remembered: an unordered array probes its elements, then diffs the pairs
   * that differ, whose nested unordered arrays would probe the same pairs again — without the memory that
   * doubles the work at every level of nesting (a 500-byte tree 22 levels deep took 19 s).
   */
  private equalHere(a: unknown, b: unknown, state: PathState, key: string | undefined, depth: number): boolean {
    if (a === b) return true;
    if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return this.probe(a, b, state, key, depth);
    this.probed ??= new WeakMap();
    let answers = this.probed.get(a);
    if (answers === undefined) this.probed.set(a, (answers = new WeakMap()));
    let equal = answers.get(b);
    if (equal === undefined) answers.set(b, (equal = this.probe(a, b, state, key, depth)));
    return equal;
  }

  /** Probe answers by legacy container, then candidate container (a node of a parsed body has one location). */
  private probed: WeakMap<object, WeakMap<object, boolean>> | undefined;
  /** canonicalJson texts by container, for the same reason. */
  private canonicalTexts: WeakMap<object, string> | undefined;

  private probe(a: unknown, b: unknown, state: PathState, key: string | undefined, depth: number): boolean {
    const { out, limit, full, probing } = this;
    const scratch: FieldDifference[] = [];
    this.out = scratch;
    this.limit = 1;
    this.full = false;
    this.probing = true;
    const depthBefore = this.stack.length;
    this.value(a, b, state, key, depth);
    this.stack.length = depthBefore;
    this.out = out;
    this.limit = limit;
    this.full = full;
    this.probing = probing;
    return scratch.length === 0;
  }

  private report(kind: DifferenceKind, legacy: unknown, candidate: unknown): void {
    const out = this.out;
    if (this.probing) {
      out.push(PROBE);
    } else {
      const max = this.options.maxValueLength;
      const difference: FieldDifference = { path: renderPath(this.stack), kind };
      if (hasTemplatedKey(this.stack)) difference.location = renderLocation(this.stack);
      if (kind !== 'added') difference.legacy = renderValue(legacy, max);
      if (kind !== 'removed') difference.candidate = renderValue(candidate, max);
      out.push(difference);
    }
    if (out.length >= this.limit) this.full = true;
  }
}

const PROBE: FieldDifference = { path: '', kind: 'changed' };

function exactInteger(value: bigint | number): bigint | undefined {
  return typeof value === 'bigint' ? value : Number.isInteger(value) ? BigInt(value) : undefined;
}

/** Members that name an element of a list, tried in this order when pairing leftovers of an unordered array. */
const IDENTITY_KEYS = ['id', 'uuid', 'key', 'sku', 'code', 'name'];

/**
 * Leftover elements of an unordered array (no equal partner) that are the same element changed: objects
 * with the same `id` (or uuid, key, sku, code, name), or the only leftover object on each side. Returns
 * index in `a` → index in `b`. Beyond TOLERANT_PAIRING_LIMIT leftovers nothing is paired.
 */
function pairLeftovers(a: unknown[], restA: number[], b: unknown[], restB: number[]): Map<number, number> {
  const pairs = new Map<number, number>();
  if (restA.length === 0 || restB.length === 0 || restA.length > TOLERANT_PAIRING_LIMIT || restB.length > TOLERANT_PAIRING_LIMIT) return pairs;
  const objectsA = restA.filter((i) => isPlainObject(a[i]));
  const objectsB = restB.filter((j) => isPlainObject(b[j]));
  if (objectsA.length === 0 || objectsB.length === 0) return pairs;
  for (const name of IDENTITY_KEYS) {
    const byIdentity = new Map<string, number>();
    for (const j of objectsB) {
      if (pairsHasValue(pairs, j)) continue;
      const id = identity((b[j] as JsonRecord)[name]);
      if (id !== undefined && !byIdentity.has(id)) byIdentity.set(id, j);
    }
    for (const i of objectsA) {
      if (pairs.has(i)) continue;
      const id = identity((a[i] as JsonRecord)[name]);
      const j = id === undefined ? undefined : byIdentity.get(id);
      if (j === undefined) continue;
      pairs.set(i, j);
      byIdentity.delete(id!);
    }
  }
  if (pairs.size === 0 && objectsA.length === 1 && objectsB.length === 1) pairs.set(objectsA[0]!, objectsB[0]!);
  return pairs;
}

function pairsHasValue(pairs: Map<number, number>, j: number): boolean {
  for (const value of pairs.values()) if (value === j) return true;
  return false;
}

function isPlainObject(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof ExactDecimal);
}

/** A scalar member as a key for pairing (typed, so 1 and "1" differ); undefined for anything else. */
function identity(value: unknown): string | undefined {
  if (typeof value === 'string') return `s${value}`;
  if (isJsonNumber(value)) return `n${numberText(value)}`;
  return undefined;
}
