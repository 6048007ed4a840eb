/**
 * Output of `events-diff` and `events-validate`: `text` (aligned table for a terminal), `json`
 * (`{"changes": [...]}` / `{"failures": [...]}`, the objects as the API returns them) and `markdown` (a
 * pull-request comment: a verdict heading and a table; names and paths in code spans, pipes escaped).
 * The compatibility mode is shown when the caller names one (`{"compatibility": "BACKWARD", "changes": …}`,
 * in the text summary, in the markdown heading); without it the output is what it was before modes existed.
 */
import { printable } from '../../core/printable';
import type { CompatibilityMode } from './compatibility';
import { eventLabel } from './load';
import { countByLevel, type EventChange, type EventChangeLevel } from './rules';
import type { EventFailure, ValidationResult } from './validate';

export const EVENT_OUTPUT_FORMATS = ['text', 'json', 'markdown'] as const;
export type EventOutputFormat = (typeof EVENT_OUTPUT_FORMATS)[number];

/** Aligned columns, two spaces apart, no trailing spaces. */
export function textTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A code span showing `text` literally inside a GFM table cell. */
export function codeSpan(text: string): string {
  const body = printable(text).replace(/\|/g, '\\|');
  if (body === '') return '*(empty)*';
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const padding = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${padding}${body}${padding}${fence}`;
}

/** Plain text inside a GFM table cell: markup characters escaped. */
export function markdownText(text: string): string {
  return printable(text.replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`));
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function levelSummary(changes: readonly EventChange[]): string {
  const counts = countByLevel(changes);
  return `${counts.ERR} ERR, ${counts.WARN} WARN, ${counts.INFO} INFO`;
}

export interface RenderChangesOptions {
  /** The mode the changes were rated under, to show; omitted, nothing is said about it. */
  compatibility?: CompatibilityMode;
}

/** `v2`, or `v1 → v2` when a new version was compared with an earlier one. */
function versionLabel(change: EventChange): string {
  return change.previousVersion === undefined ? `v${change.version}` : `v${change.previousVersion} → v${change.version}`;
}

export function renderEventChanges(changes: readonly EventChange[], format: EventOutputFormat, options: RenderChangesOptions = {}): string {
  const { compatibility } = options;
  if (format === 'json') return JSON.stringify(compatibility === undefined ? { changes } : { compatibility, changes }, null, 2) + '\n';
  if (format === 'markdown') return changesMarkdown(changes, compatibility);
  const mode = compatibility === undefined ? '' : ` (compatibility: ${compatibility})`;
  if (changes.length === 0) return `no changes${mode}\n`;
  const rows = changes.map((c) => [c.level, c.id, printable(`${c.event} ${versionLabel(c)}`), printable(c.path), printable(c.text)]);
  return [...textTable(['LEVEL', 'RULE', 'EVENT', 'PATH', 'CHANGE'], rows), '', `${plural(changes.length, 'change')}: ${levelSummary(changes)}${mode}`].join('\n') + '\n';
}

const SYMBOL: Record<EventChangeLevel, string> = { ERR: '❌', WARN: '⚠️', INFO: 'ℹ️' };

function changesMarkdown(changes: readonly EventChange[], compatibility: CompatibilityMode | undefined): string {
  const counts = countByLevel(changes);
  const verdict = counts.ERR
    ? `❌ ${plural(counts.ERR, 'breaking change')}`
    : counts.WARN
      ? `⚠️ no breaking changes, ${plural(counts.WARN, 'warning')}`
      : '✅ no breaking changes';
  const mode = compatibility === undefined ? '' : ` (${compatibility})`;
  const lines = [`### Event contracts${mode}: ${verdict}`, ''];
  if (changes.length === 0) {
    lines.push('No differences between the base and the revision schemas.');
    return lines.join('\n') + '\n';
  }
  lines.push(`${levelSummary(changes)}`, '', '| Level | Event | Path | Change | Rule |', '| --- | --- | --- | --- | --- |');
  for (const c of changes) {
    lines.push(`| ${SYMBOL[c.level]} ${c.level} | ${codeSpan(c.event)} ${versionLabel(c)} | ${codeSpan(c.path)} | ${markdownText(c.text)} | ${codeSpan(c.id)} |`);
  }
  return lines.join('\n') + '\n';
}

function failureEvent(f: EventFailure): string {
  return f.event === '' ? '-' : eventLabel(f.event, f.version);
}

export function renderEventFailures(result: ValidationResult, format: EventOutputFormat): string {
  const { failures, events } = result;
  if (format === 'json') return JSON.stringify({ failures }, null, 2) + '\n';
  const failed = new Set(failures.map((f) => f.index)).size;
  const summary = failures.length === 0 ? `${plural(events, 'event')}: all valid` : `${plural(failures.length, 'failure')} in ${failed} of ${plural(events, 'event')}`;
  const withLines = failures.some((f) => f.line !== undefined);
  if (format === 'markdown') {
    const lines = [`### Event samples: ${failures.length === 0 ? '✅' : '❌'} ${summary}`];
    if (failures.length) {
      lines.push('', `| Index |${withLines ? ' Line |' : ''} Event | Path | Problem |`, `| ---: |${withLines ? ' ---: |' : ''} --- | --- | --- |`);
      for (const f of failures) {
        const event = f.event === '' ? '-' : `${codeSpan(f.event)}${f.version === undefined ? '' : ` v${f.version}`}`;
        lines.push(`| ${f.index} |${withLines ? ` ${f.line ?? ''} |` : ''} ${event} | ${codeSpan(f.path)} | ${markdownText(f.message)} |`);
      }
    }
    return lines.join('\n') + '\n';
  }
  if (failures.length === 0) return `${summary}\n`;
  const header = ['INDEX', ...(withLines ? ['LINE'] : []), 'EVENT', 'PATH', 'PROBLEM'];
  const rows = failures.map((f) => [String(f.index), ...(withLines ? [f.line === undefined ? '' : String(f.line)] : []), printable(failureEvent(f)), printable(f.path), printable(f.message)]);
  return [...textTable(header, rows), '', summary].join('\n') + '\n';
}
