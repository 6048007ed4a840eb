/**
 * Large diff reports are built on a worker thread (ReportPool), off the proxy's event loop. The worker is
 * compiled (run `npx tsc -p tsconfig.json` first): jest runs the TypeScript sources, where the admin API
 * builds inline, so the pool is pointed at dist/diff-reader/report/report-worker.js here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { ComparisonCount, ComparisonRecord, LatencyCount } from '../../core/comparison';
import { EmbeddedDatabase } from '../../core/db/embedded';
import type { FlagProvider } from '../../core/flags';
import { LatencySketch } from '../../core/latency-sketch';
import { OFF_LOOP_REPORT_ROWS, readDiffReport, ReportPool, type DiffReport } from '../../diff-reader/report';
import { SqlComparisonStore } from '../../diff-reader/store/sql-comparison-store';
import { buildAdminApi } from '../../proxy/admin';
import { migrate } from '../../rollout/migrations';

const WORKER = resolve(__dirname, '../../dist/diff-reader/report/report-worker.js');
const TOKEN = 'report-worker-test-token';
const NOW = Date.UTC(2026, 10, 24, 12);
const MINUTES = 1440;

/** A day of two routes: matches, mismatches at a few fields, noise and errors each minute; examples kept. */
function seedData(): { counts: ComparisonCount[]; latency: LatencyCount[]; records: ComparisonRecord[] } {
  const counts: ComparisonCount[] = [];
  const latency: LatencyCount[] = [];
  const records: ComparisonRecord[] = [];
  const sketch = new LatencySketch();
  for (let i = 1; i <= 200; i++) sketch.add(i / 4);
  for (const route of ['orders', 'users']) {
    for (let m = 0; m < MINUTES; m++) {
      const minute = new Date(NOW - (MINUTES - m) * 60_000).toISOString();
      const path = `$.items[*].f${m % 7}`;
      counts.push(
        { route, minute, result: 'match', differences: [], noise: [], error: null, comparisons: 20 },
        { route, minute, result: 'mismatch', differences: [{ path, kinds: ['changed'] }], noise: [], error: null, comparisons: 1 + (m % 3) },
      );
      if (m % 5 === 0) counts.push({ route, minute, result: 'noise', differences: [], noise: [{ path: '$.generatedAt', kinds: ['changed'] }], error: null, comparisons: 2 });
      if (m % 60 === 0) counts.push({ route, minute, result: 'error', differences: [], noise: [], error: 'new service timed out', comparisons: 1 });
      if (m % 10 === 0) {
        records.push({
          requestId: `${route}-${m}`,
          route,
          method: 'GET',
          target: `/api/${route}/${m}`,
          at: new Date(Date.parse(minute) + 1000).toISOString(),
          result: 'mismatch',
          legacyStatus: 200,
          candidateStatus: 200,
          legacyMs: 3,
          candidateMs: 4,
          differences: [{ path, kind: 'changed', legacy: `${m}`, candidate: `"${m}"` }],
          noise: [],
        });
      }
    }
    for (const side of ['legacy', 'candidate'] as const) latency.push({ route, minute: new Date(NOW - MINUTES * 60_000).toISOString(), side, buckets: sketch.buckets() });
  }
  return { counts, latency, records };
}

let folder: string;
let db: EmbeddedDatabase;
let store: SqlComparisonStore;
const pools: ReportPool[] = [];

function pool(options: ConstructorParameters<typeof ReportPool>[0] = {}): ReportPool {
  const made = new ReportPool({ script: WORKER, ...options });
  pools.push(made);
  return made;
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'strangler-report-worker-'));
  db = await EmbeddedDatabase.open(folder);
  await migrate(db);
  store = new SqlComparisonStore(db);
  const { counts, latency, records } = seedData();
  await store.writeCounts({ counts, latency });
  await store.write(records);
}, 120000);

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  await db.close();
  rmSync(folder, { recursive: true, force: true });
});

const OPTIONS = { generatedAt: new Date(NOW), maxFields: 100, noiseThresholds: {}, configuredRoutes: ['orders'] };

