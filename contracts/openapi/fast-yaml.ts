/**
 * A fast reader for the plain block-YAML subset OpenAPI files are written in, producing exactly what the
 * `yaml` package path in load.ts produces (same values, same start line for every object and array), only
 * several times faster on big specs.
 *
 * Supported: block mappings and sequences by indentation (incl. `- key: value` and `- - x`), plain scalars
 * resolved with the YAML 1.2 core schema, single- and double-quoted scalars on one line, literal and folded
 * block scalars (`|`, `>`, with `-`/`+` chomping), one-line flow collections of scalars (`[]`, `{}`,
 * `[a, "b"]`, `{a: 1}`), comments and a leading `---`.
 *
 * Anything else — anchors, aliases, tags, directives, more documents, complex keys, tabs, CRLF, multi-line
 * plain or quoted scalars, unusual escapes, merge keys, duplicate keys, and anything that is or might be
 * invalid — returns UNSUPPORTED, and the caller falls back to the `yaml` package. That keeps values, lines
 * and error messages identical: on any doubt this parser gives up rather than guess.
 */

export const UNSUPPORTED: unique symbol = Symbol('fast-yaml: unsupported');

/** Thrown internally to abandon the fast path. */
class Unsupported {}
const GIVE_UP = new Unsupported();

function giveUp(): never {
  throw GIVE_UP;
}

const MAX_DEPTH = 1000;
const MAX_IMPLICIT_KEY = 1000;

