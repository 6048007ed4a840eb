import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { parseConfig } from '../../core/config';
import type { RouteConfig, ShadowConfig } from '../../core/config/types';
import type { ShadowExchange } from '../../proxy/shadow';
import { routeConfig, shadowConfig, testConfig, upstreamConfig } from '../helpers/config';
import { startProxyHarness, type ProxyHarness } from '../helpers/proxy-harness';
import { eventually } from '../helpers/eventually';
import { startUpstream, type RecordedRequest, type TestUpstream } from '../helpers/upstream';
import { rawExchange } from '../helpers/raw-http';

const SHADOW = shadowConfig({ methods: ['GET', 'HEAD', 'POST'], maxBodyBytes: 64 * 1024, maxInFlight: 64, headers: ['content-type'] });

/**
 * The shadow block as parseConfig fills it in when strangler.yaml gives only `noiseSample: 0` (no second
 * request to legacy): the default methods, sample, limits… exactly as a user who leaves them out gets them.
 */
function defaultShadowConfig(): ShadowConfig {
  const config = parseConfig(
    `admin: { token: shadow-test-admin-token }
upstreams:
  legacy: { url: http://127.0.0.1:3000 }
  sink: { url: http://127.0.0.1:4000 }
routes:
  - name: defaults
    match: { path: /api/defaults }
    service: sink
    stage: shadow
    shadow: { noiseSample: 0 }
`,
    'strangler.yaml',
    {},
  );
  return config.routes[0]!.shadow!;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The legacy body of every /api/big/… response: larger than that route's shadow.maxBodyBytes. */
const BIG_RESPONSE = 'y'.repeat(5000);

interface Reply {
  status: number;
  body: string;
  ms: number;
  headers: IncomingHttpHeaders;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A POST whose body is written in chunks with no Content-Length, so it goes out as Transfer-Encoding: chunked. */
function chunkedUpload(url: string, chunks: Buffer[]): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started, headers: res.headers }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** A client that reads the first bytes of its answer, then closes its connection. */
function leaveAfterFirstBytes(url: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers }, (res) => {
      res.on('error', () => undefined);
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end();
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The shadowed latencies are no slower than the same requests with shadow off. Medians of alternating
 * samples shrug off a one-off stall of a loaded machine, and the 100 ms slack dwarfs a copy's own cost;
 * a client held up by its copy would wait out the new service (2 s) on every shadowed request.
 */
function expectNotSlowerThanUnshadowed(shadowedMs: number[], unshadowedMs: number[]): void {
  const unshadowed = median(unshadowedMs);
  expect(median(shadowedMs)).toBeLessThanOrEqual(Math.max(3 * unshadowed, unshadowed + 100));
}

describe('shadow traffic: legacy serves, a copy goes to the new service', () => {
  let legacy: TestUpstream;
  let slow: TestUpstream;
  let broken: TestUpstream;
  /** A new service answering with a status no HTTP response may have (RFC 9110 §15: 100-599). */
  let invalidStatus: TestUpstream;
  /** The new service of the selection and edge-case routes: one connection, so its copies are answered in order. */
  let sink: TestUpstream;
  let proxy: ProxyHarness;
  const exchanges: ShadowExchange[] = [];
  let fences = 0;
  /** Set when legacy's /api/failing/hang response is cut off before it ended. */
  let hangCutOff = false;

  beforeAll(async () => {
    legacy = await startUpstream('legacy', (req, res) => {
      const url = req.url ?? '';
      if (url === '/api/failing/legacy-reset') {
        req.socket.destroy();
        return;
      }
      if (url.startsWith('/api/big/') || url.startsWith('/api/big-slow/')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(BIG_RESPONSE);
        return;
      }
      if (url === '/api/failing/hang') {
        // Starts the response, then holds it open until the connection goes.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
        const timer = setTimeout(() => res.end('rest'), 5000).unref();
        res.on('close', () => {
          clearTimeout(timer);
          if (!res.writableEnded) hangCutOff = true;
        });
        return;
      }
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
    invalidStatus = await startUpstream('invalid-status', (_req, res) => res.writeHead(999, { 'content-type': 'application/json' }).end(JSON.stringify({ servedBy: 'legacy' })));
    sink = await startUpstream('sink');
    const toSink = (shadow: ShadowConfig): Partial<RouteConfig> => ({ stage: 'shadow', service: 'sink', shadow });
    proxy = await startProxyHarness(
      testConfig(
        [
          upstreamConfig('legacy', legacy.url),
          upstreamConfig('slow', slow.url, { timeoutMs: 5000 }),
          upstreamConfig('broken', broken.url),
          upstreamConfig('invalid-status', invalidStatus.url),
          upstreamConfig('sink', sink.url, { connections: 1 }),
        ],
        [
          routeConfig('orders', '/api/orders', { stage: 'shadow', service: 'slow', shadow: SHADOW }),
          routeConfig('limited', '/api/limited', { stage: 'shadow', service: 'slow', shadow: { ...SHADOW, maxInFlight: 2 } }),
          routeConfig('reset', '/api/reset', { stage: 'shadow', service: 'broken', shadow: SHADOW }),
          routeConfig('invalid-status', '/api/invalid-status', { stage: 'shadow', service: 'invalid-status', shadow: SHADOW }),
          routeConfig('noisy', '/api/noisy', { stage: 'shadow', service: 'slow', shadow: { ...SHADOW, noiseSample: 1 } }),
          routeConfig('canary', '/api/canary', { stage: 'canary', percent: 50, service: 'slow', stickiness: { kind: 'header', name: 'x-user-id' }, shadow: { ...SHADOW, onCanary: true } }),
          routeConfig('fence', '/api/fence', toSink(SHADOW)),
          routeConfig('sampled', '/api/sampled', toSink({ ...SHADOW, sample: 0.5, maxInFlight: 1000 })),
          routeConfig('unsampled', '/api/unsampled', toSink({ ...SHADOW, sample: 0 })),
          routeConfig('get-only', '/api/get-only', toSink({ ...SHADOW, methods: ['GET'] })),
          routeConfig('defaults', '/api/defaults', toSink(defaultShadowConfig())),
          routeConfig('canary-plain', '/api/canary-plain', { ...toSink(SHADOW), stage: 'canary', percent: 50, stickiness: { kind: 'header', name: 'x-user-id' } }),
          routeConfig('legacy-stage', '/api/legacy-stage', { ...toSink(SHADOW), stage: 'legacy' }),
          routeConfig('live-stage', '/api/live-stage', { ...toSink(SHADOW), stage: 'live' }),
          routeConfig('uploads', '/api/uploads', toSink({ ...SHADOW, maxBodyBytes: 1024 })),
          routeConfig('large-uploads', '/api/large-uploads', toSink({ ...SHADOW, maxBodyBytes: 1024 * 1024 })),
          routeConfig('big', '/api/big', toSink({ ...SHADOW, maxBodyBytes: 1024 })),
          routeConfig('big-slow', '/api/big-slow', { stage: 'shadow', service: 'slow', shadow: { ...SHADOW, maxBodyBytes: 1024, maxInFlight: 1 } }),
          routeConfig('failing', '/api/failing', toSink(SHADOW)),
          routeConfig('ids', '/api/ids', toSink(SHADOW)),
        ],
      ),
      (exchange) => exchanges.push(exchange),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([legacy.close(), slow.close(), broken.close(), invalidStatus.close(), sink.close()]);
  });

  beforeEach(() => {
    exchanges.length = 0;
    legacy.requests.length = 0;
    slow.requests.length = 0;
    sink.requests.length = 0;
  });

  /** strangler_shadow_dropped_total for a route and reason (0 before the first); counters only grow across the suite. */
  async function dropped(route: string, reason: string): Promise<number> {
    const prefix = `strangler_shadow_dropped_total{route="${route}",reason="${reason}"} `;
    const line = (await proxy.registry.metrics()).split('\n').find((l) => l.startsWith(prefix));
    return line ? Number(line.slice(prefix.length)) : 0;
  }

  /**
   * A deterministic fence for copies to `sink`: its one connection answers copies in the order they were
   * sent, so once the fence's own exchange is in, every copy sent before it has been answered and handed
   * over (or discarded). Call after the replies to the requests under test are in.
   */
  async function fence(): Promise<void> {
    const id = `fence-${++fences}`;
    const reply = await get(`${proxy.url}/api/fence/${id}`, { 'x-request-id': id });
    expect(reply.status).toBe(200);
    await eventually(() => exchanges.some((e) => e.requestId === id), 5000, 5);
  }

  /** One route's exchanges; the copies an upstream got under a path prefix. */
  const exchangesOf = (route: string): ShadowExchange[] => exchanges.filter((e) => e.route.name === route);
  const copiesTo = (upstream: TestUpstream, prefix: string): RecordedRequest[] =>
    upstream.requests.filter((r) => r.headers['x-strangler-shadow'] === '1' && r.url.startsWith(prefix));

  /**
   * The client's latency for `path` with its route at stage legacy (no copy) and at stage shadow, taken in
   * turn so that a busy machine slows both alike. The shadowed requests carry x-request-id `${idPrefix}-<i>`.
   */
  async function latencyWithoutAndWithShadow(route: string, path: string, rounds: number, idPrefix: string): Promise<{ unshadowed: Reply[]; shadowed: Reply[] }> {
    const unshadowed: Reply[] = [];
    const shadowed: Reply[] = [];
    try {
      for (let i = 0; i < rounds; i++) {
        proxy.state.set(route, 'legacy', 0);
        unshadowed.push(await get(`${proxy.url}${path}`));
        proxy.state.set(route, 'shadow', 0);
        shadowed.push(await get(`${proxy.url}${path}`, { 'x-request-id': `${idPrefix}-${i}` }));
      }
    } finally {
      proxy.state.set(route, 'shadow', 0);
    }
    return { unshadowed, shadowed };
  }

  test('a new service that sleeps 2 s does not delay the client, which gets legacy at legacy speed', async () => {
    const { unshadowed, shadowed } = await latencyWithoutAndWithShadow('orders', '/api/orders/sleep', 7, 'shadow-1');
    expect(exchanges).toHaveLength(0);
    for (const reply of [...unshadowed, ...shadowed]) {
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ servedBy: 'legacy', url: '/api/orders/sleep' });
    }
    expectNotSlowerThanUnshadowed(
      shadowed.map((r) => r.ms),
      unshadowed.map((r) => r.ms),
    );
    await eventually(() => exchanges.length === 7, 5000, 10);
    // Only the requests made at stage shadow were copied.
    expect(copiesTo(slow, '/api/orders/sleep').map((r) => r.headers['x-request-id']).sort()).toEqual(shadowed.map((_, i) => `shadow-1-${i}`));
    for (const exchange of exchanges) {
      expect(exchange).toMatchObject({ requestId: expect.stringMatching(/^shadow-1-\d$/), method: 'GET', target: '/api/orders/sleep' });
      expect(exchange.legacy.status).toBe(200);
      expect(JSON.parse(exchange.legacy.body.toString())).toEqual({ servedBy: 'legacy', url: '/api/orders/sleep' });
      expect('status' in exchange.candidate && JSON.parse(exchange.candidate.body.toString())).toEqual({ servedBy: 'slow', url: '/api/orders/sleep' });
      expect(exchange.candidate.ms).toBeGreaterThanOrEqual(1900);
    }
  });

  test("the copy carries x-strangler-shadow: 1 (a client's own is dropped), the same x-request-id and the new service as Host", async () => {
    await get(`${proxy.url}/api/orders/7`, { 'x-request-id': 'shadow-2', host: 'shop.example.com', 'x-strangler-shadow': '0' });
    await eventually(() => slow.requests.length === 1 && exchanges.length === 1, 5000, 10);
    const copy = slow.requests[0]!;
    expect(copy.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'x-strangler-shadow')).toHaveLength(1);
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
    const { unshadowed, shadowed } = await latencyWithoutAndWithShadow('reset', '/api/reset', 7, 'reset');
    for (const reply of [...unshadowed, ...shadowed]) {
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body).servedBy).toBe('legacy');
    }
    expectNotSlowerThanUnshadowed(
      shadowed.map((r) => r.ms),
      unshadowed.map((r) => r.ms),
    );
    await eventually(() => exchanges.length === 7, 5000, 10);
    expect(exchanges.map((e) => e.requestId).sort()).toEqual(shadowed.map((_, i) => `reset-${i}`));
    for (const exchange of exchanges) {
      expect(exchange.candidate).toEqual({ error: 'new service closed the connection without a complete answer', ms: expect.any(Number) });
    }
  });

  test('a new service answering with a status outside 100-599: the exchange records an error, not an answer to compare', async () => {
    const reply = await get(`${proxy.url}/api/invalid-status/1`, { 'x-request-id': 'invalid-status-1' });
    expect([reply.status, JSON.parse(reply.body).servedBy]).toEqual([200, 'legacy']);
    await eventually(() => exchangesOf('invalid-status').length === 1, 5000, 10);
    expect(exchangesOf('invalid-status')[0]).toMatchObject({
      requestId: 'invalid-status-1',
      candidate: { error: 'new service answered with a status outside 100-599', ms: expect.any(Number) },
    });
  });

  test('a request body is copied (a small one read whole first), and a too-large one is skipped and counted', async () => {
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

  // -- which requests are copied ------------------------------------------------------------------------

  test('sample 0.5: about half the requests are copied (binomial bound), and every client gets legacy', async () => {
    const total = 200;
    const replies: Reply[] = [];
    for (let batch = 0; batch < total; batch += 20) {
      const ids = Array.from({ length: 20 }, (_, i) => `sampled-${batch + i}`);
      replies.push(...(await Promise.all(ids.map((id) => get(`${proxy.url}/api/sampled/${id}`, { 'x-request-id': id })))));
    }
    expect(replies).toHaveLength(total);
    for (const [i, reply] of replies.entries()) {
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ servedBy: 'legacy', url: `/api/sampled/sampled-${i}` });
    }
    expect(legacy.requests.filter((r) => r.url.startsWith('/api/sampled/'))).toHaveLength(total);
    await fence();
    const copies = copiesTo(sink, '/api/sampled/');
    // Binomial(200, 0.5): mean 100, sd ≈ 7; outside 60–140 is a 5.6 sd event.
    expect(copies.length).toBeGreaterThanOrEqual(60);
    expect(copies.length).toBeLessThanOrEqual(140);
    const copiedIds = copies.map((r) => r.headers['x-request-id']);
    expect(new Set(copiedIds).size).toBe(copies.length);
    for (const copy of copies) expect(copy.url).toBe(`/api/sampled/${String(copy.headers['x-request-id'])}`);
    expect(exchangesOf('sampled').map((e) => e.requestId).sort()).toEqual([...copiedIds].sort());
    expect(await dropped('sampled', 'max-in-flight')).toBe(0);
  });

  test('sample 0: no request is copied', async () => {
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => get(`${proxy.url}/api/unsampled/${i}`)));
    expect(replies.every((r) => r.status === 200 && JSON.parse(r.body).servedBy === 'legacy')).toBe(true);
    await fence();
    expect(sink.requests.filter((r) => r.url.startsWith('/api/unsampled'))).toHaveLength(0);
    expect(exchangesOf('unsampled')).toHaveLength(0);
  });

  test('a method not in shadow.methods is served by legacy but not copied', async () => {
    const deleted = await get(`${proxy.url}/api/get-only/1`, {}, 'DELETE');
    const put = await get(`${proxy.url}/api/get-only/1`, { 'content-type': 'application/json' }, 'PUT', '{"item":1}');
    const got = await get(`${proxy.url}/api/get-only/1`, { 'x-request-id': 'get-only-get' });
    for (const reply of [deleted, put, got]) {
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body).servedBy).toBe('legacy');
    }
    expect(legacy.requests.map((r) => r.method)).toEqual(['DELETE', 'PUT', 'GET']);
    expect(legacy.requests[1]!.body.toString()).toBe('{"item":1}');
    await fence();
    // Only the GET, the one method listed, reached the new service.
    expect(sink.requests.filter((r) => r.url.startsWith('/api/get-only')).map((r) => [r.method, r.headers['x-strangler-shadow']])).toEqual([['GET', '1']]);
    expect(exchangesOf('get-only').map((e) => [e.method, e.requestId])).toEqual([['GET', 'get-only-get']]);
  });

  test("shadow.methods left out (parseConfig's default, GET and HEAD): a POST is not copied, GET and HEAD are", async () => {
    const defaults = defaultShadowConfig();
    expect(defaults.methods).not.toContain('POST');
    const posted = await get(`${proxy.url}/api/defaults/orders`, { 'content-type': 'application/json' }, 'POST', '{"item":2}');
    expect(JSON.parse(posted.body).servedBy).toBe('legacy');
    expect(legacy.requests[0]!.body.toString()).toBe('{"item":2}');
    const got = await get(`${proxy.url}/api/defaults/orders`, { 'x-request-id': 'defaults-get' });
    const head = await get(`${proxy.url}/api/defaults/orders`, { 'x-request-id': 'defaults-head' }, 'HEAD');
    expect([got.status, head.status]).toEqual([200, 200]);
    await fence();
    expect(sink.requests.filter((r) => r.url.startsWith('/api/defaults')).map((r) => r.method)).toEqual(['GET', 'HEAD']);
    expect(exchangesOf('defaults').map((e) => [e.method, e.requestId])).toEqual([
      ['GET', 'defaults-get'],
      ['HEAD', 'defaults-head'],
    ]);
  });

  test('canary without onCanary copies nothing, not even the legacy-served share; stages legacy and live copy nothing', async () => {
    const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    const canary = await Promise.all(users.map((u) => get(`${proxy.url}/api/canary-plain`, { 'x-user-id': u })));
    const legacyServed = canary.filter((r) => JSON.parse(r.body).servedBy === 'legacy').length;
    expect(legacyServed).toBeGreaterThan(0);
    expect(legacyServed).toBeLessThan(20);
    const atLegacy = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`${proxy.url}/api/legacy-stage/${i}`)));
    const atLive = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`${proxy.url}/api/live-stage/${i}`)));
    expect(atLegacy.every((r) => JSON.parse(r.body).servedBy === 'legacy')).toBe(true);
    expect(atLive.every((r) => JSON.parse(r.body).servedBy === 'sink')).toBe(true);
    await fence();
    const toSink = sink.requests.filter((r) => !r.url.startsWith('/api/fence'));
    // The new service saw only the requests it served itself (the canary's new share and live), no copy.
    expect(toSink.filter((r) => r.headers['x-strangler-shadow'] !== undefined)).toHaveLength(0);
    expect(toSink.filter((r) => r.url === '/api/canary-plain')).toHaveLength(20 - legacyServed);
    expect(toSink.filter((r) => r.url.startsWith('/api/live-stage/'))).toHaveLength(10);
    expect(toSink.filter((r) => r.url.startsWith('/api/legacy-stage'))).toHaveLength(0);
    expect(legacy.requests.filter((r) => r.headers['x-strangler-shadow'] !== undefined)).toHaveLength(0);
    expect(exchanges.filter((e) => e.route.name !== 'fence')).toHaveLength(0);
  });

  // -- bodies and copies that cannot be compared --------------------------------------------------------

  test.each([
    ['read whole first', 700, 'content-length'],
    ['streamed past 64 KiB', 30_000, 'transfer-encoding'],
  ])('a chunked upload (no Content-Length) bigger than maxBodyBytes, %s, reaches legacy whole; the copy is skipped and counted', async (_how, chunkBytes, framing) => {
    const before = await dropped('uploads', 'body-too-large');
    const chunks = [Buffer.alloc(chunkBytes, 'a'), Buffer.alloc(chunkBytes, 'b'), Buffer.alloc(chunkBytes, 'c')];
    const reply = await chunkedUpload(`${proxy.url}/api/uploads/file`, chunks);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).servedBy).toBe('legacy');
    const received = legacy.requests[0]!;
    // A body read whole goes on with its length; a larger one stays chunked.
    expect(framing === 'content-length' ? received.headers['content-length'] : received.headers['transfer-encoding']).toBe(framing === 'content-length' ? '2100' : 'chunked');
    expect(received.complete).toBe(true);
    expect(received.body.equals(Buffer.concat(chunks))).toBe(true);
    await eventually(async () => (await dropped('uploads', 'body-too-large')) >= before + 1, 5000, 5);
    await fence();
    expect(sink.requests.filter((r) => r.url.startsWith('/api/uploads'))).toHaveLength(0);
    expect(exchangesOf('uploads')).toHaveLength(0);
    expect(await dropped('uploads', 'body-too-large')).toBe(before + 1);
  });

  test.each([
    ['read whole first', [Buffer.alloc(300, 'a'), Buffer.alloc(200, 'b')]],
    ['streamed past 64 KiB', [Buffer.alloc(40_000, 'a'), Buffer.alloc(40_000, 'b'), Buffer.alloc(1_000, 'c')]],
  ])('a chunked upload within maxBodyBytes, %s: the copy gets the same bytes legacy got', async (_how, chunks) => {
    const reply = await chunkedUpload(`${proxy.url}/api/large-uploads/chunked`, chunks);
    expect(JSON.parse(reply.body).servedBy).toBe('legacy');
    await fence();
    expect(exchangesOf('large-uploads')).toHaveLength(1);
    const body = Buffer.concat(chunks);
    expect(legacy.requests[0]!.body.equals(body)).toBe(true);
    expect(copiesTo(sink, '/api/large-uploads').map((copy) => copy.body.equals(body))).toEqual([true]);
  });

  test("legacy's response bigger than maxBodyBytes reaches the client whole; the comparison is an error saying why, so reports show it", async () => {
    const before = await dropped('big', 'body-too-large');
    const reply = await get(`${proxy.url}/api/big/report`, { 'x-request-id': 'big-1' });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(BIG_RESPONSE);
    await fence();
    expect(exchangesOf('big')).toEqual([
      expect.objectContaining({ requestId: 'big-1', candidate: { error: expect.stringMatching(/^legacy's answer is larger than shadow\.maxBodyBytes \(\d+ bytes\): not compared$/), ms: expect.any(Number) } }),
    ]);
    expect(await dropped('big', 'body-too-large')).toBe(before);
  });

  test('a copy keeps its maxInFlight slot until the new service has answered it, even when nothing is left to compare', async () => {
    const before = await dropped('big-slow', 'max-in-flight');
    // Legacy's answer is too big to compare, but its copy waits 2 s on the new service.
    expect((await get(`${proxy.url}/api/big-slow/sleep-1`)).body).toBe(BIG_RESPONSE);
    await eventually(() => slow.requests.some((r) => r.url === '/api/big-slow/sleep-1'), 5000, 5);
    expect((await get(`${proxy.url}/api/big-slow/second`)).body).toBe(BIG_RESPONSE);
    expect(await dropped('big-slow', 'max-in-flight')).toBe(before + 1);
    // Once the new service has answered, the slot is free again.
    await eventually(async () => {
      await get(`${proxy.url}/api/big-slow/third`);
      return slow.requests.some((r) => r.url === '/api/big-slow/third');
    }, 5000, 100);
    expect(slow.requests.map((r) => r.url)).not.toContain('/api/big-slow/second');
    for (const exchange of exchangesOf('big-slow')) expect(exchange.candidate).toMatchObject({ error: expect.stringContaining('larger than shadow.maxBodyBytes') });
  });

  test('legacy resets the connection: the client gets a 502, the copy is dropped as legacy-failed, no exchange', async () => {
    const before = await dropped('failing', 'legacy-failed');
    const reply = await get(`${proxy.url}/api/failing/legacy-reset`, { 'x-request-id': 'legacy-reset' });
    expect(reply.status).toBe(502);
    await eventually(async () => (await dropped('failing', 'legacy-failed')) >= before + 1, 5000, 5);
    await fence();
    expect(exchangesOf('failing')).toHaveLength(0);
    expect(await dropped('failing', 'legacy-failed')).toBe(before + 1);
  });

  test("the client aborts mid-response: legacy's response is cut, the copy is dropped as legacy-failed, no exchange", async () => {
    const before = await dropped('failing', 'legacy-failed');
    hangCutOff = false;
    await leaveAfterFirstBytes(`${proxy.url}/api/failing/hang`, { 'x-request-id': 'client-abort' });
    await eventually(async () => (await dropped('failing', 'legacy-failed')) >= before + 1, 5000, 5);
    await eventually(() => hangCutOff, 5000, 5);
    await fence();
    expect(exchangesOf('failing')).toHaveLength(0);
    expect(await dropped('failing', 'legacy-failed')).toBe(before + 1);
  });

  test('the client aborts mid-upload: the copy is never sent, it is dropped once as legacy-failed', async () => {
    const before = await dropped('failing', 'legacy-failed');
    const req = httpRequest(`${proxy.url}/api/failing/upload`, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream' } });
    req.on('error', () => undefined);
    // Past 64 KiB, so it streams to legacy (a smaller one would be read whole before legacy is asked).
    req.write(Buffer.alloc(70_000, 'u'));
    await eventually(() => legacy.requests.some((r) => r.url === '/api/failing/upload'), 5000, 5);
    req.destroy();
    await eventually(async () => (await dropped('failing', 'legacy-failed')) >= before + 1, 5000, 5);
    await fence();
    expect(legacy.requests.find((r) => r.url === '/api/failing/upload')!.complete).toBe(false);
    expect(sink.requests.filter((r) => r.url.startsWith('/api/failing'))).toHaveLength(0);
    expect(exchangesOf('failing')).toHaveLength(0);
    // The upload failing and legacy's exchange failing with it are one drop, not two.
    expect(await dropped('failing', 'legacy-failed')).toBe(before + 1);
  });

  test('a client without x-request-id: the copy carries the same generated UUID legacy got', async () => {
    const reply = await get(`${proxy.url}/api/ids/7`);
    expect(reply.status).toBe(200);
    await fence();
    const atLegacy = legacy.requests.filter((r) => r.url === '/api/ids/7');
    const copies = copiesTo(sink, '/api/ids/7');
    expect(atLegacy).toHaveLength(1);
    expect(copies).toHaveLength(1);
    const id = atLegacy[0]!.headers['x-request-id'];
    expect(id).toMatch(UUID);
    expect(copies[0]!.headers['x-request-id']).toBe(id);
    // One x-request-id each, not the generated one next to another.
    for (const recorded of [atLegacy[0]!, copies[0]!]) {
      expect(recorded.rawHeaders.filter((_, i) => i % 2 === 0 && recorded.rawHeaders[i]!.toLowerCase() === 'x-request-id')).toHaveLength(1);
    }
    expect(reply.headers['x-request-id']).toBe(id);
    expect(exchangesOf('ids').map((e) => e.requestId)).toEqual([id]);
  });
});

describe('shadow copies that would hold their maxInFlight slot for good', () => {
  let legacy: Server;
  let legacyUrl: string;
  let sink: TestUpstream;
  let trickle: Server;
  let trickleUrl: string;
  let stubborn: NetServer;
  /** Paused, they would never see the proxy close them: afterAll destroys them, or closing the server waits for ever. */
  const stubbornSockets = new Set<Socket>();
  /** Connections the trickling new service has seen closed. */
  let trickleClosed = 0;
  let proxy: ProxyHarness;
  const exchanges: ShadowExchange[] = [];

  const listen = async (server: Server): Promise<string> => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    // Answers uploads with 413 before reading them, and /endless with a stream that never ends.
    legacy = createServer((req, res) => {
      if (req.url?.startsWith('/early/upload') || req.url?.startsWith('/early/closing')) return res.writeHead(413, { 'content-type': 'text/plain' }).end('too large');
      if (req.url?.startsWith('/abandon/')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const timer = setInterval(() => res.write('data: tick\n\n'), 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    legacyUrl = await listen(legacy);
    // Reads the first bytes of a request and nothing more, keeping the connection (node's own server would read
    // the rest and drop it); answers a 413 once the upload has filled the sockets between and stopped.
    stubborn = createNetServer((socket) => {
      stubbornSockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.pause();
        setTimeout(() => socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-type: text/plain\r\ncontent-length: 9\r\n\r\ntoo large'), 300);
      });
    });
    await new Promise<void>((resolve) => stubborn.listen(0, '127.0.0.1', resolve));
    sink = await startUpstream('sink');
    // Sends its head, then a byte every 100 ms, for ever.
    trickle = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 100);
      res.on('close', () => {
        clearInterval(timer);
        trickleClosed++;
      });
    });
    trickleUrl = await listen(trickle);
    const shadow = { ...SHADOW, maxInFlight: 2 };
    proxy = await startProxyHarness(
      testConfig(
        [
          upstreamConfig('legacy', legacyUrl),
          upstreamConfig('sink', sink.url),
          upstreamConfig('trickle', trickleUrl, { timeoutMs: 1000 }),
          upstreamConfig('stubborn', `http://127.0.0.1:${(stubborn.address() as AddressInfo).port}`),
        ],
        [
          routeConfig('early', '/early', { stage: 'shadow', service: 'sink', shadow: { ...shadow, maxBodyBytes: 1024 * 1024 } }),
          routeConfig('early-large', '/early-large', { stage: 'shadow', legacy: 'stubborn', service: 'sink', shadow: { ...shadow, maxBodyBytes: 16 * 1024 * 1024 } }),
          routeConfig('trickled', '/trickled', { stage: 'shadow', service: 'trickle', shadow: { ...SHADOW, maxInFlight: 1 } }),
          routeConfig('abandon', '/abandon', { stage: 'shadow', service: 'trickle', shadow: { ...SHADOW, maxInFlight: 1 } }),
        ],
      ),
      (exchange) => exchanges.push(exchange),
    );
  });

  afterAll(async () => {
    await proxy.close();
    legacy.closeAllConnections();
    trickle.closeAllConnections();
    for (const socket of stubbornSockets) socket.destroy();
    await Promise.all([new Promise((r) => legacy.close(r)), new Promise((r) => trickle.close(r)), new Promise((r) => stubborn.close(r)), sink.close()]);
  });

  const maxInFlightDrops = async (route: string): Promise<number> => {
    const prefix = `strangler_shadow_dropped_total{route="${route}",reason="max-in-flight"} `;
    const line = (await proxy.registry.metrics()).split('\n').find((l) => l.startsWith(prefix));
    return line ? Number(line.slice(prefix.length)) : 0;
  };

  test('chunked uploads legacy answers before reading them: the copies go whole or are dropped, and never keep their slots', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const upload = (path: string, chunks: Buffer[], via: Agent | false) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${proxy.url}${path}`, { method: 'POST', agent: via, headers: { 'content-type': 'application/octet-stream' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        for (const chunk of chunks) req.write(chunk);
        req.end();
      });
    // Larger than maxBodyBytes (1 MiB), sent chunked: known too large only once read to its end.
    const large = Array.from({ length: 3 }, (_, i) => Buffer.alloc(400_000, 97 + i));
    for (let i = 0; i < 3; i++) expect(await upload(`/early/upload-large-${i}`, large, false)).toBe(413);
    for (let i = 0; i < 3; i++) expect(await upload(`/early/upload-large-kept-${i}`, large, agent)).toBe(413);
    // Within maxBodyBytes: the copy reads what legacy left unread and goes whole.
    const small = [Buffer.alloc(100_000, 'x'), Buffer.alloc(100_000, 'y')];
    for (let i = 0; i < 3; i++) expect(await upload(`/early/upload-small-${i}`, small, agent)).toBe(413);
    agent.destroy();
    await eventually(() => sink.requests.filter((r) => r.url.startsWith('/early/upload-small') && r.complete).length === 3, 5000, 10);
    for (const copy of sink.requests.filter((r) => r.url.startsWith('/early/upload-small'))) expect(copy.body.equals(Buffer.concat(small))).toBe(true);
    expect(sink.requests.filter((r) => r.url.startsWith('/early/upload-large'))).toEqual([]);
    // maxInFlight is 2: had any copy kept its slot, this one would be dropped.
    expect((await get(`${proxy.url}/early/after`)).status).toBe(200);
    await eventually(() => sink.requests.some((r) => r.url === '/early/after'), 5000, 10);
    expect(await maxInFlightDrops('early')).toBe(0);
  });

  test('an upload legacy answers early that is larger than the socket buffers take: the copy still gets all of it', async () => {
    // Legacy reads none of it: the rest is still with the client when the 413 comes. The client sends all of it
    // and stays (a client that left would drop the copy as legacy-failed).
    const body = Buffer.concat(Array.from({ length: 4 }, (_, i) => Buffer.alloc(2 * 1024 * 1024, 97 + i)));
    const socket = connect(proxy.port, '127.0.0.1');
    socket.on('error', () => undefined);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.write(`POST /early-large/upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body);
    try {
      await eventually(() => sink.requests.some((r) => r.url === '/early-large/upload' && r.complete), 10000, 20);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(sink.requests.find((r) => r.url === '/early-large/upload')!.body.equals(body)).toBe(true);
    } finally {
      socket.destroy();
    }
  });

  test('a new service that trickles its answer for ever: the copy ends timeoutMs after legacy\'s answer, as an error, and frees its slot', async () => {
    const closedBefore = trickleClosed;
    expect((await get(`${proxy.url}/trickled/1`, { 'x-request-id': 'trickled-1' })).status).toBe(200);
    await eventually(() => exchanges.some((e) => e.requestId === 'trickled-1'), 5000, 20);
    expect(exchanges.find((e) => e.requestId === 'trickled-1')!.candidate).toEqual({ error: "new service did not finish its answer within 1000 ms of legacy's", ms: expect.any(Number) });
    await eventually(() => trickleClosed > closedBefore, 5000, 20);
    expect((await get(`${proxy.url}/trickled/2`, { 'x-request-id': 'trickled-2' })).status).toBe(200);
    await eventually(() => exchanges.some((e) => e.requestId === 'trickled-2'), 5000, 20);
    expect(await maxInFlightDrops('trickled')).toBe(0);
  });

  test('a client that leaves an endless stream: its copy to the new service is stopped at once, and the slot is free', async () => {
    const closedBefore = trickleClosed;
    await leaveAfterFirstBytes(`${proxy.url}/abandon/1`);
    // Well before the 1 s the sweep would take: the copy is cancelled with the client's request.
    await eventually(() => trickleClosed > closedBefore, 900, 10);
    await leaveAfterFirstBytes(`${proxy.url}/abandon/2`);
    await eventually(() => trickleClosed > closedBefore + 1, 900, 10);
    expect(await maxInFlightDrops('abandon')).toBe(0);
  });
});

