/**
 * Text for reports: templated paths from the diff's segment stack, and JSON values cut to a length.
 * Only called when a difference is found, never for equal subtrees.
 */
import { ExactDecimal } from './exact-decimal';
import { isIdentifierKey, renderKey } from './map-keys';

/** An element of an unordered array (a multiset): it has no index. Rendered `[*]` in both forms. */
export const UNORDERED_ELEMENT = -1;

/** A key of an object configured as a map (`shadow.mapKeys`): rendered `*` whatever it is. */
export class MapKey {
  constructor(readonly key: string) {}
}

/**
 * One level of a path stack: an object key, an array index (`UNORDERED_ELEMENT` inside a multiset) or a
 * MapKey.
 */
export type PathSegment = string | number | MapKey;

/** A path stack, root first. */
export type PathSegments = ReadonlyArray<PathSegment>;

/**
 * The templated path reports count by: array indices are `[*]`, and so are keys of maps: `.*` for a MapKey
 * and for a key that is an identifier (see map-keys.ts). `$.items[*].price`, `$.scores.*`; other keys that are
 * no plain names bracket-quoted: `$['a b']`, `$['it\'s']`.
 */
export function renderPath(segments: PathSegments, length = segments.length): string {
  let path = '$';
  for (let i = 0; i < length; i++) {
    const s = segments[i];
    if (typeof s === 'number') path += '[*]';
    else if (typeof s !== 'string' || isIdentifierKey(s)) path += '.*';
    else path += renderKey(s);
  }
  return path;
}

/** Does the templated path hide a key (so `renderLocation` says which)? */
export function hasTemplatedKey(segments: PathSegments): boolean {
  for (const s of segments) if (typeof s === 'object' || (typeof s === 'string' && isIdentifierKey(s))) return true;
  return false;
}

/** The concrete location: every key as it is, array indices as numbers (`[*]` inside a multiset): `$.users[3].scores.u100431`. */
export function renderLocation(segments: PathSegments): string {
  let path = '$';
  for (const s of segments) {
    if (typeof s === 'number') path += s < 0 ? '[*]' : `[${s}]`;
    else path += renderKey(typeof s === 'string' ? s : s.key);
  }
  return path;
}

/** Cuts `text` to at most `max` characters, the last one `…` when cut (never splitting a surrogate pair). */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  if (cut > 0) {
    const c = text.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--;
  }
  return text.slice(0, cut) + '…';
}

const RENDER_DEPTH = 64;

/**
 * JSON text of `value`, at most `max` characters (see `truncate`). Writes only as much as it keeps, so a
 * 1 MB value costs no more than a short one; nesting deeper than 64 levels is written as `…`.
 */
export function renderValue(value: unknown, max: number): string {
  const w: Writer = { text: '', limit: max };
  write(value, w, 0);
  return truncate(w.text, max);
}

interface Writer {
  text: string;
  limit: number;
}

function write(value: unknown, w: Writer, depth: number): void {
  if (w.text.length > w.limit) return;
  if (value === null) {
    w.text += 'null';
  } else if (typeof value === 'string') {
    // One character past the limit is enough to show the cut; slicing first keeps huge strings cheap.
    w.text += JSON.stringify(value.length > w.limit ? value.slice(0, w.limit + 1) : value);
  } else if (typeof value === 'number') {
    w.text += Number.isFinite(value) ? String(value) : 'null';
  } else if (typeof value === 'bigint' || value instanceof ExactDecimal) {
    w.text += value.toString();
  } else if (typeof value === 'boolean') {
    w.text += value ? 'true' : 'false';
  } else if (depth >= RENDER_DEPTH) {
    w.text += '…';
  } else if (Array.isArray(value)) {
    w.text += '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) w.text += ',';
      write(value[i], w, depth + 1);
      if (w.text.length > w.limit) return;
    }
    w.text += ']';
  } else if (typeof value === 'object') {
    w.text += '{';
    let first = true;
    for (const key in value as Record<string, unknown>) {
      w.text += (first ? '' : ',') + JSON.stringify(key) + ':';
      first = false;
      write((value as Record<string, unknown>)[key], w, depth + 1);
      if (w.text.length > w.limit) return;
    }
    w.text += '}';
  } else {
    w.text += 'null';
  }
}
