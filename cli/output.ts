import { displayWidth, padToWidth } from '../core/display-width';
import type { ConfigIssue } from '../core/errors';

/** How every command prints: text for people, `--json` for scripts, one-line errors on stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * Whether the command line asks for JSON (`--json`, `--json=true`): then a failure is one JSON line on stderr
 * too, `{"error":{"message","exitCode"}}` (a bad configuration adds its `issues`), and stdout stays empty.
 */
export function jsonRequested(argv: readonly string[]): boolean {
  let json = false;
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg === '--json' || arg === '--json=true') json = true;
    else if (arg === '--no-json' || arg === '--json=false') json = false;
  }
  return json;
}

export interface Failure {
  /** One line (a bad configuration: one line per problem). */
  message: string;
  exitCode: number;
  issues?: readonly ConfigIssue[];
}

/** Prints a failure on stderr, as text (`strangler: …`) or, with `json`, as one JSON line. */
export function printFailure(failure: Failure, json: boolean): void {
  if (json) {
    const error = { message: failure.message, exitCode: failure.exitCode, ...(failure.issues ? { issues: failure.issues } : {}) };
    process.stderr.write(JSON.stringify({ error }) + '\n');
  } else {
    process.stderr.write(failure.issues ? failure.message + '\n' : `strangler: ${failure.message}\n`);
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printLines(lines: string[]): void {
  process.stdout.write(lines.join('\n') + '\n');
}

/**
 * Columns two spaces apart, left-aligned except the `numeric` ones (header included), which align right; by
 * terminal columns, so a route name or reason with wide (CJK, emoji) characters does not shift the rest.
 */
export function table(header: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const cell = (c: string, i: number): string => padToWidth(c, widths[i]!, numeric.has(i) ? 'right' : 'left');
  const line = (cells: string[]): string => cells.map(cell).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `1 route`, `2 routes`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A message on one line: its lines joined by `; `, a line ending in `:` by a space (yargs' `Invalid values:`). */
export function oneLine(message: string): string {
  return message.replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; ');
}

/**
 * yargs names an unknown dashed flag twice, as typed and camel-cased (`Unknown arguments: fail-level, failLevel`):
 * each is named once, as typed.
 */
export function withoutCamelCaseTwins(message: string): string {
  const match = /^Unknown arguments?: (.*)$/s.exec(message);
  if (!match) return message;
  const names = match[1]!.split(', ');
  const camel = (name: string): string => name.replace(/-+([^-])/g, (_, c: string) => c.toUpperCase());
  const dashed = new Set(names.filter((name) => name.includes('-')).map(camel));
  const kept = names.filter((name) => name.includes('-') || !dashed.has(name));
  return `Unknown argument${kept.length === 1 ? '' : 's'}: ${kept.join(', ')}`;
}

/**
 * yargs says a flag with choices given without a value as `Invalid values: Argument: format, Given: true,
 * Choices: "text", …`: said as the flag and what it takes (`--format: needs a value: text, markdown, html or json`).
 * Other messages are returned as they are.
 */
export function choiceWithoutValue(message: string): string {
  const match = /^Invalid values?:\s*Argument: ([\w-]+), Given: true, Choices: ((?:"[^"]*"(?:, )?)+)\s*$/.exec(message);
  if (!match) return message;
  const choices = match[2]!.split(', ').map((choice) => choice.slice(1, -1));
  const listed = choices.length > 1 ? `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}` : choices[0]!;
  return `--${match[1]}: needs a value: ${listed}`;
}