describe('shadow copies and real traffic to the same new service', () => {
  let legacy: TestUpstream;
  let service: TestUpstream;
  let proxy: ProxyHarness;

  beforeAll(async () => {
    legacy = await startUpstream('legacy');
    // Never answers a shadowed /api/hang request; answers everything else at once.
    service = await startUpstream('service', (req, res) => {
      if (!req.url?.startsWith('/api/hang')) res.end(JSON.stringify({ servedBy: 'service', url: req.url }));
    });
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('service', service.url, { connections: 2, timeoutMs: 3000 })],
        [
          routeConfig('hang', '/api/hang', { stage: 'shadow', service: 'service', shadow: shadowConfig({ maxInFlight: 8 }) }),
          routeConfig('moved', '/api/moved', { stage: 'live', percent: 100, service: 'service' }),
        ],
      ),
      () => undefined,
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([legacy.close(), service.close()]);
  });

  test('copies hanging on every connection they may use do not make the live route wait for one', async () => {
    const shadowed = await Promise.all(Array.from({ length: 4 }, (_, i) => get(`${proxy.url}/api/hang/${i}`)));
    expect(shadowed.map((r) => JSON.parse(r.body).servedBy)).toEqual(['legacy', 'legacy', 'legacy', 'legacy']);
    // Two copies hold the two connections copies may open; two more wait for them.
    await eventually(() => service.requests.length === 2, 3000, 10);
    const live = await get(`${proxy.url}/api/moved/7`);
    expect(live.status).toBe(200);
    expect(JSON.parse(live.body)).toEqual({ servedBy: 'service', url: '/api/moved/7' });
  });
});

