/**
 * The diff report model: what engineers read to decide whether a route's new service answers like legacy.
 *
 * buildDiffReport() turns shadow comparisons into one DiffReport; the renderers (text, markdown, html, json)
 * only format it. Pure: no I/O, no clock (the caller passes generatedAt), deterministic ordering.
 *
 * Conventions:
 * - Rates are fractions in [0, 1] of the route's comparisons; match + mismatch + noise + error rates sum to 1.
 * - A field's `count` is the number of comparisons in which that templated path had a real difference (a path
 *   listed twice in one comparison, e.g. two array elements under `$.items[*]`, counts once), so `share` ≤ 1;
 *   `noise` is the same for differences explained as noise (Diffy's raw versus noise).
 * - Noise is decided again over the whole report, the way Diffy does it: a path that was explained as noise
 *   in at least `relative` of the comparisons where it differed, and at least `absolute` times, is noisy, and
 *   its remaining differences count as noise too (those seen before the proxy's model had learned it, or in
 *   requests without a second legacy answer). A mismatch whose every difference is on noisy paths becomes noise.
 * - Absent values are `null`, never undefined, so the JSON form always has the same keys.
 */
import { DEFAULT_NOISE_THRESHOLDS, type ComparisonRecord, type ComparisonResult, type DifferenceKind, type FieldDifference, type NoiseThresholds } from '../../core/comparison';
import { coveredBy } from '../engine/noise';

export interface DiffReportOptions {
  generatedAt: Date;
  /** Only comparisons at or after this time; also the start of the time buckets (which then end at generatedAt). */
  since?: Date;
  /** Only this route (exact name). The report then always has that route, even with no comparisons. */
  route?: string;
  /** Example requests kept per field (default 3). */
  examplesPerField?: number;
  /** Time buckets of the mismatch-rate chart (default 24). */
  buckets?: number;
  /** Per route name (the route's shadow.noiseThresholds); DEFAULT_NOISE_THRESHOLDS for routes not listed. */
  noiseThresholds?: Readonly<Record<string, NoiseThresholds>>;
  /**
   * Comparisons up to this time are missing from `records`: retention pruned them
   * (ComparisonStore.prunedThrough), or the store read only its newest rows.
   */
  omittedThrough?: Date;
}

export const DEFAULT_EXAMPLES_PER_FIELD = 3;
export const DEFAULT_BUCKETS = 24;

export interface OutcomeCounts {
  comparisons: number;
  match: number;
  mismatch: number;
  noise: number;
  error: number;
}

/** Each outcome's share of the comparisons; all 0 when there are none. */
export interface OutcomeRates {
  match: number;
  mismatch: number;
  noise: number;
  error: number;
}

export interface FieldExample {
  requestId: string;
  method: string;
  target: string;
  at: string;
  kind: DifferenceKind;
  /** JSON text of the legacy value; null for `added`. */
  legacy: string | null;
  /** JSON text of the new service's value; null for `removed`. */
  candidate: string | null;
  /** True when this example is a noise difference (used only for fields that never differed for real). */
  noise: boolean;
}

export interface FieldReport {
  /** Templated path: `status`, `header.<name>`, `body` or `$.items[*].price`. */
  path: string;
  /** Comparisons in which this path differed for real. */
  count: number;
  /** count / the route's comparisons. */
  share: number;
  /** Comparisons in which this path differed but was explained as noise. */
  noise: number;
  /** Noisy by the route's thresholds over this report: every difference here counts as noise. */
  noisy: boolean;
  /** Kinds of real differences seen (noise kinds when there were none), sorted. */
  kinds: DifferenceKind[];
  /** The most recent examples (newest first); real differences, or noise ones for a noise-only field. */
  examples: FieldExample[];
}

export interface LatencySummary {
  /** How many values the percentiles come from. */
  samples: number;
  /** Milliseconds, nearest-rank percentiles of the exact values; null without samples. */
  p50: number | null;
  p99: number | null;
}

export interface TimeBucket {
  /** ISO-8601 start (inclusive) and end (exclusive, except the last bucket's, which is inclusive). */
  start: string;
  end: string;
  comparisons: number;
  mismatches: number;
  /** mismatches / comparisons; null for a bucket without comparisons. */
  mismatchRate: number | null;
}

export interface ErrorReason {
  reason: string;
  count: number;
}

