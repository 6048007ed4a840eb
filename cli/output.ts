/** How every command prints: text for people, `--json` for scripts, one-line errors on stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printLines(lines: string[]): void {
  process.stdout.write(lines.join('\n') + '\n');
}

/** Columns two spaces apart, left-aligned except the `numeric` ones (header included), which align right. */
export function table(header: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (c: string, i: number): string => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!));
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