const INT = /^[-+]?[0-9]+$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar's value under the YAML 1.2 core schema (as the `yaml` package resolves it). */
export function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // Fast exit: most plain scalars are words, which resolve to themselves.
  if (!(c === 126 || c === 110 || c === 78 || c === 116 || c === 84 || c === 102 || c === 70 || c === 43 || c === 45 || c === 46 || (c >= 48 && c <= 57))) {
    return s;
  }
  if (s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (INT_OCT.test(s)) return parseInt(s.substring(2), 8);
  if (INT.test(s)) return parseInt(s, 10);
  if (INT_HEX.test(s)) return parseInt(s.substring(2), 16);
  if (FLOAT_NAN.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (FLOAT_EXP.test(s)) return parseFloat(s);
  if (FLOAT.test(s)) return parseFloat(s);
  return s;
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  '"': '"',
  '/': '/',
  '\\': '\\',
};

/** Characters that may not start a plain scalar here (or that we do not handle): indicators. */
function badPlainStart(c: number): boolean {
  // & * ! | > ' " % @ ` , [ ] { } # ? :
  return (
    c === 38 || c === 42 || c === 33 || c === 124 || c === 62 || c === 39 || c === 34 || c === 37 || c === 64 || c === 96 || c === 44 || c === 91 || c === 93 || c === 123 || c === 125 || c === 35 || c === 63 || c === 58
  );
}

export type RecordLine = (value: object, line: number) => void;

class FastYaml {
  private readonly lines: string[];
  /** Indentation of each line, or -1 for a blank or comment-only line. */
  private readonly indents: Int32Array;

  constructor(
    text: string,
    private readonly record: RecordLine,
  ) {
    this.lines = text.split('\n');
    const n = this.lines.length;
    this.indents = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const l = this.lines[i]!;
      let j = 0;
      while (l.charCodeAt(j) === 32) j++;
      const c = l.charCodeAt(j);
      this.indents[i] = j >= l.length || c === 35 ? -1 : j;
    }
  }

  /** The next line at or after `i` with content (not blank, not a comment), or lines.length. */
  private next(i: number): number {
    const ind = this.indents;
    while (i < ind.length && ind[i]! < 0) i++;
    return i;
  }

  parse(): unknown {
    const lines = this.lines;
    let i = this.next(0);
    if (i >= lines.length) giveUp();
    // A leading document marker on its own line.
    if (this.indents[i] === 0 && lines[i]!.startsWith('---')) {
      const rest = lines[i]!.slice(3);
      if (rest.trim() !== '' && !/^\s+#/.test(rest)) giveUp();
      i = this.next(i + 1);
      if (i >= lines.length) giveUp();
    }
    // Anything that looks like a directive or a document marker anywhere else: not ours.
    for (let k = i; k < lines.length; k++) {
      const l = lines[k]!;
      const c = l.charCodeAt(0);
      if ((c === 45 || c === 46) && (l.startsWith('---') || l.startsWith('...'))) giveUp();
      if (c === 37) giveUp();
    }
    const [value, end] = this.block(i, this.indents[i]!, 0);
    if (this.next(end) < lines.length) giveUp();
    return value;
  }

  /**
   * A block collection whose first line is `i`, starting at column `col` of that line (the line's own
   * indentation, or further right for `- key: value` / `- - x`). Returns the value and the line after it.
   */
  private block(i: number, col: number, depth: number): [unknown, number] {
    if (depth > MAX_DEPTH) giveUp();
    const l = this.lines[i]!;
    if (l.charCodeAt(col) === 45 && (col + 1 === l.length || l.charCodeAt(col + 1) === 32)) return this.sequence(i, col, depth);
    return this.mapping(i, col, depth);
  }

  private sequence(i: number, col: number, depth: number): [unknown[], number] {
    const out: unknown[] = [];
    this.record(out, i + 1);
    const lines = this.lines;
    let first = true;
    for (;;) {
      if (!first) {
        if (i >= lines.length || this.indents[i] !== col) return [out, i];
        const l = lines[i]!;
        if (!(l.charCodeAt(col) === 45 && (col + 1 === l.length || l.charCodeAt(col + 1) === 32))) return [out, i];
      }
      first = false;
      const l = lines[i]!;
      let p = col + 1;
      while (l.charCodeAt(p) === 32) p++;
      const [value, end] = this.item(i, p, col, depth);
      out.push(value);
      i = end;
    }
  }

  /**
   * The value that starts at column `p` of line `i` (after `key:` or `- `), belonging to a collection
   * indented `parent`. Nested blocks on following lines must be indented more than `parent`, except that
   * a mapping value may be a sequence at the mapping's own indentation (`allowSameSeq`).
   */
  private item(i: number, p: number, parent: number, depth: number, allowSameSeq = false): [unknown, number] {
    const lines = this.lines;
    const l = lines[i]!;
    if (p >= l.length || l.charCodeAt(p) === 35) {
      // Nothing on this line: a nested block on the next lines, or null.
      const j = this.next(i + 1);
      if (j >= lines.length) return [null, j];
      const ind = this.indents[j]!;
      if (ind > parent) return this.block(j, ind, depth + 1);
      if (allowSameSeq && ind === parent) {
        const m = lines[j]!;
        if (m.charCodeAt(ind) === 45 && (ind + 1 === m.length || m.charCodeAt(ind + 1) === 32)) return this.block(j, ind, depth + 1);
      }
      return [null, j];
    }
    if (p > 0 && l.charCodeAt(p - 1) !== 32) giveUp();
    const c = l.charCodeAt(p);
    // `- - x` or `- key: value`: a compact block collection starting mid-line.
    if (c === 45 && (p + 1 === l.length || l.charCodeAt(p + 1) === 32)) {
      if (allowSameSeq) giveUp(); // `key: - x` is an error
      return this.block(i, p, depth + 1);
    }
    if (c === 124 || c === 62) return this.blockScalar(i, p, parent);
    if (c === 91 || c === 123) {
      const [value, q] = this.flow(l, p, i + 1);
      this.endOfLine(l, q);
      return [value, this.afterScalar(i, parent)];
    }
    if (c === 34 || c === 39) {
      const [s, q] = c === 34 ? this.doubleQuoted(l, p) : this.singleQuoted(l, p);
      let r = q;
      while (l.charCodeAt(r) === 32) r++;
      if (l.charCodeAt(r) === 58 && (r + 1 === l.length || l.charCodeAt(r + 1) === 32)) {
        if (allowSameSeq) giveUp(); // `key: "a": b`
        return this.mapping(i, p, depth + 1);
      }
      this.endOfLine(l, q);
      return [s, this.afterScalar(i, parent)];
    }
    if (badPlainStart(c)) giveUp();
    // A plain scalar, or a compact mapping `- key: value`.
    const [text, colon] = this.plain(l, p);
    if (colon >= 0) {
      if (allowSameSeq) giveUp(); // `key: a: b` is an error
      return this.mapping(i, p, depth + 1);
    }
    return [resolvePlain(text), this.afterScalar(i, parent)];
  }

  /**
   * Scan a plain scalar from `p` to the end of its line or a comment. Returns its text and, when it is an
   * implicit key, the column of the `:` that ends it (else -1).
   */
  private plain(l: string, p: number): [string, number] {
    let q = p;
    const n = l.length;
    for (;;) {
      const k = l.indexOf(':', q);
      const h = l.indexOf(' #', p);
      if (k < 0 || (h >= 0 && h < k)) {
        const end = h >= 0 ? h : n;
        return [l.slice(p, end).trimEnd(), -1];
      }
      if (k + 1 === n || l.charCodeAt(k + 1) === 32) {
        const key = l.slice(p, k);
        // Space before the `:` is handled inconsistently by the library: leave such keys to it.
        if (key.length > MAX_IMPLICIT_KEY || l.charCodeAt(k - 1) === 32) giveUp();
        return [key, k];
      }
      q = k + 1;
    }
  }

  /** After a scalar on line `i` in a collection indented `parent`: the next line must not continue it. */
  private afterScalar(i: number, parent: number): number {
    const j = this.next(i + 1);
    if (j < this.lines.length && this.indents[j]! > parent) giveUp();
    return j;
  }

  /** Only spaces and an optional comment may follow position `q`. */
  private endOfLine(l: string, q: number): void {
    let r = q;
    while (l.charCodeAt(r) === 32) r++;
    if (r >= l.length) return;
    if (l.charCodeAt(r) === 35 && r > q) return;
    giveUp();
  }

  private mapping(i: number, col: number, depth: number): [Record<string, unknown>, number] {
    const out: Record<string, unknown> = {};
    this.record(out, i + 1);
    const lines = this.lines;
    let first = true;
    for (;;) {
      if (!first) {
        if (i >= lines.length) return [out, i];
        const ind = this.indents[i]!;
        if (ind < col) return [out, i];
        if (ind > col) giveUp();
        const c = lines[i]!.charCodeAt(col);
        // A sequence at the same indentation belongs to the parent mapping's key: it ends this mapping.
        if (c === 45 && (col + 1 === lines[i]!.length || lines[i]!.charCodeAt(col + 1) === 32)) return [out, i];
      }
      first = false;
      const l = lines[i]!;
      const c = l.charCodeAt(col);
      let key: string;
      let colon: number;
      if (c === 34 || c === 39) {
        const [s, q] = c === 34 ? this.doubleQuoted(l, col) : this.singleQuoted(l, col);
        if (l.charCodeAt(q) !== 58 || !(q + 1 === l.length || l.charCodeAt(q + 1) === 32)) giveUp();
        key = s;
        colon = q;
      } else {
        if (badPlainStart(c) || (c === 45 && (col + 1 === l.length || l.charCodeAt(col + 1) === 32))) giveUp();
        const [text, k] = this.plain(l, col);
        if (k < 0 || text === '') giveUp();
        key = String(resolvePlain(text));
        colon = k;
      }
      if (key === '<<' || key === '__proto__' || Object.prototype.hasOwnProperty.call(out, key)) giveUp();
      let p = colon + 1;
      while (l.charCodeAt(p) === 32) p++;
      const [value, end] = this.item(i, p, col, depth, true);
      out[key] = value;
      i = end;
    }
  }

  private doubleQuoted(l: string, p: number): [string, number] {
    let out = '';
    let start = p + 1;
    let q = start;
    for (;;) {
      const c = l.charCodeAt(q);
      if (Number.isNaN(c)) giveUp(); // continues on the next line
      if (c === 34) {
        out += l.slice(start, q);
        return [out, q + 1];
      }
      if (c === 92) {
        out += l.slice(start, q);
        const e = l[q + 1];
        if (e === undefined) giveUp();
        const simple = ESCAPES[e];
        if (simple !== undefined) {
          out += simple;
          q += 2;
        } else if (e === 'x' || e === 'u' || e === 'U') {
          const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = l.slice(q + 2, q + 2 + len);
          if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) giveUp();
          const code = parseInt(hex, 16);
          if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) giveUp();
          out += String.fromCodePoint(code);
          q += 2 + len;
        } else giveUp();
        start = q;
        continue;
      }
      q++;
    }
  }

  private singleQuoted(l: string, p: number): [string, number] {
    let out = '';
    let start = p + 1;
    let q = start;
    for (;;) {
      const k = l.indexOf("'", q);
      if (k < 0) giveUp(); // continues on the next line
      if (l.charCodeAt(k + 1) === 39) {
        out += l.slice(start, k + 1);
        q = start = k + 2;
        continue;
      }
      out += l.slice(start, k);
      return [out, k + 1];
    }
  }

  /** A one-line flow collection of scalars: `[]`, `{}`, `[a, "b"]`, `{a: 1, b: x}`. */
  private flow(l: string, p: number, line: number): [unknown, number] {
    const isMap = l.charCodeAt(p) === 123;
    const close = isMap ? 125 : 93;
    const outMap: Record<string, unknown> = {};
    const outSeq: unknown[] = [];
    this.record(isMap ? outMap : outSeq, line);
    let q = p + 1;
    const skip = (): void => {
      while (l.charCodeAt(q) === 32) q++;
    };
    const scalar = (asKey: boolean): unknown => {
      const c = l.charCodeAt(q);
      if (c === 34 || c === 39) {
        const [s, r] = c === 34 ? this.doubleQuoted(l, q) : this.singleQuoted(l, q);
        q = r;
        return s;
      }
      if (Number.isNaN(c) || badPlainStart(c) || c === 45 && l.charCodeAt(q + 1) === 32) giveUp();
      let r = q;
      for (;;) {
        const d = l.charCodeAt(r);
        if (Number.isNaN(d) || d === 44 || d === 91 || d === 93 || d === 123 || d === 125 || d === 35 || d === 39 || d === 34) break;
        if (d === 58) {
          const e = l.charCodeAt(r + 1);
          if (!asKey || l.charCodeAt(r - 1) === 32) giveUp();
          if (e === 32) break;
          giveUp();
        }
        r++;
      }
      const text = l.slice(q, r).trimEnd();
      if (text === '') giveUp();
      q = r;
      return resolvePlain(text);
    };
    skip();
    if (l.charCodeAt(q) === close) return [isMap ? outMap : outSeq, q + 1];
    for (;;) {
      skip();
      if (isMap) {
        const k = scalar(true);
        if (l.charCodeAt(q) !== 58 || l.charCodeAt(q + 1) !== 32) giveUp();
        q += 2;
        skip();
        const key = String(k);
        if (key === '<<' || key === '__proto__' || Object.prototype.hasOwnProperty.call(outMap, key)) giveUp();
        outMap[key] = scalar(false);
      } else {
        outSeq.push(scalar(false));
      }
      skip();
      const c = l.charCodeAt(q);
      if (c === close) return [isMap ? outMap : outSeq, q + 1];
      if (c !== 44) giveUp();
      q++;
      skip();
      if (l.charCodeAt(q) === close) giveUp(); // trailing comma: leave it to the real parser
    }
  }

  /** `|` or `>` with an optional `-`/`+`, on line `i` at `p`, inside a collection indented `parent`. */
  private blockScalar(i: number, p: number, parent: number): [string, number] {
    const lines = this.lines;
    const l = lines[i]!;
    const folded = l.charCodeAt(p) === 62;
    let q = p + 1;
    let chomp = 'clip';
    const m = l.charCodeAt(q);
    if (m === 45) (chomp = 'strip'), q++;
    else if (m === 43) (chomp = 'keep'), q++;
    this.endOfLine(l, q);
    // Content lines: from i+1 while blank or indented at least as much as the first non-blank line.
    let j = i + 1;
    while (j < lines.length && /^ *$/.test(lines[j]!)) j++;
    if (j >= lines.length) giveUp();
    let indent = 0;
    while (lines[j]!.charCodeAt(indent) === 32) indent++;
    if (indent <= parent) giveUp(); // empty block scalar: leave it to the real parser
    for (let k = i + 1; k < j; k++) if (lines[k]!.length > indent) giveUp();
    const content: string[] = [];
    let k = i + 1;
    let lastText = -1; // index in content of the last non-empty line
    for (; k < lines.length; k++) {
      const s = lines[k]!;
      let sp = 0;
      while (s.charCodeAt(sp) === 32) sp++;
      if (sp === s.length) {
        if (s.length > indent) giveUp();
        content.push('');
        continue;
      }
      if (sp < indent) break;
      content.push(s.slice(indent));
      lastText = content.length - 1;
    }
    // `k` is the first line after the scalar; a less indented line must not continue the parent wrongly.
    const next = this.next(k);
    if (next < lines.length && this.indents[next]! > parent) giveUp();
    if (chomp === 'keep' && next >= lines.length) giveUp(); // trailing lines at the end of the file: leave it
    if (chomp === 'keep' && k !== next) giveUp(); // comments between: leave it
    const body = content.slice(0, lastText + 1);
    const trailing = content.length - body.length;
    let text: string;
    if (!folded) text = body.join('\n');
    else {
      let b = 0;
      while (body[b] === '') b++;
      text = '\n'.repeat(b) + body[b]!;
      let empties = 0;
      let prev = body[b]!;
      for (b++; b < body.length; b++) {
        const s = body[b]!;
        if (s === '') {
          empties++;
          continue;
        }
        const prevMore = prev.charCodeAt(0) === 32;
        const curMore = s.charCodeAt(0) === 32;
        if (!prevMore && !curMore) text += empties === 0 ? ' ' : '\n'.repeat(empties);
        else text += '\n'.repeat(empties + 1);
        text += s;
        prev = s;
        empties = 0;
      }
    }
    if (chomp === 'clip') text += '\n';
    else if (chomp === 'keep') text += '\n' + '\n'.repeat(trailing);
    return [text, next];
  }
}

/**
 * Parse `text` if it is within the supported subset; otherwise UNSUPPORTED. `record` is told the 1-based
 * start line of every object and array created (also for a parse that is then abandoned).
 */
export function parseFastYaml(text: string, record: RecordLine): unknown {
  if (text.includes('\t') || text.includes('\r')) return UNSUPPORTED;
  try {
    return new FastYaml(text, record).parse();
  } catch (err) {
    if (err === GIVE_UP) return UNSUPPORTED;
    if (err instanceof RangeError) return UNSUPPORTED; // stack overflow: let the real parser report it
    throw err;
  }
}
