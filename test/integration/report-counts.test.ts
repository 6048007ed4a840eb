/**
 * A report reads its counts summed in the database (readReportCounts, per route, outcome and time bucket of
 * the report): it must be the report the raw per-minute rows (readCounts) make, on both databases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComparisonCount, ComparisonRecord, CountQuery, LatencyCount } from '../../core/comparison';
import type { Database } from '../../core/db/database';
import { EmbeddedDatabase } from '../../core/db/embedded';
import { PostgresDatabase } from '../../core/db/postgres';
import { LatencySketch } from '../../core/latency-sketch';
import { buildReportFromCounts, readDiffReport, type DiffReport, type DiffReportOptions, type ReportInput } from '../../diff-reader/report';
import { SqlComparisonStore } from '../../diff-reader/store/sql-comparison-store';
import { migrate } from '../../rollout/migrations';
import { createTestDatabase } from '../helpers/postgres';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 24, 6);
const HOURS = 6;
/** The report's time: a minute and a half after the last minute counted, so the last minute is not cut. */
const NOW = START + HOURS * HOUR + 90_000;

async function openPostgres(): Promise<{ db: Database; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const db = new PostgresDatabase({ url: database.url });
  return { db, close: async () => (await db.close(), await database.drop()) };
}

async function openEmbedded(): Promise<{ db: Database; close(): Promise<void> }> {
  const folder = mkdtempSync(join(tmpdir(), 'strangler-report-counts-'));
  const db = await EmbeddedDatabase.open(folder);
  return { db, close: async () => (await db.close(), rmSync(folder, { recursive: true, force: true })) };
}

/**
 * Six hours of two routes, minute by minute: matches, mismatches at fields that come and go (in pairs, so
 * firstIn and lastIn matter), a field that is mostly noise (learned over the report), a map key kept before
 * keys were templated, errors with two reasons, and one minute from a clock ahead of the report's.
 */
function seedCounts(): { counts: ComparisonCount[]; latency: LatencyCount[]; records: ComparisonRecord[] } {
  const counts: ComparisonCount[] = [];
  const latency: LatencyCount[] = [];
  const records: ComparisonRecord[] = [];
  const at = (m: number): string => new Date(START + m * 60_000).toISOString();
  for (const route of ['orders', 'users']) {
    for (let m = 0; m < HOURS * 60; m++) {
      const minute = at(m);
      const field = `$.items[*].f${m % 5}`;
      const add = (count: Omit<ComparisonCount, 'route' | 'minute'>): number => counts.push({ route, minute, ...count });
      add({ result: 'match', differences: [], noise: [], error: null, comparisons: 10 + (m % 4) });
      add({ result: 'mismatch', differences: [{ path: field, kinds: ['changed'] }, { path: '$.total', kinds: ['changed'] }], noise: [], error: null, comparisons: 1 + (m % 3) });
      if (m % 2 === 0) add({ result: 'mismatch', differences: [{ path: '$.generatedAt', kinds: ['changed'] }], noise: [], error: null, comparisons: 1 });
      if (m % 3 === 0) add({ result: 'noise', differences: [], noise: [{ path: '$.generatedAt', kinds: ['changed'] }], error: null, comparisons: 4 });
      if (m % 7 === 0) add({ result: 'mismatch', differences: [{ path: `$.scores.u10043${m % 3}`, kinds: ['added'] }], noise: [], error: null, comparisons: 2 });
      if (m % 11 === 0) add({ result: 'error', differences: [], noise: [], error: m % 2 ? 'new service timed out' : 'connection refused', comparisons: 1 });
      for (const side of ['legacy', 'candidate'] as const) {
        const sketch = new LatencySketch();
        for (let i = 1; i <= 5; i++) sketch.add(side === 'legacy' ? m + i : 2 * m + i);
        latency.push({ route, minute, side, buckets: sketch.buckets() });
      }
      if (m % 13 === 0) {
        records.push({
          requestId: `${route}-${m}`,
          route,
          method: 'GET',
          target: `/api/${route}/${m}`,
          at: new Date(START + m * 60_000 + 5000).toISOString(),
          result: 'mismatch',
          legacyStatus: 200,
          candidateStatus: 200,
          legacyMs: 3,
          candidateMs: 4,
          differences: [{ path: field, kind: 'changed', legacy: '1', candidate: '2' }, { path: '$.total', kind: 'changed', legacy: '3', candidate: '4' }],
          noise: [],
        });
      }
    }
  }
  // A proxy whose clock runs ahead: counted after the report's time.
  counts.push({ route: 'orders', minute: at(HOURS * 60 + 5), result: 'mismatch', differences: [{ path: '$.total', kinds: ['changed'] }], noise: [], error: null, comparisons: 3 });
  return { counts, latency, records };
}

