/**
 * The comparison worker, compiled (run `npx tsc -p tsconfig.json` first): jest runs the TypeScript sources,
 * where the proxy compares inline, so the pool is pointed at dist/diff-reader/compare-worker.js here.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ComparisonRecord } from '../../core/comparison';
import type { ShadowConfig } from '../../core/config/types';
import { Comparator, comparedOffLoop, OFF_LOOP_BODY_BYTES, OFF_LOOP_ENCODED_BYTES, type ComparisonInput } from '../../diff-reader/comparator';
import { ComparePool, WorkerStoppedError, type CompareJob } from '../../diff-reader/compare-pool';
import { routeConfig, shadowConfig } from '../helpers/config';

const DIST = resolve(__dirname, '../../dist');
const WORKER = resolve(DIST, 'diff-reader/compare-worker.js');
const JSON_TYPE = { 'content-type': 'application/json' };
const SHADOW = shadowConfig({ ignore: ['$.meta.generatedAt'], unordered: ['$.tags'], numericTolerance: 0.01, headers: ['content-type'], noiseSample: 0.5 });
const ROUTE = routeConfig('orders', '/api/orders', { stage: 'shadow', shadow: SHADOW });

type Answer = ComparisonInput['legacy'];

function json(body: unknown, status = 200, headers: Record<string, string> = JSON_TYPE): Answer {
  return { status, headers, body: Buffer.from(JSON.stringify(body)), ms: 1.5 };
}

function gzipped(body: unknown): Answer {
  return { status: 200, headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(body)), ms: 2 };
}

function exchange(requestId: string, legacy: Answer, candidate: ComparisonInput['candidate'], secondary?: Answer, shadow: ShadowConfig = SHADOW): ComparisonInput {
  const route = shadow === SHADOW ? ROUTE : routeConfig('orders', '/api/orders', { stage: 'shadow', shadow });
  return { route, shadow, requestId, method: 'GET', target: `/api/orders/${requestId}`, at: new Date(), legacy, candidate, ...(secondary ? { secondary } : {}) };
}

/** An order list of `count` items (~100 bytes each); `change` alters one item's price, deep inside. */
function orders(count: number, change?: { item: number; price: number }, at = 'fixed'): unknown {
  const items = Array.from({ length: count }, (_, i) => ({ id: i, sku: `sku-${i}`, details: { price: change?.item === i ? change.price : i + 0.5, tags: ['a', 'b'] } }));
  return { meta: { generatedAt: new Date().toISOString(), at }, tags: ['x', 'y', 'z'], items };
}

function job(legacy: Answer, candidate: Answer, secondary?: Answer): CompareJob {
  return { route: 'orders', options: { headers: ['content-type'] }, legacy, candidate, ...(secondary ? { secondary } : {}) };
}

