/**
 * Equality of parsed JSON/YAML values as JSON means it: objects are equal when they have the same members in
 * any key order, arrays when they have equal items in the same order. oasdiff compares decoded values the
 * same way (Go's reflect.DeepEqual on maps), so a formatter or generator that reorders keys changes nothing.
 */

/** Whether two parsed values are equal as JSON values (object key order ignored, array order kept). */
export function sameJson(a: unknown, b: unknown): boolean {
  return a === b || jsonKey(a) === jsonKey(b);
}

/**
 * A text that is the same exactly for equal values: JSON with every object's keys sorted. Use it to key a
 * set of values (enum members). A value nested inside itself (a YAML alias within its own anchor) is written
 * as a back-reference, `<cycle:n>` for the ancestor n levels up, so it has a key too; `undefined` is
 * `undefined`. Neither can be JSON text, so neither matches a real value.
 */
export function jsonKey(value: unknown): string {
  return write(value, []);
}

function write(value: unknown, ancestors: object[]): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const seen = ancestors.lastIndexOf(value);
  if (seen >= 0) return `<cycle:${ancestors.length - seen}>`;
  ancestors.push(value);
  try {
    if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : write(item, ancestors))).join(',')}]`;
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${write(record[k], ancestors)}`);
    return `{${members.join(',')}}`;
  } finally {
    ancestors.pop();
  }
}
