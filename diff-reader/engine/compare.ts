/**
 * One response against another: status, the configured headers, then the bodies — decoded, and diffed
 * structurally when both are JSON, byte-wise otherwise. Values in differences are JSON text.
 *
 * Paths: `status`; `header.<lower-case name>`; `body[i]` (the i-th part of text bodies with as many parts);
 * `body` (other non-JSON or undecodable bodies); `$…` (JSON bodies).
 */
import type { FieldDifference } from '../../core/comparison';
import { bodyText, decodeBody, isJsonContentType, NOT_JSON, parseJsonBody } from './decode';
import { diffJson } from './json-diff';
import { DiffBudgetExceededError, NotComparableError, UndecodableBodiesError } from './not-comparable';
import { isPrintable, partDifferences, textParts } from './text-parts';
import type { CompiledDiffOptions } from './options';
import { truncate } from './render';

export interface HttpSnapshot {
  status: number;
  /** As node:http gives them (lower-case names); other casings are found too, more slowly. */
  headers: Record<string, string | string[] | undefined>;
  /** The body as received (still content-encoded). */
  body: Buffer;
}

/**
 * Throws a NotComparableError: UndecodableBodiesError when neither body decodes (and they are not the same
 * bytes), DiffBudgetExceededError when tolerant pairing of unordered arrays would take too long.
 */
export function compareResponses(legacy: HttpSnapshot, candidate: HttpSnapshot, options: CompiledDiffOptions): FieldDifference[] {
  const out: FieldDifference[] = [];
  if (legacy.status !== candidate.status) {
    out.push({ path: 'status', kind: 'changed', legacy: String(legacy.status), candidate: String(candidate.status) });
  }
  for (const name of options.headers) compareHeader(name, legacy.headers, candidate.headers, options, out);
  if (!options.ignoreRoot) compareBodies(legacy, candidate, options, out);
  return out;
}

/** The differences of a pair of answers, or why they could not be compared (a NotComparableError's message). */
export type PairOutcome = FieldDifference[] | string;

export interface ExchangeOutcome {
  candidate: PairOutcome;
  secondary?: PairOutcome;
}

/** compareResponses, or the NotComparableError's message when the two answers cannot be compared. */
export function compareResponsesOrWhyNot(legacy: HttpSnapshot, candidate: HttpSnapshot, options: CompiledDiffOptions): PairOutcome {
  try {
    return compareResponses(legacy, candidate, options);
  } catch (error) {
    if (error instanceof NotComparableError) return error.message;
    throw error;
  }
}

/**
 * Legacy against the candidate and, when legacy and the candidate could be compared, legacy against its own
 * second answer (a noise sample). The same on the proxy's thread and in the comparison worker.
 */
export function compareExchange(legacy: HttpSnapshot, candidate: HttpSnapshot, secondary: HttpSnapshot | undefined, options: CompiledDiffOptions): ExchangeOutcome {
  const outcome: ExchangeOutcome = { candidate: compareResponsesOrWhyNot(legacy, candidate, options) };
  if (secondary !== undefined && typeof outcome.candidate !== 'string') outcome.secondary = compareResponsesOrWhyNot(legacy, secondary, options);
  return outcome;
}

