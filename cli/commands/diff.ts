import type { Argv, CommandModule } from 'yargs';
import { COMPARISONS_SHOWN, MAX_COMPARISONS_SHOWN, type ComparisonsAnswer } from '../../core/admin-api';
import type { ComparisonRecord, RouteComparisonCount } from '../../core/comparison';
import { DIFF_REPORT_FORMATS, renderDiffReport, type DiffReport, type DiffReportFormat } from '../../diff-reader/report';
import { countOf, formatCount } from '../../diff-reader/report/format';
import { printable } from '../../core/printable';
import { normalisationNote } from '../../core/unicode-form';
import { adminRequest, configFileInUse, resolveAdminTarget } from '../admin-client';
import { CliError, count, printJson, printLines } from '../output';
import { parseSince } from '../since';
import { checkOut, writeWhole } from '../write-whole';
import { leafCommand, withAdminFlags } from './common';

const reportCommand = leafCommand('diff', {
  command: 'report',
  describe: 'Shadow comparisons per route: mismatch and noise rates, top differing fields, examples, latency',
  builder: (yargs) =>
    withAdminFlags(yargs)
      .option('route', { type: 'string', requiresArg: true, describe: 'Only this route' })
      .option('since', { type: 'string', describe: 'Only comparisons since: 30m, 1h, 7d or an ISO-8601 time (counted by whole minutes from the one it falls in; by whole hours where counts are over a day old)' })
      .option('format', { choices: DIFF_REPORT_FORMATS, describe: 'text (the default), markdown (PR comment), html (one file, charts), json' })
      .option('out', { type: 'string', requiresArg: true, describe: 'Write to this file (whole, or not at all) instead of stdout' })
      .option('all-fields', { type: 'boolean', describe: 'Every differing field of each route (the proxy sends the 100 that differ most, the rest summed up)' })
      .example('$0 diff report --since 1h', 'the last hour in the terminal')
      .example('$0 diff report --format html --out diff-report.html', 'a self-contained HTML report with charts'),
  handler: async (args) => {
    if (args.route !== undefined && args.route.trim() === '') throw new CliError('--route: must be a route name, got ""', 2);
    checkOut(args.out, configFileInUse(args));
    const since = args.since === undefined ? undefined : parseSince(args.since);
    if (args.json && args.format !== undefined && args.format !== 'json') throw new CliError(`--json and --format ${args.format}: give one of them`, 2);
    const format: DiffReportFormat = args.json ? 'json' : args.format ?? 'text';
    const target = resolveAdminTarget(args);
    const query = new URLSearchParams();
    if (args.route) query.set('route', args.route);
    if (since) query.set('since', since.toISOString());
    if (args.allFields) query.set('fields', 'all');
    const report = await adminRequest<DiffReport>(target, 'GET', `/diff/report${query.size ? `?${query}` : ''}`);
    const text = renderDiffReport(report, format);
    if (!args.out) {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      return;
    }
    writeWhole(args.out, text);
    // As flags export: with --json, what was written is said as JSON too.
    if (args.json) printJson({ out: args.out, format, routes: report.routes.length });
    else printLines([`${args.out}: ${format} report, ${count(report.routes.length, 'route')}`]);
  },
});

const showCommand = leafCommand('diff', {
  command: 'show <requestId>',
  describe: 'The comparisons kept with a request id in full (newest first): both statuses, latencies, every difference and what was noise',
  builder: (yargs) =>
    withAdminFlags(yargs)
      .positional('requestId', { type: 'string', demandOption: true, describe: 'The x-request-id of the request, or its first 8 or more characters' })
      .option('route', { type: 'string', requiresArg: true, describe: 'Only the comparisons on this route (one id can be on several, or retried)' })
      .option('limit', { type: 'number', requiresArg: true, describe: `Show at most this many comparisons, newest first (1–${MAX_COMPARISONS_SHOWN}, default ${COMPARISONS_SHOWN})` })
      .example('$0 diff show 3f2c9a7e-1b2d-4c5e-9f01-23456789abcd', '')
      .example('$0 diff show 3f2c9a7e-1b2d-4c5e-9f01…', 'as a text report prints it')
      .example('$0 diff show 3f2c9a7e --route users', 'only its comparison on the users route'),
  handler: async (args) => {
    // A shortened id copied from a text report ends with its ellipsis.
    const requestId = args.requestId.endsWith('…') ? args.requestId.slice(0, -1) : args.requestId;
    if (requestId.trim() === '') throw new CliError(`REQUEST_ID: must be a request id (x-request-id), or its first 8 or more characters, got ${JSON.stringify(args.requestId)}`, 2);
    if (args.route !== undefined && args.route.trim() === '') throw new CliError('--route: must be a route name, got ""', 2);
    if (args.limit !== undefined && (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > MAX_COMPARISONS_SHOWN)) {
      throw new CliError(`--limit: must be a whole number from 1 to ${MAX_COMPARISONS_SHOWN}, got ${String(args.limit)}`, 2);
    }
    const target = resolveAdminTarget(args);
    const query = new URLSearchParams();
    if (args.route !== undefined) query.set('route', args.route);
    if (args.limit !== undefined) query.set('limit', String(args.limit));
    const answer = await adminRequest<ComparisonsAnswer>(target, 'GET', `/comparisons/${encodeURIComponent(requestId)}${query.size ? `?${query}` : ''}`);
    const shown = shownComparisons(answer, args.route);
    if (args.json) return printJson(showJson(shown));
    printLines(describeComparisons(shown, args.route));
  },
});

