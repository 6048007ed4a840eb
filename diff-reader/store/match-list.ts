import type { ComparisonRecord } from '../../core/comparison';

/**
 * Matches are most comparisons on a healthy route, and all they hold is who, when and how fast. They are
 * stored a batch per route to a row, as one JSON text the database does not parse, which costs about a
 * quarter of a row per comparison on PGlite. Each entry is
 * [requestId, method, target, at, legacyStatus, candidateStatus, legacyMs, candidateMs].
 */
type MatchEntry = [string, string, string, string, number, number | null, number, number | null];

/** A match with nothing else to say: no differences, no noise, no error. */
export function isPlainMatch(record: ComparisonRecord): boolean {
  return record.result === 'match' && record.differences.length === 0 && record.noise.length === 0 && record.error === undefined;
}

export function encodeMatches(records: readonly ComparisonRecord[]): string {
  const entries: MatchEntry[] = records.map((r) => [r.requestId, r.method, r.target, new Date(r.at).toISOString(), r.legacyStatus, r.candidateStatus ?? null, r.legacyMs, r.candidateMs ?? null]);
  return JSON.stringify(entries);
}

/** The matches of one stored row, in the order they were written. */
export function decodeMatches(route: string, text: string): ComparisonRecord[] {
  return (JSON.parse(text) as MatchEntry[]).map(([requestId, method, target, at, legacyStatus, candidateStatus, legacyMs, candidateMs]) => {
    const record: ComparisonRecord = { requestId, route, method, target, at, result: 'match', legacyStatus, legacyMs, differences: [], noise: [] };
    if (candidateStatus !== null) record.candidateStatus = candidateStatus;
    if (candidateMs !== null) record.candidateMs = candidateMs;
    return record;
  });
}

/** The newest arrival time among the records. */
export function newestArrival(records: readonly ComparisonRecord[]): Date {
  let newest = Number.NEGATIVE_INFINITY;
  for (const record of records) newest = Math.max(newest, Date.parse(record.at));
  return new Date(newest);
}