/** A header's value: arrays joined with `, `; case-insensitive name lookup. */
export function headerValue(headers: HttpSnapshot['headers'], name: string): string | undefined {
  const value = rawHeaderValue(headers, name);
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

function rawHeaderValue(headers: HttpSnapshot['headers'], name: string): string | string[] | undefined {
  const value = headers[name];
  if (value !== undefined) return value;
  for (const key in headers) {
    if (key.length === name.length && key.toLowerCase() === name) return headers[key];
  }
  return undefined;
}

/**
 * Set-Cookie lines by cookie name, each as `value; attributes` with attribute names in lower case and the
 * attributes sorted: neither the order of the lines nor that of a cookie's attributes means anything to a
 * browser (RFC 6265 §5.2), and `Path`/`path` are the same attribute. Two lines for one cookie: the later
 * wins in a browser, so the later is kept.
 */
function cookiesByName(headers: HttpSnapshot['headers']): Map<string, string> | undefined {
  const value = rawHeaderValue(headers, 'set-cookie');
  if (value === undefined) return undefined;
  const cookies = new Map<string, string>();
  for (const line of typeof value === 'string' ? [value] : value) {
    const [pair = '', ...attributes] = line.split(';');
    const at = pair.indexOf('=');
    const name = (at < 0 ? '' : pair.slice(0, at)).trim();
    const normalised = attributes
      .map((attribute) => {
        const eq = attribute.indexOf('=');
        return eq < 0 ? attribute.trim().toLowerCase() : `${attribute.slice(0, eq).trim().toLowerCase()}=${attribute.slice(eq + 1).trim()}`;
      })
      .filter((attribute) => attribute !== '')
      .sort();
    cookies.set(name, [(at < 0 ? pair : pair.slice(at + 1)).trim(), ...normalised].join('; '));
  }
  return cookies;
}

/** Each cookie its own field, `header.set-cookie.<name>`: a session id legacy varies excuses no other cookie. */
function compareCookies(legacyHeaders: HttpSnapshot['headers'], candidateHeaders: HttpSnapshot['headers'], max: number, out: FieldDifference[]): void {
  const a = cookiesByName(legacyHeaders) ?? new Map<string, string>();
  const b = cookiesByName(candidateHeaders) ?? new Map<string, string>();
  for (const [name, value] of a) {
    const path = `header.set-cookie.${name}`;
    const other = b.get(name);
    if (other === undefined) out.push({ path, kind: 'removed', legacy: quote(value, max) });
    else if (other !== value) out.push({ path, kind: 'changed', legacy: quote(value, max), candidate: quote(other, max) });
  }
  for (const [name, value] of b) if (!a.has(name)) out.push({ path: `header.set-cookie.${name}`, kind: 'added', candidate: quote(value, max) });
}

/**
 * Headers whose comma-separated items have no order and case-insensitive names (directives, header names,
 * methods): `max-age=60, private` is `private, max-age=60`.
 */
const UNORDERED_LIST_HEADERS = new Set(['cache-control', 'vary', 'allow', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-expose-headers']);

/**
 * The form header values are compared in: trimmed, with white space around `,` and `;` removed; for
 * `content-type` and `content-encoding` also lower-cased (media types, parameter names and charsets are
 * case-insensitive), so `application/json; charset=UTF-8` equals `application/json;charset=utf-8`.
 */
export function normaliseHeaderValue(name: string, value: string): string {
  let v = value.trim().replace(/\s*([,;])\s*/g, '$1');
  if (UNORDERED_LIST_HEADERS.has(name)) return v.toLowerCase().split(',').filter((item) => item !== '').sort().join(',');
  if (name === 'content-type' || name === 'content-encoding') v = v.toLowerCase().replace(/charset="([^"]*)"/, 'charset=$1');
  // JSON is UTF-8 (RFC 8259 defines no charset parameter): saying so changes nothing.
  if (name === 'content-type' && isJsonContentType(v)) v = v.replace(/;charset=utf-?8(?=;|$)/, '');
  return v;
}

function compareHeader(name: string, legacyHeaders: HttpSnapshot['headers'], candidateHeaders: HttpSnapshot['headers'], options: CompiledDiffOptions, out: FieldDifference[]): void {
  if (name === 'set-cookie') return compareCookies(legacyHeaders, candidateHeaders, options.maxValueLength, out);
  const a = headerValue(legacyHeaders, name);
  const b = headerValue(candidateHeaders, name);
  if (a === b) return;
  const path = `header.${name}`;
  const max = options.maxValueLength;
  if (a === undefined) out.push({ path, kind: 'added', candidate: quote(b!, max) });
  else if (b === undefined) out.push({ path, kind: 'removed', legacy: quote(a, max) });
  else if (normaliseHeaderValue(name, a) !== normaliseHeaderValue(name, b)) out.push({ path, kind: 'changed', legacy: quote(a, max), candidate: quote(b, max) });
}

function quote(text: string, max: number): string {
  return truncate(JSON.stringify(text.length > max ? text.slice(0, max) : text), max);
}

function compareBodies(legacy: HttpSnapshot, candidate: HttpSnapshot, options: CompiledDiffOptions, out: FieldDifference[]): void {
  const encodingA = headerValue(legacy.headers, 'content-encoding');
  const encodingB = headerValue(candidate.headers, 'content-encoding');
  // Same bytes under the same coding decode to the same body: nothing to parse.
  if (sameCoding(encodingA, encodingB) && legacy.body.equals(candidate.body)) return;

  const decodedA = decodeBody(legacy.body, encodingA, options.maxDecodedBytes);
  const decodedB = decodeBody(candidate.body, encodingB, options.maxDecodedBytes);
  const max = options.maxValueLength;
  const errorA = 'error' in decodedA ? decodedA : undefined;
  const errorB = 'error' in decodedB ? decodedB : undefined;
  if ((errorA && errorB) || errorA?.limit || errorB?.limit) {
    // Nothing is known about the bodies; a status or header difference found already still stands.
    if (out.length > 0) return;
    throw new UndecodableBodiesError(errorA?.error, errorB?.error);
  }
  if ('error' in decodedA || 'error' in decodedB) {
    out.push({
      path: 'body',
      kind: 'changed',
      legacy: 'error' in decodedA ? undecodable(decodedA.error, legacy.body, max) : describeBytes(decodedA.body, undefined, max, headerValue(legacy.headers, 'content-type')),
      candidate: 'error' in decodedB ? undecodable(decodedB.error, candidate.body, max) : describeBytes(decodedB.body, undefined, max, headerValue(candidate.headers, 'content-type')),
    });
    return;
  }
  const a = decodedA.body;
  const b = decodedB.body;
  if (a !== legacy.body || b !== candidate.body) {
    if (a.equals(b)) return;
  }
  const jsonA = parseJsonBody(a, legacy.headers['content-type'] ?? headerValue(legacy.headers, 'content-type'));
  if (jsonA !== NOT_JSON) {
    const jsonB = parseJsonBody(b, candidate.headers['content-type'] ?? headerValue(candidate.headers, 'content-type'));
    if (jsonB !== NOT_JSON) {
      const found = out.length;
      try {
        diffJson(jsonA, jsonB, options, out);
      } catch (error) {
        // Out of budget with a status or header difference already found: that difference is the answer.
        if (!(error instanceof DiffBudgetExceededError) || found === 0) throw error;
        out.length = found;
      }
      return;
    }
  }
  if (a.equals(b)) return;
  const partsA = textParts(a, bodyText(a, headerValue(legacy.headers, 'content-type')));
  const partsB = partsA && textParts(b, bodyText(b, headerValue(candidate.headers, 'content-type')));
  const parts = partsA && partsB && partDifferences(partsA, partsB, options.maxDifferences - out.length, (part) => quote(part.trim(), max));
  if (parts && parts.length > 0) {
    for (const difference of parts) out.push(difference);
    return;
  }
  const at = firstDifference(a, b);
  out.push({
    path: 'body',
    kind: 'changed',
    legacy: describeBytes(a, at, max, headerValue(legacy.headers, 'content-type')),
    candidate: describeBytes(b, at, max, headerValue(candidate.headers, 'content-type')),
  });
}

function sameCoding(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  const x = a === undefined || a.trim().toLowerCase() === 'identity' ? '' : a.replace(/\s+/g, '').toLowerCase();
  const y = b === undefined || b.trim().toLowerCase() === 'identity' ? '' : b.replace(/\s+/g, '').toLowerCase();
  return x === y;
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

const EXCERPT_BYTES = 48;

/**
 * JSON text (a string) describing a body for a byte-wise difference: its size, the first differing byte
 * (`undefined`: the whole body is the difference) and, from a little before it, a short excerpt in whole
 * characters — text when printable, hex otherwise.
 * E.g. `"1024 bytes, first difference at byte 512: …Total: 17…"` or `"16 bytes: hex 1f8b0800…"`.
 */
export function describeBytes(body: Buffer, firstDifferent: number | undefined, max: number, contentType?: string): string {
  if (body.length === 0) return quote('0 bytes', max);
  let start = Math.max(0, Math.min(firstDifferent ?? 0, body.length) - 8);
  let end = Math.min(body.length, start + EXCERPT_BYTES);
  const text = isPrintable(body.subarray(start, end));
  if (text) {
    // Whole UTF-8 characters only: never start or stop inside one (that would show as U+FFFD).
    while (start > 0 && isContinuationByte(body[start]!)) start--;
    while (end < body.length && end > start && isContinuationByte(body[end]!)) end--;
  }
  const slice = body.subarray(start, end);
  const more = end < body.length ? '…' : '';
  const lead = start > 0 ? '…' : '';
  // In the body's charset (Latin-1's `Zürich` is no `Z\ufffdrich`); a multi-byte one cut mid-character, one character per byte.
  const excerpt = text ? lead + (bodyText(slice, contentType) ?? slice.toString('latin1')) + more : 'hex ' + slice.subarray(0, 16).toString('hex') + (slice.length > 16 || more ? '…' : '');
  if (firstDifferent === undefined) return quote(`${body.length} bytes: ${excerpt}`, max);
  const where = firstDifferent < body.length ? `first difference at byte ${firstDifferent}` : `the other body goes on after byte ${body.length}`;
  return quote(`${body.length} bytes, ${where}: ${excerpt}`, max);
}

function isContinuationByte(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

function undecodable(error: string, raw: Buffer, max: number): string {
  return quote(`undecodable body (${raw.length} bytes): ${error}`, max);
}
