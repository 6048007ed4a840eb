/**
 * The diff report model: what engineers read to decide whether a route's new service answers like legacy.
 *
 * buildReportFromCounts() turns comparison counts (per minute, or summed per time bucket of the report by the
 * store: see ReportInput.span), latency sketches and the newest differing comparisons (for examples) into one
 * DiffReport; buildDiffReport() does the same from comparisons in memory.
 * The renderers (text, markdown, html, json) only format it. Pure: no I/O, no clock (the caller passes
 * generatedAt), deterministic ordering.
 *
 * Conventions:
 * - Rates are fractions in [0, 1] of the route's comparisons; match + mismatch + noise + error rates sum to 1.
 * - A field's `count` is the number of comparisons in which that templated path had a real difference (a path
 *   listed twice in one comparison, e.g. two array elements under `$.items[*]`, counts once), so `share` ≤ 1;
 *   `noise` is the same for differences explained as noise (Diffy's raw versus noise).
 * - Noise is decided again over the whole report, the way Diffy does it: a path that was explained as noise
 *   in at least `relative` of the comparisons where it differed, and at least `absolute` times, is noisy, and
 *   its remaining differences of the kinds noise explains there count as noise too (those seen before the
 *   proxy's model had learned it, or in requests without a second legacy answer): a value that varies
 *   explains changed values, not a field the new service drops (see `explainedBy`). A mismatch whose every
 *   difference is explained that way becomes noise.
 * - Counts are exact, whatever the traffic; time is counted by whole minutes (a `since` inside a minute counts
 *   that whole minute, and the window then starts at the minute), and by whole hours where counts are kept by
 *   the hour (before `compactedThrough`: there, time buckets are whole hours too); latency percentiles are
 *   within 1 %.
 * - Keys of maps are one field: `$.scores.*` (identifier keys, and those under shadow.mapKeys). A comparison
 *   differing at several keys of the map counts once there; its example lists the keys (`locations`). Paths
 *   kept by a version that did not template identifier keys (`$.scores.u100431`) are read as `$.scores.*`.
 * - Examples come from the comparisons kept (state.keepComparisons); counts outlive them (state.keepCountsDays).
 * - Absent values are `null`, never undefined, so the JSON form always has the same keys.
 */
import {
  DEFAULT_NOISE_THRESHOLDS,
  type ComparisonCount,
  type ComparisonRecord,
  type ComparisonTally,
  type CountSpan,
  type DifferenceKind,
  type PathKinds,
  type FieldDifference,
  type LatencyCount,
  type NoiseThresholds,
} from '../../core/comparison';
import { LatencySketch } from '../../core/latency-sketch';
import { countingStart, mergePathKinds, tallyComparisons } from '../counts';
import { templatedPath } from '../engine/map-keys';
import { explainedBy } from '../engine/noise';
import { bucketIndex, spanOf, timeWindow, type TimeWindow } from './time-window';

export interface DiffReportOptions {
  generatedAt: Date;
  /** Only comparisons from the minute this falls in; also the start of the time buckets (which then end at generatedAt). */
  since?: Date;
  /** Only this route (exact name). The report then always has that route, even with no comparisons. */
  route?: string;
  /** Example requests kept per field (default 3). */
  examplesPerField?: number;
  /** Time buckets of the mismatch-rate chart (default 24). */
  buckets?: number;
  /** Per route name (the route's shadow.noiseThresholds); DEFAULT_NOISE_THRESHOLDS for routes not listed. */
  noiseThresholds?: Readonly<Record<string, NoiseThresholds>>;
  /** Counts before this time are missing: retention pruned them (ComparisonStore.prunedThrough). */
  omittedThrough?: Date;
  /** Counts before this time are kept by the hour (ComparisonStore.compactedThrough). */
  compactedThrough?: Date;
  /**
   * Fields listed per route, the most differing first (default: all); the others are summed up in the route's
   * `omittedFields`. What a report costs to send and to render grows with its fields.
   */
  maxFields?: number;
  /**
   * The routes of the configuration; a route counted in the store that is not one of them (removed or
   * renamed since) is marked `configured: false`. Default: every route is taken as configured.
   */
  configuredRoutes?: readonly string[];
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
  /**
   * Where the field differed in this comparison when its path hides a key (`$.scores.*`): the concrete paths,
   * `$.scores.u100431`, at most MAX_EXAMPLE_LOCATIONS, the first being the one whose values are shown. Empty
   * for other paths (array indices are not kept).
   */
  locations: string[];
  /** How many more locations this comparison differed at under the same field, beyond `locations`. */
  moreLocations: number;
}

