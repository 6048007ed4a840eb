import { resolve } from 'node:path';
import { Registry } from 'prom-client';
import pino from 'pino';
import { SqlComparisonStore } from '../../diff-reader/store/sql-comparison-store';
import type { ShadowExchange } from '../../proxy/shadow';
import { COMPARE_BATCH, COMPARE_EVERY_MS, startShadowComparisons } from '../../proxy/shadow-comparisons';
import { ShadowMetrics } from '../../proxy/shadow-metrics';
import { routeConfig, shadowConfig, testConfig, upstreamConfig } from '../helpers/config';
import { withMigratedDatabase } from '../helpers/postgres';

/** The compiled comparison worker (jest runs the sources, where comparisons are inline): `npx tsc -p tsconfig.json` first. */
const COMPARE_WORKER = resolve(__dirname, '../../dist/diff-reader/compare-worker.js');

const SHADOW = shadowConfig();
const ROUTE = routeConfig('orders', '/api/orders', { stage: 'shadow', shadow: SHADOW });
const CONFIG = testConfig([upstreamConfig('legacy', 'http://127.0.0.1:1'), upstreamConfig('orders', 'http://127.0.0.1:2')], [ROUTE]);

function exchange(n: number, candidateTotal: number): ShadowExchange {
  const answer = (total: number): ShadowExchange['legacy'] => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ id: n, total })),
    ms: 1,
  });
  return { route: ROUTE, shadow: SHADOW, requestId: `req-${n}`, method: 'GET', target: `/api/orders/${n}`, at: new Date(), legacy: answer(10), candidate: answer(candidateTotal) };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('shadow comparisons: finished exchanges are compared together, off the request path', () => {
  test('a busy turn is compared at its end, a quiet one within COMPARE_EVERY_MS, a trickle once COMPARE_BATCH wait, and flush() compares what waits', async () => {
    await withMigratedDatabase(async (db) => {
      const store = new SqlComparisonStore(db);
      const registry = new Registry();
      const comparisons = startShadowComparisons(CONFIG, store, new ShadowMetrics(registry), pino({ level: 'silent' }));
      const compared = async (): Promise<number> => {
        const metric = registry.getSingleMetric('strangler_shadow_comparisons_total');
        return (await metric!.get()).values.reduce((sum, value) => sum + value.value, 0);
      };

      // Never compared on the caller's stack: the copy's response handler hands over and returns.
      comparisons.onExchange(exchange(1, 10));
      expect(await compared()).toBe(0);
      // A quiet turn (fewer than COMPARE_BATCH): it waits for the others finishing within COMPARE_EVERY_MS.
      await turn();
      expect(await compared()).toBe(0);
      await sleep(COMPARE_EVERY_MS * 3);
      expect(await compared()).toBe(1);

      // A busy turn is compared at its end.
      for (let n = 2; n < 2 + COMPARE_BATCH; n++) comparisons.onExchange(exchange(n, n % 2 ? 10 : 11));
      await turn();
      expect(await compared()).toBe(1 + COMPARE_BATCH);

      // Exchanges trickling in one a turn wait, until COMPARE_BATCH do: those go at that turn's end.
      for (let n = 0; n < COMPARE_BATCH - 1; n++) {
        comparisons.onExchange(exchange(50 + n, 10));
        await turn();
      }
      expect(await compared()).toBe(1 + COMPARE_BATCH);
      comparisons.onExchange(exchange(50 + COMPARE_BATCH, 10));
      await turn();
      expect(await compared()).toBe(1 + 2 * COMPARE_BATCH);

      // flush() (a report, a graceful stop) compares what still waits before writing it.
      comparisons.onExchange(exchange(100, 12));
      await comparisons.flush();
      expect(await store.get('req-100')).toMatchObject({ result: 'mismatch', differences: [{ path: '$.total', kind: 'changed' }] });
      const { counts } = await store.readCounts({});
      expect(counts.reduce((sum, count) => sum + count.comparisons, 0)).toBe(2 + 2 * COMPARE_BATCH);
      // Nothing is compared twice once the timer armed for it fires.
      await sleep(COMPARE_EVERY_MS * 3);
      expect(await compared()).toBe(2 + 2 * COMPARE_BATCH);
    });
  });
});

describe('shadow comparisons of large exchanges: on the comparison worker, bounded', () => {
  /** An exchange whose bodies hold about `kib` KiB each, the new service's total off by one. */
  function large(n: number, kib: number): ShadowExchange {
    const base = exchange(n, 11);
    const filler = 'x'.repeat(kib * 1024);
    const body = (total: number): Buffer => Buffer.from(JSON.stringify({ id: n, filler, total }));
    return { ...base, legacy: { ...base.legacy, body: body(10) }, candidate: { ...base.legacy, body: body(11) } };
  }

  test('exchanges past the bytes the worker may have waiting are dropped (compare-backlog); the others compared there', async () => {
    await withMigratedDatabase(async (db) => {
      const store = new SqlComparisonStore(db);
      const registry = new Registry();
      // Room for two exchanges of 2 × 100 KiB: the batch below hands over five within one turn.
      const comparisons = startShadowComparisons(CONFIG, store, new ShadowMetrics(registry), pino({ level: 'silent' }), { script: COMPARE_WORKER, maxBacklogBytes: 450 * 1024 });
      // Pre-created for each shadowed route.
      expect(await registry.metrics()).toContain('strangler_shadow_comparisons_off_loop_total{route="orders"} 0');

      for (let n = 1; n <= 5; n++) comparisons.onExchange(large(n, 100));
      await comparisons.flush();

      const metrics = await registry.metrics();
      expect(metrics).toContain('strangler_shadow_dropped_total{route="orders",reason="compare-backlog"} 3');
      expect(metrics).toContain('strangler_shadow_comparisons_off_loop_total{route="orders"} 2');
      expect(metrics).toContain('strangler_shadow_comparisons_total{route="orders",result="mismatch"} 2');
      for (const n of [1, 2]) expect(await store.get(`req-${n}`)).toMatchObject({ result: 'mismatch', differences: [{ path: '$.total', kind: 'changed', legacy: '10', candidate: '11' }] });
      for (const n of [3, 4, 5]) expect(await store.get(`req-${n}`)).toBeUndefined();

      // Once those are compared, the worker takes exchanges again; a small one is still compared inline.
      comparisons.onExchange(large(6, 100));
      comparisons.onExchange(exchange(7, 12));
      await comparisons.flush();
      expect(await store.get('req-6')).toMatchObject({ result: 'mismatch' });
      expect(await store.get('req-7')).toMatchObject({ result: 'mismatch', differences: [{ path: '$.total', kind: 'changed', legacy: '10', candidate: '12' }] });
      expect(await registry.metrics()).toContain('strangler_shadow_comparisons_off_loop_total{route="orders"} 3');
      await comparisons.stop();
    });
  });
});