describe('conditional requests (If-None-Match) in shadow', () => {
  let legacy: TestUpstream;
  let service: TestUpstream;
  let proxy: ProxyHarness;
  const exchanges: ShadowExchange[] = [];

  beforeAll(async () => {
    // Each side honours its own ETag; /api/docs/shared has the same ETag on both, and on /api/docs/stale the
    // new service says "not modified" to any ETag, the bug of serving clients a stale copy.
    const answer = (etag: string) => (req: { url?: string; headers: IncomingHttpHeaders }, res: ServerResponse) => {
      const tag = req.url === '/api/docs/shared' ? '"S1"' : etag;
      const current = req.headers['if-none-match'] === tag || (etag === '"N1"' && req.url === '/api/docs/stale');
      if (current) return void res.writeHead(304, { etag: tag }).end();
      res.writeHead(200, { 'content-type': 'application/json', etag: tag }).end('{"doc":1}');
    };
    legacy = await startUpstream('legacy', answer('"L1"'));
    service = await startUpstream('service', answer('"N1"'));
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('service', service.url)],
        [routeConfig('docs', '/api/docs', { stage: 'shadow', service: 'service', shadow: shadowConfig({}) })],
      ),
      (exchange) => exchanges.push(exchange),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([legacy.close(), service.close()]);
  });

  const notModifiedDrops = async (): Promise<number> => {
    const line = (await proxy.registry.metrics()).split('\n').find((l) => l.startsWith('strangler_shadow_dropped_total{route="docs",reason="not-modified"} '));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  test("legacy's 304 against the new service's full answer is not compared, and counted as not-modified", async () => {
    const reply = await get(`${proxy.url}/api/docs/own`, { 'if-none-match': '"L1"', 'x-request-id': 'etag-own' });
    expect(reply.status).toBe(304);
    await eventually(async () => (await notModifiedDrops()) === 1, 3000, 10);
    expect(service.requests.map((r) => [r.url, r.headers['if-none-match']])).toEqual([['/api/docs/own', '"L1"']]);
    expect(exchanges.filter((e) => e.requestId === 'etag-own')).toEqual([]);
  });

  test('a 304 from both is compared; a 304 from the new service where legacy sends a changed answer is compared too', async () => {
    expect((await get(`${proxy.url}/api/docs/shared`, { 'if-none-match': '"S1"', 'x-request-id': 'etag-shared' })).status).toBe(304);
    expect((await get(`${proxy.url}/api/docs/stale`, { 'if-none-match': '"L0"', 'x-request-id': 'etag-stale' })).status).toBe(200);
    await eventually(() => exchanges.length === 2, 3000, 10);
    const statuses = (id: string): unknown => {
      const exchange = exchanges.find((e) => e.requestId === id)!;
      return [exchange.legacy.status, 'status' in exchange.candidate ? exchange.candidate.status : exchange.candidate.error];
    };
    expect([statuses('etag-shared'), statuses('etag-stale')]).toEqual([
      [304, 304],
      [200, 304],
    ]);
    expect(await notModifiedDrops()).toBe(1);
  });
});