export interface RouteReport {
  route: string;
  /** The thresholds that decided which fields are noisy. */
  noiseThresholds: NoiseThresholds;
  counts: OutcomeCounts;
  rates: OutcomeRates;
  /** Every path that differed (for real or as noise): count desc, then path. */
  fields: FieldReport[];
  latency: { legacy: LatencySummary; candidate: LatencySummary };
  /** Mismatch rate over the report's window, one entry per bucket (empty when there is no window). */
  timeline: TimeBucket[];
  /** Reasons of `error` comparisons: count desc, then reason. */
  errors: ErrorReason[];
}

export interface ReportWindow {
  /** ISO-8601; null when there is no comparison and no `since`. */
  from: string | null;
  to: string | null;
  /** Width of one time bucket in milliseconds (0 for a single-instant or empty window). */
  bucketMs: number;
  /**
   * ISO-8601; set when comparisons this report would otherwise count are missing (every one up to this
   * time; those before `since` do not matter): the counts then start after it. Null otherwise.
   */
  omittedThrough: string | null;
}

export interface DiffReport {
  generatedAt: string;
  filter: { route: string | null; since: string | null };
  window: ReportWindow;
  totals: { counts: OutcomeCounts; rates: OutcomeRates };
  /** Sorted by route name. */
  routes: RouteReport[];
}

const UNKNOWN_ERROR = '(no reason given)';

// ---------------------------------------------------------------------------------------------------------
// Small pure helpers

