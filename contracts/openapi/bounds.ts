/**
 * What happened to the bound keywords of one schema node (maximum, maxLength, minItems, multipleOf, uniqueItems,
 * …), named the way oasdiff names the change (`max-items-decreased`, `min-length-set`) and classified by what
 * it does to the set of accepted values. The walker turns a change into an id with the node's place prefix.
 */

type Obj = Record<string, unknown>;

/** Narrows: fewer values are valid than before. Widens: more are. Incomparable: some of each. */
export type BoundEffect = 'narrows' | 'widens' | 'incomparable';

export interface BoundChange {
  /** The id suffix: `max-items-decreased`, `exclusive-min-set`, `multiple-of-changed`, … */
  change: string;
  effect: BoundEffect;
  /** One sentence about `subject` (e.g. "the property 'sku' of the request body"). */
  text: (subject: string) => string;
}

/** `upper` bounds (maximum…) narrow when decreased; `lower` bounds (minimum…) narrow when increased. */
const BOUNDS: ReadonlyArray<[keyword: string, idName: string, side: 'upper' | 'lower']> = [
  ['maximum', 'max', 'upper'],
  ['minimum', 'min', 'lower'],
  ['maxLength', 'max-length', 'upper'],
  ['minLength', 'min-length', 'lower'],
  ['maxItems', 'max-items', 'upper'],
  ['minItems', 'min-items', 'lower'],
  ['maxProperties', 'max-properties', 'upper'],
  ['minProperties', 'min-properties', 'lower'],
  ['exclusiveMaximum', 'exclusive-max', 'upper'],
  ['exclusiveMinimum', 'exclusive-min', 'lower'],
  ['maxContains', 'max-contains', 'upper'],
  ['minContains', 'min-contains', 'lower'],
];

/**
 * The value of a bound keyword, or undefined. OpenAPI 3.0 writes an exclusive bound as a boolean beside
 * `minimum`/`maximum` (`minimum: 1, exclusiveMinimum: true`); its value is then that of the plain keyword.
 */
export function boundValue(s: Obj, keyword: string): number | undefined {
  const v = s[keyword];
  if (typeof v === 'number') return v;
  if (v === true && keyword === 'exclusiveMinimum' && typeof s.minimum === 'number') return s.minimum;
  if (v === true && keyword === 'exclusiveMaximum' && typeof s.maximum === 'number') return s.maximum;
  return undefined;
}

export function boundChanges(b: Obj, r: Obj, direction: 'request' | 'response'): BoundChange[] {
  const out: BoundChange[] = [];
  for (const [kw, name, side] of BOUNDS) {
    const bv = boundValue(b, kw);
    const rv = boundValue(r, kw);
    if (bv === rv) continue;
    // 3.0 boolean form on both sides: the change is that of minimum/maximum, reported there.
    if (b[kw] === true && r[kw] === true) continue;
    if (bv === undefined) {
      const text = r[kw] === true ? (s: string): string => `${s} got ${kw}: true (${rv} itself is no longer allowed)` : (s: string): string => `${s} got a ${kw} of ${rv}`;
      out.push({ change: `${name}-set`, effect: 'narrows', text });
    } else if (rv === undefined) {
      const text = b[kw] === true ? (s: string): string => `${s} lost ${kw}: true (${bv} itself is allowed now)` : (s: string): string => `the ${kw} of ${s} (${bv}) was removed`;
      out.push({ change: `${name}-unset`, effect: 'widens', text });
    } else {
      const up = rv > bv;
      out.push({
        change: `${name}-${up ? 'increased' : 'decreased'}`,
        effect: up === (side === 'lower') ? 'narrows' : 'widens',
        text: (s) => `the ${kw} of ${s} was ${up ? 'increased' : 'decreased'} from ${bv} to ${rv}`,
      });
    }
  }
  const multiple = multipleOfChange(b, r, direction);
  if (multiple) out.push(multiple);
  const bu = b.uniqueItems === true;
  const ru = r.uniqueItems === true;
  if (bu !== ru) out.push({ change: `unique-items-${ru ? 'set' : 'unset'}`, effect: ru ? 'narrows' : 'widens', text: (s) => `${s} ${ru ? 'now requires' : 'no longer requires'} unique items` });
  return out;
}

/**
 * multipleOf: a new step that is a multiple of the old one accepts a subset (specialized), one that divides
 * the old one a superset (generalized). oasdiff names only the safe case per side (`generalized` in a request,
 * `specialized` in a response) and calls everything else `changed`.
 */
function multipleOfChange(b: Obj, r: Obj, direction: 'request' | 'response'): BoundChange | undefined {
  const bv = typeof b.multipleOf === 'number' && b.multipleOf > 0 ? b.multipleOf : undefined;
  const rv = typeof r.multipleOf === 'number' && r.multipleOf > 0 ? r.multipleOf : undefined;
  if (bv === rv) return undefined;
  if (bv === undefined) return { change: 'multiple-of-set', effect: 'narrows', text: (s) => `${s} got a multipleOf of ${rv}` };
  if (rv === undefined) return { change: 'multiple-of-unset', effect: 'widens', text: (s) => `the multipleOf of ${s} (${bv}) was removed` };
  const text = (s: string): string => `the multipleOf of ${s} changed from ${bv} to ${rv}`;
  if (direction === 'request' && isMultiple(bv, rv)) return { change: 'multiple-of-generalized', effect: 'widens', text };
  if (direction === 'response' && isMultiple(rv, bv)) return { change: 'multiple-of-specialized', effect: 'narrows', text };
  const effect: BoundEffect = isMultiple(rv, bv) ? 'narrows' : isMultiple(bv, rv) ? 'widens' : 'incomparable';
  return { change: 'multiple-of-changed', effect, text };
}

/** Is `a` an integer multiple of `b` (within float noise: 0.3 is a multiple of 0.1)? */
export function isMultiple(a: number, b: number): boolean {
  const q = a / b;
  return Math.abs(q - Math.round(q)) < 1e-9;
}
