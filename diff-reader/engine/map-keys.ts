/**
 * Object keys that are data, not field names: a map keyed by id (`{"scores": {"u100431": 5, …}}`) differs at
 * one logical field, `$.scores.*`, however many ids it holds, the way array elements are `[*]`.
 *
 * A key is an identifier when it is, whole:
 *   - digits, alone or in groups joined by `-` `.` `_` `:` `/`: `42`, `100431`, `2024-05-01`, `10.0.0.1`, `1.2.3`;
 *   - a UUID (`3f2c9a7e-1b2d-4c5e-9f01-8a7b6c5d4e3f`, any case);
 *   - 16 or more hex digits, at least one of them a digit: `5f2b9c0e8d7a6b1c`, a 24-digit ObjectId, a SHA-1;
 *   - a letter prefix of 1–16 letters, an optional `_` `-` or `:`, then 5 or more digits: `u100431`,
 *     `order_12345`, `SKU-00042`; or that prefix and separator followed by a UUID or 16+ hex digits
 *     (`user_3f2c9a7e-…`).
 * Field names never match: `address2`, `line1`, `sha256`, `utf8`, `v2`, `iso8601`, `rfc3339`, `x86_64`,
 * `int64`, camelCase and snake_case words (four digits after letters are left alone: standards names like
 * `iso8601` are fields). Maps keyed by words (`{"emea": …, "apac": …}`) are named with `shadow.mapKeys`.
 */
import { parsePathPattern, PathPatternError, type PathStep } from '../../core/json-path-pattern';

const DIGIT_GROUPS = /^\d+(?:[-._:/]\d+)*$/;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const HEX = '(?=[a-f]*\\d)[0-9a-f]{16,}';
const PREFIXED = new RegExp(`^(?:[a-z]{1,16}[-_:]?\\d{5,}|(?:[a-z]{1,16}[-_:])?(?:${UUID}|${HEX}))$`, 'i');

/** Is this object key an identifier (see the rule above), reported as `*`? */
export function isIdentifierKey(key: string): boolean {
  const first = key.charCodeAt(0);
  // Every rule starts with a digit or an ASCII letter: most field names are turned away without a regex.
  if (!((first >= 48 && first <= 57) || (first >= 65 && first <= 90) || (first >= 97 && first <= 122))) return false;
  return DIGIT_GROUPS.test(key) || (key.length >= 6 && PREFIXED.test(key));
}

/**
 * A path as reports show it now: a JSONPath kept before identifier keys were templated
 * (`$.scores.u100431`) comes back as `$.scores.*`; any other path (`status`, `header.x`, `body[3]`, an
 * already templated one) as it is. Comparisons and counts stored by an earlier version then add up with new ones.
 */
export function templatedPath(path: string): string {
  if (path.length < 2 || path.charCodeAt(0) !== 36 /* $ */) return path;
  let steps: PathStep[];
  try {
    steps = parsePathPattern(path);
  } catch (err) {
    if (err instanceof PathPatternError) return path;
    throw err;
  }
  if (!steps.some((step) => step.kind === 'key' && isIdentifierKey(step.key))) return path;
  // Reported paths hold no indices: `[*]` (a wildcard step) stays `[*]`, a key that is `*` itself stays `['*']`.
  return renderSteps(steps);
}

function renderSteps(steps: readonly PathStep[]): string {
  let path = '$';
  for (const step of steps) {
    if (step.kind === 'wildcard') path += '[*]';
    else if (step.kind === 'index') path += `[${step.index}]`;
    else path += isIdentifierKey(step.key) ? '.*' : renderKey(step.key);
  }
  return path;
}

const NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `.name`, or `['it\'s']` for a key that is no plain name (render.ts quotes keys the same way). */
export function renderKey(key: string): string {
  return NAME.test(key) ? '.' + key : "['" + quoteKey(key) + "']";
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
