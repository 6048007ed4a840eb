import { MAX_EXAMPLE_MISMATCHES, MAX_EXAMPLE_NOISE, type ComparisonRecord, type ComparisonStore, type CountBucketsFor, type CountQuery } from '../../core/comparison';
import { storeCall } from '../../core/store-call';
import { hourStart } from '../counts';
import { bucketsWanted, buildReportFromCounts, reportWindow, type DiffReport, type DiffReportOptions, type ReportInput } from './model';
import { countBuckets } from './time-window';

/** What a report read from the store takes besides its filter: the filter's route and since come from the query. */
export type ReadReportOptions = Omit<DiffReportOptions, 'route' | 'since' | 'omittedThrough' | 'compactedThrough'>;

/** Builds the model from what was read: inline by default, or off the event loop (ReportPool.build). */
export type BuildReport = (input: ReportInput, options: DiffReportOptions) => DiffReport | Promise<DiffReport>;

/**
 * The diff report of the comparisons a store keeps: its counts, summed by the store per route, outcome and
 * time bucket of the report (with the compaction and prune marks read with them), and, per route, the newest
 * mismatches and noise-only comparisons as examples. A store failure is a 503 (see storeCall).
 */
export async function readDiffReport(
  store: ComparisonStore,
  query: CountQuery,
  options: ReadReportOptions,
  build: BuildReport = buildReportFromCounts,
): Promise<DiffReport> {
  const { route, since } = query;
  const filter = { ...(route ? { route } : {}), ...(since ? { since } : {}) };
  bucketsWanted(options); // a bad option is the caller's error, not the store's
  // Summed in the database per time bucket of the report, which depends on what was counted and how.
  const bucketsFor: CountBucketsFor = (span, compactedThrough) => {
    const window = reportWindow(span, { ...options, ...filter, ...(compactedThrough ? { compactedThrough } : {}) });
    return window && countBuckets(window);
  };
  const { compactedThrough, prunedThrough: omittedThrough, ...tally } = await storeCall(() => store.readReportCounts(filter, bucketsFor));
  const examples = await readExamples(store, route === undefined ? routesCounted(tally.counts) : [route], since);
  return build({ ...tally, examples }, {
    ...options,
    ...filter,
    ...(omittedThrough ? { omittedThrough } : {}),
    ...(compactedThrough ? { compactedThrough } : {}),
  });
}

function routesCounted(counts: ReadonlyArray<{ route: string }>): string[] {
  return [...new Set(counts.map((count) => count.route))].sort();
}

/**
 * Each route's own newest mismatches, and its newest noise-only comparisons (for fields that only ever differed
 * as noise): one budget for all routes would go to the busiest, and noise on every request would push out the
 * mismatches. Route by route, so the event loop gets a turn between reads.
 */
async function readExamples(store: ComparisonStore, routes: readonly string[], since: Date | undefined): Promise<ComparisonRecord[]> {
  // Counting starts at the minute (or merged hour) `since` falls in, so examples are read from its hour on;
  // the report keeps those its counts cover, so no counted mismatch is left without its example.
  const from = since ? { since: new Date(hourStart(since.getTime())) } : {};
  const examples: ComparisonRecord[] = [];
  for (const route of routes) {
    const [mismatches, noise] = await storeCall(() =>
      Promise.all([
        store.query({ route, ...from, only: 'mismatches', limit: MAX_EXAMPLE_MISMATCHES }),
        store.query({ route, ...from, only: 'noise', limit: MAX_EXAMPLE_NOISE }),
      ]),
    );
    examples.push(...mismatches, ...noise);
  }
  return examples;
}
