/** One shadow comparison: what legacy and the new service answered to the same request, and how they differ. */
import type { LatencyBuckets } from './latency-sketch';

export type DifferenceKind = 'added' | 'removed' | 'changed' | 'type';

export interface FieldDifference {
  /**
   * Where: `status`, `header.<lower-case name>`, `body` (non-JSON bodies compared as bytes), or a
   * templated JSONPath into the JSON body such as `$.items[*].price` (array indices become `[*]`, and so
   * do keys of maps: `$.scores.*`, see diff-reader/engine/map-keys.ts and `shadow.mapKeys`).
   */
  path: string;
  /**
   * The concrete location, when `path` hides a map key: `$.scores.u100431` (with array indices:
   * `$.users[3].scores.u100431`). Absent otherwise, array indices alone are not kept.
   */
  location?: string;
  kind: DifferenceKind;
  /** JSON text of the legacy value, truncated; absent for `added`. */
  legacy?: string;
  /** JSON text of the new service's value, truncated; absent for `removed`. */
  candidate?: string;
}

export type ComparisonResult = 'match' | 'mismatch' | 'noise' | 'error';

/**
 * When a field counts as noise (Diffy's thresholds): legacy disagreed with itself there in at least
 * `relative` of the cases (a share, 0–1) and at least `absolute` times.
 */
export interface NoiseThresholds {
  relative: number;
  absolute: number;
}

export const DEFAULT_NOISE_THRESHOLDS: Readonly<NoiseThresholds> = { relative: 0.2, absolute: 3 };

export interface ComparisonRecord {
  requestId: string;
  route: string;
  method: string;
  /** Normalised path and query of the request. */
  target: string;
  /** ISO-8601 time the request arrived. */
  at: string;
  result: ComparisonResult;
  legacyStatus: number;
  /** Absent when the new service failed before answering (result `error`). */
  candidateStatus?: number;
  legacyMs: number;
  candidateMs?: number;
  /** Differences that are not noise (empty for `match` and `noise`). */
  differences: FieldDifference[];
  /** Differences explained as noise: legacy disagreed with itself there. */
  noise: FieldDifference[];
  /** Why the comparison could not be made (new service refused, timed out, reset). */
  error?: string;
}

export interface ComparisonQuery {
  route?: string;
  /** Only comparisons at or after this time. */
  since?: Date;
  limit?: number;
  /** Only comparisons with something to show: differences, noise or an error (no plain matches). */
  differing?: boolean;
  /**
   * Only mismatches (`mismatches`), or only comparisons whose differences were all noise (`noise`: results
   * match and noise with noise differences); errors are neither. What reports take examples from, the
   * mismatches first, so that noise on every request cannot crowd them out.
   */
  only?: 'mismatches' | 'noise';
}

/** A templated path that differed in a comparison, with every kind of difference seen there. */
export interface PathKinds {
  path: string;
  /** Sorted. */
  kinds: DifferenceKind[];
}

/**
 * How many comparisons of one route, in one minute, had the same outcome at the same paths: what reports
 * count from, exactly, however many comparisons there were (Diffy keeps counters the same way).
 */
export interface ComparisonCount {
  route: string;
  /** ISO-8601 start of the minute the comparisons arrived in. */
  minute: string;
  result: ComparisonResult;
  /** The paths with real differences, each once, sorted by path. */
  differences: PathKinds[];
  /** The paths with differences explained as noise, each once, sorted by path. */
  noise: PathKinds[];
  /** Why the comparisons could not be made (result `error`); null otherwise. */
  error: string | null;
  comparisons: number;
}

export type LatencySide = 'legacy' | 'candidate';

/** One side's latencies of one route in one minute, as a LatencySketch's buckets. */
export interface LatencyCount {
  route: string;
  minute: string;
  side: LatencySide;
  buckets: LatencyBuckets;
}

export interface ComparisonTally {
  counts: ComparisonCount[];
  latency: LatencyCount[];
}

/** What readCounts returns: the tally, and the compaction and prune marks read in the same snapshot. */
export interface CountsRead extends ComparisonTally {
  /** Counts before this were kept by the hour when the rows were read (see compactCounts). */
  compactedThrough?: Date;
  /** Counts before this were pruned when the rows were read (see pruneCounts). */
  prunedThrough?: Date;
}

/** The first and last minute (ISO-8601) of the counts read. */
export interface CountSpan {
  first: string;
  last: string;
}

/**
 * Time buckets counts are summed into: `count` buckets `widthMs` wide, the first starting at `firstEdgeMs`
 * (epoch milliseconds: a window of centuries may start before year 1, which no ISO timestamp the database reads
 * can say); counts before the first bucket fall in it, and those after the last in the last.
 */
