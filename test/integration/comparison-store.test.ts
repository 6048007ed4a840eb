import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_EXAMPLE_MISMATCHES, type ComparisonRecord, type ComparisonTally, type LatencyCount } from '../../core/comparison';
import type { Database } from '../../core/db/database';
import { EmbeddedDatabase } from '../../core/db/embedded';
import { PostgresDatabase } from '../../core/db/postgres';
import { LatencySketch } from '../../core/latency-sketch';
import { tallyComparisons } from '../../diff-reader/counts';
import { readDiffReport } from '../../diff-reader/report';
import { ComparisonWriter } from '../../diff-reader/store/comparison-writer';
import { SqlComparisonStore } from '../../diff-reader/store/sql-comparison-store';
import { MIGRATIONS, migrate } from '../../rollout/migrations';
import { createTestDatabase, withMigratedDatabase } from '../helpers/postgres';
import { TcpRelay } from '../helpers/tcp-relay';

/** A database of the test's own; closing it removes it. */
async function openPostgres(): Promise<Database> {
  const database = await createTestDatabase();
  const db = new PostgresDatabase({ url: database.url });
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    await database.drop();
  };
  return db;
}

async function openEmbedded(): Promise<Database> {
  const folder = mkdtempSync(join(tmpdir(), 'strangler-cmp-'));
  const db = await EmbeddedDatabase.open(folder);
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    rmSync(folder, { recursive: true, force: true });
  };
  return db;
}

const STORES: Array<[string, () => Promise<Database>]> = [
  ['PostgreSQL', openPostgres],
  ['embedded PGlite', openEmbedded],
];

function record(n: number, extra: Partial<ComparisonRecord> = {}): ComparisonRecord {
  return {
    requestId: `req-${n}`,
    route: n % 2 ? 'orders' : 'users',
    method: 'GET',
    target: `/api/orders/${n}?q='x'`,
    at: new Date(Date.UTC(2026, 10, 24, 10, 0, n)).toISOString(),
    result: n % 3 === 0 ? 'mismatch' : 'match',
    legacyStatus: 200,
    candidateStatus: 200,
    legacyMs: 12.5,
    candidateMs: 8.25,
    differences: n % 3 === 0 ? [{ path: '$.items[*].price', kind: 'changed', legacy: '10', candidate: '"10"' }] : [],
    noise: [],
    ...extra,
  };
}

