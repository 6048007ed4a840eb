/** Reading strangler.yaml: YAML text → located tree → environment substitution → schema. */
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors';
import { protectReferences, substituteEnv } from './env';
import { cut } from './excerpt';
import { fieldPath, validateConfig, type ConfigNode, type ConfigResult, type MapEntry } from './schema';
import type { StranglerConfig } from './types';

/** Parses and validates strangler.yaml text; throws a `ConfigError` carrying every issue found. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): StranglerConfig {
  const result = validateConfigText(text, file, env);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

/** Reads, parses and validates a strangler.yaml file; throws a `ConfigError` carrying every issue found. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): StranglerConfig {
  return parseConfig(readConfigFile(file), file, env);
}

/** Like `loadConfig`, but returns the issues instead of throwing them. */
export function validateConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  let text: string;
  try {
    text = readConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, issues: err.issues };
    throw err;
  }
  return validateConfigText(text, file, env);
}

/** Like `parseConfig`, but returns the issues instead of throwing them. */
export function validateConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  // UTF-16 read as UTF-8, or a binary file: YAML would read it as one long value and echo it.
  if (text.includes('\u0000')) return { ok: false, issues: [{ file, path: '', message: `${NOT_TEXT} (${NUL_BYTES})` }] };
  const { text: masked, restore } = protectReferences(text);
  const lines = new LineCounter();
  const doc = parseDocument(masked, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const reader = new TreeReader(doc, file, (offset) => lines.linePos(offset).line, restore, text.split('\n'));

  const syntax = reader.syntaxIssues();
  if (syntax.length) return { ok: false, issues: syntax };
  if (doc.contents === null) {
    const message = 'the file is empty (expected a mapping with at least admin and upstreams)';
    return { ok: false, issues: [{ file, path: '', message }] };
  }
  let root: ConfigNode;
  try {
    root = reader.convert(doc.contents, '', 1);
  } catch (err) {
    if (err instanceof AliasExpansionLimit) return { ok: false, issues: [{ file, line: err.line, path: '', message: err.message }] };
    throw err;
  }
  const issues = [...reader.issues, ...substituteEnv(root, '', env, file)];
  const result = validateConfig(root, file);
  if (result.ok && issues.length === 0) return result;
  return { ok: false, issues: byLine([...issues, ...(result.ok ? [] : result.issues)]) };
}

const NOT_TEXT = 'not a UTF-8 text file';
const NUL_BYTES = 'it holds NUL bytes: UTF-16 text, or a binary file';

function readConfigFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    // "ENOENT: no such file or directory, open 'x'": the path is already at the front of the message.
    const reason = (err as Error).message.replace(/, \w+ '.*'$/, '');
    throw new ConfigError([{ file, path: '', message: `cannot read file: ${reason}` }]);
  }
  const problem = notUtf8Text(bytes);
  if (problem) throw new ConfigError([{ file, ...(problem.line ? { line: problem.line } : {}), path: '', message: `${NOT_TEXT} (${problem.why})` }]);
  return bytes.toString('utf8');
}

/** Why `bytes` are not UTF-8 text (a UTF-16 byte order mark, or the first line that does not decode), or undefined. */
function notUtf8Text(bytes: Buffer): { why: string; line?: number } | undefined {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { why: 'it starts with a UTF-16 byte order mark: save it as UTF-8' };
  }
  if (bytes.includes(0)) return { why: NUL_BYTES };
  if (isUtf8(bytes)) return undefined;
  let start = 0;
  for (let line = 1; ; line += 1) {
    const end = bytes.indexOf(0x0a, start);
    if (!isUtf8(bytes.subarray(start, end < 0 ? bytes.length : end))) return { why: 'this line is not valid UTF-8: save the file as UTF-8', line };
    if (end < 0) return { why: 'it is not valid UTF-8' };
    start = end + 1;
  }
}

/**
 * `ignore: [$.items[*].etag]` is a YAML error whose message (about flow sequences) does not say why: the
 * path's own brackets end the list. Such a line gets the fix appended.
 */
