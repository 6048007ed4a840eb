/** One shadow comparison: what legacy and the new service answered to the same request, and how they differ. */

export type DifferenceKind = 'added' | 'removed' | 'changed' | 'type';

export interface FieldDifference {
  /**
   * Where: `status`, `header.<lower-case name>`, `body` (non-JSON bodies compared as bytes), or a
   * templated JSONPath into the JSON body such as `$.items[*].price` (array indices become `[*]`).
   */
  path: string;
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
}

/** The most comparisons a report reads (the newest); it says when it left older ones out. */
export const MAX_REPORT_COMPARISONS = 200000;

/** Where comparisons are kept: the state store's database (PGlite or PostgreSQL). */
export interface ComparisonStore {
  write(batch: ComparisonRecord[]): Promise<void>;
  /** The newest `limit` matching comparisons, oldest first (by arrival, then request id). */
  query(query: ComparisonQuery): Promise<ComparisonRecord[]>;
  get(requestId: string): Promise<ComparisonRecord | undefined>;
  /** Deletes the oldest comparisons beyond `keep`; returns how many were deleted. */
  prune(keep: number): Promise<number>;
  /** The arrival time of the newest comparison ever pruned; undefined when none was. */
  prunedThrough(): Promise<Date | undefined>;
}