describe('shadowPipelining: copies of one turn go to the new service pipelined', () => {
  let legacy: TestUpstream;
  let service: TestUpstream;
  let proxy: ProxyHarness;
  const exchanges: ShadowExchange[] = [];
  /** The client port of each connection the new service got copies on. */
  const copyConnections = new Set<number>();

  beforeAll(async () => {
    legacy = await startUpstream('legacy', (req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url })));
    service = await startUpstream('service', (req, res) => {
      copyConnections.add(req.socket.remotePort ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url }));
    });
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('service', service.url, { shadowPipelining: 8 })],
        [routeConfig('orders', '/api/orders', { stage: 'shadow', service: 'service', shadow: shadowConfig({ maxInFlight: 64, methods: ['GET', 'HEAD'] }) })],
      ),
      (exchange) => exchanges.push(exchange),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([legacy.close(), service.close()]);
  });

  test('ten requests a client pipelined reach legacy as usual; their copies share connections, and each is compared with its own answer', async () => {
    const requests = Array.from({ length: 10 }, (_, i) => `GET /api/orders/${i} HTTP/1.1\r\nHost: shop\r\nx-request-id: piped-${i}\r\n${i === 9 ? 'Connection: close\r\n' : ''}\r\n`);
    const answers = await rawExchange(proxy.port, requests.join(''));
    expect(answers.match(/^HTTP\/1\.1 200 /gm)).toHaveLength(10);
    await eventually(() => exchanges.length === 10, 5000, 10);
    for (const exchange of exchanges) {
      const n = /^piped-(\d)$/.exec(exchange.requestId)![1];
      expect(exchange.target).toBe(`/api/orders/${n}`);
      expect('status' in exchange.candidate && JSON.parse(exchange.candidate.body.toString())).toEqual({ url: `/api/orders/${n}` });
    }
    // Handled in one turn of the proxy's loop, the ten copies went out on ceil(10 / 8) connections.
    expect(copyConnections.size).toBe(2);
    // The first on each connection waited for no other answer: only those two are latency samples.
    expect(exchanges.filter((e) => !e.candidateWaited)).toHaveLength(2);
  });

  test("HEAD copies among GETs (node:http answers HEAD without a length): every copy is compared, none is an error", async () => {
    exchanges.length = 0;
    const connectionsBefore = copyConnections.size;
    const requests = Array.from({ length: 8 }, (_, i) => `${i % 2 ? 'HEAD' : 'GET'} /api/orders/h${i} HTTP/1.1\r\nHost: shop\r\nx-request-id: head-${i}\r\n${i === 7 ? 'Connection: close\r\n' : ''}\r\n`);
    const answers = await rawExchange(proxy.port, requests.join(''));
    expect(answers.match(/^HTTP\/1\.1 200 /gm)).toHaveLength(8);
    await eventually(() => exchanges.length === 8, 5000, 10);
    expect(exchanges.filter((e) => 'error' in e.candidate)).toEqual([]);
    expect(exchanges.map((e) => e.method).sort()).toEqual(['GET', 'GET', 'GET', 'GET', 'HEAD', 'HEAD', 'HEAD', 'HEAD']);
    // Kept alive across the HEAD answers: the eight copies needed at most one connection more.
    expect(copyConnections.size - connectionsBefore).toBeLessThanOrEqual(1);
  });
});

