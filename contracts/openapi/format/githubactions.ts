/**
 * GitHub Actions workflow commands, one per change: `::error file=…,line=…,title=<id>::<text>` (ERR →
 * error, WARN → warning, INFO → notice). Escaping follows the runner: in the message `%`, CR and LF are
 * percent-encoded; in properties also `:` and `,`.
 */
import type { Change, Level } from '../types';

const COMMAND: Record<Level, string> = { ERR: 'error', WARN: 'warning', INFO: 'notice' };

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `file:line` → file and line (a source without a line is all file). */
export function splitSource(source: string): { file: string; line?: number } {
  const m = /^(.*):(\d+)$/.exec(source);
  return m ? { file: m[1]!, line: Number(m[2]) } : { file: source };
}

export function formatGithubActions(changes: Change[]): string {
  const lines = changes.map((c) => {
    const { file, line } = splitSource(c.source);
    const props: string[] = [];
    if (file) props.push(`file=${escapeProperty(file)}`);
    if (line !== undefined) props.push(`line=${line}`);
    props.push(`title=${escapeProperty(c.id)}`);
    const where = c.operation || c.path ? `${c.operation} ${c.path}`.trim() + ': ' : '';
    return `::${COMMAND[c.level]} ${props.join(',')}::${escapeData(where + c.text)}`;
  });
  return lines.length ? lines.join('\n') + '\n' : '';
}
