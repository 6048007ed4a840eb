/**
 * A real `strangler proxy` process (dist: run `npx tsc -p tsconfig.json` first) shadowing to loopback
 * upstreams: large exchanges are compared on its comparison worker, small ones on its event loop.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { ComparisonRecord } from '../../core/comparison';
import { PostgresDatabase } from '../../core/db/postgres';
import { OFF_LOOP_BODY_BYTES, OFF_LOOP_ENCODED_BYTES } from '../../diff-reader/comparator';
import { SqlComparisonStore } from '../../diff-reader/store/sql-comparison-store';
import { adminCall } from '../helpers/admin-call';
import { eventually } from '../helpers/eventually';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, proxyYaml, startProxyProcess, tempDir, writeConfig, type ProxyProcess } from '../helpers/proxy-process';
import { startUpstream, type TestUpstream } from '../helpers/upstream';

type Side = 'legacy' | 'orders';

/** An order list of `count` items (~75 bytes each); the new service prices the last item differently. */
function orderList(count: number, side: Side): string {
  const items = Array.from({ length: count }, (_, i) => ({ id: i, sku: `sku-${i}`, details: { price: side === 'orders' && i === count - 1 ? 42 : i + 0.5, tags: ['a', 'b'] } }));
  return JSON.stringify({ count, items });
}

/** Hardly compressible (random hex), so its gzip is larger than OFF_LOOP_ENCODED_BYTES on its own. */
const BLOB = randomBytes(12 * 1024).toString('hex');
const BODIES: Record<string, Record<Side, Buffer>> = {};
function body(path: string, side: Side): Buffer {
  const made = (BODIES[path] ??= {
    legacy: Buffer.from(bodyText(path, 'legacy')),
    orders: Buffer.from(bodyText(path, 'orders')),
  });
  return made[side];
}

function bodyText(path: string, side: Side): string | Buffer {
  switch (path) {
    case '/api/orders/big':
      return orderList(14000, side);
    case '/api/orders/huge':
      return orderList(110000, side);
    case '/api/orders/gzip':
      return gzipSync(JSON.stringify({ blob: BLOB, records: [{ id: 1, status: 'ok' }, { id: 2, status: side === 'orders' ? 'late' : 'ok' }] }));
    default:
      return JSON.stringify({ path, total: side === 'orders' ? 11 : 10, padding: 'p'.repeat(900) });
  }
}

function serve(side: Side): (req: { url?: string }, res: ServerResponse) => void {
  return (req, res) => {
    const path = req.url ?? '/';
    res.writeHead(200, { 'content-type': 'application/json', ...(path === '/api/orders/gzip' ? { 'content-encoding': 'gzip' } : {}) });
    res.end(body(path, side));
  };
}