/** Nearest-rank percentile of sorted values: the value at rank ceil(p/100 · n). Null for no values. */
export function nearestRank(sorted: readonly number[], percentile: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

function latencySummary(values: number[]): LatencySummary {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  return { samples: sorted.length, p50: nearestRank(sorted, 50), p99: nearestRank(sorted, 99) };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function timeOf(record: ComparisonRecord): number {
  return Date.parse(record.at);
}

function emptyCounts(): OutcomeCounts {
  return { comparisons: 0, match: 0, mismatch: 0, noise: 0, error: 0 };
}

function countOutcomes(records: readonly ComparisonRecord[]): OutcomeCounts {
  const counts = emptyCounts();
  for (const record of records) {
    counts.comparisons++;
    counts[record.result satisfies ComparisonResult]++;
  }
  return counts;
}

function ratesOf(counts: OutcomeCounts): OutcomeRates {
  const of = (n: number): number => (counts.comparisons === 0 ? 0 : n / counts.comparisons);
  return { match: of(counts.match), mismatch: of(counts.mismatch), noise: of(counts.noise), error: of(counts.error) };
}

/** Newest first, then by request id: the order examples are taken in. */
function newestFirst(a: ComparisonRecord, b: ComparisonRecord): number {
  const ta = timeOf(a);
  const tb = timeOf(b);
  if (ta !== tb) {
    if (Number.isNaN(ta)) return 1;
    if (Number.isNaN(tb)) return -1;
    return tb - ta;
  }
  return compareStrings(a.requestId, b.requestId);
}

// ---------------------------------------------------------------------------------------------------------
// Fields

interface FieldTally {
  path: string;
  count: number;
  noise: number;
  kinds: Set<DifferenceKind>;
  noiseKinds: Set<DifferenceKind>;
  examples: FieldExample[];
  noiseExamples: FieldExample[];
}

function example(record: ComparisonRecord, difference: FieldDifference, noise: boolean): FieldExample {
  return {
    requestId: record.requestId,
    method: record.method,
    target: record.target,
    at: record.at,
    kind: difference.kind,
    legacy: difference.legacy ?? null,
    candidate: difference.candidate ?? null,
    noise,
  };
}

/** Each path once per comparison: the first difference listed for it. */
function firstPerPath(differences: readonly FieldDifference[]): FieldDifference[] {
  const seen = new Map<string, FieldDifference>();
  for (const difference of differences) if (!seen.has(difference.path)) seen.set(difference.path, difference);
  return [...seen.values()];
}

function tallyFields(newestFirstRecords: readonly ComparisonRecord[], examplesPerField: number): Map<string, FieldTally> {
  const tallies = new Map<string, FieldTally>();
  const tallyOf = (path: string): FieldTally => {
    let tally = tallies.get(path);
    if (!tally) {
      tally = { path, count: 0, noise: 0, kinds: new Set(), noiseKinds: new Set(), examples: [], noiseExamples: [] };
      tallies.set(path, tally);
    }
    return tally;
  };
  for (const record of newestFirstRecords) {
    for (const difference of record.differences) tallyOf(difference.path).kinds.add(difference.kind);
    for (const difference of record.noise) tallyOf(difference.path).noiseKinds.add(difference.kind);
    for (const difference of firstPerPath(record.differences)) {
      const tally = tallyOf(difference.path);
      tally.count++;
      if (tally.examples.length < examplesPerField) tally.examples.push(example(record, difference, false));
    }
    for (const difference of firstPerPath(record.noise)) {
      const tally = tallyOf(difference.path);
      tally.noise++;
      if (tally.noiseExamples.length < examplesPerField) tally.noiseExamples.push(example(record, difference, true));
    }
  }
  return tallies;
}

function fieldReports(newestFirstRecords: readonly ComparisonRecord[], examplesPerField: number, noisy: ReadonlySet<string>): FieldReport[] {
  const comparisons = newestFirstRecords.length;
  return [...tallyFields(newestFirstRecords, examplesPerField).values()]
    .map((tally): FieldReport => {
      const real = tally.count > 0;
      return {
        path: tally.path,
        count: tally.count,
        share: comparisons === 0 ? 0 : tally.count / comparisons,
        noise: tally.noise,
        noisy: coveredBy(tally.path, noisy),
        kinds: [...(real ? tally.kinds : tally.noiseKinds)].sort(compareStrings),
        examples: real ? tally.examples : tally.noiseExamples,
      };
    })
    .sort((a, b) => b.count - a.count || compareStrings(a.path, b.path));
}

// ---------------------------------------------------------------------------------------------------------
// Noise, decided over the report

/** Paths explained as noise in ≥ `relative` of the comparisons where they differed, and ≥ `absolute` times. */
function noisyPaths(records: readonly ComparisonRecord[], thresholds: NoiseThresholds): Set<string> {
  const counts = new Map<string, { real: number; noise: number }>();
  const countOf = (path: string): { real: number; noise: number } => {
    let count = counts.get(path);
    if (!count) counts.set(path, (count = { real: 0, noise: 0 }));
    return count;
  };
  for (const record of records) {
    for (const difference of firstPerPath(record.differences)) countOf(difference.path).real++;
    for (const difference of firstPerPath(record.noise)) countOf(difference.path).noise++;
  }
  const noisy = new Set<string>();
  for (const [path, { real, noise }] of counts) {
    if (noise > 0 && noise >= thresholds.absolute && noise / (real + noise) >= thresholds.relative) noisy.add(path);
  }
  return noisy;
}

/** The records with differences on noisy paths moved to noise; a mismatch left without differences is noise. */
function withLearnedNoise(records: readonly ComparisonRecord[], noisy: ReadonlySet<string>): ComparisonRecord[] {
  if (noisy.size === 0) return [...records];
  return records.map((record) => {
    if (record.result !== 'mismatch') return record;
    const differences: FieldDifference[] = [];
    const learned: FieldDifference[] = [];
    for (const difference of record.differences) (coveredBy(difference.path, noisy) ? learned : differences).push(difference);
    if (learned.length === 0) return record;
    return { ...record, result: differences.length === 0 ? 'noise' : 'mismatch', differences, noise: [...record.noise, ...learned] };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Time window and buckets

interface Window {
  from: number;
  to: number;
  buckets: number;
  bucketMs: number;
}

function timeWindow(records: readonly ComparisonRecord[], options: DiffReportOptions, buckets: number): Window | null {
  if (options.since) {
    const from = options.since.getTime();
    const to = Math.max(from, options.generatedAt.getTime());
    return to === from ? { from, to, buckets: 1, bucketMs: 0 } : { from, to, buckets, bucketMs: (to - from) / buckets };
  }
  const times = records.map(timeOf).filter((time) => !Number.isNaN(time));
  if (times.length === 0) return null;
  const from = Math.min(...times);
  const to = Math.max(...times);
  return to === from ? { from, to, buckets: 1, bucketMs: 0 } : { from, to, buckets, bucketMs: (to - from) / buckets };
}

function bucketIndex(window: Window, time: number): number {
  if (window.bucketMs === 0) return 0;
  const index = Math.floor((time - window.from) / window.bucketMs);
  return Math.min(window.buckets - 1, Math.max(0, index));
}

function timeline(records: readonly ComparisonRecord[], window: Window | null): TimeBucket[] {
  if (!window) return [];
  const counts = Array.from({ length: window.buckets }, () => ({ comparisons: 0, mismatches: 0 }));
  for (const record of records) {
    const time = timeOf(record);
    if (Number.isNaN(time)) continue;
    const bucket = counts[bucketIndex(window, time)];
    bucket.comparisons++;
    if (record.result === 'mismatch') bucket.mismatches++;
  }
  return counts.map((bucket, index) => ({
    start: new Date(window.from + index * window.bucketMs).toISOString(),
    end: new Date(index === window.buckets - 1 ? window.to : window.from + (index + 1) * window.bucketMs).toISOString(),
    comparisons: bucket.comparisons,
    mismatches: bucket.mismatches,
    mismatchRate: bucket.comparisons === 0 ? null : bucket.mismatches / bucket.comparisons,
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Routes and the report

function errorReasons(records: readonly ComparisonRecord[]): ErrorReason[] {
  const counts = new Map<string, number>();
  for (const record of records) {
    if (record.result !== 'error') continue;
    const reason = record.error?.trim() || UNKNOWN_ERROR;
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || compareStrings(a.reason, b.reason));
}

function routeReport(
  route: string,
  records: ComparisonRecord[],
  window: Window | null,
  examplesPerField: number,
  noiseThresholds: NoiseThresholds,
  noisy: ReadonlySet<string>,
): RouteReport {
  const counts = countOutcomes(records);
  const candidateMs = records.flatMap((record) => (record.candidateMs === undefined ? [] : [record.candidateMs]));
  return {
    route,
    noiseThresholds: { ...noiseThresholds },
    counts,
    rates: ratesOf(counts),
    fields: fieldReports([...records].sort(newestFirst), examplesPerField, noisy),
    latency: {
      legacy: latencySummary(records.map((record) => record.legacyMs)),
      candidate: latencySummary(candidateMs),
    },
    timeline: timeline(records, window),
    errors: errorReasons(records),
  };
}

function integerOption(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`buildDiffReport: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

/** Builds the report from comparisons (any order). */
export function buildDiffReport(records: readonly ComparisonRecord[], options: DiffReportOptions): DiffReport {
  const examplesPerField = integerOption(options.examplesPerField, DEFAULT_EXAMPLES_PER_FIELD, 'examplesPerField', 0);
  const buckets = integerOption(options.buckets, DEFAULT_BUCKETS, 'buckets', 1);
  const since = options.since?.getTime();
  const selected = records.filter(
    (record) =>
      (options.route === undefined || record.route === options.route) &&
      (since === undefined || timeOf(record) >= since),
  );
  const window = timeWindow(selected, options, buckets);

  const byRoute = new Map<string, ComparisonRecord[]>();
  if (options.route !== undefined) byRoute.set(options.route, []);
  for (const record of selected) {
    const list = byRoute.get(record.route) ?? [];
    list.push(record);
    byRoute.set(record.route, list);
  }
  const routes = [...byRoute.keys()].sort(compareStrings).map((route) => {
    const thresholds = noiseThresholdsOf(options.noiseThresholds?.[route], route);
    const noisy = noisyPaths(byRoute.get(route) ?? [], thresholds);
    const records = withLearnedNoise(byRoute.get(route) ?? [], noisy);
    return { report: routeReport(route, records, window, examplesPerField, thresholds, noisy), records };
  });
  const totals = countOutcomes(routes.flatMap((route) => route.records));
  return {
    generatedAt: options.generatedAt.toISOString(),
    filter: { route: options.route ?? null, since: options.since?.toISOString() ?? null },
    window: {
      from: window ? new Date(window.from).toISOString() : null,
      to: window ? new Date(window.to).toISOString() : null,
      bucketMs: window?.bucketMs ?? 0,
      omittedThrough: omittedWithin(options),
    },
    totals: { counts: totals, rates: ratesOf(totals) },
    routes: routes.map((route) => route.report),
  };
}

/** `omittedThrough` when the report's filter would have counted the missing comparisons, else null. */
function omittedWithin(options: DiffReportOptions): string | null {
  const through = options.omittedThrough;
  if (through === undefined || Number.isNaN(through.getTime())) return null;
  if (options.since !== undefined && options.since.getTime() > through.getTime()) return null;
  return through.toISOString();
}

function noiseThresholdsOf(given: NoiseThresholds | undefined, route: string): NoiseThresholds {
  if (given === undefined) return DEFAULT_NOISE_THRESHOLDS;
  if (!(given.relative >= 0 && given.relative <= 1) || !Number.isInteger(given.absolute) || given.absolute < 0) {
    throw new RangeError(`buildDiffReport: noiseThresholds of route "${route}" must be { relative: 0…1, absolute: integer ≥ 0 }, got ${JSON.stringify(given)}`);
  }
  return given;
}
