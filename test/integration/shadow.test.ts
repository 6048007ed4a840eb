import { request as httpRequest } from 'node:http';
import { DEFAULT_NOISE_THRESHOLDS } from '../../core/comparison';
import type { ShadowConfig } from '../../core/config/types';
import type { ShadowExchange } from '../../proxy/shadow';
import { routeConfig, testConfig, upstreamConfig } from '../helpers/config';
import { startProxyHarness, type ProxyHarness } from '../helpers/proxy-harness';
import { eventually } from '../helpers/eventually';
import { startUpstream, type TestUpstream } from '../helpers/upstream';

const SHADOW: ShadowConfig = {
  sample: 1,
  methods: ['GET', 'HEAD', 'POST'],
  ignore: [],
  maxBodyBytes: 64 * 1024,
  maxInFlight: 64,
  noiseSample: 0,
  noiseThresholds: { ...DEFAULT_NOISE_THRESHOLDS },
  unordered: false,
  numericTolerance: 0,
  headers: ['content-type'],
  onCanary: false,
};

function get(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('shadow traffic: legacy serves, a copy goes to the new service', () => {
  let legacy: TestUpstream;
  let slow: TestUpstream;
  let broken: TestUpstream;
  let proxy: ProxyHarness;
  const exchanges: ShadowExchange[] = [];

  beforeAll(async () => {
    legacy = await startUpstream('legacy', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ servedBy: 'legacy', url: req.url }));
    });
    slow = await startUpstream('slow', (req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ servedBy: 'slow', url: req.url }));
      }, req.url?.includes('sleep') ? 2000 : 0).unref();
    });
    broken = await startUpstream('broken', (req) => req.socket.destroy());
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('slow', slow.url, { timeoutMs: 5000 }), upstreamConfig('broken', broken.url)],
        [
          routeConfig('orders', '/api/orders', { stage: 'shadow', service: 'slow', shadow: SHADOW }),
          routeConfig('limited', '/api/limited', { stage: 'shadow', service: 'slow', shadow: { ...SHADOW, maxInFlight: 2 } }),
          routeConfig('reset', '/api/reset', { stage: 'shadow', service: 'broken', shadow: SHADOW }),
          routeConfig('noisy', '/api/noisy', { stage: 'shadow', service: 'slow', shadow: { ...SHADOW, noiseSample: 1 } }),
          routeConfig('canary', '/api/canary', { stage: 'canary', percent: 50, service: 'slow', stickiness: { kind: 'header', name: 'x-user-id' }, shadow: { ...SHADOW, onCanary: true } }),
        ],
      ),
      (exchange) => exchanges.push(exchange),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([legacy.close(), slow.close(), broken.close()]);
  });

  beforeEach(() => {
    exchanges.length = 0;
    legacy.requests.length = 0;
    slow.requests.length = 0;
  });

  test('a new service that sleeps 2 s does not delay the client, which gets legacy at legacy speed', async () => {
    const reply = await get(`${proxy.url}/api/orders/sleep`, { 'x-request-id': 'shadow-1' });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ servedBy: 'legacy', url: '/api/orders/sleep' });
    expect(reply.ms).toBeLessThan(500);
    expect(exchanges).toHaveLength(0);
    await eventually(() => exchanges.length === 1, 5000, 10);
    const exchange = exchanges[0]!;
    expect(exchange).toMatchObject({ requestId: 'shadow-1', method: 'GET', target: '/api/orders/sleep' });
    expect(exchange.legacy.status).toBe(200);
    expect(JSON.parse(exchange.legacy.body.toString())).toEqual({ servedBy: 'legacy', url: '/api/orders/sleep' });
    expect('status' in exchange.candidate && JSON.parse(exchange.candidate.body.toString())).toEqual({ servedBy: 'slow', url: '/api/orders/sleep' });
    expect(exchange.candidate.ms).toBeGreaterThanOrEqual(1900);
  });

  test('the copy carries x-strangler-shadow: 1, the same x-request-id and the new service as Host', async () => {
    await get(`${proxy.url}/api/orders/7`, { 'x-request-id': 'shadow-2', host: 'shop.example.com' });
    await eventually(() => slow.requests.length === 1 && exchanges.length === 1, 5000, 10);
    const copy = slow.requests[0]!;
    expect(copy.headers['x-strangler-shadow']).toBe('1');
    expect(copy.headers['x-request-id']).toBe('shadow-2');
    expect(copy.headers.host).toBe(new URL(slow.url).host);
    expect(copy.headers['x-forwarded-host']).toBe('shop.example.com');
    expect(legacy.requests[0]!.headers['x-strangler-shadow']).toBeUndefined();
  });

  test("the copy is written after legacy's request, never before it", async () => {
    const arrivals: string[] = [];
    const onLegacy = (): number => arrivals.push('legacy');
    const onNew = (): number => arrivals.push('new');
    legacy.server.prependListener('request', onLegacy);
    slow.server.prependListener('request', onNew);
    try {
      for (let i = 0; i < 10; i++) {
        arrivals.length = 0;
        await get(`${proxy.url}/api/orders/order-${i}`);
        await eventually(() => arrivals.length === 2, 5000, 5);
        expect(arrivals).toEqual(['legacy', 'new']);
      }
      await eventually(() => exchanges.length === 10, 5000, 5);
    } finally {
      legacy.server.off('request', onLegacy);
      slow.server.off('request', onNew);
    }
  });

  test('a new service that resets the connection: the client still gets legacy; the exchange records the error', async () => {
    const reply = await get(`${proxy.url}/api/reset`);
    expect(JSON.parse(reply.body).servedBy).toBe('legacy');
    await eventually(() => exchanges.length === 1, 5000, 10);
    expect(exchanges[0]!.candidate).toEqual({ error: expect.stringMatching(/^new service failed/), ms: expect.any(Number) });
  });

  test('a request body is copied as it streams past, and a too-large one is skipped and counted', async () => {
    const reply = await get(`${proxy.url}/api/orders`, { 'content-type': 'application/json' }, 'POST', '{"item":42}');
    expect(JSON.parse(reply.body).servedBy).toBe('legacy');
    await eventually(() => exchanges.length === 1, 5000, 10);
    expect(slow.requests[0]!.body.toString()).toBe('{"item":42}');
    expect(legacy.requests[0]!.body.toString()).toBe('{"item":42}');
    const big = 'x'.repeat(SHADOW.maxBodyBytes + 1);
    const bigReply = await get(`${proxy.url}/api/orders`, {}, 'POST', big);
    expect(bigReply.status).toBe(200);
    expect(legacy.requests[1]!.body.length).toBe(big.length);
    expect(await proxy.registry.metrics()).toMatch(/strangler_shadow_dropped_total\{route="orders",reason="body-too-large"\} 1/);
  });

  test("at most maxInFlight copies of a route at once: the rest are dropped and counted, clients unaffected; other routes' copies do not count", async () => {
    // Two copies of `orders` (maxInFlight 64) under way first: they must not use up `limited`'s 2.
    await Promise.all([get(`${proxy.url}/api/orders/sleep-a`), get(`${proxy.url}/api/orders/sleep-b`)]);
    await eventually(() => slow.requests.length === 2, 5000, 5);
    const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => get(`${proxy.url}/api/limited/sleep-${i}`)));
    expect(replies.every((r) => r.status === 200 && JSON.parse(r.body).servedBy === 'legacy')).toBe(true);
    const metrics = await proxy.registry.metrics();
    expect(metrics).toMatch(/strangler_shadow_dropped_total\{route="limited",reason="max-in-flight"\} 3/);
    expect(metrics).not.toMatch(/strangler_shadow_dropped_total\{route="orders",reason="max-in-flight"\}/);
    await eventually(() => exchanges.length === 4, 5000, 10);
    expect(exchanges.map((e) => e.route.name).sort()).toEqual(['limited', 'limited', 'orders', 'orders']);
  });

  test('noiseSample: legacy is asked a second time for safe requests', async () => {
    await get(`${proxy.url}/api/noisy`);
    await eventually(() => exchanges.length === 1, 5000, 10);
    expect(exchanges[0]!.secondary?.status).toBe(200);
    expect(legacy.requests.filter((r) => r.headers['x-strangler-shadow'] === '1')).toHaveLength(1);
  });

  test('canary with onCanary: the legacy-served share is shadowed, the new-served share is not', async () => {
    const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    const replies = await Promise.all(users.map((u) => get(`${proxy.url}/api/canary`, { 'x-user-id': u })));
    const legacyServed = replies.filter((r) => JSON.parse(r.body).servedBy === 'legacy').length;
    expect(legacyServed).toBeGreaterThan(0);
    expect(legacyServed).toBeLessThan(20);
    await eventually(() => exchanges.length === legacyServed, 5000, 10);
    await new Promise((r) => setTimeout(r, 100));
    expect(exchanges).toHaveLength(legacyServed);
  });
});