function bracketedPathHint(line: string): string {
  const path = /\[[^\n"']*?(\$[\w.*]*\[[^\]]*\][^,\]\s]*)/.exec(line);
  return path ? ` (JSON paths with [ ] inside a [ ] list must be quoted, such as "${path[1]}")` : '';
}

/** The yaml library says "please use YAML.parseAllDocuments()", advice to a programmer. */
function oneDocument(line: number, text: string): string {
  const where = text.startsWith('---') ? `remove the --- on line ${line}` : `a second one starts on line ${line}`;
  return `only one YAML document is allowed (${where})`;
}

function byLine(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/**
 * How many values aliases may copy in all. The tree is built with every alias expanded (the yaml library's own
 * maxAliasCount guards only its toJS), so ten nested aliases used ten times each would copy 10^10 values.
 */
const MAX_ALIASED_VALUES = 100000;

class AliasExpansionLimit extends Error {
  constructor(readonly line: number) {
    super(`invalid YAML: aliases expand to more than ${MAX_ALIASED_VALUES} values (write the values out, or alias less)`);
  }
}

/** Turns the YAML document into the located tree the schema reads, reporting duplicate keys. */
class TreeReader {
  readonly issues: ConfigIssue[] = [];
  private readonly ancestors = new Set<unknown>();
  /** Aliases being expanded around the current node, the line of the outermost, and the values copied through them so far. */
  private aliasDepth = 0;
  private aliasLine = 0;
  private aliasedValues = 0;

  constructor(
    private readonly doc: Document,
    private readonly file: string,
    private readonly lineAt: (offset: number) => number,
    private readonly restore: (text: string) => string,
    private readonly sourceLines: readonly string[],
  ) {}

  /** YAML errors and warnings, one per line: a single slip often cascades into several on the same line. */
  syntaxIssues(): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    for (const problem of [...this.doc.errors, ...this.doc.warnings]) {
      const line = this.lineAt(problem.pos[0]);
      if (issues.some((issue) => issue.line === line)) continue;
      const message =
        problem.code === 'MULTIPLE_DOCS'
          ? `invalid YAML: ${oneDocument(line, this.sourceLines[line - 1] ?? '')}`
          : `invalid YAML: ${cut(this.restore(problem.message.split('\n')[0] ?? ''), 160)}${bracketedPathHint(this.sourceLines[line - 1] ?? '')}`;
      issues.push({ file: this.file, line, path: '', message });
    }
    return byLine(issues);
  }

  /** Throws `AliasExpansionLimit` when aliases copy more than MAX_ALIASED_VALUES values. */
  convert(node: unknown, path: string, fallbackLine: number): ConfigNode {
    const line = this.lineOf(node, fallbackLine);
    if (this.aliasDepth > 0 && ++this.aliasedValues > MAX_ALIASED_VALUES) throw new AliasExpansionLimit(this.aliasLine);
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target && !this.ancestors.has(target)) {
        if (this.aliasDepth === 0) this.aliasLine = line;
        this.aliasDepth += 1;
        try {
          return this.convert(target, path, line);
        } finally {
          this.aliasDepth -= 1;
        }
      }
      this.report(line, path, `alias *${node.source} cannot be resolved`);
      return { kind: 'scalar', line, value: null, unresolved: true };
    }
    if (isMap(node) || isSeq(node)) {
      this.ancestors.add(node);
      const converted: ConfigNode = isMap(node)
        ? { kind: 'map', line, entries: this.entries(node.items, path, line) }
        : { kind: 'seq', line, items: node.items.map((item, index) => this.convert(item, fieldPath(path, index), line)) };
      this.ancestors.delete(node);
      return converted;
    }
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value === 'string') return { kind: 'scalar', line, value: this.restore(value) };
      if (typeof value === 'number' || typeof value === 'boolean' || value === null) return { kind: 'scalar', line, value };
      return { kind: 'scalar', line, value: String(value) };
    }
    // `key:` with nothing after it.
    return { kind: 'scalar', line, value: null };
  }

  private entries(pairs: ReadonlyArray<{ key: unknown; value: unknown }>, path: string, mapLine: number): MapEntry[] {
    const entries: MapEntry[] = [];
    for (const pair of pairs) {
      const line = this.lineOf(pair.key, mapLine);
      if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === 'object') {
        this.report(line, path, 'keys must be plain words');
        continue;
      }
      const key = this.restore(String(pair.key.value));
      const first = entries.find((entry) => entry.key === key);
      if (first) {
        this.report(line, fieldPath(path, key), `duplicate key (first defined on line ${first.line})`);
        continue;
      }
      entries.push({ key, line, value: this.convert(pair.value, fieldPath(path, key), line) });
    }
    return entries;
  }

  private lineOf(node: unknown, fallback: number): number {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.lineAt(range[0]) : fallback;
  }

  private report(line: number, path: string, message: string): void {
    this.issues.push({ file: this.file, line, path, message });
  }
}
