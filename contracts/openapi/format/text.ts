/** The terminal report, in oasdiff's layout: a summary line, then one block per change. */
import type { Change } from '../types';
import { LEVEL_WORD, countLevels, plural } from './summary';

export function formatText(changes: Change[]): string {
  if (changes.length === 0) return 'No changes\n';
  const n = countLevels(changes);
  const lines = [`${plural(changes.length, 'change')}: ${n.ERR} error, ${n.WARN} warning, ${n.INFO} info`];
  for (const c of changes) {
    lines.push(`${LEVEL_WORD[c.level]}\t[${c.id}] at ${c.source || '-'}`);
    lines.push(c.operation || c.path ? `\tin API ${c.operation} ${c.path}`.trimEnd() : '\tin components');
    lines.push(`\t\t${c.text}`, '');
  }
  return lines.join('\n');
}
