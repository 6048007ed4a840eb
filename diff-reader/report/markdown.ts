/**
 * The report as GitHub-flavoured Markdown for a pull-request comment: a summary table of routes, then per
 * route a verdict line and a "Top differences" table. Everything that comes from traffic (routes, paths,
 * values, request ids, error reasons) is in a code span, so it can never become markup; pipes are escaped
 * in tables. Cut to GitHub's comment limit with a note saying so.
 */
import {
  VALUE_WIDTH,
  ERROR_WIDTH,
  exampleValue,
  exampleLocation,
  countOf,
  hiddenFieldsText,
  notConfiguredNote,
  routeLabel,
  moreLocationsText,
  formatCount,
  formatMs,
  formatPercent,
  omittedNote,
  routeVerdict,
  truncate,
  verdictOf,
  type Verdict,
} from './format';
import { printable } from '../../core/printable';
import { normalisationNote } from '../../core/unicode-form';
import type { DiffReport, RouteReport } from './model';

/** GitHub refuses comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
export const DEFAULT_MARKDOWN_FIELDS = 10;

export interface MarkdownOptions {
  /** Total length limit in UTF-16 code units, note included (default 65,536, GitHub's comment limit). */
  maxChars?: number;
  /** Rows of each "Top differences" table (default 10). */
  maxFields?: number;
}

const SYMBOL = { pass: '✅', fail: '❌', warn: '⚠️', empty: '➖' } as const;

function verdictLine(verdict: Verdict): string {
  return `${SYMBOL[verdict.kind]} ${verdict.text}`;
}

/**
 * A code span that shows `text` literally: a backtick fence longer than any backtick run inside, padded with
 * a space when the text starts or ends with a backtick; in a table, `|` is escaped as `\|` (GFM splits cells
 * before it parses code spans). Line breaks and control characters are shown as `\uXXXX`.
 */
export function codeSpan(text: string, inTable: boolean): string {
  let body = printable(text);
  if (body.length === 0) return '*(empty)*';
  if (inTable) body = body.replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const padding = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${padding}${body}${padding}${fence}`;
}

/** Request ids are shown whole up to this width (a UUID is 36): `strangler diff show` takes them. */
const REQUEST_ID_WIDTH = 40;

function value(text: string | null): string {
  return text === null ? '*(absent)*' : codeSpan(exampleValue(text, VALUE_WIDTH), true);
}

/** ` _(same text, different Unicode normalisation: NFC vs NFD)_` after two values that differ only so. */
function normalisationSuffix(legacy: string | null, candidate: string | null): string {
  const note = normalisationNote(legacy, candidate);
  return note ? ` _(${note})_` : '';
}

function summaryTable(report: DiffReport): string[] {
  const lines = [
    '| Route | Comparisons | Match | Mismatch | Noise | Error | Verdict |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const route of report.routes) {
    lines.push(
      `| ${routeLabel(route, codeSpan(route.route, true))} | ${formatCount(route.counts.comparisons)} | ${formatPercent(route.rates.match)} | ` +
        `${formatPercent(route.rates.mismatch)} | ${formatPercent(route.rates.noise)} | ${formatPercent(route.rates.error)} | ` +
        `${verdictLine(routeVerdict(route))} |`,
    );
  }
  if (report.routes.length > 1) {
    const { counts, rates } = report.totals;
    lines.push(
      `| **all routes** | ${formatCount(counts.comparisons)} | ${formatPercent(rates.match)} | ${formatPercent(rates.mismatch)} | ` +
        `${formatPercent(rates.noise)} | ${formatPercent(rates.error)} | ${verdictLine(verdictOf(counts))} |`,
    );
  }
  return lines;
}

function latencyLine(route: RouteReport): string {
  const { legacy, candidate } = route.latency;
  return (
    `Latency p50 / p99: legacy ${formatMs(legacy.p50)} / ${formatMs(legacy.p99)} ms, ` +
    `new ${formatMs(candidate.p50)} / ${formatMs(candidate.p99)} ms`
  );
}

function differencesTable(route: RouteReport, maxFields: number): string[] {
  if (route.fields.length === 0) return ['No differing fields.'];
  const lines = [
    '**Top differences**',
    '',
    '| Field | Count | Share | Noise | Example legacy → new | Request |',
    '| --- | ---: | ---: | ---: | --- | --- |',
  ];
  for (const field of route.fields.slice(0, maxFields)) {
    const example = field.examples[0];
    const location = example && exampleLocation(example);
    const where = location ? ` at ${codeSpan(location.location, true)}${moreLocationsText(location.more)}` : '';
    const shown = example
      ? `${value(example.legacy)} → ${value(example.candidate)}${example.noise ? ' _(noise)_' : ''}${normalisationSuffix(example.legacy, example.candidate)}${where}`
      : '';
    const request = example ? codeSpan(truncate(example.requestId, REQUEST_ID_WIDTH), true) : '';
    lines.push(
      `| ${codeSpan(field.path, true)} | ${formatCount(field.count)} | ${formatPercent(field.share)} | ` +
        `${formatCount(field.noise)} | ${shown} | ${request} |`,
    );
  }
  const hidden = hiddenFieldsText(route, maxFields);
  if (hidden) lines.push('', `_… ${hidden}._`);
  return lines;
}

function errorLine(route: RouteReport): string[] {
  if (route.errors.length === 0) return [];
  const reasons = route.errors.map((error) => `${codeSpan(truncate(error.reason, ERROR_WIDTH), false)} ×${formatCount(error.count)}`);
  return ['', `Errors: ${reasons.join(', ')}`];
}

function routeSection(route: RouteReport, maxFields: number): string[] {
  const lines = ['', `### ${routeLabel(route, codeSpan(route.route, false))}`, '', verdictLine(routeVerdict(route))];
  if (route.configured === false) lines.splice(lines.length - 1, 0, `${notConfiguredNote(route)}.`, '');
  if (route.counts.comparisons === 0) return lines;
  lines[lines.length - 1] += ` · ${countOf(route.counts.comparisons, 'comparison')}`;
  lines.push('', latencyLine(route), '', ...differencesTable(route, maxFields), ...errorLine(route));
  return lines;
}