describe.each([
  ['PostgreSQL', openPostgres],
  ['embedded PGlite', openEmbedded],
])('a report read from counts summed in %s', (_name, open) => {
  let opened: { db: Database; close(): Promise<void> };
  let store: SqlComparisonStore;

  beforeAll(async () => {
    opened = await open();
    await migrate(opened.db);
    store = new SqlComparisonStore(opened.db);
    const { counts, latency, records } = seedCounts();
    await store.writeCounts({ counts, latency });
    await store.write(records);
    // The first two hours kept by the hour, the first pruned away.
    await store.compactCounts(new Date(START + 2 * HOUR), 24);
    await store.pruneCounts(new Date(START + HOUR));
  }, 120000);

  afterAll(async () => {
    await opened.close();
  });

  /** The report readDiffReport builds, and the one the same examples and options make of the raw rows. */
  async function bothReports(query: CountQuery, options: Partial<DiffReportOptions>): Promise<{ summed: DiffReport; raw: DiffReport; rows: { summed: number; raw: number } }> {
    let input: ReportInput | undefined;
    let built: DiffReportOptions | undefined;
    const summed = await readDiffReport(store, query, { generatedAt: new Date(NOW), noiseThresholds: {}, ...options }, (given, givenOptions) => {
      input = given;
      built = givenOptions;
      return buildReportFromCounts(given, givenOptions);
    });
    const { counts, latency } = await store.readCounts(query);
    const raw = buildReportFromCounts({ counts, latency, examples: input!.examples }, built!);
    return { summed, raw, rows: { summed: input!.counts.length, raw: counts.length } };
  }

  test.each<[string, CountQuery, Partial<DiffReportOptions>]>([
    ['every route, all time', {}, {}],
    ['one route, all time, 7 buckets', { route: 'users' }, { buckets: 7 }],
    ['one bucket', {}, { buckets: 1 }],
    ['since inside an hour kept by the hour', { since: new Date(START + HOUR + 17 * 60_000) }, {}],
    ['since inside the minutes, one route', { route: 'orders', since: new Date(START + 4 * HOUR + 30_500) }, { buckets: 30 }],
    ['since after the last count', { since: new Date(NOW - 30_000) }, {}],
    // A window of centuries: its first bucket starts before year 1, which no timestamp the database reads can say.
    ['since year 1', { since: new Date('0001-01-01T00:00:00Z') }, {}],
  ])('%s: the same report as the raw rows make, from fewer rows', async (_case, query, options) => {
    const { summed, raw, rows } = await bothReports(query, options);
    expect(summed).toEqual(raw);
    if (rows.raw > 100) expect(rows.summed).toBeLessThan(rows.raw);
  }, 60000);

  test('what is checked is worth checking: learned noise, templated keys, error reasons, latency, both time units', async () => {
    const { summed, rows } = await bothReports({}, {});
    // Five hours of minutes in hour-wide buckets.
    expect(rows.summed * 10).toBeLessThan(rows.raw);
    expect(summed.window.omittedThrough).toBe(new Date(START + HOUR).toISOString());
    expect(summed.window.bucketMs).toBe(HOUR);
    const orders = summed.routes.find((route) => route.route === 'orders')!;
    expect(orders.fields.find((field) => field.path === '$.generatedAt')!.noisy).toBe(true);
    expect(orders.fields.some((field) => field.path === '$.scores.*')).toBe(true);
    expect(orders.errors.map((error) => error.reason).sort()).toEqual(['connection refused', 'new service timed out']);
    expect(orders.latency.candidate.p99).not.toBeNull();
    expect(orders.timeline.length).toBeGreaterThan(1);
    expect(orders.fields[0]!.examples.length).toBeGreaterThan(0);
  }, 60000);
});
