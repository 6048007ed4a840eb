/**
 * The report for a terminal: a summary table of routes, then per route its outcomes, latency, top
 * differing fields and error reasons as compact tables with aligned columns. No colour unless asked.
 */
import {
  ERROR_WIDTH,
  PATH_WIDTH,
  bucketsOf,
  displayWidth,
  exampleValue,
  countOf,
  exampleLocation,
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
import { padToWidth } from '../../core/display-width';
import { printable } from '../../core/printable';
import { normalisationNote } from '../../core/unicode-form';
import type { DiffReport, RouteReport } from './model';

export interface TextOptions {
  /** ANSI colours (verdicts, headings); default false. */
  color?: boolean;
  /** Fields listed per route (default 10); the rest are counted in a note. */
  maxFields?: number;
}

export const DEFAULT_TEXT_FIELDS = 10;

type Paint = (text: string) => string;
const plain: Paint = (text) => text;

interface Palette {
  bold: Paint;
  dim: Paint;
  warn: Paint;
  verdict: (verdict: Verdict) => Paint;
}

function ansi(code: string): Paint {
  return (text) => `\u001b[${code}m${text}\u001b[0m`;
}

function palette(color: boolean): Palette {
  if (!color) return { bold: plain, dim: plain, warn: plain, verdict: () => plain };
  const byKind = { pass: ansi('32'), fail: ansi('31'), warn: ansi('33'), empty: ansi('2') };
  return { bold: ansi('1'), dim: ansi('2'), warn: byKind.warn, verdict: (verdict) => byKind[verdict.kind] };
}

const VERDICT_WORD = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', empty: '----' } as const;

function verdictText(verdict: Verdict): string {
  return `${VERDICT_WORD[verdict.kind]} ${verdict.text}`;
}

interface Column {
  header: string;
  align: 'left' | 'right';
}

interface Cell {
  text: string;
  paint?: Paint;
}

/**
 * Lines of an aligned table: two spaces between columns, the header painted bold, each cell padded before
 * it is painted (so colour never shifts a column) and no trailing spaces.
 */
function table(columns: Column[], rows: (string | Cell)[][], paints: Palette, indent = ''): string[] {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === 'string' ? { text: cell } : cell)));
  const widths = columns.map((column, index) =>
    Math.max(displayWidth(column.header), ...cells.map((row) => displayWidth(row[index]?.text ?? ''))),
  );
  const line = (row: Cell[], rowPaint: Paint): string => {
    const parts = columns.map((column, index) => {
      const cell = row[index] ?? { text: '' };
      const last = index === columns.length - 1;
      const text = last && column.align === 'left' ? cell.text : padToWidth(cell.text, widths[index]!, column.align);
      return (cell.paint ?? rowPaint)(text);
    });
    return (indent + parts.join('  ')).trimEnd();
  };
  return [
    line(columns.map((column) => ({ text: column.header })), paints.bold),
    ...cells.map((row) => line(row, plain)),
  ];
}

function header(report: DiffReport, paints: Palette): string[] {
  const lines = [paints.bold(`Shadow diff report, generated ${report.generatedAt}`)];
  const { window } = report;
  if (window.from && window.to) {
    const buckets = report.routes[0]?.timeline.length ?? 0;
    const width = window.bucketMs > 0 && buckets > 0 ? `, ${bucketsOf(buckets, window.bucketMs)}` : '';
    lines.push(`Window ${window.from} → ${window.to}${width}`);
  }
  if (window.omittedThrough !== null) lines.push(paints.warn(omittedNote(window.omittedThrough)));
  const filters = [
    report.filter.route === null ? '' : `route ${printable(report.filter.route)}`,
    report.filter.since === null ? '' : `since ${report.filter.since}`,
  ].filter(Boolean);
  if (filters.length > 0) lines.push(`Filter: ${filters.join(', ')}`);
  return lines;
}

function summary(report: DiffReport, paints: Palette): string[] {
  const columns: Column[] = [
    { header: 'ROUTE', align: 'left' },
    { header: 'COMPARISONS', align: 'right' },
    { header: 'MATCH', align: 'right' },
    { header: 'MISMATCH', align: 'right' },
    { header: 'NOISE', align: 'right' },
    { header: 'ERROR', align: 'right' },
    { header: 'VERDICT', align: 'left' },
  ];
  const row = (name: string, counts: DiffReport['totals']['counts'], rates: DiffReport['totals']['rates']): Cell[] => {
    const verdict = verdictOf(counts);
    return [
      { text: name },
      { text: formatCount(counts.comparisons) },
      { text: formatPercent(rates.match) },
      { text: formatPercent(rates.mismatch) },
      { text: formatPercent(rates.noise) },
      { text: formatPercent(rates.error) },
      { text: verdictText(verdict), paint: paints.verdict(verdict) },
    ];
  };
  const rows = report.routes.map((route) => row(routeLabel(route, printable(route.route)), route.counts, route.rates));
  if (report.routes.length > 1) rows.push(row('(all routes)', report.totals.counts, report.totals.rates));
  return table(columns, rows, paints);
}

