/**
 * Schema and event text → values, with syntax errors as one line naming `file:line:column`. JSON is parsed by
 * `JSON.parse`; when it refuses, a small strict scanner finds where and why (V8 does not always say where).
 * YAML (1.2, `yaml` package) for `.yaml` / `.yml` files.
 */
import { LineCounter, parseDocument } from 'yaml';
import { EventContractError } from './errors';

export interface TextLocation {
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export function locate(text: string, offset: number): TextLocation {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export interface JsonTextOptions {
  /** Added to every reported line: the text is line `firstLine` of the file (JSON lines). Default 1. */
  firstLine?: number;
}

/** Parses JSON text; throws an `EventContractError` at the first syntax error's line and column. */
export function parseJsonText(text: string, file: string, options: JsonTextOptions = {}): unknown {
  const body = stripBom(text);
  try {
    return JSON.parse(body);
  } catch (err) {
    const problem = findJsonSyntaxError(body) ?? { offset: body.length, message: String((err as Error).message) };
    const { line, column } = locate(body, problem.offset);
    throw new EventContractError(file, `invalid JSON: ${problem.message}`, line + (options.firstLine ?? 1) - 1, column);
  }
}

/** Parses YAML text (one document); throws an `EventContractError` at the first error's line and column. */
export function parseYamlText(text: string, file: string): unknown {
  const lines = new LineCounter();
  // `merge`: `<<: *anchor` merges the anchored mapping, as in YAML 1.1 and most tools (a schema's shared parts).
  const doc = parseDocument(stripBom(text), { lineCounter: lines, prettyErrors: false, merge: true });
  const error = doc.errors[0];
  if (error) {
    const { line, col } = lines.linePos(error.pos[0]);
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new EventContractError(file, `invalid YAML: ${message}`, line, col);
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new EventContractError(file, `invalid YAML: ${(err as Error).message}`);
  }
}

export const YAML_EXTENSIONS = ['.yaml', '.yml'];

/** YAML for `.yaml` / `.yml`, JSON otherwise. */
export function parseDataText(text: string, file: string): unknown {
  const lower = file.toLowerCase();
  if (YAML_EXTENSIONS.some((ext) => lower.endsWith(ext))) return parseYamlText(text, file);
  if (stripBom(text).trim() === '') throw new EventContractError(file, 'the file is empty');
  return parseJsonText(text, file);
}

// ---------------------------------------------------------------------------------------------------------
// Where JSON.parse failed: a strict RFC 8259 scanner that stops at the first problem.

interface SyntaxProblem {
  offset: number;
  message: string;
}

class Stop {
  constructor(readonly problem: SyntaxProblem) {}
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

export function findJsonSyntaxError(text: string): SyntaxProblem | undefined {
  let i = 0;
  const n = text.length;
  const fail = (message: string, at = i): never => {
    throw new Stop({ offset: at, message });
  };
  const shown = (): string => (i >= n ? 'end of input' : `'${JSON.stringify(text[i]).slice(1, -1)}'`);
  const space = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = (): void => {
    const start = i;
    i++;
    for (;;) {
      if (i >= n) fail('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 32) fail('unescaped control character in a string');
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape in a string');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('bad escape in a string');
      } else i++;
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail(`expected a double-quoted property name, got ${shown()}`);
        string();
        space();
        if (text[i] !== ':') fail(`expected ':' after a property name, got ${shown()}`);
        i++;
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected ',' or '}' after a property value, got ${shown()}`);
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected ',' or ']' after an array item, got ${shown()}`);
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) fail('invalid number');
      i += match![0].length;
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail(`expected a value, got ${shown()}`);
  };
  try {
    value();
    space();
    if (i < n) fail(`unexpected ${shown()} after the JSON value`);
    return undefined;
  } catch (err) {
    if (err instanceof Stop) return err.problem;
    throw err;
  }
}
