import { MAX_EXAMPLE_COMPARISONS, type ComparisonStore, type CountQuery } from '../../core/comparison';
import { storeCall } from '../../core/store-call';
import { hourStart } from '../counts';
import { buildReportFromCounts, type DiffReport, type DiffReportOptions } from './model';

/** What a report read from the store takes besides its filter: the filter's route and since come from the query. */
export type ReadReportOptions = Omit<DiffReportOptions, 'route' | 'since' | 'omittedThrough' | 'compactedThrough'>;

/**
 * The diff report of the comparisons a store keeps: its counts (with the compaction and prune marks read with
 * them) and the newest differing comparisons as examples. A store failure is a 503 (see storeCall).
 */
export async function readDiffReport(store: ComparisonStore, query: CountQuery, options: ReadReportOptions): Promise<DiffReport> {
  const { route, since } = query;
  const filter = { ...(route ? { route } : {}), ...(since ? { since } : {}) };
  // Counting starts at the minute (or merged hour) `since` falls in, so examples are read from its hour on;
  // the report keeps those its counts cover, so no counted mismatch is left without its example.
  const examplesSince = since ? { since: new Date(hourStart(since.getTime())) } : {};
  const [{ compactedThrough, prunedThrough: omittedThrough, ...tally }, examples] = await storeCall(() =>
    Promise.all([store.readCounts(filter), store.query({ ...filter, ...examplesSince, differing: true, limit: MAX_EXAMPLE_COMPARISONS })]),
  );
  return buildReportFromCounts({ ...tally, examples }, {
    ...options,
    ...filter,
    ...(omittedThrough ? { omittedThrough } : {}),
    ...(compactedThrough ? { compactedThrough } : {}),
  });
}
