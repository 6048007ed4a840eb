/**
 * Text bodies (HTML, XML, plain text) compared part by part rather than as one value: a page whose legacy
 * answers differ in one CSRF token or nonce would otherwise make the whole body noise, and excuse a new
 * service that answers with an error page. A part ends after each line end and after each `>`, so a tag
 * of minified markup is a part of its own.
 */
import type { FieldDifference } from '../../core/comparison';

const PART_END = /(?<=[\n>])/;
/** Bytes checked for binary content (a control character other than tab, CR, LF). */
const BINARY_SNIFF_BYTES = 1024;

/** The body's parts, or undefined when it is not text (binary bytes near its start). */
export function textParts(body: Buffer, text: string | undefined): string[] | undefined {
  if (text === undefined || !isPrintable(body.subarray(0, BINARY_SNIFF_BYTES))) return undefined;
  return text.split(PART_END);
}

/**
 * The differences between two texts of the same number of parts, at `body[i]` (the i-th part, from 0), up to
 * `limit`; undefined when the counts differ (an inserted or removed line shifts every part after it, so the
 * bodies are then one difference at `body`).
 */
export function partDifferences(a: string[], b: string[], limit: number, render: (part: string) => string): FieldDifference[] | undefined {
  if (a.length !== b.length || a.length < 2) return undefined;
  const out: FieldDifference[] = [];
  for (let i = 0; i < a.length && out.length < limit; i++) {
    if (a[i] !== b[i]) out.push({ path: `body[${i}]`, kind: 'changed', legacy: render(a[i]!), candidate: render(b[i]!) });
  }
  return out;
}

/** No control characters other than tab, CR and LF, and no DEL. */
export function isPrintable(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return false;
  }
  return true;
}
