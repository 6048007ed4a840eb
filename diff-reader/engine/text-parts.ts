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
 * Cells of the alignment table (parts left after the common start and end, one side times the other) past
 * which two texts are one difference at `body` instead: ~4 ms of the event loop, 2 MB for the table.
 */
export const ALIGNMENT_BUDGET = 1_000_000;

/**
 * The differences between two texts split into parts, up to `limit`; undefined when either is a single part
 * or aligning them would cost more than ALIGNMENT_BUDGET (the bodies are then one difference at `body`).
 * With as many parts on both sides, part i is compared with part i, at `body[i]`. With another number (a
 * list one item longer, an error page), the parts are aligned first (longest common subsequence), so a line
 * inserted near the top does not make every part after it a difference: within each stretch between aligned
 * parts, legacy's parts pair with the new service's as `changed` at legacy's index, and what one side has
 * more is one `removed` (or `added`) difference at the next index, holding all of it. Paths are legacy's
 * indices, so they are the ones noise learning sees between two legacy answers of one shape.
 */
export function partDifferences(a: string[], b: string[], limit: number, render: (part: string) => string): FieldDifference[] | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const out: FieldDifference[] = [];
  if (a.length === b.length) {
    for (let i = 0; i < a.length && out.length < limit; i++) {
      if (a[i] !== b[i]) out.push({ path: `body[${i}]`, kind: 'changed', legacy: render(a[i]!), candidate: render(b[i]!) });
    }
    return out;
  }
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const steps = alignment(a, b, start, endA, endB);
  if (!steps) return undefined;
  let i = start;
  let j = start;
  for (let k = 0; k <= steps.length && out.length < limit; k++) {
    // A stretch of parts only one side has, or parts of both that differ, ends at a common part (or the end).
    const gapA = i;
    const gapB = j;
    while (k < steps.length && steps[k] !== SAME) {
      if (steps[k] === ONLY_A) i++;
      else j++;
      k++;
    }
    const paired = Math.min(i - gapA, j - gapB);
    for (let p = 0; p < paired && out.length < limit; p++) {
      out.push({ path: `body[${gapA + p}]`, kind: 'changed', legacy: render(a[gapA + p]!), candidate: render(b[gapB + p]!) });
    }
    if (out.length < limit && i - gapA > paired) {
      out.push({ path: `body[${gapA + paired}]`, kind: 'removed', legacy: render(a.slice(gapA + paired, i).join('')) });
    } else if (out.length < limit && j - gapB > paired) {
      out.push({ path: `body[${gapA + paired}]`, kind: 'added', candidate: render(b.slice(gapB + paired, j).join('')) });
    }
    i++;
    j++;
  }
  return out;
}

const SAME = 0;
const ONLY_A = 1;
const ONLY_B = 2;

/**
 * The edit steps turning a[start..endA) into b[start..endB) along a longest common subsequence: SAME, ONLY_A
 * (a part only legacy has) or ONLY_B; undefined past ALIGNMENT_BUDGET.
 */
function alignment(a: string[], b: string[], start: number, endA: number, endB: number): Uint8Array | undefined {
  const n = endA - start;
  const m = endB - start;
  if ((n + 1) * (m + 1) > ALIGNMENT_BUDGET) return undefined;
  // Parts as small integers: the table compares numbers, not strings.
  const ids = new Map<string, number>();
  const id = (part: string): number => {
    let found = ids.get(part);
    if (found === undefined) ids.set(part, (found = ids.size));
    return found;
  };
  const x = Int32Array.from({ length: n }, (_, k) => id(a[start + k]!));
  const y = Int32Array.from({ length: m }, (_, k) => id(b[start + k]!));
  // lcs[r * (m + 1) + c]: the longest common subsequence of x[r..] and y[c..] (at most min(n, m) ≤ 1,000 here).
  const width = m + 1;
  const lcs = new Uint16Array((n + 1) * width);
  for (let r = n - 1; r >= 0; r--) {
    for (let c = m - 1; c >= 0; c--) {
      lcs[r * width + c] = x[r] === y[c] ? lcs[(r + 1) * width + c + 1]! + 1 : Math.max(lcs[(r + 1) * width + c]!, lcs[r * width + c + 1]!);
    }
  }
  const steps = new Uint8Array(n + m);
  let length = 0;
  let r = 0;
  let c = 0;
  while (r < n || c < m) {
    if (r < n && c < m && x[r] === y[c]) {
      steps[length++] = SAME;
      r++;
      c++;
    } else if (c === m || (r < n && lcs[(r + 1) * width + c]! >= lcs[r * width + c + 1]!)) {
      steps[length++] = ONLY_A;
      r++;
    } else {
      steps[length++] = ONLY_B;
      c++;
    }
  }
  return steps.subarray(0, length);
}

/** No control characters other than tab, CR and LF, and no DEL. */
export function isPrintable(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return false;
  }
  return true;
}