function heading(report: DiffReport): string[] {
  const facts = [`generated ${report.generatedAt}`];
  if (report.window.from && report.window.to) facts.push(`window ${report.window.from} → ${report.window.to}`);
  facts.push(countOf(report.totals.counts.comparisons, 'comparison'));
  const lines = ['## Shadow diff report', '', facts.join(' · ')];
  if (report.window.omittedThrough !== null) lines.push('', `> ⚠️ ${omittedNote(report.window.omittedThrough)}`);
  return lines;
}

/**
 * Joins the blocks line by line while they fit; when one does not, stops and ends with a note (the note's
 * length counted in the limit) naming how many routes were shown in full.
 */
function fitToLimit(blocks: string[][], routeCount: number, maxChars: number): string {
  const out: string[] = [];
  let length = 0;
  const note = (routesShown: number): string =>
    `\n\n> ✂️ Report truncated to fit ${formatCount(maxChars)} characters: ${routesShown} of ${routeCount} ` +
    `routes shown in full. The HTML or JSON report has everything.\n`;
  const reserve = note(routeCount).length;
  for (let index = 0; index < blocks.length; index++) {
    for (const line of blocks[index]!) {
      const added = (out.length === 0 ? 0 : 1) + line.length;
      if (length + added + reserve > maxChars) {
        const routesShown = Math.max(0, index - 1); // block 0 is the heading and summary
        return `${out.join('\n')}${note(routesShown)}`;
      }
      out.push(line);
      length += added;
    }
  }
  return `${out.join('\n')}\n`;
}

export function renderMarkdown(report: DiffReport, options: MarkdownOptions = {}): string {
  const maxChars = options.maxChars ?? GITHUB_COMMENT_LIMIT;
  const maxFields = options.maxFields ?? DEFAULT_MARKDOWN_FIELDS;
  const top = heading(report);
  if (report.routes.length === 0) return fitToLimit([[...top, '', 'No comparisons.']], 0, maxChars);
  top.push('', ...summaryTable(report));
  return fitToLimit([top, ...report.routes.map((route) => routeSection(route, maxFields))], report.routes.length, maxChars);
}