export const MAX_EXAMPLE_LOCATIONS = 3;

export interface FieldReport {
  /** Templated path: `status`, `header.<name>`, `body` or `$.items[*].price`. */
  path: string;
  /** Comparisons in which this path differed for real. */
  count: number;
  /** count / the route's comparisons. */
  share: number;
  /** Comparisons in which this path differed but was explained as noise. */
  noise: number;
  /** Noisy by the route's thresholds over this report: differences here of the kinds legacy varies in count as noise. */
  noisy: boolean;
  /** Kinds of real differences seen (noise kinds when there were none), sorted. */
  kinds: DifferenceKind[];
  /**
   * Comparisons whose first (`firstIn`) and last (`lastIn`) field to differ for real, in the order of the
   * route's `fields`, is this one. Summed over the fields from some position on, `lastIn` is how many
   * comparisons differ at one of those fields, and `firstIn` how many differ at none before them: what a
   * table showing the fields before that position leaves out (see hiddenFields).
   */
  firstIn: number;
  lastIn: number;
  /**
   * The most recent examples (newest first) among the comparisons kept; real differences, or noise ones for a
   * noise-only field. Empty when the comparisons that showed this field are no longer kept.
   */
  examples: FieldExample[];
}

/** The fields a route's report does not list (DiffReportOptions.maxFields), summed up. */
export interface OmittedFields {
  fields: number;
  /** Sums of the omitted fields' firstIn and lastIn (see FieldReport and hiddenFields). */
  firstIn: number;
  lastIn: number;
}

export interface LatencySummary {
  /** How many values the percentiles come from. */
  samples: number;
  /** Milliseconds, nearest-rank percentiles within 1 % (a LatencySketch); null without samples. */
  p50: number | null;
  p99: number | null;
}

export interface TimeBucket {
  /** ISO-8601 start (inclusive) and end (exclusive), on whole minutes (the last end may be the report's time). */
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
  /**
   * False for a route the configuration no longer has (its counts are still in the store): its noise
   * thresholds are then the defaults.
   */
  configured: boolean;
  /** The thresholds that decided which fields are noisy. */
  noiseThresholds: NoiseThresholds;
  counts: OutcomeCounts;
  rates: OutcomeRates;
  /** Every path that differed (for real or as noise), up to DiffReportOptions.maxFields: count desc, then path. */
  fields: FieldReport[];
  /** The fields beyond maxFields, summed up; null when `fields` has them all. */
  omittedFields: OmittedFields | null;
  latency: { legacy: LatencySummary; candidate: LatencySummary };
  /** Mismatch rate over the report's window, one entry per bucket (empty when there is no window). */
  timeline: TimeBucket[];
  /** Reasons of `error` comparisons: count desc, then reason. */
  errors: ErrorReason[];
}

