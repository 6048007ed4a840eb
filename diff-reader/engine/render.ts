/**
 * Text for reports: templated paths from the diff's segment stack, and JSON values cut to a length.
 * Only called when a difference is found, never for equal subtrees.
 */
import { ExactDecimal } from './exact-decimal';

/** Marks an array level in a path stack; rendered `[*]`. */
export const ARRAY_SEGMENT = 0;

/** A path stack: object keys (strings) and `ARRAY_SEGMENT` for array levels, root first. */
export type PathSegments = ReadonlyArray<string | typeof ARRAY_SEGMENT>;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `$.items[*].price`; keys that are not identifiers bracket-quoted: `$['a b']`, `$['it\'s']`. */
export function renderPath(segments: PathSegments, length = segments.length): string {
  let path = '$';
  for (let i = 0; i < length; i++) {
    const s = segments[i];
    if (s === ARRAY_SEGMENT) path += '[*]';
    else if (IDENTIFIER.test(s)) path += '.' + s;
    else path += "['" + quoteKey(s) + "']";
  }
  return path;
}

/** Also a lone surrogate, written `\udxxx`: the path stays readable, and storable as JSON. */
function quoteKey(key: string): string {
  // eslint-disable-next-line no-control-regex
  return key.replace(/[\\'\u0000-\u001f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case "'":
        return "\\'";
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
    }
  });
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
