/** What every rule shares: the two specs, the options, "today", and `emit` (which accepts only oasdiff ids). */
import { isAbsolute, relative } from 'node:path';
import { isCheckId, levelOf } from './checks';
import { locationOf } from './load';
import type { Operation, Spec } from './model';
import type { Change, DiffOptions } from './types';

export interface Where {
  operation?: string;
  path?: string;
  /** A parsed node whose `file:line` becomes the change's source. */
  node?: unknown;
  /** The file to name when the node has no recorded location. */
  file?: string;
}

export class DiffContext {
  readonly changes: Change[] = [];
  private readonly seen = new Set<string>();
  /** `YYYY-MM-DD` in UTC. */
  readonly today: string;
  readonly deprecationDaysBeta: number;
  readonly deprecationDaysStable: number;

  constructor(
    readonly base: Spec,
    readonly revision: Spec,
    options: DiffOptions = {},
  ) {
    this.today = (options.now ?? new Date()).toISOString().slice(0, 10);
    this.deprecationDaysBeta = options.deprecationDaysBeta ?? 0;
    this.deprecationDaysStable = options.deprecationDaysStable ?? 0;
  }

  /**
   * Record a change (duplicates are dropped). An id that is not in the catalogue is a bug in a rule, or an
   * oasdiff id the catalogue lacks: it throws, so it shows up instead of vanishing from the report.
   */
  emit(id: string, text: string, where: Where): void {
    if (!isCheckId(id)) throw new Error(`unknown oasdiff check id: ${id} (${text})`);
    const operation = where.operation ?? '';
    const path = where.path ?? '';
    const dedupe = `${id}\u0000${operation}\u0000${path}\u0000${text}`;
    if (this.seen.has(dedupe)) return;
    this.seen.add(dedupe);
    this.changes.push({ id, level: levelOf(id), operation, path, source: sourceText(where), text });
  }

  /** emit() for a change inside an operation. */
  emitOp(id: string, op: Operation, text: string, node?: unknown): void {
    this.emit(id, text, { operation: op.method, path: op.path, node: node ?? op.node });
  }
}

function displayFile(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function sourceText(where: Where): string {
  const loc = locationOf(where.node);
  if (loc) return `${displayFile(loc.file)}:${loc.line}`;
  return where.file ? displayFile(where.file) : '';
}

/** `'a'`-style quoting for texts. */
export function q(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  return `'${JSON.stringify(value)}'`;
}
