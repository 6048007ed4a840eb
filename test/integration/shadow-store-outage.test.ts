import pino from 'pino';
import { parseConfig } from '../../core/config';
import { startProxy, type RunningProxy } from '../../proxy/start';
import { eventually } from '../helpers/eventually';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { TcpRelay } from '../helpers/tcp-relay';
import { startUpstream, type TestUpstream } from '../helpers/upstream';

const TOKEN = 'outage-admin-token';

describe('shadow while the state store is down: comparisons are dropped and counted, requests never', () => {
  let database: TestDatabase;
  let relay: TcpRelay;
  let legacy: TestUpstream;
  let candidate: TestUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    database = await createTestDatabase();
    const relayed = await TcpRelay.inFront(database.url);
    relay = relayed.relay;
    legacy = await startUpstream('legacy');
    candidate = await startUpstream('orders');
    const yaml = [
      'listen: { host: 127.0.0.1, port: 0 }',
      `admin: { port: 0, token: ${TOKEN} }`,
      `state: { url: "${relayed.url}", pollMs: 100 }`,
      'upstreams:',
      `  legacy: { url: "${legacy.url}" }`,
      `  orders: { url: "${candidate.url}" }`,
      'routes:',
      '  - name: orders',
      '    match: { path: /api/orders }',
      '    service: orders',
      '    stage: shadow',
      '    shadow: { sample: 1, noiseSample: 0 }',
    ].join('\n');
    proxy = await startProxy(parseConfig(yaml, 'outage.yaml', {}), pino({ level: 'silent' }));
  });

  afterAll(async () => {
    await relay.restore();
    await proxy.stop();
    await Promise.all([legacy.close(), candidate.close(), relay.close()]);
    await database.drop();
  });

  const admin = async (path: string): Promise<{ status: number; text: string }> => {
    const response = await fetch(`http://127.0.0.1:${proxy.adminAddress.port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: response.status, text: await response.text() };
  };
  const get = async (n: number): Promise<{ status: number; servedBy: string }> => {
    const response = await fetch(`http://127.0.0.1:${proxy.proxyAddress.port}/api/orders/${n}`, { headers: { 'x-request-id': `outage-${n}` } });
    return { status: response.status, servedBy: ((await response.json()) as { servedBy: string }).servedBy };
  };

  test('stored before the outage, dropped as store-error on the route during it, stored again after; every client served by legacy', async () => {
    for (let n = 0; n < 5; n++) expect(await get(n)).toEqual({ status: 200, servedBy: 'legacy' });
    await eventually(async () => (await admin('/comparisons/outage-4')).status === 200, 5000);

    await relay.cut();
    const during = await Promise.all(Array.from({ length: 10 }, (_, i) => get(100 + i)));
    expect(during).toEqual(Array.from({ length: 10 }, () => ({ status: 200, servedBy: 'legacy' })));
    await eventually(async () => /strangler_shadow_dropped_total\{route="orders",reason="store-error"\} 10\b/.test((await admin('/metrics')).text), 10000, 50);
    // Compared all the same (the demo upstreams answer with their own servedBy: a mismatch each time).
    expect((await admin('/metrics')).text).toContain('strangler_shadow_comparisons_total{route="orders",result="mismatch"} 15');

    await relay.restore();
    await eventually(async () => {
      await get(200);
      return (await admin('/comparisons/outage-200')).status === 200;
    }, 10000, 200);
    expect((await admin('/comparisons/outage-105')).status).toBe(404);
  }, 30000);
});