describe('ReportPool: a diff report built on a worker thread', () => {
  test('the report built on the worker equals the one built inline, read from a real store', async () => {
    const inline = await readDiffReport(store, {}, OPTIONS);
    const workers = pool();
    const started: boolean[] = [];
    const offLoop = await readDiffReport(store, {}, OPTIONS, (input, options) => {
      expect(input.counts.length + input.examples.length).toBeGreaterThanOrEqual(OFF_LOOP_REPORT_ROWS);
      const report = workers.build(input, options);
      started.push(workers.worker !== undefined);
      return report;
    });
    expect(started).toEqual([true]);
    expect(offLoop).toEqual(inline);
    // What is checked is worth checking: both routes, their fields, examples and latency.
    expect(inline.routes.map((r) => [r.route, r.configured, r.fields.length, r.fields[0]!.examples.length > 0, r.latency.legacy.p50 !== null])).toEqual([
      ['orders', true, 8, true, true],
      ['users', false, 8, true, true],
    ]);
    const sinceAndRoute = { route: 'users', since: new Date(NOW - 6 * 3_600_000) };
    const small = await readDiffReport(store, sinceAndRoute, OPTIONS, (input, options) => workers.build(input, options));
    expect(small).toEqual(await readDiffReport(store, sinceAndRoute, OPTIONS));
  }, 60000);

  test('small reports stay inline; an idle worker is stopped, and the next large report starts another', async () => {
    const workers = pool({ idleMs: 50 });
    const built = await readDiffReport(store, { route: 'orders', since: new Date(NOW - 3_600_000) }, OPTIONS, (input, options) => workers.build(input, options));
    expect(built.routes[0]!.counts.comparisons).toBeGreaterThan(0);
    expect(workers.worker).toBeUndefined();
    await readDiffReport(store, {}, OPTIONS, (input, options) => workers.build(input, options));
    const first = workers.worker;
    expect(first).toBeDefined();
    await sleep(300);
    expect(workers.worker).toBeUndefined();
    await readDiffReport(store, {}, OPTIONS, (input, options) => workers.build(input, options));
    expect(workers.worker).toBeDefined();
    expect(workers.worker).not.toBe(first);
  }, 60000);

  test('what building throws in the worker is a one-line error; the worker goes on', async () => {
    const workers = pool({ minRows: 0 });
    const input = { counts: [], latency: [], examples: [] };
    await expect(workers.build(input, { generatedAt: new Date(NOW), buckets: 0 })).rejects.toThrow(/^diff report: buildDiffReport: buckets must be an integer ≥ 1, got 0$/);
    const worker = workers.worker;
    expect((await workers.build(input, { generatedAt: new Date(NOW) })).routes).toEqual([]);
    expect(workers.worker).toBe(worker);
  }, 60000);
});

describe('the admin API with a report worker that stops', () => {
  let app: FastifyInstance;
  let base: string;
  let workers: ReportPool;

  beforeAll(async () => {
    workers = pool();
    // The flag provider takes no part in diff reports.
    const flags = {} as FlagProvider;
    app = buildAdminApi({
      token: TOKEN,
      routes: [],
      flags,
      registry: new Registry(),
      isDraining: () => false,
      comparisons: { store, flush: async () => undefined, keepsMatches: false },
      reportPool: workers,
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app.close();
  });

  const report = (): Promise<Response> => fetch(`${base}/diff/report?fields=100`, { headers: { authorization: `Bearer ${TOKEN}` } });

  test('is answered 503 with one line while the worker is gone; the next report starts another worker and is whole', async () => {
    const answer = report();
    while (!workers.worker) await turn();
    await workers.worker.terminate();
    const failed = await answer;
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ error: expect.stringMatching(/^diff report: the report worker stopped: it exited with code \d+; try again$/) });

    const next = await report();
    expect(next.status).toBe(200);
    const body = (await next.json()) as DiffReport;
    const inline = await readDiffReport(store, {}, { ...OPTIONS, configuredRoutes: [], generatedAt: new Date(body.generatedAt) });
    expect(body).toEqual(JSON.parse(JSON.stringify(inline)));
    expect(workers.worker).toBeDefined();
  }, 60000);
});

describe('the report worker outside the proxy', () => {
  test('a report under way keeps the process alive until it is built; an idle worker does not keep it', () => {
    const script = `
      const { ReportPool } = require(${JSON.stringify(resolve(__dirname, '../../dist/diff-reader/report'))});
      const pool = new ReportPool({ minRows: 0, idleMs: 60000 });
      const minute = new Date(Date.UTC(2026, 10, 24, 12)).toISOString();
      const counts = [{ route: 'orders', minute, result: 'mismatch', differences: [{ path: '$.total', kinds: ['changed'] }], noise: [], error: null, comparisons: 3 }];
      pool.build({ counts, latency: [], examples: [] }, { generatedAt: new Date(), noiseThresholds: {} }).then((report) => console.log('built', report.routes.length));
    `;
    // Nothing else holds the event loop: without the worker's ref the process exited before the answer, printing nothing.
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
    expect([child.status, child.stdout, child.stderr]).toEqual([0, 'built 1\n', '']);
  });
});