describe.each(STORES)('comparison store on %s', (_name, open: () => Promise<Database>) => {
  let db: Database;
  let store: SqlComparisonStore;

  beforeAll(async () => {
    db = await open();
    await migrate(db);
    store = new SqlComparisonStore(db);
  }, 60000);

  afterAll(async () => {
    await db.close();
  });

  test('a batch round-trips every field, JSON differences included', async () => {
    const batch = Array.from({ length: 30 }, (_, i) => record(i));
    batch[4] = record(4, { result: 'error', candidateStatus: undefined, candidateMs: undefined, error: 'new service refused the connection' });
    delete batch[4].candidateStatus;
    delete batch[4].candidateMs;
    await store.write(batch);
    expect(await store.get('req-3')).toEqual(batch[3]);
    expect(await store.get('req-4')).toEqual(batch[4]);
    expect(await store.get('nope')).toBeUndefined();
  });

  test('a lone surrogate or NUL in a path is stored as U+FFFD, not a refused batch', async () => {
    const odd = record(900, { route: 'odd', result: 'mismatch', differences: [{ path: "$['k\ud800']", kind: 'changed', legacy: '1', candidate: '2' }], noise: [{ path: '$.a\u0000b', kind: 'changed', legacy: '1', candidate: '2' }] });
    await store.write([odd, record(901, { route: 'odd' })]);
    expect(await store.get('req-900')).toMatchObject({ differences: [{ path: "$['k\ufffd']" }], noise: [{ path: '$.a\ufffdb' }] });
    expect(await store.get('req-901')).toEqual(record(901, { route: 'odd' }));
    await store.writeCounts({ counts: [{ route: 'odd', minute: '2026-11-24T10:00:00.000Z', result: 'mismatch', differences: [{ path: "$['k\udc00']", kinds: ['changed'] }], noise: [], error: null, comparisons: 1 }], latency: [] });
    expect((await store.readCounts({ route: 'odd' })).counts[0]!.differences).toEqual([{ path: "$['k\ufffd']", kinds: ['changed'] }]);
    await db.query("DELETE FROM strangler_comparisons WHERE route = 'odd'");
    await db.query("DELETE FROM strangler_comparison_counts WHERE route = 'odd'");
  });

  test('query filters by route and time, oldest first, newest N when limited', async () => {
    const orders = await store.query({ route: 'orders' });
    expect(orders.map((r) => r.requestId)).toEqual(Array.from({ length: 15 }, (_, i) => `req-${i * 2 + 1}`));
    const since = await store.query({ since: new Date(Date.UTC(2026, 10, 24, 10, 0, 25)) });
    expect(since.map((r) => r.requestId)).toEqual(['req-25', 'req-26', 'req-27', 'req-28', 'req-29']);
    const newest = await store.query({ limit: 3 });
    expect(newest.map((r) => r.requestId)).toEqual(['req-27', 'req-28', 'req-29']);
  });

  test('plain matches are stored a batch per route to a row; readers still get each one', async () => {
    // The 30 written above: 10 mismatches and 1 error one to a row, the 19 matches in one row per route.
    const { rows } = await db.query<{ rows: number; lists: number; comparisons: number }>(
      'SELECT count(*)::int AS rows, count(match_list)::int AS lists, sum(comparisons)::int AS comparisons FROM strangler_comparisons',
    );
    expect(rows[0]).toEqual({ rows: 13, lists: 2, comparisons: 30 });
    expect(await store.get('req-1')).toEqual(record(1));
    expect(await store.get('req-29')).toEqual(record(29));
    expect((await store.query({})).map((r) => r.requestId)).toEqual(Array.from({ length: 30 }, (_, i) => `req-${i}`));
  });

  test('query({ differing }) leaves plain matches out: what reports take examples from', async () => {
    const differing = await store.query({ differing: true });
    expect(differing.map((r) => r.requestId)).toEqual(['req-0', 'req-3', 'req-4', 'req-6', 'req-9', 'req-12', 'req-15', 'req-18', 'req-21', 'req-24', 'req-27']);
    expect((await store.query({ differing: true, route: 'orders', limit: 2 })).map((r) => r.requestId)).toEqual(['req-21', 'req-27']);
  });

  test('prune keeps at least the newest N comparisons, a batch whole', async () => {
    await db.query('DELETE FROM strangler_comparisons');
    for (const first of [0, 10, 20]) await store.write(Array.from({ length: 10 }, (_, i) => record(first + i)));
    // The last batch alone holds 10: req-21, 24, 27 (mismatches), then its matches.
    expect(await store.prune(10)).toBe(20);
    expect((await store.query({})).map((r) => r.requestId)).toEqual(Array.from({ length: 10 }, (_, i) => `req-${i + 20}`));
    expect(await store.prune(10)).toBe(0);
    // The newest rows are the last batch's matches (orders: req-23, 25, 29; users: req-20, 22, 26, 28):
    // together they hold at least 4, so only the batch's mismatches, written before them, go.
    expect(await store.prune(4)).toBe(3);
    expect((await store.query({})).map((r) => r.requestId)).toEqual(['req-20', 'req-22', 'req-23', 'req-25', 'req-26', 'req-28', 'req-29']);
  });

  test('counts from several writes of the same minutes add up; route and since filter by whole minutes', async () => {
    const minute = (m: number): string => new Date(Date.UTC(2026, 10, 24, 11, m)).toISOString();
    const at = (m: number, s: number): string => new Date(Date.UTC(2026, 10, 24, 11, m, s)).toISOString();
    const price = [{ path: '$.items[*].price', kind: 'changed' as const, legacy: '1', candidate: '2' }];
    const first = tallyComparisons([
      record(1, { at: at(0, 5) }),
      record(3, { at: at(0, 50), result: 'mismatch', differences: price, legacyMs: 40 }),
      record(5, { at: at(1, 0), route: 'orders' }),
      record(2, { at: at(1, 30), result: 'error', error: 'new service refused the connection', candidateMs: undefined }),
    ]);
    // A second proxy, the same minutes: the counts add up instead of replacing each other.
    const second = tallyComparisons([record(7, { at: at(0, 59) }), record(9, { at: at(0, 1), result: 'mismatch', differences: price })]);
    await store.writeCounts(first);
    await store.writeCounts(second);
    await store.writeCounts({ counts: [], latency: [] });

    const all = await store.readCounts({});
    const mine = all.counts.filter((count) => count.minute >= minute(0));
    expect(mine).toEqual([
      { route: 'orders', minute: minute(0), result: 'match', differences: [], noise: [], error: null, comparisons: 2 },
      { route: 'orders', minute: minute(0), result: 'mismatch', differences: [{ path: '$.items[*].price', kinds: ['changed'] }], noise: [], error: null, comparisons: 2 },
      { route: 'orders', minute: minute(1), result: 'match', differences: [], noise: [], error: null, comparisons: 1 },
      { route: 'users', minute: minute(1), result: 'error', differences: [], noise: [], error: 'new service refused the connection', comparisons: 1 },
    ]);
    // One row per minute and outcome, and per minute and side, in the tables however many writes.
    const rowsOf = async (table: string): Promise<number> =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE route = 'orders' AND minute = $1`, [minute(0)])).rows[0]!.n);
    expect(await rowsOf('strangler_comparison_counts')).toBe(2);
    expect(await rowsOf('strangler_comparison_latency')).toBe(2);

    // Latency: one sketch per route and side, merged over the minutes read and every write's rows.
    const window = await store.readCounts({ since: new Date(minute(0)) });
    expect(window.latency.map((entry) => [entry.route, entry.side, entry.minute])).toEqual([
      ['orders', 'candidate', minute(0)],
      ['orders', 'legacy', minute(0)],
      ['users', 'legacy', minute(1)],
    ]);
    const ordersLegacy = new LatencySketch();
    ordersLegacy.addBuckets(window.latency[1]!.buckets);
    expect(ordersLegacy.samples).toBe(5);
    expect(Math.abs(ordersLegacy.percentile(100)! - 40)).toBeLessThanOrEqual(0.4);

    expect((await store.readCounts({ route: 'users' })).counts.map((count) => count.result)).toEqual(['error']);
    // since inside minute 1 counts the whole of minute 1.
    const since = await store.readCounts({ since: new Date(at(1, 45)) });
    expect(since.counts.map((count) => [count.route, count.minute, count.comparisons])).toEqual([
      ['orders', minute(1), 1],
      ['users', minute(1), 1],
    ]);
    expect(new Set(since.latency.map((entry) => entry.minute))).toEqual(new Set([minute(1)]));
  });

  test('pruneCounts deletes whole hours before a time (a merged hour cannot be split) and remembers where counting now starts', async () => {
    expect(await store.prunedThrough()).toBeUndefined();
    expect((await store.readCounts({})).prunedThrough).toBeUndefined();
    const at = (h: number, m: number): string => new Date(Date.UTC(2026, 10, 24, h, m, 10)).toISOString();
    await store.writeCounts(tallyComparisons([record(1, { at: at(11, 59) }), record(2, { at: at(12, 0) }), record(3, { at: at(13, 1) })]));
    // 13:02:30 cuts before 13:00 (the earlier tests' counts, at 10:00, go too).
    expect(await store.pruneCounts(new Date(Date.UTC(2026, 10, 24, 13, 2, 30)))).toBeGreaterThanOrEqual(2);
    expect(await store.prunedThrough()).toEqual(new Date(Date.UTC(2026, 10, 24, 13)));
    expect((await store.readCounts({})).prunedThrough).toEqual(new Date(Date.UTC(2026, 10, 24, 13))); // with the rows, one snapshot
    const left = await store.readCounts({});
    expect(left.counts.map((count) => count.minute)).toEqual([at(13, 1).replace(':10.000Z', ':00.000Z')]);
    expect(left.latency.every((entry) => entry.minute === left.counts[0]!.minute)).toBe(true);
    // Nothing deleted: the mark stays where it was.
    expect(await store.pruneCounts(new Date(Date.UTC(2026, 10, 24, 12, 30)))).toBe(0);
    expect(await store.prunedThrough()).toEqual(new Date(Date.UTC(2026, 10, 24, 13)));
    await store.pruneCounts(new Date(Date.UTC(2030, 0, 1)));
  });

  const clearCounts = (): Promise<void> =>
    db.exec('DELETE FROM strangler_comparison_counts; DELETE FROM strangler_comparison_latency; DELETE FROM strangler_comparison_counts_compacted');

  test('compactCounts merges whole hours into one row per hour and outcome, a few hours a call, and loses nothing', async () => {
    await clearCounts();
    const hour = (h: number, m = 0, s = 0): Date => new Date(Date.UTC(2026, 10, 20, h, m, s));
    // Two "proxies" wrote the same minutes; hours 8 and 9 are due, hour 10 is not.
    const comparisons = [8, 9, 10].flatMap((h) => [0, 1, 59].flatMap((m) => [0, 1, 2, 3].map((n) => record(n, { at: hour(h, m, 5).toISOString(), legacyMs: 1 + n + m, candidateMs: 2 + h }))));
    const before = await sumsOf(tallyComparisons(comparisons));
    await store.writeCounts(tallyComparisons(comparisons.slice(0, 20)));
    await store.writeCounts(tallyComparisons(comparisons.slice(20)));
    expect(await store.compactedThrough()).toBeUndefined();
    expect((await store.readCounts({})).compactedThrough).toBeUndefined();

    expect(await store.compactCounts(hour(10, 30), 1)).toBe(1); // at most 1 hour: hour 8
    expect(await store.compactedThrough()).toEqual(hour(9));
    expect(await store.compactCounts(hour(10, 30), 6)).toBe(1); // hour 9; hour 10 is not whole before 10:30
    expect(await store.compactCounts(hour(10, 30), 6)).toBe(0);
    expect(await store.compactedThrough()).toEqual(hour(10));

    const after = await store.readCounts({});
    expect(await sumsOf(after)).toEqual(before);
    const minutesOf = (h: number): Set<string> => new Set(after.counts.filter((c) => Date.parse(c.minute) >= hour(h).getTime() && Date.parse(c.minute) < hour(h + 1).getTime()).map((c) => c.minute));
    expect(minutesOf(8)).toEqual(new Set([hour(8).toISOString()]));
    expect(minutesOf(9)).toEqual(new Set([hour(9).toISOString()]));
    expect(minutesOf(10).size).toBe(3);
    // One latency row per hour and side for the merged hours (2 routes × 2 sides), the minutes' rows for hour 10.
    const latencyRows = async (from: Date, to: Date): Promise<number> =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM strangler_comparison_latency WHERE minute >= $1 AND minute < $2', [from, to])).rows[0]!.n);
    expect(await latencyRows(hour(8), hour(9))).toBe(4);
    expect(await latencyRows(hour(9), hour(10))).toBe(4);
    expect(await latencyRows(hour(10), hour(11))).toBe(3 * 2 * 2); // 3 minutes × 2 routes × 2 sides, unmerged

    // A since inside a merged hour counts that hour whole; after the mark, whole minutes as before.
    const inside = await store.readCounts({ since: hour(9, 30) });
    expect(inside.counts.reduce((sum, c) => sum + c.comparisons, 0)).toBe(24);
    // The mark comes back with the rows, read in the same snapshot: the report floors `since` by it.
    expect(inside.compactedThrough).toEqual(hour(10));
    const later = await store.readCounts({ since: hour(10, 0, 30) });
    expect(later.counts.reduce((sum, c) => sum + c.comparisons, 0)).toBe(12);
    await store.pruneCounts(new Date(Date.UTC(2030, 0, 1)));
  });

  test('readCounts merges latency over more rows than it fetches at a time, every sample once', async () => {
    await clearCounts();
    const minute = (m: number): string => new Date(Date.UTC(2026, 10, 21, 0, m)).toISOString();
    // 3 writes × 400 minutes × 2 sides: 2,400 rows, each one sample in its own bucket.
    for (let write = 0; write < 3; write++) {
      const latency = Array.from({ length: 400 }, (_, m) => m).flatMap((m): LatencyCount[] => [
        { route: 'orders', minute: minute(m), side: 'legacy', buckets: [[m, 1]] },
        { route: 'orders', minute: minute(m), side: 'candidate', buckets: [[1000 + write, 1]] },
      ]);
      await store.writeCounts({ counts: [], latency });
    }
    const { latency } = await store.readCounts({ since: new Date(minute(100)) });
    expect(latency.map((entry) => [entry.side, entry.minute])).toEqual([
      ['candidate', minute(100)],
      ['legacy', minute(100)],
    ]);
    expect(latency[0]!.buckets).toEqual([[1000, 300], [1001, 300], [1002, 300]]);
    expect(latency[1]!.buckets).toEqual(Array.from({ length: 300 }, (_, i) => [100 + i, 3]));
  });

  test('proxies writing the same minutes at once add to one row per outcome and one sketch per side', async () => {
    await clearCounts();
    const at = (s: number): string => new Date(Date.UTC(2026, 10, 22, 9, 0, s)).toISOString();
    const proxy = (offset: number): ComparisonTally =>
      tallyComparisons(Array.from({ length: 10 }, (_, n) => record(n, { at: at(n), route: 'orders', legacyMs: 10 + offset + n, candidateMs: 20 + n, result: 'match', differences: [] })));
    await Promise.all([store.writeCounts(proxy(0)), store.writeCounts(proxy(100)), store.writeCounts(proxy(200))]);
    const rows = await db.query<{ side: string; buckets: string }>('SELECT side, buckets FROM strangler_comparison_latency ORDER BY side');
    expect(rows.rows.map((row) => row.side)).toEqual(['candidate', 'legacy']);
    const legacy = new LatencySketch();
    legacy.addBuckets(JSON.parse(rows.rows[1]!.buckets) as LatencyCount['buckets']);
    expect(legacy.samples).toBe(30);
    expect(legacy.percentile(100)).toBeCloseTo(219, -1);
    const { counts } = await store.readCounts({});
    expect(counts.map((count) => [count.result, count.comparisons])).toEqual([['match', 30]]);
    expect(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM strangler_comparison_counts')).rows[0]!.n)).toBe(1);

    // One write naming a row twice (the same minute spelled two ways) adds both.
    const twice = (minute: string): ComparisonTally => ({
      counts: [{ route: 'orders', minute, result: 'match', differences: [], noise: [], error: null, comparisons: 5 }],
      latency: [{ route: 'orders', minute, side: 'legacy', buckets: [[1, 1]] }],
    });
    const spellings = [twice('2026-11-22T09:00:00.000Z'), twice('2026-11-22T09:00:00Z')];
    await store.writeCounts({ counts: spellings.flatMap((t) => t.counts), latency: spellings.flatMap((t) => t.latency) });
    expect((await store.readCounts({})).counts.map((count) => count.comparisons)).toEqual([40]);
  });

  test('compactCounts from two proxies at once counts every comparison once', async () => {
    await clearCounts();
    const at = (h: number, m: number): string => new Date(Date.UTC(2026, 10, 21, h, m, 5)).toISOString();
    const comparisons = Array.from({ length: 120 }, (_, i) => record(i, { at: at(6 + Math.floor(i / 60), i % 60) }));
    await store.writeCounts(tallyComparisons(comparisons));
    const before = await sumsOf(await store.readCounts({}));
    await Promise.all([store.compactCounts(new Date(Date.UTC(2026, 10, 21, 9)), 6), store.compactCounts(new Date(Date.UTC(2026, 10, 21, 9)), 6)]);
    const after = await store.readCounts({});
    expect(await sumsOf(after)).toEqual(before);
    expect(after.counts.every((c) => c.minute.endsWith(':00:00.000Z'))).toBe(true);
    await store.pruneCounts(new Date(Date.UTC(2030, 0, 1)));
  });

  test('a counts write sent again with the same write id (a retry after a lost answer) counts once; another id adds', async () => {
    await clearCounts();
    const at = (s: number): string => new Date(Date.UTC(2026, 10, 23, 8, 0, s)).toISOString();
    const comparisons = Array.from({ length: 30 }, (_, n) => record(n, { at: at(n), legacyMs: 5 + n }));
    const tally = tallyComparisons(comparisons);
    await store.writeCounts(tally, 'write-1');
    await store.writeCounts(tally, 'write-1');
    expect(await sumsOf(await store.readCounts({}))).toEqual(await sumsOf(tally));

    await store.writeCounts(tally, 'write-2');
    expect(await sumsOf(await store.readCounts({}))).toEqual(await sumsOf(tallyComparisons([...comparisons, ...comparisons])));
  });

  test('compactCounts forgets the ids of counts writes more than a week old, and keeps newer ones', async () => {
    await clearCounts();
    const tally = tallyComparisons([record(1, { at: new Date(Date.UTC(2026, 10, 23, 9)).toISOString() })]);
    await store.writeCounts(tally, 'written-8-days-ago');
    await store.writeCounts(tally, 'written-now');
    await db.query("UPDATE strangler_comparison_count_writes SET at = now() - interval '169 hours' WHERE id = $1", ['written-8-days-ago']);
    await store.compactCounts(new Date(0), 6);
    const { rows } = await db.query<{ id: string }>("SELECT id FROM strangler_comparison_count_writes WHERE id LIKE 'written-%'");
    expect(rows.map((row) => row.id)).toEqual(['written-now']);
  });
});

/** What a report takes from counts, whatever their rows: comparisons per route and outcome, latency percentiles. */
async function sumsOf(tally: ComparisonTally): Promise<Record<string, number | null>> {
  const sums: Record<string, number | null> = {};
  for (const count of tally.counts) {
    const key = `${count.route} ${count.result} ${JSON.stringify(count.differences)}`;
    sums[key] = (sums[key] ?? 0) + count.comparisons;
  }
  for (const side of ['legacy', 'candidate'] as const) {
    for (const route of ['orders', 'users']) {
      const sketch = new LatencySketch();
      for (const entry of tally.latency) if (entry.side === side && entry.route === route) sketch.addBuckets(entry.buckets);
      sums[`${route} ${side} p50`] = sketch.percentile(50);
      sums[`${route} ${side} p99`] = sketch.percentile(99);
      sums[`${route} ${side} n`] = sketch.samples;
    }
  }
  return sums;
}

describe.each(STORES)('comparisons found by the start of their request id on %s', (_name, open: () => Promise<Database>) => {
  test('the newest comparison per id, single rows and batches of matches alike; LIKE and JSON characters are taken literally', async () => {
    const db = await open();
    try {
      await migrate(db);
      const store = new SqlComparisonStore(db);
      const mismatch = (requestId: string, second: number): ComparisonRecord => ({ ...record(3), requestId, at: new Date(Date.UTC(2026, 10, 24, 10, 0, second)).toISOString() });
      const match = (requestId: string, second: number): ComparisonRecord => ({ ...record(1), requestId, at: new Date(Date.UTC(2026, 10, 24, 10, 0, second)).toISOString() });
      await store.write([mismatch('abc-0001-x', 1), mismatch('abc-0001-y', 2), match('abc-0002-m', 3), match('zzz"quote-1', 4), mismatch('a%c_0001', 5)]);
      await store.write([{ ...mismatch('abc-0003', 6), legacyStatus: 500 }]);
      await store.write([{ ...mismatch('abc-0003', 7), legacyStatus: 503 }]);

      const ids = async (prefix: string, limit = 10): Promise<string[]> => (await store.startingWith(prefix, limit)).map((r) => r.requestId);
      expect(await ids('abc-0001')).toEqual(['abc-0001-y', 'abc-0001-x']);
      expect(await store.startingWith('abc-0002', 10)).toEqual([match('abc-0002-m', 3)]);
      expect(await ids('zzz"quo')).toEqual(['zzz"quote-1']);
      // % and _ are not wildcards: without escaping, "a%c_" would find every abc-… too.
      expect(await ids('a%c_')).toEqual(['a%c_0001']);
      expect(await ids('abc-')).toEqual(['abc-0003', 'abc-0002-m', 'abc-0001-y', 'abc-0001-x']);
      expect(await ids('abc-', 2)).toEqual(['abc-0003', 'abc-0002-m']);
      // An id written twice: its newest comparison.
      expect((await store.startingWith('abc-0003', 10)).map((r) => r.legacyStatus)).toEqual([503]);
      expect(await ids('nothing-')).toEqual([]);
      // get takes the whole id only, in batches of matches too.
      expect(await store.get('zzz"quote-1')).toEqual(match('zzz"quote-1', 4));
      expect(await store.get('abc-0002')).toBeUndefined();
      expect(await store.get('abc-0001')).toBeUndefined();
    } finally {
      await db.close();
    }
  }, 60000);

  test('every comparison kept with one request id: single rows and batches of matches, newest first, counted per route', async () => {
    const db = await open();
    try {
      await migrate(db);
      const store = new SqlComparisonStore(db);
      expect(await store.oldestKept()).toBeUndefined();
      const at = (second: number): string => new Date(Date.UTC(2026, 10, 24, 10, 0, second)).toISOString();
      const mismatch = (route: string, second: number, requestId = 'retried-1'): ComparisonRecord => ({ ...record(3), route, requestId, at: at(second) });
      const match = (route: string, second: number, requestId = 'retried-1'): ComparisonRecord => ({ ...record(1), route, requestId, at: at(second) });
      // The same id: a users mismatch, orders retried (a mismatch, then two matches in one batch), and a batch of
      // another id whose name starts the same way.
      await store.write([mismatch('users', 1), match('orders', 2, 'retried-10'), match('orders', 9, 'other')]);
      await store.write([mismatch('orders', 3), match('orders', 4), match('orders', 6), match('users', 5, 'retried-1"x')]);

      const all = await store.withRequestId('retried-1', { limit: 10 });
      expect(all.newest.map((r) => [r.route, r.result, r.at])).toEqual([
        ['orders', 'match', at(6)],
        ['orders', 'match', at(4)],
        ['orders', 'mismatch', at(3)],
        ['users', 'mismatch', at(1)],
      ]);
      expect(all.kept).toEqual([{ route: 'orders', comparisons: 3 }, { route: 'users', comparisons: 1 }]);
      // On one route; the counts still cover every route.
      const users = await store.withRequestId('retried-1', { route: 'users', limit: 10 });
      expect(users.newest.map((r) => [r.route, r.at])).toEqual([['users', at(1)]]);
      expect(users.kept).toEqual(all.kept);
      // The newest `limit`.
      expect((await store.withRequestId('retried-1', { limit: 2 })).newest.map((r) => r.at)).toEqual([at(6), at(4)]);
      expect(await store.withRequestId('nothing-1', { limit: 10 })).toEqual({ newest: [], kept: [] });
      expect(await store.startingWith('retried-1', 10, 'users')).toEqual([mismatch('users', 1), match('users', 5, 'retried-1"x')].reverse());
      expect((await store.oldestKept())?.toISOString()).toBe(at(1));
    } finally {
      await db.close();
    }
  }, 60000);
});

describe.each(STORES)('a diff report read from the store on %s', (_name, open: () => Promise<Database>) => {
  let db: Database;
  let store: SqlComparisonStore;

  beforeAll(async () => {
    db = await open();
    await migrate(db);
    store = new SqlComparisonStore(db);
  }, 60000);

  afterAll(async () => {
    await db.close();
  });

  test('examples per route, mismatches before noise: a route noisy on every request leaves the others, and its own mismatches, their examples', async () => {
    const at = (second: number): string => new Date(Date.UTC(2026, 10, 24, 9, 0, 0, second)).toISOString();
    const mismatch = (requestId: string, route: string, path: string): ComparisonRecord => ({
      ...record(0),
      requestId,
      route,
      at: at(0),
      result: 'mismatch',
      differences: [{ path, kind: 'changed', legacy: '1', candidate: '2' }],
    });
    // Newer than both mismatches: more noise-only comparisons than a report once read for all routes together.
    const noise = Array.from({ length: MAX_EXAMPLE_MISMATCHES * 5 + 100 }, (_, i): ComparisonRecord => ({
      ...record(1),
      requestId: `noise-${i}`,
      route: 'orders',
      at: at(1 + i),
      result: 'noise',
      noise: [{ path: '$.generatedAt', kind: 'changed', legacy: '"a"', candidate: '"b"' }],
    }));
    const records = [mismatch('users-real', 'users', '$.name'), mismatch('orders-real', 'orders', '$.total'), ...noise];
    await store.write(records);
    await store.writeCounts(tallyComparisons(records));

    const report = await readDiffReport(store, {}, { generatedAt: new Date(Date.UTC(2026, 10, 24, 10)) });
    const examplesOf = (route: string, path: string): string[] =>
      report.routes.find((r) => r.route === route)!.fields.find((field) => field.path === path)!.examples.map((example) => example.requestId);
    expect(examplesOf('users', '$.name')).toEqual(['users-real']);
    expect(examplesOf('orders', '$.total')).toEqual(['orders-real']);
    // noise-only fields still get theirs, the newest
    expect(examplesOf('orders', '$.generatedAt')).toEqual([`noise-${noise.length - 1}`, `noise-${noise.length - 2}`, `noise-${noise.length - 3}`]);
    // the same examples as the report of that route alone
    const usersAlone = await readDiffReport(store, { route: 'users' }, { generatedAt: new Date(Date.UTC(2026, 10, 24, 10)) });
    expect(usersAlone.routes[0]!.fields).toEqual(report.routes.find((r) => r.route === 'users')!.fields);
  }, 60000);

  test('readCounts reads counts over several pages (1,000 rows each): every row once, in order', async () => {
    const minute = (m: number): string => new Date(Date.UTC(2026, 10, 20, 0, m)).toISOString();
    const counts = Array.from({ length: 4500 }, (_, m) => ({
      route: 'catalog',
      minute: minute(m),
      result: 'mismatch' as const,
      differences: [{ path: `$.p${m % 7}`, kinds: ['changed' as const] }],
      noise: [],
      error: null,
      comparisons: 1 + (m % 3),
    }));
    await store.writeCounts({ counts, latency: [] });
    expect((await store.readCounts({ route: 'catalog' })).counts).toEqual(counts);
    expect((await store.readCounts({ route: 'catalog', since: new Date(minute(3000)) })).counts).toEqual(counts.slice(3000));
  }, 60000);
});

describe('comparison store upgrade', () => {
  test('comparisons stored before the running count existed are counted by the migration, so retention reaches them', async () => {
    const database = await createTestDatabase();
    const db = new PostgresDatabase({ url: database.url });
    try {
      // The schema as migrations 1–4 left it, with comparisons written then (no running count).
      await db.exec('CREATE TABLE strangler_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const migration of MIGRATIONS.filter((m) => m.id <= 4)) {
        await db.exec(migration.sql);
        await db.query('INSERT INTO strangler_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
      }
      for (let n = 0; n < 5; n++) {
        await db.query(
          `INSERT INTO strangler_comparisons (request_id, route, method, target, at, result, legacy_status, legacy_ms, differences, noise)
           VALUES ($1, 'orders', 'GET', '/', $2, 'mismatch', 200, 1, '[]', '[]')`,
          [`old-${n}`, record(n).at],
        );
      }
      await migrate(db);
      const store = new SqlComparisonStore(db);
      // They have no counts: reports say they are not counted (through the end of the newest one's minute).
      expect(await store.prunedThrough()).toEqual(new Date(Date.UTC(2026, 10, 24, 10, 1)));
      await store.write([record(10), record(11)]);
      expect(await store.prune(4)).toBe(3);
      expect((await store.query({})).map((r) => r.requestId)).toEqual(['old-3', 'old-4', 'req-10', 'req-11']);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});

describe.each(STORES)('comparison counts upgrade on %s', (_name, open: () => Promise<Database>) => {
  test('rows that several proxies wrote for one minute are merged into one per outcome and side, and later writes add to them', async () => {
    const db = await open();
    try {
      await db.exec('CREATE TABLE strangler_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const migration of MIGRATIONS.filter((m) => m.id <= 7)) {
        await db.exec(migration.sql);
        await db.query('INSERT INTO strangler_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
      }
      const minute = (m: number): string => new Date(Date.UTC(2026, 10, 23, 8, m)).toISOString();
      const count = (m: number, result: string, error: string | null, n: number): Promise<unknown> =>
        db.query(`INSERT INTO strangler_comparison_counts (route, minute, result, differences, noise, error, comparisons) VALUES ('orders', $1, $2, '[]', '[]', $3, $4)`, [minute(m), result, error, n]);
      const latency = (m: number, buckets: string): Promise<unknown> =>
        db.query(`INSERT INTO strangler_comparison_latency (route, minute, side, buckets) VALUES ('orders', $1, 'legacy', $2)`, [minute(m), buckets]);
      // Two proxies wrote minute 0 (a match and an error each); one wrote minute 1.
      for (const n of [3, 4]) {
        await count(0, 'match', null, n);
        await count(0, 'error', 'new service refused the connection', 1);
      }
      await count(1, 'match', null, 5);
      await latency(0, '[[1,2],[3,4]]');
      await latency(0, '[[3,1],[5,7]]');
      await latency(1, '[[9,9]]');

      await migrate(db);
      const rows = async (table: string): Promise<Array<Record<string, unknown>>> =>
        (await db.query(`SELECT * FROM ${table} ORDER BY minute, ${table.endsWith('latency') ? 'side' : 'result'}`)).rows.map((row) => ({ ...row, minute: new Date(row.minute as string).toISOString() }));
      expect((await rows('strangler_comparison_counts')).map((row) => [row.minute, row.result, row.error, Number(row.comparisons)])).toEqual([
        [minute(0), 'error', 'new service refused the connection', 2],
        [minute(0), 'match', null, 7],
        [minute(1), 'match', null, 5],
      ]);
      expect((await rows('strangler_comparison_latency')).map((row) => [row.minute, JSON.parse(row.buckets as string)])).toEqual([
        [minute(0), [[1, 2], [3, 5], [5, 7]]],
        [minute(1), [[9, 9]]],
      ]);

      // A later write of minute 0 adds to its rows.
      const store = new SqlComparisonStore(db);
      await store.writeCounts({
        counts: [{ route: 'orders', minute: minute(0), result: 'match', differences: [], noise: [], error: null, comparisons: 10 }],
        latency: [{ route: 'orders', minute: minute(0), side: 'legacy', buckets: [[5, 1], [6, 1]] }],
      });
      expect((await rows('strangler_comparison_counts')).map((row) => Number(row.comparisons))).toEqual([2, 17, 5]);
      expect(JSON.parse((await rows('strangler_comparison_latency'))[0]!.buckets as string)).toEqual([[1, 2], [3, 5], [5, 8], [6, 1]]);
    } finally {
      await db.close();
    }
  });
});

describe('comparison writer', () => {
  test('a comparison the store refuses as data is dropped alone, counted as unstorable; the rest of its batch is written, and no outage is reported', async () => {
    const db = await openEmbedded();
    await migrate(db);
    const store = new SqlComparisonStore(db);
    const dropped: string[] = [];
    const refused: string[] = [];
    const outages: string[] = [];
    const writer = new ComparisonWriter({
      store,
      batchSize: 100,
      flushMs: 20,
      storeMatches: true,
      onDrop: (reason, route, n) => dropped.push(`${reason} ${route} ${n}`),
      onUnstorable: (r, err) => refused.push(`${r.requestId}: ${err.message}`),
      onStoreDown: () => outages.push('down'),
    });
    try {
      for (let i = 0; i < 10; i++) writer.add(i === 3 ? record(i, { at: 'not a time' }) : record(i));
      await writer.flush();
      expect((await store.query({})).map((r) => r.requestId)).toEqual(['req-0', 'req-1', 'req-2', 'req-4', 'req-5', 'req-6', 'req-7', 'req-8', 'req-9']);
      expect(dropped).toEqual(['unstorable orders 1']);
      expect(refused).toEqual([expect.stringMatching(/^req-3: .*not a time/)]);
      expect(outages).toEqual([]);
    } finally {
      await db.close();
    }
  });


  test('batches off the request path; an unreachable store drops and counts comparisons per route, never throws', async () => {
    const database = await createTestDatabase();
    const { relay, url: relayedUrl } = await TcpRelay.inFront(database.url);
    const db = new PostgresDatabase({ url: relayedUrl });
    await migrate(db);
    const store = new SqlComparisonStore(db);
    const dropped: Record<string, number> = {};
    const onDrop = (reason: string, route: string, n: number): void => void (dropped[`${reason} ${route}`] = (dropped[`${reason} ${route}`] ?? 0) + n);
    const outages: string[] = [];
    const writer = new ComparisonWriter({
      store,
      batchSize: 50,
      flushMs: 20,
      maxQueue: 100,
      retain: 1000,
      storeMatches: true,
      onDrop,
      onStoreDown: (err) => outages.push(`down: ${err instanceof Error}`),
      onStoreUp: (lost) => outages.push(`up after ${lost} lost`),
    });
    try {
      for (let i = 0; i < 120; i++) writer.add(record(i));
      await writer.flush();
      expect((await store.query({})).length).toBe(120);
      await relay.cut();
      for (let i = 200; i < 240; i++) writer.add(record(i));
      await writer.flush();
      expect(dropped).toEqual({ 'store-error orders': 20, 'store-error users': 20 });
      for (let i = 300; i < 600; i++) writer.add(record(i));
      // 50 went into a write at once, 100 wait in the queue, the other 150 found it full.
      expect(dropped['queue-full orders']! + dropped['queue-full users']!).toBe(150);
      expect(dropped['queue-full orders']).toBe(75);
      await writer.flush();
      await relay.restore();
      writer.add(record(500));
      await writer.flush();
      expect(await store.get('req-500')).toBeDefined();
      // One outage: reported once when it began and once when it ended, with every failed write's comparisons.
      expect(outages).toEqual([`down: true`, `up after ${40 + 50 + 100} lost`]);
      // Counts waited in memory through the outage: every comparison is counted, stored or not.
      const { counts } = await store.readCounts({});
      expect(counts.reduce((sum, count) => sum + count.comparisons, 0)).toBe(120 + 40 + 300 + 1);
    } finally {
      await db.close();
      await relay.close();
      await database.drop();
    }
  });

  test('a counts write whose answer is lost in transit (the server committed it) is not applied again by its retry', async () => {
    const database = await createTestDatabase();
    const { relay, url: relayedUrl } = await TcpRelay.inFront(database.url);
    const db = new PostgresDatabase({ url: relayedUrl });
    const direct = new PostgresDatabase({ url: database.url });
    await migrate(db);
    const store = new SqlComparisonStore(db);
    const stored = async (): Promise<Record<string, number | null>> => sumsOf(await new SqlComparisonStore(direct).readCounts({}));
    const lost: number[] = [];
    const writer = new ComparisonWriter({ store, onCountsLost: (comparisons) => lost.push(comparisons) });
    try {
      const comparisons = Array.from({ length: 59 }, (_, n) => record(n));
      const compared = await sumsOf(tallyComparisons(comparisons));
      for (const comparison of comparisons) writer.add(comparison);
      const answerLost = relay.loseReplyTo('INSERT INTO strangler_comparison_counts');
      await writer.flush();
      await answerLost;
      // The server committed the write its client saw fail.
      expect(await stored()).toEqual(compared);
      await writer.flush();
      expect(await stored()).toEqual(compared);
      expect(lost).toEqual([]);
    } finally {
      await db.close();
      await direct.close();
      await relay.close();
      await database.drop();
    }
  });

  test('finished minutes are written every countsFlushMs, the minute under way by flush(); held counts beyond maxHeldCounts are given up and reported', async () => {
    const database = await createTestDatabase();
    const { relay, url: relayedUrl } = await TcpRelay.inFront(database.url);
    const db = new PostgresDatabase({ url: relayedUrl });
    await migrate(db);
    const store = new SqlComparisonStore(db);
    const lost: number[] = [];
    const writer = new ComparisonWriter({ store, countsFlushMs: 30, maxHeldCounts: 6, onCountsLost: (comparisons) => lost.push(comparisons) });
    const total = async (): Promise<number> => (await store.readCounts({})).counts.reduce((sum, count) => sum + count.comparisons, 0);
    const minutesAgo = (minutes: number): string => new Date(Date.now() - minutes * 60_000).toISOString();
    try {
      for (let i = 0; i < 10; i++) writer.add(record(i, { at: minutesAgo(2) }));
      writer.add(record(99, { at: minutesAgo(-1) })); // a minute not finished yet, whenever the test runs
      const deadline = Date.now() + 5000;
      while ((await total()) < 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await total()).toBe(10);
      // The minute under way waits for its end (several timer periods here), unless flushed.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await total()).toBe(10);
      await writer.flush();
      expect(await total()).toBe(11);

      await relay.cut();
      // Minute 10:00 of two routes, mismatch and match: 4 counts and 4 latency sketches, more than 6.
      for (let i = 10; i < 20; i++) writer.add(record(i));
      await writer.flush();
      expect(lost).toEqual([10]);
      await relay.restore();
      writer.add(record(20));
      await writer.flush();
      expect(await total()).toBe(12);
    } finally {
      await db.close();
      await relay.close();
      await database.drop();
    }
  });

  test('by default plain matches are counted and not stored; everything with something to show is stored', async () => {
    await withMigratedDatabase(async (db) => {
      const store = new SqlComparisonStore(db);
      const writer = new ComparisonWriter({ store });
      const noisyMatch = record(1, { noise: [{ path: '$.meta.ts', kind: 'changed', legacy: '"a"', candidate: '"b"' }] });
      for (const comparison of [record(0), record(1), record(2), record(3), noisyMatch]) writer.add(comparison);
      await writer.flush();
      // record(0) and record(3) are mismatches; the noisy match has something to show.
      expect((await store.query({})).map((r) => [r.requestId, r.result, r.noise.length])).toEqual([
        ['req-0', 'mismatch', 0],
        ['req-1', 'match', 1],
        ['req-3', 'mismatch', 0],
      ]);
      const { counts } = await store.readCounts({});
      expect(counts.reduce((sum, count) => sum + count.comparisons, 0)).toBe(5);
    });
  });

  test('count retention: the first counts write prunes whole hours older than keepCountsDays', async () => {
    await withMigratedDatabase(async (db) => {
      const store = new SqlComparisonStore(db);
      const writer = new ComparisonWriter({ store, keepCountsDays: 2 });
      const now = Date.now();
      writer.add(record(1, { at: new Date(now - 3 * 86_400_000).toISOString() }));
      writer.add(record(2, { at: new Date(now).toISOString() }));
      await writer.flush();
      const { counts } = await store.readCounts({});
      expect(counts.map((count) => count.route)).toEqual(['users']);
      // Whole hours: everything before the hour that `now - 2 days` falls in.
      expect((await store.prunedThrough())!.getTime()).toBe(Math.floor((now - 2 * 86_400_000) / 3_600_000) * 3_600_000);
    });
  });

  test('the first counts write, and every 30th, merges day-old counts by the hour, 6 hours at a time', async () => {
    await withMigratedDatabase(async (db) => {
      const store = new SqlComparisonStore(db);
      const failures: string[] = [];
      const writer = new ComparisonWriter({ store, onCompactError: (err) => failures.push(err.message) });
      const twoDaysAgo = Date.now() - 2 * 86_400_000;
      const hour = Math.floor(twoDaysAgo / 3_600_000) * 3_600_000;
      for (let n = 0; n < 6; n++) writer.add(record(n, { at: new Date(hour + n * 60_000).toISOString() }));
      await writer.flush();
      expect(failures).toEqual([]);
      expect((await store.compactedThrough())!.getTime()).toBe(hour + 6 * 3_600_000);
      const { counts } = await store.readCounts({});
      expect(new Set(counts.map((count) => count.minute))).toEqual(new Set([new Date(hour).toISOString()]));
      expect(counts.reduce((sum, count) => sum + count.comparisons, 0)).toBe(6);

      // A failed run is reported, and what it would have merged stays as it was.
      await db.exec('DROP TABLE strangler_comparison_counts_compacted');
      const failing = new ComparisonWriter({ store, onCompactError: (err) => failures.push(err.message) });
      failing.add(record(7, { at: new Date(hour + 7 * 3_600_000).toISOString() }));
      await failing.flush();
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/strangler_comparison_counts_compacted/);
      // (Read from the table: readCounts needs the mark table this test took away.)
      const { rows } = await db.query<{ n: string }>('SELECT sum(comparisons) AS n FROM strangler_comparison_counts');
      expect(Number(rows[0]!.n)).toBe(7);
    });
  });

  test('retention: the first write and every 20th after it prune the store to the newest `retain`', async () => {
    await withMigratedDatabase(async (db) => {
      const store = new SqlComparisonStore(db);
      const writer = new ComparisonWriter({ store, batchSize: 1, retain: 5, storeMatches: true });
      for (let i = 0; i < 25; i++) {
        writer.add(record(i));
        await writer.flush();
      }
      // Write 1 kept req-0; write 21 (req-20) pruned to req-16…req-20; writes 22–25 added req-21…req-24.
      expect((await store.query({})).map((r) => r.requestId)).toEqual(Array.from({ length: 9 }, (_, i) => `req-${i + 16}`));
    });
  });

  test('a failed prune is reported on its own: the batch it followed is stored, not counted as dropped', async () => {
    await withMigratedDatabase(async (db) => {
      await db.exec(`
        CREATE FUNCTION refuse_deletes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'deletes refused'; END $$;
        CREATE TRIGGER refuse_deletes BEFORE DELETE ON strangler_comparisons FOR EACH STATEMENT EXECUTE FUNCTION refuse_deletes();
      `);
      const store = new SqlComparisonStore(db);
      const dropped: string[] = [];
      const pruneErrors: string[] = [];
      const writer = new ComparisonWriter({
        store,
        batchSize: 1,
        retain: 5,
        storeMatches: true,
        onDrop: (reason, route, n) => dropped.push(`${reason} ${route} ${n}`),
        onStoreDown: (err) => dropped.push(`down: ${err.message}`),
        onPruneError: (err) => pruneErrors.push(err.message),
      });
      for (let i = 0; i < 25; i++) {
        writer.add(record(i));
        await writer.flush();
      }
      expect((await store.query({})).length).toBe(25);
      expect(dropped).toEqual([]);
      // Writes 1 and 21 prune.
      expect(pruneErrors).toEqual(['deletes refused', 'deletes refused']);
    });
  });
});