describe('strangler proxy: large exchanges compared on the comparison worker, off the event loop', () => {
  let database: TestDatabase;
  let legacy: TestUpstream;
  let orders: TestUpstream;
  let dir: ReturnType<typeof tempDir>;
  let proxy: ProxyProcess;

  const admin = (path: string): ReturnType<typeof adminCall> => adminCall(proxy.adminUrl, 'GET', path, undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });
  const offLoop = async (): Promise<number> => {
    const line = (await admin('/metrics')).text.split('\n').find((l) => l.startsWith('strangler_shadow_comparisons_off_loop_total{route="orders"} '));
    return Number(line?.split(' ')[1]);
  };
  /** The comparison of request `id`, once its exchange was handed over (GET /comparisons waits for the worker). */
  const comparison = async (id: string, timeoutMs = 10000): Promise<ComparisonRecord> => {
    let record: ComparisonRecord | undefined;
    await eventually(async () => {
      const reply = await admin(`/comparisons/${id}`);
      if (reply.status === 200) record = reply.json as unknown as ComparisonRecord;
      return record !== undefined;
    }, timeoutMs);
    return record!;
  };
  /** Sends GET `path` through the proxy; resolves with what the client got. */
  const get = async (path: string, id: string): Promise<Buffer> => {
    const response = await fetch(`${proxy.proxyUrl}${path}`, { headers: { 'x-request-id': id } });
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    legacy = await startUpstream('legacy', serve('legacy'));
    orders = await startUpstream('orders', serve('orders'));
    dir = tempDir('strangler-off-loop-');
    const routesYaml = [
      '  - name: orders',
      '    match: { path: /api/orders }',
      '    service: orders',
      '    stage: shadow',
      '    shadow: { sample: 1, noiseSample: 0, maxBodyBytes: 16777216, headers: [content-type] }',
    ].join('\n');
    proxy = await startProxyProcess(writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: orders.url, stateUrl: database.url, routesYaml })));
  }, 60000);

  afterAll(async () => {
    await proxy?.stop();
    await legacy.close();
    await orders.close();
    await database.drop();
    dir.remove();
  });

  test('a 1 MB JSON answer is compared on the worker: one mismatch, deep inside, at its templated path with both values', async () => {
    expect(body('/api/orders/big', 'legacy').length).toBeGreaterThan(1_000_000);
    expect(await offLoop()).toBe(0);
    expect(JSON.parse((await get('/api/orders/big', 'big-1')).toString())).toEqual(JSON.parse(body('/api/orders/big', 'legacy').toString()));
    const record = await comparison('big-1');
    expect(record).toMatchObject({ result: 'mismatch', legacyStatus: 200, candidateStatus: 200, noise: [] });
    expect(record.differences).toEqual([{ path: '$.items[*].details.price', kind: 'changed', legacy: '13999.5', candidate: '42' }]);
    expect(await offLoop()).toBe(1);
  });

  test('a 1 KB answer is compared inline, as before', async () => {
    const before = await offLoop();
    await get('/api/orders/small', 'small-1');
    expect((await comparison('small-1')).differences).toEqual([{ path: '$.total', kind: 'changed', legacy: '10', candidate: '11' }]);
    expect(await offLoop()).toBe(before);
  });

  test('a gzip answer from 8 KiB (bodies together under 64 KiB) goes to the worker, decoded there and compared', async () => {
    const [a, b] = [body('/api/orders/gzip', 'legacy'), body('/api/orders/gzip', 'orders')];
    expect(a.length).toBeGreaterThanOrEqual(OFF_LOOP_ENCODED_BYTES);
    expect(a.length + b.length).toBeLessThan(OFF_LOOP_BODY_BYTES);
    const before = await offLoop();
    // fetch decodes it: the client got legacy's answer.
    expect(JSON.parse((await get('/api/orders/gzip', 'gzip-1')).toString())).toMatchObject({ blob: BLOB, records: [{ status: 'ok' }, { status: 'ok' }] });
    expect((await comparison('gzip-1')).differences).toEqual([{ path: '$.records[*].status', kind: 'changed', legacy: '"ok"', candidate: '"late"' }]);
    expect(await offLoop()).toBe(before + 1);
  });

  test('with an 8 MB comparison handed to the worker, the proxy answers the next request, and the comparison still arrives', async () => {
    const before = await offLoop();
    await get('/api/orders/huge', 'huge-1');
    // Handed to the worker (counted when sent)...
    await eventually(async () => (await offLoop()) === before + 1, 10000);
    // ...the proxy answers a request meanwhile, from legacy, and compares it...
    expect((await get('/api/orders/ping', 'ping-1')).toString()).toBe(body('/api/orders/ping', 'legacy').toString());
    expect((await comparison('ping-1')).result).toBe('mismatch');
    // ...and the large comparison is as it should be.
    const huge = await comparison('huge-1', 20000);
    expect(huge.differences).toEqual([{ path: '$.items[*].details.price', kind: 'changed', legacy: '109999.5', candidate: '42' }]);
  }, 40000);

  test('a graceful stop waits for the comparison in the worker, stores it, and ends with the worker', async () => {
    const before = await offLoop();
    await get('/api/orders/huge', 'huge-at-stop');
    await eventually(async () => (await offLoop()) === before + 1, 10000);
    expect(await proxy.stop()).toBe(0);
    const db = new PostgresDatabase({ url: database.url });
    try {
      expect(await new SqlComparisonStore(db).get('huge-at-stop')).toMatchObject({ result: 'mismatch', differences: [{ path: '$.items[*].details.price' }] });
    } finally {
      await db.close();
    }
  }, 40000);
});
