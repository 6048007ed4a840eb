/** Reading strangler.yaml: YAML text → located tree → environment substitution → schema. */
import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors';
import { protectReferences, substituteEnv } from './env';
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
  const root = reader.convert(doc.contents, '', 1);
  const issues = [...reader.issues, ...substituteEnv(root, '', env, file)];
  const result = validateConfig(root, file);
  if (result.ok && issues.length === 0) return result;
  return { ok: false, issues: byLine([...issues, ...(result.ok ? [] : result.issues)]) };
}

function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    // "ENOENT: no such file or directory, open 'x'": the path is already at the front of the message.
    const reason = (err as Error).message.replace(/, \w+ '.*'$/, '');
    throw new ConfigError([{ file, path: '', message: `cannot read file: ${reason}` }]);
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

function byLine(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** Turns the YAML document into the located tree the schema reads, reporting duplicate keys. */
class TreeReader {
  readonly issues: ConfigIssue[] = [];
  private readonly ancestors = new Set<unknown>();

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
      const message = `invalid YAML: ${this.restore(problem.message.split('\n')[0] ?? '')}${bracketedPathHint(this.sourceLines[line - 1] ?? '')}`;
      issues.push({ file: this.file, line, path: '', message });
    }
    return byLine(issues);
  }

  convert(node: unknown, path: string, fallbackLine: number): ConfigNode {
    const line = this.lineOf(node, fallbackLine);
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target && !this.ancestors.has(target)) return this.convert(target, path, line);
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
