import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComparisonRecord } from '../../core/comparison';
import { EmbeddedDatabase } from '../../core/db/embedded';
import { ComparisonWriter } from '../../diff-reader/store/comparison-writer';
import { SqlComparisonStore } from '../../diff-reader/store/sql-comparison-store';
import { migrate } from '../../rollout/migrations';

/** Bytes of every file under `folder`: the data directory as a whole, pg_wal included. */
function folderBytes(folder: string): number {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

describe('embedded store disk use (PGlite has no autovacuum and no checkpointer)', () => {
  let folder: string;
  let db: EmbeddedDatabase;
  let store: SqlComparisonStore;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'strangler-disk-'));
    db = await EmbeddedDatabase.open(folder);
    await migrate(db);
    store = new SqlComparisonStore(db);
  }, 60000);

  afterAll(async () => {
    await db.close();
    rmSync(folder, { recursive: true, force: true });
  });

  test('with keepComparisons, the folder stops growing: pruned rows are vacuumed and the WAL is recycled', async () => {
    const failures: string[] = [];
    const writer = new ComparisonWriter({ store, retain: 500, batchSize: 100, onReclaimError: (err) => failures.push(err.message) });
    let written = 0;
    // About 1.3 KB stored per comparison (hex does not compress much), so the unvacuumed table and WAL grow fast.
    const writeComparisons = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++, written++) {
        writer.add(mismatch(written));
        if (i % 100 === 99) await writer.flush();
      }
      await writer.flush();
    };

    const N = 8000;
    await writeComparisons(N);
    const afterN = folderBytes(folder);
    await writeComparisons(2 * N);
    const after3N = folderBytes(folder);

    expect(failures).toEqual([]);
    const { rows } = await db.query<{ n: string }>('SELECT sum(comparisons) AS n FROM strangler_comparisons');
    expect(Number(rows[0]!.n)).toBeLessThanOrEqual(500 + 20 * 100); // retain, plus what 20 writes add between prunes
    // Without vacuum and checkpoints, the 2N later comparisons add about twice what the first N took.
    expect(after3N / afterN).toBeLessThan(1.3);
  }, 60000);

  test('counts merged by the hour and pruned by age leave no dead rows behind: the counts and latency tables level off', async () => {
    const HOUR = 3_600_000;
    const countTables = async (): Promise<number> => {
      const { rows } = await db.query<{ bytes: string }>(
        "SELECT pg_total_relation_size('strangler_comparison_counts') + pg_total_relation_size('strangler_comparison_latency') AS bytes",
      );
      return Number(rows[0]!.bytes);
    };
    const now = Date.now();
    const firstHour = Math.floor(now / HOUR) * HOUR - 30 * 24 * HOUR;
    const sizes: number[] = [];
    const failures: string[] = [];
    for (let cycle = 0; cycle < 6; cycle++) {
      const cycleStart = firstHour + cycle * 6 * HOUR;
      // A writer's first counts write writes these 6 hours of minutes, prunes the counts of all but the last
      // cycle, merges the new minutes by the hour, then reclaims what that deleted.
      const writer = new ComparisonWriter({
        store,
        compactCountsAfterMs: 0,
        keepCountsDays: (now - (cycleStart - 6 * HOUR)) / 86_400_000,
        onReclaimError: (err) => failures.push(err.message),
      });
      for (let minute = 0; minute < 6 * 60; minute++) {
        for (const route of ['orders', 'users', 'search']) writer.add({ ...mismatch(minute), route, at: new Date(cycleStart + minute * 60_000).toISOString() });
      }
      await writer.flush();
      sizes.push(await countTables());
    }
    expect(failures).toEqual([]);
    expect(await store.compactedThrough()).toEqual(new Date(firstHour + 6 * 6 * HOUR));
    // Pages emptied by one cycle are reused by the next ones (an index's, once a later vacuum frees them).
    expect(sizes[5]! / sizes[3]!).toBeLessThan(1.1);
  }, 60000);
});

function mismatch(n: number): ComparisonRecord {
  return {
    requestId: `req-${n}`,
    route: 'orders',
    method: 'GET',
    target: `/api/orders/${n}`,
    at: new Date().toISOString(),
    result: 'mismatch',
    legacyStatus: 200,
    candidateStatus: 200,
    legacyMs: 10 + (n % 50),
    candidateMs: 12 + (n % 70),
    differences: [{ path: '$.orders[*].note', kind: 'changed', legacy: randomBytes(300).toString('hex'), candidate: randomBytes(300).toString('hex') }],
    noise: [],
  };
}
