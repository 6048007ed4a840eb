/**
 * Whole-value equality helpers: canonical JSON (the multiset key for unordered arrays) and an iterative
 * deep-equal for pairs beyond the depth limit.
 */
import { ExactDecimal, isJsonNumber, numberText, sameNumber } from './exact-decimal';
import { isIgnored, isUnorderedHere, stepIndex, stepKey, type PathState } from './options';

const hasOwn = Object.prototype.hasOwnProperty;

let uniqueCounter = 0;

/**
 * JSON text with object keys sorted, ignored members left out and unordered arrays' elements sorted, so
 * two values that the diff would call equal without tolerance get the same text. Beyond `depthLeft`
 * levels it returns a unique marker: such deep elements never match by text and are reported as
 * removed/added.
 */
export function canonicalJson(value: unknown, state: PathState, depthLeft: number, unorderedAll: boolean, cache?: WeakMap<object, string>): string {
  if (value === null || typeof value !== 'object' || value instanceof ExactDecimal) {
    return typeof value === 'string' ? JSON.stringify(value) : isJsonNumber(value) ? numberText(value) : String(value);
  }
  if (depthLeft <= 0) return `\u0000deep#${++uniqueCounter}`;
  if (cache === undefined) return containerText(value, state, depthLeft, unorderedAll, undefined);
  let text = cache.get(value);
  if (text === undefined) cache.set(value, (text = containerText(value, state, depthLeft, unorderedAll, cache)));
  return text;
}

/**
 * canonicalJson of an array or object. With a cache (texts by container, for one diff: a node of a parsed
 * body has one location, so one state and depth), nested unordered arrays are not serialised again at
 * every level above them.
 */
function containerText(value: object, state: PathState, depthLeft: number, unorderedAll: boolean, cache: WeakMap<object, string> | undefined): string {
  if (Array.isArray(value)) {
    if (unorderedAll || (state !== undefined && isUnorderedHere(state))) {
      const child = state === undefined ? undefined : stepIndex(state, -1);
      if (child !== undefined && isIgnored(child)) return '[]';
      const texts = value.map((element) => canonicalJson(element, child, depthLeft - 1, unorderedAll, cache));
      return '[' + texts.sort().join(',') + ']';
    }
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      const child = state === undefined ? undefined : stepIndex(state, i);
      if (child !== undefined && isIgnored(child)) {
        text += i > 0 ? ',~' : '~';
        continue;
      }
      if (i > 0) text += ',';
      text += canonicalJson(value[i], child, depthLeft - 1, unorderedAll, cache);
    }
    return text + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let text = '{';
  let first = true;
  for (const key of keys) {
    let child: PathState;
    if (state !== undefined) {
      child = stepKey(state, key);
      if (child !== undefined && isIgnored(child)) continue;
    }
    text += (first ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(record[key], child, depthLeft - 1, unorderedAll, cache);
    first = false;
  }
  return text + '}';
}

/** Exact structural equality of two parsed JSON values, without recursion (any depth). */
export function deepEqual(a: unknown, b: unknown): boolean {
  const stack: unknown[] = [a, b];
  while (stack.length > 0) {
    const y = stack.pop();
    const x = stack.pop();
    if (x === y) continue;
    if (isJsonNumber(x) || isJsonNumber(y)) {
      if (isJsonNumber(x) && isJsonNumber(y) && sameNumber(x, y)) continue;
      return false;
    }
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    const xa = Array.isArray(x);
    if (xa !== Array.isArray(y)) return false;
    if (xa) {
      const xs = x as unknown[];
      const ys = y as unknown[];
      if (xs.length !== ys.length) return false;
      for (let i = 0; i < xs.length; i++) stack.push(xs[i], ys[i]);
    } else {
      const xr = x as Record<string, unknown>;
      const yr = y as Record<string, unknown>;
      let count = 0;
      for (const key in xr) {
        if (!hasOwn.call(yr, key)) return false;
        stack.push(xr[key], yr[key]);
        count++;
      }
      for (const key in yr) if (--count < 0) return false;
    }
  }
  return true;
}