export interface CountBuckets {
  firstEdgeMs: number;
  widthMs: number;
  count: number;
}

/** The buckets to sum counts into, given the span of the counts (null without counts) and the compaction mark read with them. */
export type CountBucketsFor = (span: CountSpan | null, compactedThrough: Date | undefined) => CountBuckets | null;

/**
 * What readReportCounts returns: `counts` that differ only in their minute are summed per time bucket (a
 * row's `minute` is the first minute it sums), latency as readCounts has it, the marks, and the span.
 */
export interface ReportCountsRead extends CountsRead {
  span: CountSpan | null;
}

export interface CountQuery {
  route?: string;
  /** Only counts from the minute this falls in, or from its hour where counts are kept by the hour. */
  since?: Date;
}

/** How many comparisons with one request id are kept on a route. */
export interface RouteComparisonCount {
  route: string;
  comparisons: number;
}

/** What withRequestId finds. */
export interface RequestComparisons {
  newest: ComparisonRecord[];
  /** Per route (every route, whatever route was asked for), by route name. */
  kept: RouteComparisonCount[];
}

/** The most mismatches a report reads per route for its examples (the newest). */
export const MAX_EXAMPLE_MISMATCHES = 1000;

/** The most noise-only comparisons a report reads per route for the examples of fields that only differed as noise. */
export const MAX_EXAMPLE_NOISE = 100;

/** The most comparisons `query` returns. */
export const MAX_QUERY_COMPARISONS = 200000;

/** Where comparisons are kept: the state store's database (PGlite or PostgreSQL). */
export interface ComparisonStore {
  write(batch: ComparisonRecord[]): Promise<void>;
  /** The newest `limit` matching comparisons, oldest first (by arrival, then request id). */
  query(query: ComparisonQuery): Promise<ComparisonRecord[]>;
  get(requestId: string): Promise<ComparisonRecord | undefined>;
  /**
   * Every comparison kept with this request id (a client's retries, or one id on several routes): the newest
   * `limit` (on `route` when given), newest first by arrival, and how many are kept per route.
   */
  withRequestId(requestId: string, options: { route?: string; limit: number }): Promise<RequestComparisons>;
  /** The newest comparison of each request id that starts with `prefix` (on `route` when given), newest first, up to `limit` ids. */
  startingWith(prefix: string, limit: number, route?: string): Promise<ComparisonRecord[]>;
  /** When the oldest comparison kept arrived; undefined when none is kept. */
  oldestKept(): Promise<Date | undefined>;
  /** Deletes the oldest comparisons beyond `keep`; returns how many were deleted. */
  prune(keep: number): Promise<number>;
  /**
   * Makes the room that pruned and merged rows leave reusable on disk where the database does not do it
   * itself (the embedded one); call after pruning or compacting. Cheap when nothing is due.
   */
  reclaimSpace(): Promise<void>;
  /**
   * Adds to the counts (several proxies may write the same minutes: they add up). A write is applied once per
   * `writeId`: retried with the same id after its answer was lost, it adds nothing if it was applied. Ids are
   * remembered for a week (compactCounts forgets older ones).
   */
  writeCounts(tally: ComparisonTally, writeId?: string): Promise<void>;
  /**
   * The counts of the matching minutes, summed over writers, per minute; their latency merged into one
   * sketch per route and side (its `minute`: the earliest minute merged in); all in one snapshot with the
   * compaction and prune marks, which come back with them.
   */
  readCounts(query: CountQuery): Promise<CountsRead>;
  /**
   * What a report needs of the counts readCounts reads, summed in the database: rows alike but for their
   * minute are added up per bucket of `bucketsFor` (over all time when it gives none), so what is read grows
   * with routes, outcomes and buckets, not with minutes. One snapshot, like readCounts.
   */
  readReportCounts(query: CountQuery, bucketsFor: CountBucketsFor): Promise<ReportCountsRead>;
  /** Deletes the counts of whole hours before `before`; returns how many count rows were deleted. */
  pruneCounts(before: Date): Promise<number>;
  /** Counts before this time were pruned; undefined when none were. */
  prunedThrough(): Promise<Date | undefined>;
  /**
   * Merges the counts of whole hours before `before` into one row per hour and outcome (latency: per hour and
   * side), at most `maxHours` hours per call, continuing where the last call stopped; returns the hours merged.
   * Also forgets the ids of counts writes more than a week old (see writeCounts).
   */
  compactCounts(before: Date, maxHours: number): Promise<number>;
  /** Counts before this time are kept by the hour (compactCounts); undefined when none were merged. */
  compactedThrough(): Promise<Date | undefined>;
}