function outcomes(route: RouteReport): string {
  const { counts } = route;
  return (
    `  ${countOf(counts.comparisons, 'comparison')}: ${formatCount(counts.match)} match, ` +
    `${formatCount(counts.mismatch)} mismatch, ${formatCount(counts.noise)} noise, ${formatCount(counts.error)} error`
  );
}

function latency(route: RouteReport, paints: Palette): string[] {
  const { legacy, candidate } = route.latency;
  return table(
    [
      { header: 'LATENCY ms', align: 'left' },
      { header: 'P50', align: 'right' },
      { header: 'P99', align: 'right' },
      { header: 'SAMPLES', align: 'right' },
    ],
    [
      ['legacy', formatMs(legacy.p50), formatMs(legacy.p99), formatCount(legacy.samples)],
      ['new', formatMs(candidate.p50), formatMs(candidate.p99), formatCount(candidate.samples)],
    ],
    paints,
    '  ',
  );
}

function fields(route: RouteReport, paints: Palette, maxFields: number): string[] {
  if (route.fields.length === 0) return ['  No differing fields.'];
  const shown = route.fields.slice(0, maxFields);
  const rows = shown.map((field) => {
    const first = field.examples[0];
    const location = first && exampleLocation(first);
    const where = location ? `${printable(location.location)}${moreLocationsText(location.more)}` : '';
    const note = first ? normalisationNote(first.legacy, first.candidate) : undefined;
    const exampleText = first
      ? `${exampleValue(first.legacy)} → ${exampleValue(first.candidate)}  ` +
        `(${truncate(printable(first.requestId), 24)}${first.noise ? ', noise' : ''}${where ? `, at ${where}` : ''}${note ? `; ${note}` : ''})`
      : '';
    return [
      truncate(printable(field.path), PATH_WIDTH),
      formatCount(field.count),
      formatPercent(field.share),
      formatCount(field.noise),
      field.kinds.join(','),
      exampleText,
    ];
  });
  const lines = table(
    [
      { header: 'FIELD', align: 'left' },
      { header: 'COUNT', align: 'right' },
      { header: 'SHARE', align: 'right' },
      { header: 'NOISE', align: 'right' },
      { header: 'KINDS', align: 'left' },
      { header: 'EXAMPLE legacy → new (request)', align: 'left' },
    ],
    rows,
    paints,
    '  ',
  );
  const hidden = hiddenFieldsText(route, shown.length);
  if (hidden) lines.push(paints.dim(`  … ${hidden}`));
  return lines;
}

function errors(route: RouteReport, paints: Palette): string[] {
  if (route.errors.length === 0) return [];
  return table(
    [
      { header: 'ERROR', align: 'left' },
      { header: 'COUNT', align: 'right' },
    ],
    route.errors.map((error) => [truncate(printable(error.reason), ERROR_WIDTH), formatCount(error.count)]),
    paints,
    '  ',
  );
}

function routeSection(route: RouteReport, paints: Palette, maxFields: number): string[] {
  const verdict = routeVerdict(route);
  const lines = [
    `${paints.bold(printable(route.route))}  ${paints.verdict(verdict)(verdictText(verdict))}`,
    ...(route.configured === false ? [notConfiguredNote(route)] : []),
    outcomes(route),
  ];
  if (route.counts.comparisons === 0) return lines;
  lines.push('', ...latency(route, paints), '', ...fields(route, paints, maxFields));
  const errorLines = errors(route, paints);
  if (errorLines.length > 0) lines.push('', ...errorLines);
  return lines;
}

export function renderText(report: DiffReport, options: TextOptions = {}): string {
  const paints = palette(options.color ?? false);
  const maxFields = options.maxFields ?? DEFAULT_TEXT_FIELDS;
  const lines = header(report, paints);
  lines.push('');
  if (report.routes.length === 0) {
    lines.push('No comparisons.');
  } else {
    lines.push(...summary(report, paints));
    for (const route of report.routes) lines.push('', ...routeSection(route, paints, maxFields));
  }
  return `${lines.join('\n')}\n`;
}
