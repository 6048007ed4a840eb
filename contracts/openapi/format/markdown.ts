/**
 * A pull-request comment: a one-line verdict, a table of the breaking changes and warnings (endpoint,
 * what changed, check id, where), and the informational changes folded away in a <details> block.
 */
import { levelRank, type Change, type Level } from '../types';
import { countLevels, plural } from './summary';

const ICON: Record<Level, string> = { ERR: '🔴', WARN: '🟡', INFO: '🔵' };

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function code(text: string): string {
  if (!text) return '';
  return '`' + text.replace(/`/g, 'ˋ').replace(/\|/g, '\\|') + '`';
}

function table(changes: Change[]): string[] {
  const rows = ['| | Endpoint | Change | Check | Source |', '|---|---|---|---|---|'];
  for (const c of changes) {
    const endpoint = c.operation || c.path ? code(`${c.operation} ${c.path}`.trim()) : '_components_';
    rows.push(`| ${ICON[c.level]} | ${endpoint} | ${cell(c.text)} | ${code(c.id)} | ${code(c.source)} |`);
  }
  return rows;
}

/** `failOn`: the level that fails the check (`--fail-on`), so the verdict never contradicts the exit code. */
export function formatMarkdown(changes: Change[], failOn: Level = 'ERR'): string {
  const n = countLevels(changes);
  const lines = ['### OpenAPI changes', ''];
  if (changes.length === 0) return [...lines, 'No changes between the two specs.', ''].join('\n');
  const failingWarnings = levelRank('WARN') >= levelRank(failOn) ? n.WARN : 0;
  const verdict =
    n.ERR > 0 ? `**${plural(n.ERR, 'breaking change')}**`
    : failingWarnings > 0 ? `**${plural(failingWarnings, 'warning')} fail${failingWarnings === 1 ? 's' : ''} this check** (\`--fail-on ${failOn}\`), no breaking changes`
    : n.WARN > 0 ? '**No breaking changes**, but some need a look'
    : '**No breaking changes**';
  lines.push(`${verdict} · ${ICON.ERR} ${n.ERR} error · ${ICON.WARN} ${n.WARN} warning · ${ICON.INFO} ${n.INFO} info`, '');
  const important = changes.filter((c) => c.level !== 'INFO');
  if (important.length) lines.push(...table(important), '');
  const info = changes.filter((c) => c.level === 'INFO');
  if (info.length) lines.push(`<details><summary>${plural(info.length, 'informational change')}</summary>`, '', ...table(info), '', '</details>', '');
  return lines.join('\n');
}
