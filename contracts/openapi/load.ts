/**
 * Read one OpenAPI file (YAML or JSON) into plain values, remembering the line each object and array
 * starts on, so a change can point at `file:line`. Errors are one line: `file:line: what is wrong`.
 *
 * JSON (by content: the first non-blank character is `{` or `[`) goes through a small hand-written
 * parser — big specs are usually JSON, and it is ~10x faster than a YAML parser on them. Everything else
 * goes through `yaml` (YAML 1.2 core schema: `2025-01-01` stays a string, as in JSON), except that plain
 * block YAML is first tried with the fast reader in fast-yaml.ts, which yields the same values and lines.
 */
import { readFileSync } from 'node:fs';
import { UNSUPPORTED, parseFastYaml } from './fast-yaml';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from 'yaml';

export class OpenApiLoadError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${reason}`);
    this.name = 'OpenApiLoadError';
  }
}

export interface Loc {
  file: string;
  line: number;
}

/** Where each parsed object or array came from. Objects are never shared between files. */
const LOCATIONS = new WeakMap<object, Loc>();

export function locationOf(value: unknown): Loc | undefined {
  return value !== null && typeof value === 'object' ? LOCATIONS.get(value) : undefined;
}

/** Gives `copy`, a value built from what is written at `original`, the location of `original`. */
export function copyLocation(original: object, copy: object): void {
  const loc = LOCATIONS.get(original);
  if (loc) LOCATIONS.set(copy, loc);
}

export interface LoadedFile {
  file: string;
  root: unknown;
}

export function readSpecFile(file: string): LoadedFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot read (${code ?? (err as Error).message})`;
    throw new OpenApiLoadError(file, undefined, reason);
  }
  return { file, root: parseSpecText(text, file) };
}

export function parseSpecText(text: string, file: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = text.search(/\S/);
  if (first < 0) throw new OpenApiLoadError(file, 1, 'empty file');
  const c = text[first];
  if (c === '{' || c === '[') return new JsonParser(text, file).parseDocument();
  return parseYaml(text, file);
}

// ---------------------------------------------------------------------------------------------- YAML

function parseYaml(text: string, file: string): unknown {
  // The plain block-YAML most specs are written in goes through a fast reader; anything it does not handle
  // with certainty (anchors, tags, multi-line scalars, errors, ...) falls back to the `yaml` package.
  const fast = parseFastYaml(text, (value, line) => LOCATIONS.set(value, { file, line }));
  if (fast !== UNSUPPORTED) return fast;
  return parseYamlWithLibrary(text, file);
}

/** The `yaml` package path (exported for the fast reader's equivalence tests). */
export function parseYamlWithLibrary(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true, strict: false });
  const lineAt = (offset: number | undefined): number => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  const problem = doc.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line ?? lineAt(problem.pos[0]);
    throw new OpenApiLoadError(file, line, `invalid YAML: ${firstLine(problem.message)}`);
  }
  const converted = new Map<YamlNode, unknown>();
  const toValue = (node: unknown, depth: number): unknown => {
    if (node === null || node === undefined) return null;
    if (depth > 2000) throw new OpenApiLoadError(file, undefined, 'document nests too deeply');
    if (isAlias(node)) {
      const target = node.resolve(doc as Document);
      if (!target) throw new OpenApiLoadError(file, lineAt(node.range?.[0]), `unknown YAML alias *${node.source}`);
      return toValue(target, depth + 1);
    }
    if (isScalar(node)) return node.value ?? null;
    const done = converted.get(node as YamlNode);
    if (done !== undefined) return done;
    if (isSeq(node)) {
      const out: unknown[] = [];
      converted.set(node, out);
      LOCATIONS.set(out, { file, line: lineAt(node.range?.[0]) });
      for (const item of node.items) out.push(toValue(item, depth + 1));
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      converted.set(node, out);
      LOCATIONS.set(out, { file, line: lineAt(node.range?.[0]) });
      for (const pair of node.items) {
        const value = toValue(pair.value, depth + 1);
        // A plain `<<` is a merge key (its value a symbol with `merge: true`); a quoted "<<" is a key like any other.
        if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
          for (const src of Array.isArray(value) ? value : [value]) {
            if (src && typeof src === 'object') for (const [k, v] of Object.entries(src)) if (!(k in out)) out[k] = v;
          }
          continue;
        }
        const key = isScalar(pair.key) ? String(pair.key.value) : pair.key === null ? '' : String(toValue(pair.key, depth + 1));
        out[key] = value;
      }
      return out;
    }
    return null;
  };
  return toValue(doc.contents, 0);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?$/, '').trim();
}

