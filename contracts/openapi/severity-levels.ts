/**
 * oasdiff's `--severity-levels` file: one `<check-id> <level>` a line (level err, warn, info or none;
 * `#` comments and blank lines allowed). A listed id gets that level; `none` drops it from the result.
 */
import { readFileSync } from 'node:fs';
import { isCheckId } from './checks';
import type { Change, Level } from './types';

export type SeverityLevels = ReadonlyMap<string, Level | 'none'>;

export class SeverityLevelsError extends Error {}

const LEVEL_WORDS: Record<string, Level | 'none'> = { err: 'ERR', warn: 'WARN', info: 'INFO', none: 'none' };

export function parseSeverityLevels(text: string, file: string): SeverityLevels {
  const levels = new Map<string, Level | 'none'>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const where = `${file}:${index + 1}`;
    const words = line.split(/\s+/);
    if (words.length !== 2) throw new SeverityLevelsError(`${where}: expected "<check-id> <level>", got ${JSON.stringify(raw.trim())}`);
    const [id, word] = words as [string, string];
    if (!isCheckId(id)) throw new SeverityLevelsError(`${where}: ${JSON.stringify(id)} is not an oasdiff check id`);
    const level = LEVEL_WORDS[word.toLowerCase()];
    if (!level) throw new SeverityLevelsError(`${where}: level must be err, warn, info or none, got ${JSON.stringify(word)}`);
    levels.set(id, level);
  });
  return levels;
}

export function readSeverityLevels(file: string): SeverityLevels {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SeverityLevelsError(`${file}: cannot read severity levels: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseSeverityLevels(text, file);
}

/** The changes with their configured levels; ids set to `none` are left out. */
export function applySeverityLevels(changes: readonly Change[], levels: SeverityLevels | undefined): Change[] {
  if (!levels || levels.size === 0) return [...changes];
  const out: Change[] = [];
  for (const change of changes) {
    const level = levels.get(change.id);
    if (level === 'none') continue;
    out.push(level ? { ...change, level } : change);
  }
  return out;
}