const pools: ComparePool[] = [];
function pool(options: ConstructorParameters<typeof ComparePool>[0] = {}): ComparePool {
  const made = new ComparePool({ script: WORKER, ...options });
  pools.push(made);
  return made;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

describe('which exchanges are compared off the event loop', () => {
  test(`bodies together from ${OFF_LOOP_BODY_BYTES} bytes, or one content-encoded body from ${OFF_LOOP_ENCODED_BYTES}; a failed new service never`, () => {
    const plain = (bytes: number): Answer => ({ status: 200, headers: JSON_TYPE, body: Buffer.alloc(bytes, 0x20), ms: 1 });
    const encoded = (bytes: number, coding: string): Answer => ({ status: 200, headers: { 'content-encoding': coding }, body: Buffer.alloc(bytes), ms: 1 });
    const half = OFF_LOOP_BODY_BYTES / 2;
    expect(comparedOffLoop(exchange('a', plain(half), plain(half)))).toBe(true);
    expect(comparedOffLoop(exchange('b', plain(half), plain(half - 1)))).toBe(false);
    // A noise sample counts, unless its status makes it no sample (it is not compared then).
    expect(comparedOffLoop(exchange('c', plain(half / 2), plain(half / 2), plain(half)))).toBe(true);
    expect(comparedOffLoop(exchange('d', plain(half / 2), plain(half / 2), { ...plain(half), status: 503 }))).toBe(false);
    expect(comparedOffLoop(exchange('e', encoded(OFF_LOOP_ENCODED_BYTES, 'gzip'), plain(10)))).toBe(true);
    expect(comparedOffLoop(exchange('f', plain(10), encoded(OFF_LOOP_ENCODED_BYTES, ' BR ')))).toBe(true);
    expect(comparedOffLoop(exchange('g', encoded(OFF_LOOP_ENCODED_BYTES - 1, 'gzip'), plain(10)))).toBe(false);
    expect(comparedOffLoop(exchange('h', encoded(OFF_LOOP_ENCODED_BYTES, 'identity'), plain(10)))).toBe(false);
    expect(comparedOffLoop(exchange('i', plain(OFF_LOOP_BODY_BYTES), { error: 'refused', ms: 1 }))).toBe(false);
  });
});

describe('ComparePool: large comparisons on a worker thread', () => {
  test('the same exchanges compared inline and in the worker give equal records, the noise model learning alike', async () => {
    const large = 1000;
    const exchanges: ComparisonInput[] = [
      exchange('deep', json(orders(large)), json(orders(large, { item: 700, price: 99 }))),
      exchange('gzip', gzipped(orders(large)), json(orders(large, { item: 3, price: 7 }))),
      exchange('tolerated', json(orders(large)), json({ ...(orders(large) as object), tags: ['z', 'x', 'y'] })),
      exchange('failed', json(orders(large)), json({ error: 'boom' }, 503)),
      exchange('refused', json(orders(large)), { error: 'the new service refused the connection', ms: 3 }),
      exchange('undecodable', { ...json(orders(large)), headers: { ...JSON_TYPE, 'content-encoding': 'compress' } }, { ...json(orders(large, { item: 1, price: 2 })), headers: { ...JSON_TYPE, 'content-encoding': 'compress' } }),
      exchange('html', { status: 200, headers: { 'content-type': 'text/html' }, body: Buffer.from(`<html>\n${'<p>x</p>\n'.repeat(9000)}<p>a</p></html>`), ms: 1 }, { status: 200, headers: { 'content-type': 'text/html' }, body: Buffer.from(`<html>\n${'<p>x</p>\n'.repeat(9000)}<p>b</p></html>`), ms: 1 }),
      // Legacy varies $.meta.at with itself: per request noise, then learned (the default thresholds: 3 times).
      ...[1, 2, 3, 4].map((n) => exchange(`sampled-${n}`, json(orders(large, undefined, 't1')), json(orders(large, undefined, 't2')), json(orders(large, undefined, 't3')))),
      exchange('learned', json(orders(large, undefined, 't1')), json(orders(large, undefined, 't9'))),
      exchange('no-sample', json(orders(large, undefined, 't1')), json(orders(large, { item: 5, price: 1 }, 't1')), json({ error: 'overloaded' }, 503)),
    ];
    for (const input of exchanges) expect([input.requestId, comparedOffLoop(input)]).toEqual([input.requestId, !('error' in input.candidate)]);

    const inline = new Comparator();
    const expected = exchanges.map((input) => inline.compare(input));
    const offLoop = new Comparator();
    const workers = pool();
    const records: ComparisonRecord[] = [];
    for (const input of exchanges) records.push(await offLoop.compareOffLoop(input, workers)!);

    expect(records).toEqual(expected);
    // Not trivially equal: every outcome is among them, the deep difference at its templated path.
    expect(new Set(records.map((r) => r.result))).toEqual(new Set(['match', 'mismatch', 'noise', 'error']));
    expect(records[0]!.differences).toEqual([{ path: '$.items[*].details.price', kind: 'changed', legacy: '700.5', candidate: '99' }]);
    expect(records.find((r) => r.requestId === 'learned')!.result).toBe('noise');
    expect(workers.backlogBytes).toBe(0);
  });

  test('bodies waiting for the worker are bounded: past maxBacklogBytes a job is not taken; alone, any job is', async () => {
    const body = json(orders(300));
    const size = body.body.length;
    const workers = pool({ maxBacklogBytes: 5 * size });
    // Taken synchronously, before the worker could answer any: two jobs (4 bodies) fit in 5 bodies' worth, a third does not.
    const first = workers.compare(job(body, body));
    const second = workers.compare(job(body, body));
    const third = workers.compare(job(body, body));
    expect([first === undefined, second === undefined, third === undefined]).toEqual([false, false, true]);
    expect(workers.backlogBytes).toBe(4 * size);
    expect(await first).toEqual({ candidate: [] });
    expect(await second).toEqual({ candidate: [] });
    expect(workers.backlogBytes).toBe(0);
    const huge = json(orders(2000));
    expect(huge.body.length * 2).toBeGreaterThan(5 * size);
    expect(await workers.compare(job(huge, huge))).toEqual({ candidate: [] });
  });

  test('a worker that stops fails the comparisons it held, once, as errors; the next comparison starts another worker', async () => {
    const stops: Array<{ message: string; comparisons: number }> = [];
    const workers = pool({ onWorkerStopped: (error, comparisons) => stops.push({ message: error.message, comparisons }) });
    const comparator = new Comparator();
    const big = exchange('lost-1', json(orders(3000)), json(orders(3000, { item: 2999, price: 1 })));
    const lost = [comparator.compareOffLoop(big, workers)!, comparator.compareOffLoop({ ...big, requestId: 'lost-2' }, workers)!];
    const first = workers.worker!;
    await first.terminate();
    const records = await Promise.all(lost);
    const stopped = /^the comparison worker stopped: it exited with code \d+$/;
    expect(records.map((r) => [r.requestId, r.result, r.error, r.candidateStatus])).toEqual([
      ['lost-1', 'error', expect.stringMatching(stopped), 200],
      ['lost-2', 'error', expect.stringMatching(stopped), 200],
    ]);
    expect(stops).toEqual([{ message: records[0]!.error, comparisons: 2 }]);
    expect(workers.worker).toBeUndefined();
    expect(workers.backlogBytes).toBe(0);

    const next = await comparator.compareOffLoop({ ...big, requestId: 'after' }, workers)!;
    expect(next).toMatchObject({ result: 'mismatch', differences: [{ path: '$.items[*].details.price', kind: 'changed', legacy: '2999.5', candidate: '1' }] });
    expect(workers.worker).toBeDefined();
    expect(workers.worker).not.toBe(first);
    expect(stops).toHaveLength(1);
  });

  test("stop() terminates the worker; what it still held fails, without being taken for the worker's death", async () => {
    const stops: string[] = [];
    const workers = pool({ onWorkerStopped: (error) => stops.push(error.message) });
    const held = workers.compare(job(json(orders(3000)), json(orders(3000))))!;
    const worker = workers.worker!;
    const exited = new Promise<boolean>((resolveExit) => worker.once('exit', () => resolveExit(true)));
    const failed = expect(held).rejects.toEqual(new WorkerStoppedError('the proxy is stopping'));
    await workers.stop();
    await failed;
    expect(await exited).toBe(true);
    expect(workers.worker).toBeUndefined();
    expect(stops).toEqual([]);
  });

  test('the worker never holds the process open (unref): a process that compared and forgot to stop exits on its own', () => {
    const script = `
      const { ComparePool } = require('./diff-reader/compare-pool');
      const pool = new ComparePool();
      const waiting = setInterval(() => undefined, 1000);
      const answer = { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1}') };
      pool.compare({ route: 'r', options: {}, legacy: answer, candidate: { ...answer, body: Buffer.from('{"a":2}') } })
        .then((outcome) => {
          process.stdout.write(JSON.stringify(outcome));
          clearInterval(waiting);
        });
    `;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: DIST, encoding: 'utf8', timeout: 15000 });
    expect(run.stderr).toBe('');
    expect([run.status, run.signal]).toEqual([0, null]);
    expect(JSON.parse(run.stdout)).toEqual({ candidate: [{ path: '$.a', kind: 'changed', legacy: '1', candidate: '2' }] });
  });
});