// ---------------------------------------------------------------------------------------------- JSON

/** A strict JSON parser that records the line each object and array starts on. */
class JsonParser {
  private pos = 0;
  private line = 1;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  parseDocument(): unknown {
    this.skip();
    const value = this.value(0);
    this.skip();
    if (this.pos < this.text.length) this.fail(`invalid JSON: unexpected ${this.describe()} after the document`);
    return value;
  }

  private fail(reason: string): never {
    throw new OpenApiLoadError(this.file, this.line, reason);
  }

  private describe(): string {
    if (this.pos >= this.text.length) return 'end of file';
    return `character ${JSON.stringify(this.text[this.pos])}`;
  }

  private skip(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === 10) {
        this.line++;
        this.pos++;
      } else if (c === 32 || c === 9 || c === 13) this.pos++;
      else return;
    }
  }

  private value(depth: number): unknown {
    if (depth > 2000) this.fail('document nests too deeply');
    const c = this.text.charCodeAt(this.pos);
    if (c === 123) return this.object(depth);
    if (c === 91) return this.array(depth);
    if (c === 34) return this.string();
    if (c === 45 || (c >= 48 && c <= 57)) return this.number();
    if (this.text.startsWith('true', this.pos)) return (this.pos += 4), true;
    if (this.text.startsWith('false', this.pos)) return (this.pos += 5), false;
    if (this.text.startsWith('null', this.pos)) return (this.pos += 4), null;
    return this.fail(`invalid JSON: unexpected ${this.describe()}`);
  }

  private object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    LOCATIONS.set(out, { file: this.file, line: this.line });
    this.pos++;
    this.skip();
    if (this.text.charCodeAt(this.pos) === 125) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 34) this.fail(`invalid JSON: expected a property name, found ${this.describe()}`);
      const key = this.string();
      this.skip();
      if (this.text.charCodeAt(this.pos) !== 58) this.fail(`invalid JSON: expected ':' after property name, found ${this.describe()}`);
      this.pos++;
      this.skip();
      const value = this.value(depth + 1);
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
      if (!this.another(125, "',' or '}'")) return out;
    }
  }

  private array(depth: number): unknown[] {
    const out: unknown[] = [];
    LOCATIONS.set(out, { file: this.file, line: this.line });
    this.pos++;
    this.skip();
    if (this.text.charCodeAt(this.pos) === 93) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      if (!this.another(93, "',' or ']'")) return out;
    }
  }

  /** After a member or element: true past a ',' (another follows), false past the closing bracket. */
  private another(close: number, expected: string): boolean {
    this.skip();
    const c = this.text.charCodeAt(this.pos);
    if (c === 44) {
      this.pos++;
      this.skip();
      return true;
    }
    if (c === close) {
      this.pos++;
      return false;
    }
    return this.fail(`invalid JSON: expected ${expected}, found ${this.describe()}`);
  }

  private string(): string {
    const t = this.text;
    const start = this.pos + 1;
    let i = start;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 32 || Number.isNaN(c)) {
        this.pos = i;
        this.fail(Number.isNaN(c) ? 'invalid JSON: unterminated string' : 'invalid JSON: control character in a string');
      }
      i++;
    }
    this.pos = i + 1;
    if (!escaped) return t.slice(start, i);
    try {
      return JSON.parse(t.slice(start - 1, i + 1)) as string;
    } catch {
      return this.fail('invalid JSON: bad escape in a string');
    }
  }

  private number(): number {
    const t = this.text;
    const start = this.pos;
    let i = start;
    if (t.charCodeAt(i) === 45) i++;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if ((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45) i++;
      else break;
    }
    const raw = t.slice(start, i);
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) this.fail(`invalid JSON: bad number ${JSON.stringify(raw)}`);
    this.pos = i;
    return Number(raw);
  }
}
