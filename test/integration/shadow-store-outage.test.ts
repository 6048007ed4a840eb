import pino from 'pino';
import { parseConfig } from '../../core/config';
import { startProxy, STORE_STOP_MS, type RunningProxy } from '../../proxy/start';
import { eventually } from '../helpers/eventually';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, startProxyProcess, tempDir, writeConfig, type ProxyProcess } from '../helpers/proxy-process';
import { TcpRelay } from '../helpers/tcp-relay';
import { startUpstream, type TestUpstream } from '../helpers/upstream';

const TOKEN = 'outage-admin-token';

describe('shadow while the state store is down: comparisons are dropped and counted, requests never', () => {
  let database: TestDatabase;
  let relay: TcpRelay;
  let legacy: TestUpstream;
  let candidate: TestUpstream;
  let proxy: RunningProxy;
  const logs: Array<{ level: number; msg: string; dropped?: number }> = [];

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
    const logStream = { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string; dropped?: number }) };
    proxy = await startProxy(parseConfig(yaml, 'outage.yaml', {}), pino({ level: 'info' }, logStream));
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

  const metric = async (name: string, labels: string): Promise<number> => {
    const line = (await admin('/metrics')).text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  const storeErrors = (): Promise<number> => metric('strangler_shadow_dropped_total', 'route="orders",reason="store-error"');
  const mismatches = (): Promise<number> => metric('strangler_shadow_comparisons_total', 'route="orders",result="mismatch"');
  const storeLogs = (): string[] => logs.filter((l) => l.msg.startsWith('comparison store')).map((l) => `${l.level} ${l.msg}${l.dropped === undefined ? '' : ` (${l.dropped})`}`);

  test('stored before the outage, dropped as store-error on the route during it, stored again after; every client served by legacy', async () => {
    // Until one comparison is stored: the writer's first connection may be slow on a busy machine.
    let n = 0;
    await eventually(async () => {
      expect(await get(n)).toEqual({ status: 200, servedBy: 'legacy' });
      return (await admin(`/comparisons/outage-${n++}`)).status === 200;
    }, 15000, 100);
    // Writes are in order, so every earlier comparison is settled (stored, or dropped and counted) by now.
    const errorsBefore = await storeErrors();
    const mismatchesBefore = await mismatches();
    const logsBefore = storeLogs().length;

    await relay.cut();
    const during = await Promise.all(Array.from({ length: 10 }, (_, i) => get(1000 + i)));
    expect(during).toEqual(Array.from({ length: 10 }, () => ({ status: 200, servedBy: 'legacy' })));
    await eventually(async () => (await storeErrors()) === errorsBefore + 10, 10000, 50);
    // Compared all the same (the demo upstreams answer with their own servedBy: a mismatch each time).
    expect(await mismatches()).toBe(mismatchesBefore + 10);

    await relay.restore();
    await eventually(async () => {
      await get(2000);
      return (await admin('/comparisons/outage-2000')).status === 200;
    }, 10000, 200);
    expect((await admin('/comparisons/outage-1005')).status).toBe(404);
    // The outage is logged once when it begins and once when it ends, not per batch.
    expect(storeLogs().slice(logsBefore)).toEqual([
      '40 comparison store unreachable: comparisons are dropped (counted as store-error) until it is back',
      `30 comparison store reachable again (${(await storeErrors()) - errorsBefore})`,
    ]);
  }, 45000);
});

describe('a state store that stops answering (a partition, a frozen host) does not keep a replica from stopping', () => {
  test('SIGTERM: the process ends, exit 0, within the store deadline after the drain, saying what was not written', async () => {
    const database = await createTestDatabase();
    const { relay, url } = await TcpRelay.inFront(database.url);
    const legacy = await startUpstream('legacy');
    const candidate = await startUpstream('orders');
    const dir = tempDir('strangler-frozen-store-');
    let proxy: ProxyProcess | undefined;
    try {
      const config = writeConfig(
        dir.path,
        [
          'listen: { host: 127.0.0.1, port: 0 }',
          `admin: { host: 127.0.0.1, port: 0, token: "${ADMIN_TOKEN}" }`,
          `state: { url: "${url}", pollMs: 200 }`,
          'upstreams:',
          `  legacy: { url: "${legacy.url}" }`,
          `  orders: { url: "${candidate.url}" }`,
          'routes:',
          '  - { name: orders, match: { path: /api/orders }, service: orders, stage: shadow, shadow: { sample: 1, noiseSample: 0 } }',
          '',
        ].join('\n'),
      );
      proxy = await startProxyProcess(config);
      for (let i = 0; i < 5; i++) expect((await fetch(`${proxy.proxyUrl}/api/orders/${i}`)).status).toBe(200);
      relay.freeze();
      const signalled = Date.now();
      const code = await proxy.stop('SIGTERM');
      expect(code).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(STORE_STOP_MS + 5000);
      expect(proxy.logs.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain(
        'the state store did not answer while stopping: comparisons and counts not yet written are lost',
      );
      expect(proxy.stdout()).toMatch(/strangler proxy stopped \(SIGTERM\)\n$/);
    } finally {
      if (proxy) await proxy.stop('SIGKILL');
      relay.thaw();
      await Promise.all([legacy.close(), candidate.close(), relay.close()]);
      dir.remove();
      await database.drop();
    }
  }, 30000);
});