export interface ReportWindow {
  /** ISO-8601, `from` on a whole minute (an hour where counts are kept by the hour); null when there is no comparison and no `since`. */
  from: string | null;
  to: string | null;
  /**
   * Width of one time bucket in milliseconds (0 for an empty window): 1, 2, 5, 10, 15 or 30 minutes, 1, 2, 3, 4,
   * 6, 8 or 12 hours, 1 or 2 days, or whole weeks, on the UTC clock; the first and last bucket are cut to the window.
   */
  bucketMs: number;
  /**
   * ISO-8601; set when counts this report would otherwise include are missing (every minute before this
   * time; those before `since` do not matter): the counts then start at it. Null otherwise.
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

/** What a report is built from: the counts of its window, and the newest differing comparisons for examples. */
export interface ReportInput extends ComparisonTally {
  /** Comparisons with differences, noise or an error, any order; only their examples are used. */
  examples: readonly ComparisonRecord[];
  /**
   * The first and last minute counted, when `counts` were summed over time (ComparisonStore.readReportCounts:
   * a row's minute is then the first of those it sums); read from `counts` when absent.
   */
  span?: CountSpan | null;
}

const UNKNOWN_ERROR = '(no reason given)';

// ---------------------------------------------------------------------------------------------------------
// Small pure helpers

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function timeOf(record: ComparisonRecord): number {
  return Date.parse(record.at);
}

function emptyCounts(): OutcomeCounts {
  return { comparisons: 0, match: 0, mismatch: 0, noise: 0, error: 0 };
}

function addOutcomes(into: OutcomeCounts, counts: readonly ComparisonCount[]): OutcomeCounts {
  for (const count of counts) {
    into.comparisons += count.comparisons;
    into[count.result] += count.comparisons;
  }
  return into;
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
// Noise, decided over the report

/** Which paths are noisy, and the kinds of difference explained as noise there. */
type NoisyPaths = ReadonlyMap<string, ReadonlySet<DifferenceKind>>;

/** Paths explained as noise in ≥ `relative` of the comparisons where they differed, and ≥ `absolute` times. */
function noisyPaths(counts: readonly ComparisonCount[], thresholds: NoiseThresholds): NoisyPaths {
  const tallies = new Map<string, { real: number; noise: number; noiseKinds: Set<DifferenceKind> }>();
  const tallyOf = (path: string): { real: number; noise: number; noiseKinds: Set<DifferenceKind> } => {
    let tally = tallies.get(path);
    if (!tally) tallies.set(path, (tally = { real: 0, noise: 0, noiseKinds: new Set() }));
    return tally;
  };
  for (const count of counts) {
    for (const { path } of count.differences) tallyOf(path).real += count.comparisons;
    for (const { path, kinds } of count.noise) {
      const tally = tallyOf(path);
      tally.noise += count.comparisons;
      for (const kind of kinds) tally.noiseKinds.add(kind);
    }
  }
  const noisy = new Map<string, ReadonlySet<DifferenceKind>>();
  for (const [path, { real, noise, noiseKinds }] of tallies) {
    if (noise > 0 && noise >= thresholds.absolute && noise / (real + noise) >= thresholds.relative) noisy.set(path, noiseKinds);
  }
  return noisy;
}

function learnedNoise(noisy: NoisyPaths, path: string, kind: DifferenceKind): boolean {
  const kinds = noisy.get(path);
  return kinds !== undefined && explainedBy(kind, kinds);
}

/** Counts with the differences noise explains on noisy paths moved to noise; a mismatch left without differences is noise. */
function countsWithLearnedNoise(counts: readonly ComparisonCount[], noisy: NoisyPaths): ComparisonCount[] {
  if (noisy.size === 0) return [...counts];
  return counts.map((count) => {
    if (count.result !== 'mismatch') return count;
    const differences: PathKinds[] = [];
    const learned: PathKinds[] = [];
    for (const entry of count.differences) {
      const explained = entry.kinds.filter((kind) => learnedNoise(noisy, entry.path, kind));
      if (explained.length > 0) learned.push({ path: entry.path, kinds: explained });
      if (explained.length < entry.kinds.length) differences.push(explained.length === 0 ? entry : { path: entry.path, kinds: entry.kinds.filter((kind) => !explained.includes(kind)) });
    }
    if (learned.length === 0) return count;
    return { ...count, result: differences.length === 0 ? 'noise' : 'mismatch', differences, noise: mergePathKinds(count.noise, learned) };
  });
}

/** The same move for the example comparisons, so their differences sit where the counts put them. */
function recordsWithLearnedNoise(records: readonly ComparisonRecord[], noisy: NoisyPaths): ComparisonRecord[] {
  if (noisy.size === 0) return [...records];
  return records.map((record) => {
    if (record.result !== 'mismatch') return record;
    const differences: FieldDifference[] = [];
    const learned: FieldDifference[] = [];
    for (const difference of record.differences) (learnedNoise(noisy, difference.path, difference.kind) ? learned : differences).push(difference);
    if (learned.length === 0) return record;
    return { ...record, result: differences.length === 0 ? 'noise' : 'mismatch', differences, noise: [...record.noise, ...learned] };
  });
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

function example(record: ComparisonRecord, at: PathDifferences, noise: boolean): FieldExample {
  const { first, locations, moreLocations } = at;
  return {
    requestId: record.requestId,
    method: record.method,
    target: record.target,
    at: record.at,
    kind: first.kind,
    legacy: first.legacy ?? null,
    candidate: first.candidate ?? null,
    noise,
    locations,
    moreLocations,
  };
}

/** One comparison's differences at one path: the first listed, and where it differed when the path hides a key. */
interface PathDifferences {
  first: FieldDifference;
  locations: string[];
  moreLocations: number;
}

/** Each path once per comparison: its first difference, and the locations of all of them. */
function byPath(differences: readonly FieldDifference[]): PathDifferences[] {
  const seen = new Map<string, PathDifferences>();
  for (const difference of differences) {
    let entry = seen.get(difference.path);
    if (!entry) seen.set(difference.path, (entry = { first: difference, locations: [], moreLocations: 0 }));
    if (difference.location === undefined) continue;
    if (entry.locations.length < MAX_EXAMPLE_LOCATIONS) {
      if (!entry.locations.includes(difference.location)) entry.locations.push(difference.location);
    } else if (!entry.locations.includes(difference.location)) {
      entry.moreLocations++;
    }
  }
  return [...seen.values()];
}

function tallyFields(counts: readonly ComparisonCount[]): Map<string, FieldTally> {
  const tallies = new Map<string, FieldTally>();
  const tallyOf = (path: string): FieldTally => {
    let tally = tallies.get(path);
    if (!tally) {
      tally = { path, count: 0, noise: 0, kinds: new Set(), noiseKinds: new Set(), examples: [], noiseExamples: [] };
      tallies.set(path, tally);
    }
    return tally;
  };
  for (const count of counts) {
    for (const entry of count.differences) {
      const tally = tallyOf(entry.path);
      tally.count += count.comparisons;
      for (const kind of entry.kinds) tally.kinds.add(kind);
    }
    for (const entry of count.noise) {
      const tally = tallyOf(entry.path);
      tally.noise += count.comparisons;
      for (const kind of entry.kinds) tally.noiseKinds.add(kind);
    }
  }
  return tallies;
}

function addExamples(tallies: Map<string, FieldTally>, newestFirstRecords: readonly ComparisonRecord[], examplesPerField: number): void {
  for (const record of newestFirstRecords) {
    for (const at of byPath(record.differences)) {
      const tally = tallies.get(at.first.path);
      if (tally && tally.examples.length < examplesPerField) tally.examples.push(example(record, at, false));
    }
    for (const at of byPath(record.noise)) {
      const tally = tallies.get(at.first.path);
      if (tally && tally.noiseExamples.length < examplesPerField) tally.noiseExamples.push(example(record, at, true));
    }
  }
}

function fieldReports(counts: readonly ComparisonCount[], comparisons: number, newestFirstRecords: readonly ComparisonRecord[], examplesPerField: number, noisy: NoisyPaths): FieldReport[] {
  const tallies = tallyFields(counts);
  addExamples(tallies, newestFirstRecords, examplesPerField);
  const fields = [...tallies.values()]
    .map((tally): FieldReport => {
      const real = tally.count > 0;
      return {
        path: tally.path,
        count: tally.count,
        share: comparisons === 0 ? 0 : tally.count / comparisons,
        noise: tally.noise,
        noisy: noisy.has(tally.path),
        kinds: [...(real ? tally.kinds : tally.noiseKinds)].sort(compareStrings),
        firstIn: 0,
        lastIn: 0,
        examples: real ? tally.examples : tally.noiseExamples,
      };
    })
    .sort((a, b) => b.count - a.count || compareStrings(a.path, b.path));
  const position = new Map(fields.map((field, index) => [field.path, index]));
  for (const count of counts) {
    if (count.differences.length === 0) continue;
    let first = Number.POSITIVE_INFINITY;
    let last = -1;
    for (const { path } of count.differences) {
      const at = position.get(path)!;
      first = Math.min(first, at);
      last = Math.max(last, at);
    }
    fields[first]!.firstIn += count.comparisons;
    fields[last]!.lastIn += count.comparisons;
  }
  return fields;
}

/** What a table listing only the first `shown` of a route's fields leaves out. */
export interface HiddenFields {
  /** Fields not listed. */
  fields: number;
  /**
   * Comparisons that differ for real at one of them or more; null when the report does not say (one built by
   * a proxy older than firstIn and lastIn, rendered by a newer CLI).
   */
  comparisons: number | null;
  /** Of those, the ones that differ at no listed field. */
  only: number | null;
  /** comparisons / the route's comparisons. */
  share: number | null;
}

export function hiddenFields(route: RouteReport, shown: number): HiddenFields {
  const hidden = route.fields.slice(Math.max(0, shown));
  // A report from a proxy older than omittedFields has none.
  const omitted = route.omittedFields ?? { fields: 0, firstIn: 0, lastIn: 0 };
  let comparisons = omitted.lastIn;
  let only = omitted.firstIn;
  for (const field of hidden) {
    if (typeof field.lastIn !== 'number' || typeof field.firstIn !== 'number') return { fields: hidden.length + omitted.fields, comparisons: null, only: null, share: null };
    comparisons += field.lastIn;
    only += field.firstIn;
  }
  const total = route.counts.comparisons;
  return { fields: hidden.length + omitted.fields, comparisons, only, share: total === 0 ? 0 : comparisons / total };
}

// ---------------------------------------------------------------------------------------------------------
// Time window and buckets

function timeline(counts: readonly ComparisonCount[], window: TimeWindow | null): TimeBucket[] {
  if (!window) return [];
  const buckets = Array.from({ length: window.buckets }, () => ({ comparisons: 0, mismatches: 0 }));
  for (const count of counts) {
    const time = Date.parse(count.minute);
    if (Number.isNaN(time)) continue;
    const bucket = buckets[bucketIndex(window, time)]!; // the index is clamped to [0, window.buckets - 1]
    bucket.comparisons += count.comparisons;
    if (count.result === 'mismatch') bucket.mismatches += count.comparisons;
  }
  return buckets.map((bucket, index) => ({
    start: new Date(Math.max(window.from, window.firstEdge + index * window.bucketMs)).toISOString(),
    end: new Date(Math.min(window.to, window.firstEdge + (index + 1) * window.bucketMs)).toISOString(),
    comparisons: bucket.comparisons,
    mismatches: bucket.mismatches,
    mismatchRate: bucket.comparisons === 0 ? null : bucket.mismatches / bucket.comparisons,
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Routes and the report

function errorReasons(counts: readonly ComparisonCount[]): ErrorReason[] {
  const reasons = new Map<string, number>();
  for (const count of counts) {
    if (count.result !== 'error') continue;
    const reason = count.error?.trim() || UNKNOWN_ERROR;
    reasons.set(reason, (reasons.get(reason) ?? 0) + count.comparisons);
  }
  return [...reasons]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || compareStrings(a.reason, b.reason));
}

function latencySummary(latency: readonly LatencyCount[], side: LatencyCount['side']): LatencySummary {
  const sketch = new LatencySketch();
  for (const entry of latency) if (entry.side === side) sketch.addBuckets(entry.buckets);
  return { samples: sketch.samples, p50: sketch.percentile(50), p99: sketch.percentile(99) };
}

interface RouteInput {
  counts: ComparisonCount[];
  latency: LatencyCount[];
  examples: ComparisonRecord[];
}

/** The first `max` fields, and the others summed up (null when there are none). */
function keptFields(fields: FieldReport[], max: number): { fields: FieldReport[]; omittedFields: OmittedFields | null } {
  if (fields.length <= max) return { fields, omittedFields: null };
  const omittedFields: OmittedFields = { fields: fields.length - max, firstIn: 0, lastIn: 0 };
  for (const field of fields.slice(max)) {
    omittedFields.firstIn += field.firstIn;
    omittedFields.lastIn += field.lastIn;
  }
  return { fields: fields.slice(0, max), omittedFields };
}

interface RouteSettings {
  configured: boolean;
  noiseThresholds: NoiseThresholds;
  examplesPerField: number;
  maxFields: number;
}

function routeReport(route: string, input: RouteInput, window: TimeWindow | null, settings: RouteSettings): { report: RouteReport; counts: ComparisonCount[] } {
  const { noiseThresholds, examplesPerField } = settings;
  const noisy = noisyPaths(input.counts, noiseThresholds);
  const counts = countsWithLearnedNoise(input.counts, noisy);
  const examples = recordsWithLearnedNoise(input.examples, noisy).sort(newestFirst);
  const outcomes = addOutcomes(emptyCounts(), counts);
  const report: RouteReport = {
    route,
    configured: settings.configured,
    noiseThresholds: { ...noiseThresholds },
    counts: outcomes,
    rates: ratesOf(outcomes),
    ...keptFields(fieldReports(counts, outcomes.comparisons, examples, examplesPerField, noisy), settings.maxFields),
    latency: { legacy: latencySummary(input.latency, 'legacy'), candidate: latencySummary(input.latency, 'candidate') },
    timeline: timeline(counts, window),
    errors: errorReasons(counts),
  };
  return { report, counts };
}

function integerOption(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`buildDiffReport: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

/** Where counting starts: the minute `since` falls in, or its hour where counts are kept by the hour. */
function countingStartOf(since: Date | undefined, compacted: number | undefined): number | undefined {
  return since === undefined ? undefined : countingStart(since.getTime(), compacted);
}

/** The number of time buckets the options ask for; throws when it is not a whole number ≥ 1. */
export function bucketsWanted(options: Pick<DiffReportOptions, 'buckets'>): number {
  return integerOption(options.buckets, DEFAULT_BUCKETS, 'buckets', 1);
}

/** The report's window and time buckets for counts spanning `span` (null without counts). */
export function reportWindow(span: CountSpan | null, options: Pick<DiffReportOptions, 'generatedAt' | 'since' | 'compactedThrough' | 'buckets'>): TimeWindow | null {
  const compacted = validTime(options.compactedThrough);
  return timeWindow(span, countingStartOf(options.since, compacted), options.generatedAt, compacted, bucketsWanted(options));
}

/** Builds the report from counts, latency sketches and example comparisons (any order). */
export function buildReportFromCounts(input: ReportInput, options: DiffReportOptions): DiffReport {
  const examplesPerField = integerOption(options.examplesPerField, DEFAULT_EXAMPLES_PER_FIELD, 'examplesPerField', 0);
  bucketsWanted(options); // a bad `buckets` is reported before a bad `maxFields`
  const maxFields = integerOption(options.maxFields, Number.POSITIVE_INFINITY, 'maxFields', 1);
  const configured = options.configuredRoutes === undefined ? undefined : new Set(options.configuredRoutes);
  const compacted = validTime(options.compactedThrough);
  const since = countingStartOf(options.since, compacted);
  const wanted = (route: string, time: number): boolean => (options.route === undefined || route === options.route) && (since === undefined || time >= since);
  const paths = new PathTemplater();
  const counts = input.counts.filter((count) => wanted(count.route, Date.parse(count.minute))).map((count) => paths.count(count));
  const window = reportWindow(input.span === undefined ? spanOf(counts) : input.span, options);

  const byRoute = new Map<string, RouteInput>();
  const routeInput = (route: string): RouteInput => {
    let entry = byRoute.get(route);
    if (!entry) byRoute.set(route, (entry = { counts: [], latency: [], examples: [] }));
    return entry;
  };
  if (options.route !== undefined) routeInput(options.route);
  for (const count of counts) routeInput(count.route).counts.push(count);
  for (const latency of input.latency) if (byRoute.has(latency.route) && wanted(latency.route, Date.parse(latency.minute))) routeInput(latency.route).latency.push(latency);
  for (const record of input.examples) if (byRoute.has(record.route) && wanted(record.route, timeOf(record))) routeInput(record.route).examples.push(paths.record(record));

  const routes = [...byRoute.keys()].sort(compareStrings).map((route) =>
    routeReport(route, byRoute.get(route)!, window, {
      configured: configured === undefined || configured.has(route),
      noiseThresholds: noiseThresholdsOf(options.noiseThresholds?.[route], route),
      examplesPerField,
      maxFields,
    }),
  );
  const totals = emptyCounts();
  for (const route of routes) addOutcomes(totals, route.counts);
  return {
    generatedAt: options.generatedAt.toISOString(),
    filter: { route: options.route ?? null, since: options.since?.toISOString() ?? null },
    window: {
      from: window ? new Date(window.from).toISOString() : null,
      to: window ? new Date(window.to).toISOString() : null,
      bucketMs: window?.bucketMs ?? 0,
      omittedThrough: omittedWithin(validTime(options.omittedThrough), since),
    },
    totals: { counts: totals, rates: ratesOf(totals) },
    routes: routes.map((route) => route.report),
  };
}

/**
 * Counts and comparisons kept before identifier keys were templated have paths such as `$.scores.u100431`:
 * read as `$.scores.*` (the old path kept as the difference's location), they add up with newer ones.
 */
class PathTemplater {
  private readonly known = new Map<string, string>();

  path(path: string): string {
    let templated = this.known.get(path);
    if (templated === undefined) this.known.set(path, (templated = templatedPath(path)));
    return templated;
  }

  count(count: ComparisonCount): ComparisonCount {
    const changed = (list: readonly PathKinds[]): boolean => list.some(({ path }) => this.path(path) !== path);
    if (!changed(count.differences) && !changed(count.noise)) return count;
    const templated = (list: readonly PathKinds[]): PathKinds[] => mergePathKinds(list.map(({ path, kinds }) => ({ path: this.path(path), kinds })), []);
    return { ...count, differences: templated(count.differences), noise: templated(count.noise) };
  }

  record(record: ComparisonRecord): ComparisonRecord {
    const changed = (list: readonly FieldDifference[]): boolean => list.some(({ path }) => this.path(path) !== path);
    if (!changed(record.differences) && !changed(record.noise)) return record;
    const templated = (list: readonly FieldDifference[]): FieldDifference[] =>
      list.map((difference) => {
        const path = this.path(difference.path);
        return path === difference.path ? difference : { ...difference, path, location: difference.location ?? difference.path };
      });
    return { ...record, differences: templated(record.differences), noise: templated(record.noise) };
  }
}

/** Builds the report from comparisons in memory (any order): they are counted, and are their own examples. */
export function buildDiffReport(records: readonly ComparisonRecord[], options: DiffReportOptions): DiffReport {
  return buildReportFromCounts({ ...tallyComparisons(records), examples: records }, options);
}

/** `omittedThrough` when the report's counting start (if any) would have counted the missing comparisons, else null. */
function omittedWithin(through: number | undefined, since: number | undefined): string | null {
  if (through === undefined || (since !== undefined && since >= through)) return null;
  return new Date(through).toISOString();
}

/** Epoch ms of a given, valid date; undefined otherwise (an invalid date is ignored rather than printed). */
function validTime(time: Date | undefined): number | undefined {
  return time === undefined || Number.isNaN(time.getTime()) ? undefined : time.getTime();
}

function noiseThresholdsOf(given: NoiseThresholds | undefined, route: string): NoiseThresholds {
  if (given === undefined) return DEFAULT_NOISE_THRESHOLDS;
  if (!(given.relative >= 0 && given.relative <= 1) || !Number.isInteger(given.absolute) || given.absolute < 0) {
    throw new RangeError(`buildDiffReport: noiseThresholds of route "${route}" must be { relative: 0…1, absolute: integer ≥ 0 }, got ${JSON.stringify(given)}`);
  }
  return given;
}