describe('without shadowPipelining (the default), answers are not checked against request ids', () => {
  let legacy: TestUpstream;
  let cached: TestUpstream;
  let proxy: ProxyHarness;
  const exchanges: ShadowExchange[] = [];

  beforeAll(async () => {
    legacy = await startUpstream('legacy');
    // A cache in front of the new service: it replays the x-request-id of the request that filled it.
    let firstId: string | undefined;
    cached = await startUpstream('cached', (req, res) => {
      firstId ??= String(req.headers['x-request-id']);
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': firstId }).end(JSON.stringify({ servedBy: 'legacy', url: req.url }));
    });
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('cached', cached.url, { connections: 1 })],
        [routeConfig('orders', '/api/orders', { stage: 'shadow', service: 'cached', shadow: shadowConfig({ methods: ['GET', 'POST'] }) })],
      ),
      (exchange) => exchanges.push(exchange),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([legacy.close(), cached.close()]);
  });

  test("a GET then a POST on the same connection, both answered with the first one's id: both compared, each sent once", async () => {
    await get(`${proxy.url}/api/orders/1`, { 'x-request-id': 'cache-1' });
    await eventually(() => exchanges.length === 1, 5000, 10);
    await get(`${proxy.url}/api/orders/2`, { 'x-request-id': 'cache-2', 'content-type': 'application/json' }, 'POST', '{}');
    await eventually(() => exchanges.length === 2, 5000, 10);
    expect(exchanges.map((e) => ('status' in e.candidate ? e.candidate.status : e.candidate.error))).toEqual([200, 200]);
    expect(cached.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
  });
});