/** What `diff show` prints: the comparisons the proxy sent and how many more are kept, on the route asked for and elsewhere. */
export interface ShownComparisons {
  records: ComparisonRecord[];
  kept: RouteComparisonCount[];
  /** Kept on the route asked for (or on any, without --route) but not sent (beyond --limit). */
  notShown: number;
  /** Kept on other routes than the one asked for. */
  elsewhere: number;
}

export function shownComparisons(answer: ComparisonsAnswer, route?: string): ShownComparisons {
  const { others, kept, ...newest } = answer;
  const records = [newest, ...(others ?? [])];
  // A proxy from before `others` and `kept` answers with the newest comparison alone.
  const counts = kept ?? [{ route: newest.route, comparisons: 1 }];
  const total = counts.reduce((sum, count) => sum + count.comparisons, 0);
  const matching = route === undefined ? total : (counts.find((count) => count.route === route)?.comparisons ?? records.length);
  return { records, kept: counts, notShown: Math.max(0, matching - records.length), elsewhere: total - matching };
}

/**
 * `diff show --json`: the newest comparison's keys as they always were (every key always there, null when
 * absent, in the report's JSON order), then `others` (the rest shown, newest first, in the same shape), `kept`
 * (per route) and `notShown`.
 */
export function showJson(shown: ShownComparisons): Record<string, unknown> {
  const [newest, ...others] = shown.records;
  return { ...comparisonJson(newest!), others: others.map(comparisonJson), kept: shown.kept, notShown: shown.notShown };
}

/** `diff show` as text: one comparison as it always read; several under a line saying how many are kept where. */
export function describeComparisons(shown: ShownComparisons, route?: string): string[] {
  const { records, kept, notShown, elsewhere } = shown;
  if (records.length === 1 && notShown === 0 && elsewhere === 0) return describeComparison(records[0]!);
  const total = kept.reduce((sum, count) => sum + count.comparisons, 0);
  const perRoute = kept.map((count) => `${printable(count.route)} ${formatCount(count.comparisons)}`).join(', ');
  const lines = [`request id ${printable(records[0]!.requestId)}: ${countOf(total, 'comparison')} kept (${perRoute})${route === undefined ? '' : `; on route ${printable(route)}`}, newest first`];
  const ofShown = records.length + notShown;
  records.forEach((record, index) => lines.push('', `── ${index + 1} of ${formatCount(ofShown)} ──`, ...describeComparison(record)));
  if (notShown > 0) lines.push('', `… ${formatCount(notShown)} older not shown (--limit up to ${MAX_COMPARISONS_SHOWN}${route === undefined ? ', or --route' : ''})`);
  if (route !== undefined && elsewhere > 0) lines.push('', `${countOf(elsewhere, 'comparison')} with this id on other routes (without --route, all are shown)`);
  return lines;
}

/** `diff show --json` of one comparison: every key always there (null when absent), in one order, as the report's JSON does. */
export function comparisonJson(record: ComparisonRecord): Record<string, unknown> {
  const difference = (d: ComparisonRecord['differences'][number]): Record<string, unknown> => ({ path: d.path, location: d.location ?? null, kind: d.kind, legacy: d.legacy ?? null, candidate: d.candidate ?? null });
  return {
    requestId: record.requestId,
    route: record.route,
    method: record.method,
    target: record.target,
    at: record.at,
    result: record.result,
    error: record.error ?? null,
    legacyStatus: record.legacyStatus,
    candidateStatus: record.candidateStatus ?? null,
    legacyMs: record.legacyMs,
    candidateMs: record.candidateMs ?? null,
    differences: record.differences.map(difference),
    noise: record.noise.map(difference),
  };
}

export function describeComparison(record: ComparisonRecord): string[] {
  // Values come from production traffic: control characters and bidi overrides are escaped, as the reports do.
  const lines = [
    `request:  ${printable(record.requestId)}  ${record.method} ${printable(record.target)}`,
    `route:    ${record.route}  at ${record.at}`,
    `result:   ${record.result}${record.error ? ` (${printable(record.error)})` : ''}`,
    `status:   legacy ${record.legacyStatus}  new ${record.candidateStatus ?? '-'}`,
    `latency:  legacy ${record.legacyMs} ms  new ${record.candidateMs ?? '-'} ms`,
  ];
  const section = (title: string, differences: ComparisonRecord['differences']): void => {
    if (differences.length === 0) return;
    lines.push('', `${title}:`);
    for (const d of differences) {
      lines.push(`  ${printable(d.path)}  ${d.kind}${d.location === undefined ? '' : `  at ${printable(d.location)}`}`, `    legacy: ${d.legacy === undefined ? '(absent)' : printable(d.legacy)}`, `    new:    ${d.candidate === undefined ? '(absent)' : printable(d.candidate)}`);
      const note = normalisationNote(d.legacy, d.candidate);
      if (note) lines.push(`    (${note})`);
    }
  };
  section('differences', record.differences);
  section('noise (legacy differs from itself here)', record.noise);
  return lines;
}

export const diffCommand: CommandModule = {
  command: 'diff',
  describe: 'Read the shadow comparisons of legacy and the new service',
  builder: (yargs: Argv) =>
    yargs
      .command(reportCommand)
      .command(showCommand)
      .demandCommand(1, 'diff: give a subcommand: report or show')
      .example('$0 diff report --since 1h', 'mismatch and noise rates, top fields, examples, latency')
      .example('$0 diff show 3f2c9a7e', 'one comparison in full, by the start of its request id'),
  handler: () => undefined,
};
