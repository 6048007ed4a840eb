/** Counts per level, shared by the text and markdown reports. */
import type { Change } from '../types';

export interface Counts {
  ERR: number;
  WARN: number;
  INFO: number;
}

export function countLevels(changes: Change[]): Counts {
  const counts: Counts = { ERR: 0, WARN: 0, INFO: 0 };
  for (const c of changes) counts[c.level]++;
  return counts;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export const LEVEL_WORD = { ERR: 'error', WARN: 'warning', INFO: 'info' } as const;
