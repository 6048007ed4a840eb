import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:http';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { inRollout } from '../../core/bucketing';
import type { RejectReason } from '../../proxy/metrics';
import { routeConfig, testConfig, upstreamConfig } from '../helpers/config';
import { startProxyHarness, type ProxyHarness } from '../helpers/proxy-harness';
import { rawExchange } from '../helpers/raw-http';
import { eventually } from '../helpers/eventually';
import { unacceptingListener, type UnacceptingListener } from '../helpers/unaccepting-listener';
import { startUpstream, unusedPort, type TestUpstream } from '../helpers/upstream';
import { startScriptedWsUpstream, type ScriptedWsUpstream, type UpgradeAnswer } from '../helpers/ws-upstream';

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  trailers: IncomingMessage['trailers'];
}

function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), trailers: res.trailers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (reply: Reply): Record<string, unknown> => JSON.parse(reply.body) as Record<string, unknown>;

/** strangler_upstream_errors_total for unmatched requests (legacy) whose client went away: 0 before the first. */
async function clientAborts(proxy: ProxyHarness): Promise<number> {
  const line = (await proxy.registry.metrics()).split('\n').find((l) => l.startsWith('strangler_upstream_errors_total{route="_unmatched",target="legacy",reason="client-abort"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('data path against real upstreams on loopback', () => {
  let legacy: TestUpstream;
  let orders: TestUpstream;
  let proxy: ProxyHarness;

  beforeAll(async () => {
    legacy = await startUpstream('legacy');
    orders = await startUpstream('orders');
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('orders', orders.url)],
        [
          routeConfig('orders', '/api/orders', { stage: 'live', percent: 100 }),
          routeConfig('users', '/api/users', { stage: 'legacy', service: 'orders' }),
          routeConfig('writes', '/api/writes', { stage: 'live', service: 'orders', match: { path: '/api/writes', methods: ['POST'] } }),
          routeConfig('sticky', '/api/sticky', { stage: 'canary', percent: 30, stickiness: { kind: 'header', name: 'x-user-id' }, stickyFallback: 'legacy' }),
        ],
      ),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await legacy.close();
    await orders.close();
  });

  beforeEach(() => {
    legacy.requests.length = 0;
    orders.requests.length = 0;
  });

  test('unmatched requests and legacy-stage routes go to legacy; live routes go to the new service', async () => {
    expect(json(await send(`${proxy.url}/somewhere`)).servedBy).toBe('legacy');
    expect(json(await send(`${proxy.url}/api/users/3`)).servedBy).toBe('legacy');
    expect(json(await send(`${proxy.url}/api/orders/7?x=1`))).toEqual({ servedBy: 'orders', method: 'GET', url: '/api/orders/7?x=1' });
    expect(json(await send(`${proxy.url}/api/orders`)).servedBy).toBe('orders');
  });

  test('prefixes match on segment boundaries and honour the method set', async () => {
    expect(json(await send(`${proxy.url}/api/ordersx`)).servedBy).toBe('legacy');
    expect(json(await send(`${proxy.url}/api/writes`, { method: 'POST', body: 'x' })).servedBy).toBe('orders');
    expect(json(await send(`${proxy.url}/api/writes`)).servedBy).toBe('legacy');
  });

  test('dot-segments are resolved before matching, so they never cross a route prefix', async () => {
    const escaped = await send(`${proxy.url}/api/orders/../admin`);
    expect(json(escaped)).toMatchObject({ servedBy: 'legacy', url: '/api/admin' });
    const encoded = await send(`${proxy.url}/api/orders/%2e%2e/admin`);
    expect(json(encoded)).toMatchObject({ servedBy: 'legacy', url: '/api/admin' });
    const into = await send(`${proxy.url}/api/users/../orders/7`);
    expect(json(into)).toMatchObject({ servedBy: 'orders', url: '/api/orders/7' });
  });

  test('encodings and path parameters the monolith would read as a route cannot get past it', async () => {
    // %6F is "o": the same path (RFC 3986 §6.2.2.2), matched and forwarded decoded.
    expect(json(await send(`${proxy.url}/api/%6Frders/7`))).toMatchObject({ servedBy: 'orders', url: '/api/orders/7' });
    // A servlet container drops ";jsessionid=1": the route matches; the path is forwarded as sent.
    expect(json(await send(`${proxy.url}/api/orders;jsessionid=1/7`))).toMatchObject({ servedBy: 'orders', url: '/api/orders;jsessionid=1/7' });
    const before = legacy.requests.length + orders.requests.length;
    const fragment = await rawExchange(proxy.port, 'GET /api/orders#x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(fragment).toMatch(/^HTTP\/1\.1 400/);
    expect(legacy.requests.length + orders.requests.length).toBe(before);
  });

  test('a path that climbs above the root is refused and reaches no upstream', async () => {
    const response = await rawExchange(proxy.port, 'GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400/);
    expect(response).toContain('request path is not acceptable');
    expect(legacy.requests).toHaveLength(0);
    expect(orders.requests).toHaveLength(0);
  });

  test('an idle client connection stays open for listen.keepAliveTimeoutMs, then the proxy closes it', async () => {
    const base = testConfig([upstreamConfig('legacy', legacy.url)], []);
    const local = await startProxyHarness({ ...base, listen: { ...base.listen, keepAliveTimeoutMs: 1500 } });
    try {
      const socket = connect(local.port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())));
      socket.write('GET /idle HTTP/1.1\r\nHost: x\r\n\r\n');
      await eventually(() => answer.includes('\r\n\r\n'));
      const answeredAt = performance.now();
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toMatch(/\r\nkeep-alive: timeout=1\r\n/i);
      // Node's own default would close it after 5 s; the configured 1.5 s applies (plus node's timer slack).
      const idleMs = (await closed) - answeredAt;
      expect(idleMs).toBeGreaterThan(1000);
      expect(idleMs).toBeLessThan(4500);
    } finally {
      await local.close();
    }
  });

  test('X-Forwarded-* are appended or set, Host is the upstream, hop-by-hop headers are stripped both ways', async () => {
    const hopUpstream = await startUpstream('hop', (_req, res) => {
      res.writeHead(200, { connection: 'x-resp-hop', 'x-resp-hop': 'secret', 'keep-alive': 'timeout=5', 'x-end-to-end': 'yes' });
      res.end('ok');
    });
    const local = await startProxyHarness(testConfig([upstreamConfig('legacy', hopUpstream.url), upstreamConfig('orders', orders.url)], []));
    try {
      const reply = await send(`${local.url}/x`, {
        headers: {
          host: 'shop.example.com',
          'x-forwarded-for': '203.0.113.9',
          connection: 'keep-alive, x-hop-secret',
          'x-hop-secret': 'do not forward',
          'proxy-authorization': 'Basic abc',
          'keep-alive': 'timeout=5',
          te: 'gzip',
          'x-end-to-end': 'kept',
        },
      });
      const seen = hopUpstream.requests[0]!.headers;
      expect(seen['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
      expect(seen['x-forwarded-proto']).toBe('http');
      expect(seen['x-forwarded-host']).toBe('shop.example.com');
      expect(seen.host).toBe(new URL(hopUpstream.url).host);
      expect(seen['x-end-to-end']).toBe('kept');
      for (const name of ['x-hop-secret', 'proxy-authorization', 'keep-alive', 'te']) expect(seen[name]).toBeUndefined();
      expect(reply.headers['x-end-to-end']).toBe('yes');
      expect(reply.headers['x-resp-hop']).toBeUndefined();
    } finally {
      await local.close();
      await hopUpstream.close();
    }
  });

  test('x-request-id is generated when absent and propagated both ways', async () => {
    const generated = await send(`${proxy.url}/api/orders`);
    const id = generated.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(orders.requests[0]!.headers['x-request-id']).toBe(id);
    const given = await send(`${proxy.url}/api/orders`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    expect(orders.requests[1]!.headers['x-request-id']).toBe('abc-123');
  });

  test('sticky canary: each user always lands on the side Unleash bucketing gives', async () => {
    const users = Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? `jörg-${i}` : `user-${i}`));
    for (const user of users) {
      const expected = inRollout(user, 'strangler.sticky', 30) ? 'orders' : 'legacy';
      for (let i = 0; i < 2; i++) {
        expect(json(await send(`${proxy.url}/api/sticky`, { headers: { 'x-user-id': user } })).servedBy).toBe(expected);
      }
    }
    // Sent as UTF-8 bytes (curl, most clients): the side unleash-client gives the id itself, not its bytes read as Latin-1.
    // At 30 %: each of these lands on the other side when its UTF-8 bytes are hashed as Latin-1 characters.
    const accented = ['renée', 'björn', 'françois', 'josé', 'émile'];
    const sides = new Set<string>();
    for (const user of accented) {
      const expected = inRollout(user, 'strangler.sticky', 30) ? 'orders' : 'legacy';
      sides.add(expected);
      const utf8Bytes = Buffer.from(user, 'utf8').toString('latin1');
      expect([user, json(await send(`${proxy.url}/api/sticky`, { headers: { 'x-user-id': utf8Bytes } })).servedBy]).toEqual([user, expected]);
    }
    expect(sides.size).toBe(2);
    // Without the sticky value, stickyFallback: legacy.
    expect(json(await send(`${proxy.url}/api/sticky`)).servedBy).toBe('legacy');
  });

  test('a state change applies to the next request without a restart', async () => {
    proxy.state.set('users', 'live', 100);
    try {
      expect(json(await send(`${proxy.url}/api/users`)).servedBy).toBe('orders');
    } finally {
      proxy.state.set('users', 'legacy', 0);
    }
    expect(json(await send(`${proxy.url}/api/users`)).servedBy).toBe('legacy');
  });

  test('metrics count requests by route, target and code', async () => {
    await send(`${proxy.url}/api/orders`);
    const text = await proxy.registry.metrics();
    expect(text).toMatch(/strangler_requests_total\{route="orders",target="new",code="200"\} [1-9]/);
    expect(text).toMatch(/strangler_request_duration_seconds_count\{route="orders",target="new"\} [1-9]/);
    expect(text).toContain('strangler_route_percent{route="orders"} 100');
    expect(text).toContain('strangler_route_percent{route="sticky"} 30');
  });
});

describe('streaming and trailers', () => {
  let upstream: Server;
  let upstreamUrl: string;
  let releaseSecondChunk: () => void = () => undefined;
  let firstRequestChunkSeen: () => void = () => undefined;
  let releaseBody: () => void = () => undefined;
  let bodyWithoutHead = false;
  let proxy: ProxyHarness;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      if (req.url === '/stream-response') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first;');
        releaseSecondChunk = () => res.end('second');
        return;
      }
      if (req.url === '/stream-request') {
        let received = 0;
        req.on('data', (chunk: Buffer) => {
          if (received === 0) firstRequestChunkSeen();
          received += chunk.length;
        });
        req.on('end', () => res.end(String(received)));
        return;
      }
      if (req.url === '/trailers') {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('body');
        res.addTrailers({ 'x-checksum': 'abc123' });
        res.end();
        return;
      }
      if (req.url === '/sse' || req.url === '/slow-body') {
        const sse = req.url === '/sse';
        res.writeHead(200, sse ? { 'content-type': 'text/event-stream' } : { 'content-type': 'text/plain', 'content-length': '5' });
        res.flushHeaders();
        // The body goes when the client has the head (the test says so), or after 2 s if it never gets it.
        const fallback = setTimeout(() => {
          bodyWithoutHead = true;
          res.end(sse ? 'data: 1\n\n' : 'later');
        }, 2000);
        releaseBody = () => {
          clearTimeout(fallback);
          res.end(sse ? 'data: 1\n\n' : 'later');
        };
        return;
      }
      if (req.url === '/die') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      res.end('ok');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    proxy = await startProxyHarness(testConfig([upstreamConfig('legacy', upstreamUrl), upstreamConfig('orders', upstreamUrl)], []));
  });

  afterAll(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  test('the response streams: the client reads the first chunk before the upstream has finished', async () => {
    const received = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/stream-response`, { agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text === 'first;') releaseSecondChunk();
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(received).toBe('first;second');
  });

  test('the request streams: the upstream reads the first chunk before the client has sent the rest', async () => {
    const seen = new Promise<void>((resolve) => (firstRequestChunkSeen = resolve));
    const reply = new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/stream-request`, { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      // Past 64 KiB, so it streams (a smaller chunked body is read whole first).
      req.write(Buffer.alloc(70_000, 1));
      void seen.then(() => req.end(Buffer.alloc(2000, 2)));
    });
    expect(await reply).toBe('72000');
  });

  test.each(['/sse', '/slow-body'])('an upstream sending its head before its body (%s): the client gets the head at once, then the body', async (path) => {
    bodyWithoutHead = false;
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}${path}`, { agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
        releaseBody();
      });
      req.on('error', reject);
      req.end();
    });
    expect(bodyWithoutHead).toBe(false);
    expect(body).toBe(path === '/sse' ? 'data: 1\n\n' : 'later');
  });

  test('response trailers are forwarded', async () => {
    const reply = await send(`${proxy.url}/trailers`);
    expect(reply.body).toBe('body');
    expect(reply.trailers['x-checksum']).toBe('abc123');
  });

  test('an upstream dying mid-response cuts the client response instead of leaving it hanging', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest(`${proxy.url}/die`, { agent: false }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve('ended'));
        res.on('error', (err) => resolve(`error:${err.message}`));
        res.on('aborted', () => resolve('aborted'));
      });
      req.on('error', (err) => resolve(`error:${err.message}`));
      req.end();
    });
    expect(outcome).not.toBe('ended');
    const text = await proxy.registry.metrics();
    expect(text).toMatch(/strangler_upstream_errors_total\{route="_unmatched",target="legacy",reason="reset"\} 1/);
  });
});

/** What a WebSocket upstream saw of one request: its target and headers as they arrived. */
interface SeenRequest {
  url: string;
  headers: IncomingHttpHeaders;
}

interface WsUpstream {
  url: string;
  /** Every Upgrade request that reached this upstream (recorded before the handshake is answered). */
  upgrades: SeenRequest[];
  /** Every plain (non-Upgrade) request: there should be none. */
  plain: SeenRequest[];
  reset(): void;
  close(): Promise<void>;
}

/** A WebSocket server on loopback that answers every text frame with `<name>:<frame>`, so a reply names its upstream. */
async function startWsUpstream(name: string): Promise<WsUpstream> {
  const upgrades: SeenRequest[] = [];
  const plain: SeenRequest[] = [];
  const server = createServer((req, res) => {
    plain.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(426, { connection: 'close' }).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data) => ws.send(`${name}:${data.toString()}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    upgrades,
    plain,
    reset: () => {
      upgrades.length = 0;
      plain.length = 0;
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Opens a WebSocket through the proxy, sends one text frame, returns the first frame back, then closes cleanly. */
async function wsRoundTrip(port: number, path: string, message: string, headers: Record<string, string> = {}): Promise<string> {
  const client = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  try {
    return await new Promise<string>((resolve, reject) => {
      client.on('error', reject);
      client.once('open', () => client.send(message));
      client.once('message', (data) => resolve(data.toString()));
    });
  } finally {
    if (client.readyState === WebSocket.OPEN) client.close(1000);
    else if (client.readyState !== WebSocket.CLOSED) client.terminate();
    await closed;
  }
}

describe('WebSocket upgrades go to the chosen target', () => {
  let legacy: WsUpstream;
  let orders: WsUpstream;
  let proxy: ProxyHarness;
  const canary = routeConfig('ws-canary', '/ws/canary', {
    stage: 'canary',
    percent: 50,
    stickiness: { kind: 'header', name: 'x-user-id' },
    stickyFallback: 'legacy',
  });

  beforeAll(async () => {
    legacy = await startWsUpstream('legacy');
    orders = await startWsUpstream('orders');
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('orders', orders.url)],
        [routeConfig('ws-live', '/ws/live', { stage: 'live', percent: 100 }), routeConfig('ws-old', '/ws/old', { stage: 'legacy', service: 'orders' }), canary],
      ),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await legacy.close();
    await orders.close();
  });

  beforeEach(() => {
    legacy.reset();
    orders.reset();
  });

  const upstreams = (): Record<'legacy' | 'orders', WsUpstream> => ({ legacy, orders });

  /** Exactly one upgrade reached `side` (returned), and nothing at all reached the other upstream. */
  function onlyUpgradeAt(side: 'legacy' | 'orders'): SeenRequest {
    const chosen = upstreams()[side];
    const other = upstreams()[side === 'legacy' ? 'orders' : 'legacy'];
    expect(chosen.upgrades).toHaveLength(1);
    expect(chosen.plain).toHaveLength(0);
    expect(other.upgrades).toHaveLength(0);
    expect(other.plain).toHaveLength(0);
    return chosen.upgrades[0]!;
  }

  test('a live route upgrades to the new service; a legacy-stage route and an unmatched path upgrade to legacy; frames round-trip', async () => {
    const cases: Array<[string, 'legacy' | 'orders']> = [
      ['/ws/live/chat?room=1', 'orders'],
      ['/ws/old/chat', 'legacy'],
      ['/elsewhere/socket', 'legacy'],
    ];
    for (const [path, side] of cases) {
      legacy.reset();
      orders.reset();
      expect(await wsRoundTrip(proxy.port, path, `hello ${path}`)).toBe(`${side}:hello ${path}`);
      expect(onlyUpgradeAt(side).url).toBe(path);
    }
  });

  test('sticky header canary: each user upgrades to the side Unleash bucketing gives it, and only there', async () => {
    const users = [...Array.from({ length: 12 }, (_, i) => `user-${i}`), 'jörg-7'];
    const sides = new Set<'legacy' | 'orders'>();
    for (const user of users) {
      const expected = inRollout(user, canary.flag, canary.percent) ? 'orders' : 'legacy';
      sides.add(expected);
      for (let i = 0; i < 2; i++) {
        legacy.reset();
        orders.reset();
        expect(await wsRoundTrip(proxy.port, '/ws/canary/feed', `hi ${user}`, { 'x-user-id': user })).toBe(`${expected}:hi ${user}`);
        expect(onlyUpgradeAt(expected).headers['x-user-id']).toBe(user);
      }
    }
    // The users must exercise both sides, or this test would not show the split at all.
    expect([...sides].sort()).toEqual(['legacy', 'orders']);

    // Without the sticky header: stickyFallback legacy.
    legacy.reset();
    orders.reset();
    expect(await wsRoundTrip(proxy.port, '/ws/canary/feed', 'anon')).toBe('legacy:anon');
    onlyUpgradeAt('legacy');
  });

  test("the chosen upstream's upgrade carries the proxy's X-Forwarded-For, an x-request-id and its own Host", async () => {
    expect(await wsRoundTrip(proxy.port, '/ws/live/a', 'one')).toBe('orders:one');
    const generated = onlyUpgradeAt('orders').headers;
    expect(generated['x-forwarded-for']).toBe('127.0.0.1');
    expect(generated['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(generated.host).toBe(new URL(orders.url).host);

    orders.reset();
    const given = { 'x-request-id': 'ws-req-1', 'x-forwarded-for': '203.0.113.9' };
    expect(await wsRoundTrip(proxy.port, '/ws/old/b', 'two', given)).toBe('legacy:two');
    const kept = onlyUpgradeAt('legacy').headers;
    expect(kept['x-request-id']).toBe('ws-req-1');
    expect(kept['x-forwarded-for']).toMatch(/^203\.0\.113\.9, ?127\.0\.0\.1$/);
    expect(kept.host).toBe(new URL(legacy.url).host);
  });

  test('hop-by-hop headers stay on the client hop; the 101 returns the x-request-id the upstream got', async () => {
    const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws/live/d`, {
      headers: { 'proxy-authorization': 'Basic abc', te: 'gzip', 'keep-alive': 'timeout=5', 'x-app': 'kept' },
    });
    const upgraded = new Promise<IncomingMessage>((resolve) => client.once('upgrade', resolve));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const reply = await new Promise<string>((resolve, reject) => {
      client.on('error', reject);
      client.once('open', () => client.send('four'));
      client.once('message', (data) => resolve(data.toString()));
    });
    client.close(1000);
    await closed;
    expect(reply).toBe('orders:four');
    const seen = onlyUpgradeAt('orders').headers;
    expect([seen['proxy-authorization'], seen.te, seen['keep-alive'], seen['x-app']]).toEqual([undefined, undefined, undefined, 'kept']);
    expect(seen.upgrade).toBe('websocket');
    expect((await upgraded).headers['x-request-id']).toBe(seen['x-request-id']);
    expect(seen['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("from an untrusted peer, a client's own X-Forwarded-Proto/-Port/-Host do not reach the upstream on a plain-http upgrade", async () => {
    const claimed = { 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'x-forwarded-host': 'evil.example' };
    expect(await wsRoundTrip(proxy.port, '/ws/live/c', 'three', claimed)).toBe('orders:three');
    const seen = onlyUpgradeAt('orders').headers;
    const tokens = (value: string | string[] | undefined): string[] => String(value ?? '').split(',').map((t) => t.trim());
    expect(seen['x-forwarded-proto']).toBeDefined();
    expect(tokens(seen['x-forwarded-proto'])).not.toContain('https');
    expect(tokens(seen['x-forwarded-proto'])).not.toContain('wss');
    expect(tokens(seen['x-forwarded-port'])).not.toContain('443');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${proxy.port}`);
  });
});

describe('an upstream breaking the framing rules of a 204', () => {
  let upstream: NetServer;
  let proxy: ProxyHarness;

  beforeAll(async () => {
    // A 204 with a Content-Length (RFC 9110 §8.6 forbids it), on a connection kept alive.
    upstream = createNetServer((socket) => {
      socket.on('data', () => socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nETag: "v1"\r\n\r\n'));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    proxy = await startProxyHarness(testConfig([upstreamConfig('legacy', `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`)], []));
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  test("the client gets the 204 without its Content-Length, and the next answer on the connection intact", async () => {
    const answer = await rawExchange(proxy.port, 'DELETE /a HTTP/1.1\r\nHost: a\r\n\r\nDELETE /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const heads = answer.split('\r\n\r\n').filter((part) => part !== '');
    expect(heads).toHaveLength(2);
    for (const head of heads) {
      expect(head).toMatch(/^HTTP\/1\.1 204 No Content\r\n/);
      expect(head).toMatch(/\r\nETag: "v1"/);
      expect(head.toLowerCase()).not.toContain('content-length');
    }
  });
});

describe('answers an upstream spoils: cut off mid-body, or with a status outside 100-599', () => {
  /** Answers by the path's last segment, with exactly the bytes a broken upstream would send. */
  let spoiler: NetServer;
  const spoilerSockets = new Set<Duplex>();
  let legacy: TestUpstream;
  let proxy: ProxyHarness;

  const HEAD_AND_FIVE_OF_100 = (status: string): string => `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nhello`;
  const answers: Record<string, { bytes: string; then: 'reset' | 'stall' | 'keep' }> = {
    reset: { bytes: HEAD_AND_FIVE_OF_100('200 OK'), then: 'reset' },
    stall: { bytes: HEAD_AND_FIVE_OF_100('200 OK'), then: 'stall' },
    'reset-503': { bytes: HEAD_AND_FIVE_OF_100('503 Service Unavailable'), then: 'reset' },
    'status-999': { bytes: 'HTTP/1.1 999 Whatever\r\nContent-Length: 2\r\n\r\nok', then: 'keep' },
    'status-099': { bytes: 'HTTP/1.1 099 Whatever\r\nContent-Length: 2\r\n\r\nok', then: 'keep' },
  };

  beforeAll(async () => {
    spoiler = createNetServer((socket) => {
      spoilerSockets.add(socket);
      socket.on('close', () => spoilerSockets.delete(socket));
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        const path = /^[A-Z]+ (\S+)/.exec(chunk.toString('latin1'))?.[1] ?? '/';
        const answer = answers[path.split('/').pop()!];
        if (!answer) return void socket.destroy();
        socket.write(answer.bytes);
        if (answer.then === 'reset') setTimeout(() => socket.destroy(), 20);
      });
    });
    await new Promise<void>((resolve) => spoiler.listen(0, '127.0.0.1', resolve));
    legacy = await startUpstream('legacy');
    const spoilerUrl = `http://127.0.0.1:${(spoiler.address() as AddressInfo).port}`;
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('spoiler', spoilerUrl, { timeoutMs: 300 })],
        [
          routeConfig('spoilt', '/api', { stage: 'live', percent: 100, service: 'spoiler' }),
          routeConfig('spoilt-legacy', '/old', { stage: 'legacy', legacy: 'spoiler' }),
          routeConfig('fb-5xx', '/fb-5xx', { stage: 'live', percent: 100, service: 'spoiler', fallback: { on: ['5xx'], methods: ['GET'] } }),
          routeConfig('fb-connect', '/fb-connect', { stage: 'live', percent: 100, service: 'spoiler', fallback: { on: ['connect-error', 'timeout'], methods: ['GET'] } }),
          routeConfig('plain', '/plain', { service: undefined }),
        ],
      ),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await legacy.close();
    for (const socket of spoilerSockets) socket.destroy();
    await new Promise<void>((resolve) => spoiler.close(() => resolve()));
  });

  /** The status the client got, and whether its response was cut off (it ended with an error, not complete). */
  function fetchOutcome(path: string): Promise<{ status: number; cut: boolean; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${proxy.url}${path}`, { agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cut: false, body }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, cut: true, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** One counter sample (0 when the series does not exist). */
  async function sample(series: string): Promise<number> {
    const line = (await proxy.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  }

  async function samples(series: string[]): Promise<number[]> {
    return Promise.all(series.map(sample));
  }

  test('a response cut off mid-body keeps the code the client got and is counted as cut, by reason, on the side that sent it', async () => {
    const series = [
      'strangler_requests_total{route="spoilt",target="new",code="200"}',
      'strangler_responses_cut_total{route="spoilt",target="new",reason="reset"}',
      'strangler_responses_cut_total{route="spoilt",target="new",reason="timeout"}',
      'strangler_requests_total{route="spoilt-legacy",target="legacy",code="200"}',
      'strangler_responses_cut_total{route="spoilt-legacy",target="legacy",reason="reset"}',
      'strangler_upstream_errors_total{route="spoilt",target="new",reason="reset"}',
      'strangler_upstream_errors_total{route="spoilt",target="new",reason="timeout"}',
    ];
    const before = await samples(series);
    expect(await fetchOutcome('/api/reset')).toEqual({ status: 200, cut: true, body: 'hello' });
    // The body stalls past the upstream's timeoutMs (300 ms) after its first five bytes.
    expect(await fetchOutcome('/api/stall')).toEqual({ status: 200, cut: true, body: 'hello' });
    expect(await fetchOutcome('/old/reset')).toEqual({ status: 200, cut: true, body: 'hello' });
    const after = await samples(series);
    expect(after.map((value, i) => value - before[i]!)).toEqual([2, 1, 1, 1, 1, 1, 1]);
  });

  test('a cut response with a status of 500 or more is an error by its code already: counted once, not as cut', async () => {
    const series = [
      'strangler_requests_total{route="spoilt",target="new",code="503"}',
      'strangler_responses_cut_total{route="spoilt",target="new",reason="reset"}',
      'strangler_upstream_errors_total{route="spoilt",target="new",reason="reset"}',
    ];
    const before = await samples(series);
    expect(await fetchOutcome('/api/reset-503')).toEqual({ status: 503, cut: true, body: 'hello' });
    const after = await samples(series);
    expect(after.map((value, i) => value - before[i]!)).toEqual([1, 0, 1]);
  });

  test.each(['999', '099'])('status %s is an invalid response: the proxy\'s 502, counted as one, and never a label value', async (status) => {
    const series = ['strangler_requests_total{route="spoilt",target="new",code="502"}', 'strangler_upstream_errors_total{route="spoilt",target="new",reason="reset"}'];
    const before = await samples(series);
    const reply = await send(`${proxy.url}/api/status-${status}`, { headers: { 'x-request-id': `invalid-${status}` } });
    expect([reply.status, json(reply)]).toEqual([
      502,
      { error: 'upstream spoiler answered with a status outside 100-599', route: 'spoilt', target: 'new', upstream: 'spoiler', requestId: `invalid-${status}` },
    ]);
    const after = await samples(series);
    expect(after.map((value, i) => value - before[i]!)).toEqual([1, 1]);
    expect(await proxy.registry.metrics()).not.toMatch(new RegExp(`code="0*${Number(status)}"`));
  });

  test("an invalid status from the new service falls back to legacy where the route's fallback covers 5xx; elsewhere it is the 502", async () => {
    const series = ['strangler_fallbacks_total{route="fb-5xx",reason="5xx"}', 'strangler_upstream_errors_total{route="fb-5xx",target="new",reason="5xx"}'];
    const before = await samples(series);
    const fellBack = await send(`${proxy.url}/fb-5xx/status-999`);
    expect([fellBack.status, json(fellBack).servedBy]).toEqual([200, 'legacy']);
    expect((await samples(series)).map((value, i) => value - before[i]!)).toEqual([1, 1]);
    const notCovered = await send(`${proxy.url}/fb-connect/status-999`);
    expect([notCovered.status, json(notCovered).upstream]).toEqual([502, 'spoiler']);
  });

  test('failure series exist from the start at 0 for the sides a route has: a route without a service has no new-side series', async () => {
    const text = await proxy.registry.metrics();
    const ofPlain = text.split('\n').filter((line) => line.includes('route="plain"'));
    expect(ofPlain.filter((line) => /^strangler_(upstream_errors|fallbacks|responses_cut)_total/.test(line)).sort()).toEqual([
      'strangler_responses_cut_total{route="plain",target="legacy",reason="reset"} 0',
      'strangler_responses_cut_total{route="plain",target="legacy",reason="timeout"} 0',
    ]);
    for (const series of [
      'strangler_responses_cut_total{route="fb-5xx",target="new",reason="timeout"} 0',
      'strangler_responses_cut_total{route="fb-5xx",target="legacy",reason="reset"} 0',
      'strangler_upstream_errors_total{route="fb-5xx",target="new",reason="connect-error"} 0',
      'strangler_fallbacks_total{route="fb-5xx",reason="timeout"} 0',
    ]) {
      expect(text).toContain(series);
    }
  });
});

describe('small request bodies are read whole before an upstream connection is taken', () => {
  let upstream: TestUpstream;
  let proxy: ProxyHarness;

  beforeAll(async () => {
    upstream = await startUpstream('legacy', (req, res, body) => res.end(`${req.method} ${body.length}`));
    // One connection: a client trickling its body into it would shut everyone else out.
    proxy = await startProxyHarness(testConfig([upstreamConfig('legacy', upstream.url, { connections: 1, timeoutMs: 1000 })], []));
  });

  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  /**
   * Sends a head for a `length`-byte body and `first` bytes of it; `rest()` sends the others, `leave()` closes.
   * `chunked`: the body goes as two chunks and the last chunk, without a Content-Length.
   */
  function trickle(length: number, first: number, chunked = false): { rest: () => void; leave: () => void; answer: Promise<string> } {
    const socket = connect(proxy.port, '127.0.0.1');
    socket.on('error', () => undefined);
    let text = '';
    const answer = new Promise<string>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (/\r\n\r\n[\s\S]*\d$/.test(text)) resolve(text);
      });
      socket.on('close', () => resolve(text));
    });
    const chunk = (text: string): string => (chunked ? `${text.length.toString(16)}\r\n${text}\r\n` : text);
    const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`;
    socket.write(`POST /upload HTTP/1.1\r\nHost: a\r\n${framing}\r\n\r\n${chunk('a'.repeat(first))}`);
    const rest = (): boolean => socket.write(chunk('b'.repeat(length - first)) + (chunked ? '0\r\n\r\n' : ''));
    return { rest, leave: () => socket.destroy(), answer };
  }

  test.each([
    ['a Content-Length', false],
    ['chunked', true],
  ])('a client sending its body (%s) slowly holds no upstream connection meanwhile; the upstream gets the body whole', async (_framing, chunked) => {
    upstream.requests.length = 0;
    const slow = trickle(60_000, 10, chunked);
    await new Promise((r) => setTimeout(r, 100));
    const other = await send(`${proxy.url}/other`);
    expect(other.body).toBe('GET 0');
    expect(upstream.requests.map((r) => r.url)).toEqual(['/other']);
    slow.rest();
    expect(await slow.answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nPOST 60000$/);
    expect(upstream.requests.map((r) => [r.url, r.body.length, r.complete])).toEqual([
      ['/other', 0, true],
      ['/upload', 60_000, true],
    ]);
    expect(upstream.requests[1]!.body.equals(Buffer.from('a'.repeat(10) + 'b'.repeat(59_990)))).toBe(true);
    // Read whole, a chunked body goes on with its length known, as nginx sends it.
    expect([upstream.requests[1]!.headers['content-length'], upstream.requests[1]!.headers['transfer-encoding']]).toEqual(['60000', undefined]);
  });

  test('a client leaving before its body is whole: nothing reaches the upstream, counted as a client abort', async () => {
    upstream.requests.length = 0;
    const before = await clientAborts(proxy);
    const leaving = trickle(1000, 500);
    await eventually(() => proxy.server.activeRequests === 1, 3000, 10);
    leaving.leave();
    await eventually(async () => (await clientAborts(proxy)) === before + 1, 3000, 10);
    expect(proxy.server.activeRequests).toBe(0);
    expect(upstream.requests).toEqual([]);
  });

  test.each([
    ['a Content-Length', false],
    ['chunked', true],
  ])("a client whose small body (%s) stalls for the upstream's timeoutMs gets a 408 (as a streamed upload does); nothing reaches the upstream", async (_framing, chunked) => {
    upstream.requests.length = 0;
    const stalled = trickle(1000, 10, chunked);
    const answer = await stalled.answer;
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'request body stalled: none of the rest arrived within 1000 ms', upstream: 'legacy' });
    expect(upstream.requests).toEqual([]);
    expect(proxy.server.activeRequests).toBe(0);
  });

  test('a body over 64 KiB streams: the upstream starts reading before the client has sent it all', async () => {
    upstream.requests.length = 0;
    const large = trickle(64 * 1024 + 1, 1000);
    await eventually(() => upstream.requests.length === 1 && upstream.requests[0]!.body.length === 0, 3000, 10);
    large.rest();
    expect(await large.answer).toMatch(/\r\n\r\nPOST 65537$/);
  });

  test('a chunked body past 64 KiB streams from there: the upstream gets its first part before the client has sent the rest', async () => {
    upstream.requests.length = 0;
    const large = trickle(100_000, 64 * 1024 + 1, true);
    await eventually(() => upstream.requests.length === 1 && !upstream.requests[0]!.complete, 3000, 10);
    large.rest();
    expect(await large.answer).toMatch(/\r\n\r\nPOST 100000$/);
    const received = upstream.requests[0]!;
    expect(received.body.equals(Buffer.from('a'.repeat(64 * 1024 + 1) + 'b'.repeat(100_000 - 64 * 1024 - 1)))).toBe(true);
    expect([received.headers['content-length'], received.headers['transfer-encoding']]).toEqual([undefined, 'chunked']);
  });
});

describe('an upstream answering before the upload has ended', () => {
  let upstream: Server;
  let proxy: ProxyHarness;

  beforeAll(async () => {
    // Answers /early with a 413 before reading the body; anything else after reading it.
    upstream = createServer((req, res) => {
      if (req.url === '/early') return void res.writeHead(413, { 'content-type': 'text/plain' }).end('too large');
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`read ${req.url}`));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    proxy = await startProxyHarness(testConfig([upstreamConfig('legacy', url, { timeoutMs: 500 })], []));
  });

  afterAll(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const BODY = 'u'.repeat(300_000);
  const framings: Array<[string, string, string]> = [
    ['a Content-Length', `Content-Length: ${BODY.length}`, BODY],
    ['chunked', 'Transfer-Encoding: chunked', `${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`],
  ];

  test.each(framings)('(%s) the rest of the body is read and dropped: the same connection carries the next request', async (_framing, header, body) => {
    const answer = await rawExchange(proxy.port, `POST /early HTTP/1.1\r\nHost: a\r\n${header}\r\n\r\n${body}GET /next HTTP/1.1\r\nHost: a\r\n\r\n`, 3000);
    const statuses = answer.match(/HTTP\/1\.1 \d{3}/g);
    expect(statuses).toEqual(['HTTP/1.1 413', 'HTTP/1.1 200']);
    expect(answer).toContain('\r\n\r\n9\r\ntoo large\r\n0\r\n\r\n');
    expect(answer.endsWith('\r\n\r\na\r\nread /next\r\n0\r\n\r\n')).toBe(true);
  });

  test.each(framings)("(%s) a client that then sends none of the rest loses its connection after the upstream's timeoutMs", async (_framing, header, body) => {
    const started = performance.now();
    const answer = await rawExchange(proxy.port, `POST /early HTTP/1.1\r\nHost: a\r\n${header}\r\n\r\n${body.slice(0, 100_000)}`, 5000);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.endsWith('\r\n\r\n9\r\ntoo large\r\n0\r\n\r\n')).toBe(true);
    // Closed by the proxy (rawExchange's own timeout is 5 s).
    expect(performance.now() - started).toBeLessThan(4000);
  });
});

describe('a client that takes none of its response (listen.sendTimeoutMs)', () => {
  const CHUNK = Buffer.alloc(64 * 1024, 120);
  const BODY_BYTES = 64 * 1024 * 1024;
  let upstream: TestUpstream;
  let proxy: ProxyHarness;
  /** Each /big answer's upstream response: whether it ended (all sent) or closed under the upstream. */
  const bigAnswers: Array<{ finished: boolean; closed: boolean }> = [];

  beforeAll(async () => {
    upstream = await startUpstream('legacy', (req, res) => {
      if (req.url !== '/big') return void res.end('small');
      const answer = { finished: false, closed: false };
      bigAnswers.push(answer);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BODY_BYTES) });
      let sent = 0;
      const pump = (): void => {
        while (sent < BODY_BYTES) {
          sent += CHUNK.length;
          if (!res.write(CHUNK)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('finish', () => (answer.finished = true));
      res.on('close', () => (answer.closed = true));
      pump();
    });
    // One connection: a client holding it would shut everyone else out.
    const config = testConfig([upstreamConfig('legacy', upstream.url, { connections: 1, timeoutMs: 5000 })], []);
    config.listen.sendTimeoutMs = 400;
    proxy = await startProxyHarness(config);
  });

  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });


  test('is cut off after sendTimeoutMs, freeing the upstream connection for the next client', async () => {
    const before = await clientAborts(proxy);
    const stalled = connect(proxy.port, '127.0.0.1');
    stalled.on('error', () => undefined);
    stalled.pause(); // reads nothing, ever
    stalled.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
    await eventually(() => bigAnswers.length === 1, 3000, 10);
    // The only upstream connection is busy with /big; the next client waits for it, then gets it.
    const started = performance.now();
    const next = await send(`${proxy.url}/small`);
    expect(next.status).toBe(200);
    expect(next.body).toBe('small');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(bigAnswers[0]).toEqual({ finished: false, closed: true });
    expect(await clientAborts(proxy)).toBe(before + 1);
    expect(proxy.server.activeRequests).toBe(0);
    stalled.destroy();
  });

  test('a client that pauses for less than sendTimeoutMs, then reads on, gets the whole response', async () => {
    const received = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/big`, { agent: false }, (res) => {
        let bytes = 0;
        let pauses = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          // Twice, after the buffers between here and the upstream have filled: a 250 ms pause.
          if ((bytes > 16 * 1024 * 1024 && pauses === 0) || (bytes > 40 * 1024 * 1024 && pauses === 1)) {
            pauses++;
            res.pause();
            setTimeout(() => res.resume(), 250);
          }
        });
        res.on('end', () => resolve(bytes));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(received).toBe(BODY_BYTES);
    expect(bigAnswers.at(-1)).toEqual({ finished: true, closed: true });
  });
});

describe('listen.sendTimeoutMs and pipelining', () => {
  const BIG = 4 * 1024 * 1024;
  let upstream: TestUpstream;
  let proxy: ProxyHarness;

  beforeAll(async () => {
    upstream = await startUpstream('legacy', (req, res) => {
      if (req.url === '/drip') {
        // Ten small chunks 100 ms apart: a second longer than sendTimeoutMs, read by the client all along.
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '10' });
        let sent = 0;
        const timer = setInterval(() => {
          res.write('d');
          if (++sent === 10) {
            clearInterval(timer);
            res.end();
          }
        }, 100);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG) });
      res.end(Buffer.alloc(BIG, 98));
    });
    const config = testConfig([upstreamConfig('legacy', upstream.url, { timeoutMs: 5000 })], []);
    config.listen.sendTimeoutMs = 300;
    proxy = await startProxyHarness(config);
  });

  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  test('a response pipelined behind a longer one is not cut while the client reads the first', async () => {
    const answer = await rawExchange(proxy.port, 'GET /drip HTTP/1.1\r\nHost: a\r\n\r\nGET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 5000);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const second = answer.indexOf('dddddddddd') + 10;
    expect(answer.slice(second)).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.length - (answer.indexOf('\r\n\r\n', second) + 4)).toBe(BIG);
  });
});

describe('failures', () => {
  let legacy: TestUpstream;
  let slow: TestUpstream;
  let unaccepting: UnacceptingListener;
  let deaf: NetServer;
  /** A paused socket never reads the proxy's FIN, so it never closes by itself: closed by hand at the end. */
  const deafSockets: Duplex[] = [];
  let proxy: ProxyHarness;

  beforeAll(async () => {
    legacy = await startUpstream('legacy');
    slow = await startUpstream('slow', (_req, res) => {
      setTimeout(() => res.end('late'), 1500).unref();
    });
    unaccepting = await unacceptingListener();
    await unaccepting.fill();
    // Accepts, then reads nothing: an upload to it stalls on the upstream's side.
    deaf = createNetServer((socket) => {
      deafSockets.push(socket);
      socket.pause();
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => deaf.listen(0, '127.0.0.1', resolve));
    const deadPort = await unusedPort();
    proxy = await startProxyHarness(
      testConfig(
        [
          upstreamConfig('legacy', legacy.url),
          upstreamConfig('dead', `http://127.0.0.1:${deadPort}`),
          upstreamConfig('slow', slow.url, { timeoutMs: 300 }),
          upstreamConfig('unaccepting', `http://127.0.0.1:${unaccepting.port}`, { timeoutMs: 300 }),
          upstreamConfig('deaf', `http://127.0.0.1:${(deaf.address() as AddressInfo).port}`, { timeoutMs: 300 }),
        ],
        [
          routeConfig('deaf', '/deaf', { stage: 'live', service: 'deaf' }),
          routeConfig('hung', '/hung', { stage: 'live', service: 'unaccepting' }),
          routeConfig('down', '/down', { stage: 'live', service: 'dead' }),
          routeConfig('slow', '/slow', { stage: 'live', service: 'slow' }),
        ],
      ),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await legacy.close();
    await slow.close();
    await unaccepting.close();
    for (const socket of deafSockets) socket.destroy();
    await new Promise<void>((resolve) => deaf.close(() => resolve()));
  });

  test('upstream refusing the connection → 502 with a JSON body', async () => {
    const reply = await send(`${proxy.url}/down/1`, { headers: { 'x-request-id': 'req-502', connection: 'keep-alive' } });
    expect(reply.status).toBe(502);
    // Nothing of the request is left unread: the client keeps its connection.
    expect(reply.headers.connection).toBe('keep-alive');
    expect(json(reply)).toEqual({ error: expect.stringContaining('refused'), route: 'down', target: 'new', upstream: 'dead', requestId: 'req-502' });
  });

  test('a request with a body gets its 502 or 504 too, counted as the upstream failure, not as the client leaving', async () => {
    const down = await send(`${proxy.url}/down/1`, { method: 'POST', body: 'x=1', headers: { 'x-request-id': 'post-502' } });
    expect(down.status).toBe(502);
    expect(json(down)).toMatchObject({ error: expect.stringContaining('refused'), route: 'down', requestId: 'post-502' });
    const slowPost = await send(`${proxy.url}/slow`, { method: 'POST', body: 'x=1' });
    expect(slowPost.status).toBe(504);
    const text = await proxy.registry.metrics();
    expect(text).not.toMatch(/strangler_requests_total\{route="(down|slow)",target="new",code="499"\}/);
    expect(text).toMatch(/strangler_upstream_errors_total\{route="slow",target="new",reason="timeout"\} \d+/);
  });

  test('a failing upstream is logged with the request id a client would report, once, then summed up (not a line per request)', async () => {
    const failures = (): Array<Record<string, unknown>> => proxy.logs.filter((line) => line.msg === 'upstream request failed' && line.route === 'down');
    const before = failures().length;
    await send(`${proxy.url}/down/logged`, { headers: { 'x-request-id': 'log-me' } });
    for (let i = 0; i < 5; i++) await send(`${proxy.url}/down/again`);
    const lines = failures().slice(before);
    // The first failure of this route, side and reason in the interval is a line; the next ones wait for the next.
    expect(lines.length).toBeLessThanOrEqual(1);
    const all = failures();
    expect(all[0]).toMatchObject({ level: 40, route: 'down', target: 'new', upstream: 'dead', reason: 'connect-error', status: 502 });
    expect(typeof all[0]!.requestId).toBe('string');
  });

  test('upstream slower than timeoutMs → 504 with a JSON body', async () => {
    const reply = await send(`${proxy.url}/slow`);
    expect(reply.status).toBe(504);
    expect(json(reply)).toMatchObject({ error: expect.stringContaining('300 ms'), route: 'slow', target: 'new', upstream: 'slow' });
    expect(json(reply).requestId).toBe(reply.headers['x-request-id']);
  });

  test('a client pausing mid-upload past timeoutMs gets a 408 counted as its own abort, not a 504 blamed on the upstream', async () => {
    const sample = async (reason: string): Promise<number> =>
      Number(new RegExp(`strangler_upstream_errors_total\\{route="slow",target="new",reason="${reason}"\\} (\\d+)`).exec(await proxy.registry.metrics())?.[1] ?? 0);
    const [timeoutsBefore, abortsBefore] = [await sample('timeout'), await sample('client-abort')];
    // Over 64 KiB, so it streams; 1,000 bytes, then nothing more.
    const answer = await rawExchange(proxy.port, `POST /slow/upload HTTP/1.1\r\nHost: a\r\nx-request-id: stalled-upload\r\nContent-Length: 200000\r\n\r\n${'u'.repeat(1000)}`, 3000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer.toLowerCase()).toContain('\r\nconnection: close\r\n');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: 'request body stalled: none of the rest arrived within 300 ms',
      route: 'slow',
      target: 'new',
      upstream: 'slow',
      requestId: 'stalled-upload',
    });
    expect([await sample('timeout'), await sample('client-abort')]).toEqual([timeoutsBefore, abortsBefore + 1]);
  });

  test('an upstream that stops reading an upload is still the upstream timing out: 504, counted as its timeout', async () => {
    const body = Buffer.alloc(32 * 1024 * 1024, 117);
    const head = `POST /deaf/upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n`;
    const answer = await rawExchange(proxy.port, Buffer.concat([Buffer.from(head), body]), 5000);
    expect(answer).toMatch(/^HTTP\/1\.1 504 Gateway Timeout\r\n/);
    expect(await proxy.registry.metrics()).toMatch(/strangler_upstream_errors_total\{route="deaf",target="new",reason="timeout"\} 1/);
  });

  test('a connect that never completes → 504 after the upstream timeoutMs, counted as a timeout', async () => {
    const reply = await send(`${proxy.url}/hung/1`);
    expect(reply.status).toBe(504);
    expect(json(reply)).toMatchObject({ error: expect.stringContaining('300 ms'), route: 'hung', target: 'new', upstream: 'unaccepting' });
    expect(await proxy.registry.metrics()).toMatch(/strangler_upstream_errors_total\{route="hung",target="new",reason="timeout"\} 1/);
  });

  const upgradeRequest = (path: string, requestId: string): string =>
    `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nx-request-id: ${requestId}\r\n\r\n`;
  const bodyOf = (answer: string): unknown => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

  test('a WebSocket upgrade to an upstream refusing the connection → 502 with the JSON body a plain request gets, counted', async () => {
    const counted = async (): Promise<number[]> => {
      const text = await proxy.registry.metrics();
      const sample = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? 0);
      return [sample(/strangler_requests_total\{route="down",target="new",code="502"\} (\d+)/), sample(/strangler_upstream_errors_total\{route="down",target="new",reason="connect-error"\} (\d+)/)];
    };
    const before = await counted();
    const answer = await rawExchange(proxy.port, upgradeRequest('/down/ws', 'ws-502'));
    expect(answer).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(answer).toMatch(/\r\nconnection: close\r\n/);
    expect(bodyOf(answer)).toEqual({ error: 'upstream dead refused the connection', route: 'down', target: 'new', upstream: 'dead', requestId: 'ws-502' });
    expect(await counted()).toEqual(before.map((n) => n + 1));
  });

  test('a WebSocket handshake the upstream never answers → 504 after its timeoutMs', async () => {
    const answer = await rawExchange(proxy.port, upgradeRequest('/hung/ws', 'ws-504'));
    expect(answer).toMatch(/^HTTP\/1\.1 504 Gateway Timeout\r\n/);
    expect(bodyOf(answer)).toMatchObject({ error: 'upstream unaccepting did not answer the upgrade within 300 ms', route: 'hung', requestId: 'ws-504' });
    expect(await proxy.registry.metrics()).toMatch(/strangler_requests_total\{route="hung",target="new",code="504"\} \d+/);
  });

  test('an upstream answering an upgrade with a plain response: passed on framed by the connection closing, not a chunked header over a de-chunked body', async () => {
    const answer = await rawExchange(proxy.port, upgradeRequest('/not-a-socket', 'ws-plain'));
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.toLowerCase()).not.toContain('transfer-encoding');
    expect(answer).toMatch(/\r\nconnection: close\r\n/);
    expect(bodyOf(answer)).toMatchObject({ servedBy: 'legacy' });
    expect(await proxy.registry.metrics()).toMatch(/strangler_requests_total\{route="_unmatched",target="legacy",code="200"\} \d+/);
  });

  test('an Upgrade other than WebSocket (curl --http2 on http://) is answered as a plain request, its body included', async () => {
    const h2c = (method: string, extra: string, body: string): string =>
      `${method} /h2c HTTP/1.1\r\nHost: shop.example\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n${extra}\r\n${body}`;
    legacy.requests.length = 0;
    const get = await rawExchange(proxy.port, h2c('GET', '', ''));
    expect(get).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(get).toMatch(/\r\nConnection: close\r\n/i);
    expect(get).toContain('{"servedBy":"legacy","method":"GET","url":"/h2c"}');
    // The upstream gets a plain request: no Upgrade, no HTTP2-Settings.
    expect(legacy.requests[0]!.headers).not.toHaveProperty('upgrade');
    expect(legacy.requests[0]!.headers).not.toHaveProperty('http2-settings');

    const socket = connect(proxy.port, '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('close', () => resolve(text));
    });
    // The body arrives in two parts, the second after node has handed the connection over.
    socket.write(h2c('POST', 'Content-Length: 6\r\n', 'a=1'));
    await new Promise((r) => setTimeout(r, 50));
    socket.write('&b=2'.slice(0, 3));
    expect(await answer).toContain('{"servedBy":"legacy","method":"POST","url":"/h2c"}');
    expect(legacy.requests[1]!.body.toString()).toBe('a=1&b=');
    expect(legacy.requests[1]!.complete).toBe(true);

    const chunked = await rawExchange(proxy.port, h2c('POST', 'Transfer-Encoding: chunked\r\n', '3\r\na=1\r\n0\r\n\r\n'));
    expect(chunked).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(legacy.requests).toHaveLength(2);
  });

  test("an absolute-form target's authority is the Host (RFC 9112 §3.2.2), not the Host header sent with it", async () => {
    legacy.requests.length = 0;
    const answer = await rawExchange(proxy.port, 'GET http://user@shop.example:8081/absolute?q=1 HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(legacy.requests[0]).toMatchObject({ url: '/absolute?q=1' });
    expect(legacy.requests[0]!.headers['x-forwarded-host']).toBe('shop.example:8081');
  });

  test('a bad chunk size inside the body of a request being handled is still counted as malformed (a desync probe)', async () => {
    const before = (await rejectedByReason())['bad-request'];
    await new Promise<void>((resolve) => {
      const socket = connect(proxy.port, '127.0.0.1', () => {
        socket.write('POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
        setTimeout(() => socket.write('zz\r\nsmuggled\r\n'), 100);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
    await eventually(async () => (await rejectedByReason())['bad-request'] === before + 1, 3000, 20);
  });

  test('an HTTP/1.1 request without Host, and a WebSocket upgrade with a path that climbs above the root: 400, counted as rejected', async () => {
    const before = await rejectedByReason();
    const noHost = await rawExchange(proxy.port, 'GET /x HTTP/1.1\r\nx-request-id: no-host\r\n\r\n');
    expect(noHost).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bodyOf(noHost)).toEqual({ error: 'request has no Host header', route: '_unmatched', target: 'none', requestId: 'no-host' });
    // HTTP/1.0 has no Host to require.
    expect(await rawExchange(proxy.port, 'GET /x HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const upgrade = await rawExchange(proxy.port, 'GET /../x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(upgrade).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const upgradeNoHost = await rawExchange(proxy.port, 'GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(upgradeNoHost).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const after = await rejectedByReason();
    expect([after['bad-request'] - before['bad-request'], after['bad-path'] - before['bad-path']]).toEqual([2, 1]);
  });

  test('two Host headers or one that is not a host[:port] (RFC 9112 §3.2), on a request or a WebSocket upgrade: 400, counted, and nothing reaches an upstream', async () => {
    legacy.requests.length = 0;
    const before = (await rejectedByReason())['bad-request'];
    const twice = await rawExchange(proxy.port, 'GET /x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nx-request-id: two-hosts\r\n\r\n');
    expect(twice).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bodyOf(twice)).toEqual({ error: 'request has more than one Host header', route: '_unmatched', target: 'none', requestId: 'two-hosts' });
    const upgrade = await rawExchange(proxy.port, 'GET /ws HTTP/1.1\r\nHost: a\r\nhost: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(upgrade).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const commaList = await rawExchange(proxy.port, 'GET /x HTTP/1.1\r\nHost: a.example, b.example\r\nx-request-id: host-list\r\n\r\n');
    expect(bodyOf(commaList)).toEqual({ error: 'request Host header is not a host[:port]', route: '_unmatched', target: 'none', requestId: 'host-list' });
    const upgradeCommaList = await rawExchange(proxy.port, 'GET /ws HTTP/1.1\r\nHost: a.example, b.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(upgradeCommaList).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(legacy.requests).toHaveLength(0);
    expect((await rejectedByReason())['bad-request']).toBe(before + 4);
    // IP literals and ports are host[:port] too.
    for (const host of ['[::1]:8080', '127.0.0.1', 'shop.example.com:443']) {
      expect(await rawExchange(proxy.port, `GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    }
  });

  test('a transfer coding other than chunked (gzip, chunked) → 501, and nothing reaches an upstream', async () => {
    legacy.requests.length = 0;
    const before = (await rejectedByReason())['transfer-coding'];
    const answer = await rawExchange(proxy.port, 'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\nx-request-id: te-501\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(bodyOf(answer)).toEqual({ error: 'transfer coding "gzip" is not supported: send the body chunked or with a Content-Length', route: '_unmatched', target: 'none', requestId: 'te-501' });
    expect(legacy.requests).toHaveLength(0);
    expect((await rejectedByReason())['transfer-coding']).toBe(before + 1);
  });

  test('a client aborting mid-upload cancels the upstream request; the upstream never sees a complete body', async () => {
    legacy.requests.length = 0;
    const rejectedBefore = (await rejectedByReason())['bad-request'];
    const abortsBefore = await clientAborts(proxy);
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${proxy.url}/upload`, { method: 'POST', agent: false, headers: { 'content-length': String(1024 * 1024) } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(64 * 1024, 7));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 150);
    });
    await eventually(() => legacy.requests.length === 1 && legacy.requests[0]!.body.length > 0, 3000, 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(legacy.requests[0]!.complete).toBe(false);
    expect(legacy.requests[0]!.body.length).toBeLessThan(1024 * 1024);
    expect(await clientAborts(proxy)).toBe(abortsBefore + 1);
    // A client leaving mid-upload is not a malformed request: a smuggling alert must not fire on it.
    expect((await rejectedByReason())['bad-request']).toBe(rejectedBefore);
  });

  // Node's parser (llhttp) names the rule each payload breaks; proxy/client-errors.ts echoes that code.
  const malformed: Array<[string, number, string, RejectReason, string, string]> = [
    ['Content-Length with Transfer-Encoding (smuggling)', 400, 'Bad Request', 'bad-request', 'malformed request (HPE_INVALID_TRANSFER_ENCODING)', 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['two different Content-Length values', 400, 'Bad Request', 'bad-request', 'malformed request (HPE_UNEXPECTED_CONTENT_LENGTH)', 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde'],
    ['a NUL byte in a header value', 400, 'Bad Request', 'bad-request', 'malformed request (HPE_INVALID_HEADER_TOKEN)', 'GET /x HTTP/1.1\r\nHost: a\r\nX-Bad: a\u0000b\r\n\r\n'],
    ['a bare LF line ending', 400, 'Bad Request', 'bad-request', 'malformed request (HPE_INVALID_VERSION)', 'GET /x HTTP/1.1\nHost: a\nX-A: b\n\n'],
    ['a space before the colon', 400, 'Bad Request', 'bad-request', 'malformed request (HPE_INVALID_HEADER_TOKEN)', 'GET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n'],
    ['an oversized header block', 431, 'Request Header Fields Too Large', 'header-too-large', 'request headers too large', `GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`],
  ];

  /** Every sample of a counter in the harness registry, keyed by its label set. */
  async function counterSamples(name: string): Promise<Map<string, number>> {
    const metric = proxy.registry.getSingleMetric(name);
    if (!metric) throw new Error(`metric ${name} is not registered`);
    const samples = new Map<string, number>();
    for (const { labels, value } of (await metric.get()).values) samples.set(JSON.stringify(labels), value);
    return samples;
  }

  /** strangler_rejected_requests_total for every reason (a Record, so a new reason fails to compile here). */
  async function rejectedByReason(): Promise<Record<RejectReason, number>> {
    const samples = await counterSamples('strangler_rejected_requests_total');
    const counts: Record<RejectReason, number> = { 'bad-request': 0, 'header-too-large': 0, 'bad-path': 0, timeout: 0, 'transfer-coding': 0 };
    for (const reason of Object.keys(counts) as RejectReason[]) counts[reason] = samples.get(JSON.stringify({ reason })) ?? 0;
    return counts;
  }

  test.each(malformed)('%s → %i %s (%s), exact body, and nothing reaches an upstream', async (_name, status, statusText, reason, error, payload) => {
    legacy.requests.length = 0;
    slow.requests.length = 0;
    const rejectedBefore = await rejectedByReason();
    const routedBefore = await counterSamples('strangler_requests_total');

    const response = await rawExchange(proxy.port, payload);

    // Exactly one response (a smuggled second request must not get its own), then the connection closes.
    expect(response.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
    const split = response.indexOf('\r\n\r\n');
    expect(split).toBeGreaterThan(0);
    const [statusLine, ...headerLines] = response.slice(0, split).split('\r\n');
    const body = response.slice(split + 4);
    expect(statusLine).toBe(`HTTP/1.1 ${status} ${statusText}`);
    const headers = new Map(headerLines.map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }));
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(headers.get('connection')).toBe('close');
    expect(headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(JSON.parse(body)).toEqual({ error });

    expect(legacy.requests).toHaveLength(0);
    expect(slow.requests).toHaveLength(0);
    // The proxy routed nothing: no request counted against any route or target.
    expect(await counterSamples('strangler_requests_total')).toEqual(routedBefore);

    const expected = { ...rejectedBefore, [reason]: rejectedBefore[reason] + 1 };
    expect(await rejectedByReason()).toEqual(expected);
  });

  test('keep-alive and pipelined requests are answered in order on one connection', async () => {
    const response = await rawExchange(
      proxy.port,
      'GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    const statuses = response.match(/HTTP\/1\.1 200/g) ?? [];
    expect(statuses).toHaveLength(2);
    expect(response.indexOf('"/one"')).toBeLessThan(response.indexOf('"/two"'));
  });
});

describe('clients that vanish on a handed-over connection do not take the proxy down', () => {
  let upstream: Server;
  let proxy: ProxyHarness;
  const upstreamSockets: Duplex[] = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      if (req.url === '/auth') {
        res.statusCode = 401;
        res.end('no');
        return;
      }
      setTimeout(() => res.end('late'), 800).unref();
    });
    upstream.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
      upstreamSockets.push(socket);
      socket.on('error', () => undefined);
      socket.on('end', () => socket.end());
      setTimeout(() => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), 300).unref();
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    proxy = await startProxyHarness(testConfig([upstreamConfig('legacy', url)], []));
  });

  afterAll(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  /** Opens a connection, writes `payload`, then after `afterMs` ends (FIN) or resets it; resolves with what came back. */
  function vanish(payload: string, how: 'end' | 'reset', afterMs: number): Promise<string> {
    return new Promise((resolve) => {
      let text = '';
      const socket = connect(proxy.port, '127.0.0.1', () => {
        socket.write(payload);
        setTimeout(() => (how === 'reset' ? socket.resetAndDestroy() : socket.end()), afterMs);
      });
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(text));
    });
  }

  const alive = async (): Promise<void> => {
    const reply = await send(`${proxy.url}/auth`);
    expect(reply.status).toBe(401);
  };
  const h2c = (path: string, extra = ''): string => `POST ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n${extra}\r\n`;

  test('h2c with a body the upstream refuses before reading it all, then the client closes: answered, no crash', async () => {
    const answer = await vanish(h2c('/auth', 'Content-Length: 100000\r\n') + 'a'.repeat(1000), 'end', 200);
    expect(answer).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    await alive();
  });

  test('h2c: a client closing mid-body is a client abort at once, not a wait for the upstream; a reset too', async () => {
    for (const how of ['end', 'reset'] as const) {
      const before = await clientAborts(proxy);
      await vanish(h2c('/slow', 'Content-Length: 100000\r\n') + 'a'.repeat(1000), how, 100);
      await eventually(async () => (await clientAborts(proxy)) === before + 1, 3000, 20);
      expect(proxy.server.activeRequests).toBe(0);
    }
    await alive();
  });

  test('h2c without a body: a client reset while the upstream is slow, no crash', async () => {
    await vanish('GET /slow HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n', 'reset', 100);
    await alive();
  });

  test('a WebSocket client resetting before the 101: no crash, a client abort, and the upstream connection closed, no tunnel left', async () => {
    const sockets = upstreamSockets.length;
    await vanish('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', 'reset', 100);
    await eventually(() => upstreamSockets.length === sockets + 1 && upstreamSockets[sockets]!.destroyed, 3000, 20);
    await new Promise((r) => setTimeout(r, 400));
    expect(proxy.server.openTunnels).toBe(0);
    await alive();
  });
});

describe('an open WebSocket tunnel whose upstream goes away', () => {
  test('a reset cuts the client off and counts as a cut response on that side; a clean close and a client leaving do not', async () => {
    const upstream = await startScriptedWsUpstream('orders');
    const proxy = await startProxyHarness(
      testConfig([upstreamConfig('legacy', upstream.url), upstreamConfig('orders', upstream.url)], [routeConfig('ws-cut', '/ws/cut', { stage: 'live', percent: 100 })]),
    );
    const cut = (): Promise<number> => proxy.metricValue('strangler_responses_cut_total', 'route="ws-cut",target="new",reason="reset"');
    /** A tunnel open end to end (one frame echoed), its client, and the upstream's end of it. */
    const openTunnel = async (): Promise<{ client: WebSocket; upstreamEnd: Duplex; closed: Promise<number> }> => {
      const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws/cut`);
      client.on('error', () => undefined);
      const closed = new Promise<number>((resolve) => client.once('close', (code: number) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        client.once('open', () => client.send('hi'));
        client.once('message', () => resolve());
        client.once('close', () => reject(new Error('closed before the echo')));
      });
      return { client, upstreamEnd: upstream.sockets.at(-1)!, closed };
    };
    try {
      const reset = await openTunnel();
      (reset.upstreamEnd as Socket).resetAndDestroy();
      expect(await reset.closed).toBe(1006);
      await eventually(async () => (await cut()) === 1, 2000, 10);
      const ended = await openTunnel();
      ended.upstreamEnd.end();
      expect(await ended.closed).toBe(1006);
      const left = await openTunnel();
      left.client.terminate();
      await eventually(() => left.upstreamEnd.destroyed, 2000, 10);
      expect(await cut()).toBe(1);
      expect(await proxy.metricValue('strangler_requests_total', 'route="ws-cut",target="new",code="101"')).toBe(3);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});

describe('WebSocket handshakes refused by the upstream or left by the client', () => {
  let orders: ScriptedWsUpstream;
  let proxy: ProxyHarness;
  /** `statusNNN` in the path: that status; `hang`: no answer; else a WebSocket. */
  const scripted = (path: string): UpgradeAnswer => {
    const status = /status(\d+)/.exec(path)?.[1];
    if (status !== undefined) return Number(status);
    if (path.includes('hang')) return 'hang';
    return path.includes('slow') ? 'slow-echo' : 'echo';
  };
  const upgradeRequest = (path: string, requestId?: string): string =>
    `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${requestId ? `x-request-id: ${requestId}\r\n` : ''}\r\n`;
  const headOf = (answer: string): string => answer.slice(0, answer.indexOf('\r\n\r\n') + 2);
  const ORDERS_TIMEOUT_MS = 2000;

  beforeAll(async () => {
    orders = await startScriptedWsUpstream('orders', scripted);
    // The upstream's timeoutMs is long: a client leaving must not wait for it.
    proxy = await startProxyHarness(testConfig([upstreamConfig('legacy', orders.url), upstreamConfig('orders', orders.url, { timeoutMs: ORDERS_TIMEOUT_MS })], [routeConfig('ws', '/ws', { stage: 'live', percent: 100 })]));
  });

  afterAll(async () => {
    await proxy.close();
    await orders.close();
  });

  const sample = async (labels: string): Promise<number> => {
    const line = (await proxy.registry.metrics()).split('\n').find((l) => l.startsWith(`strangler_${labels} `) || l.startsWith(`strangler_${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  test('a status outside 100-599 in answer to an upgrade is the proxy\'s 502, counted as 502 and a reset, never a code of its own', async () => {
    for (const [status, requestId] of [[999, 'ws-999'], [99, 'ws-099']] as const) {
      const before = [await sample('requests_total{route="ws",target="new",code="502"'), await sample('upstream_errors_total{route="ws",target="new",reason="reset"')];
      const answer = await rawExchange(proxy.port, upgradeRequest(`/ws/status${status}`, requestId));
      expect(answer).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'upstream orders answered with a status outside 100-599', route: 'ws', target: 'new', upstream: 'orders', requestId });
      expect([await sample('requests_total{route="ws",target="new",code="502"'), await sample('upstream_errors_total{route="ws",target="new",reason="reset"')]).toEqual(before.map((n) => n + 1));
    }
    expect(await proxy.registry.metrics()).not.toMatch(/strangler_requests_total\{[^}]*code="(999|99)"\}/);
  });

  test('an upgrade the upstream refuses (401, 302, 200) reaches the client with the x-request-id the upstream got, generated or the client\'s', async () => {
    for (const status of [401, 302, 200]) {
      orders.upgrades.length = 0;
      const answer = await rawExchange(proxy.port, upgradeRequest(`/ws/status${status}`));
      expect(answer.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
      const sent = orders.upgrades[0]!.headers['x-request-id'] as string;
      expect(sent).toMatch(/^[0-9a-f-]{36}$/);
      expect(headOf(answer)).toContain(`\r\nx-request-id: ${sent}\r\n`);
      expect(headOf(answer).toLowerCase()).toContain('\r\nconnection: close\r\n');
      expect(answer.endsWith('\r\n\r\nnope\n')).toBe(true);
    }
    const own = await rawExchange(proxy.port, upgradeRequest('/ws/status401', 'mine-401'));
    expect(headOf(own)).toContain('\r\nx-request-id: mine-401\r\n');
  });

  test('a client that half-closes (FIN) during a slow handshake is a client abort at once: the upstream request is given up, no 504 after timeoutMs', async () => {
    const before = { aborts: await sample('upstream_errors_total{route="ws",target="new",reason="client-abort"'), timeouts: await sample('upstream_errors_total{route="ws",target="new",reason="timeout"') };
    const sockets = orders.sockets.length;
    const client = connect(proxy.port, '127.0.0.1', () => client.write(upgradeRequest('/ws/hang', 'ws-fin')));
    client.on('error', () => undefined);
    await eventually(() => orders.sockets.length === sockets + 1, 1000, 10);
    const finAt = performance.now();
    client.end();
    // The upstream's end of the handshake closes, and the abort is counted, before the upstream's timeoutMs:
    // the timeout has not fired by then. Bounded by timeoutMs, not by a tighter wall-clock figure a loaded
    // machine can exceed; a proxy that waits for the timeout fails either check.
    await eventually(() => orders.sockets[sockets]!.readableEnded || orders.sockets[sockets]!.destroyed, 5000, 10);
    await eventually(async () => (await sample('upstream_errors_total{route="ws",target="new",reason="client-abort"')) === before.aborts + 1, 5000, 10);
    expect(await sample('upstream_errors_total{route="ws",target="new",reason="timeout"')).toBe(before.timeouts);
    expect(performance.now() - finAt).toBeLessThan(ORDERS_TIMEOUT_MS);
    expect(await sample('requests_total{route="ws",target="new",code="499"')).toBeGreaterThanOrEqual(1);
    client.destroy();
    // Past the upstream's timeoutMs: nothing more may be counted or logged for the request given up.
    await new Promise((r) => setTimeout(r, ORDERS_TIMEOUT_MS + 200 - (performance.now() - finAt)));
    expect(await sample('upstream_errors_total{route="ws",target="new",reason="timeout"')).toBe(before.timeouts);
    expect(await proxy.registry.metrics()).not.toMatch(/strangler_requests_total\{route="ws",target="new",code="504"\}/);
    expect(proxy.logs.filter((line) => line.requestId === 'ws-fin')).toEqual([]);
  });

  test('frames a client sends before the 101 (with its handshake, and while it waits) reach the upstream once the tunnel opens', async () => {
    /** A masked text frame, as a client sends it. */
    const frame = (text: string): Buffer => {
      const mask = Buffer.from([1, 2, 3, 4]);
      const payload = Buffer.from(text).map((byte, i) => byte ^ mask[i % 4]!);
      return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload]);
    };
    let received = '';
    const client = connect(proxy.port, '127.0.0.1', () => {
      client.write(Buffer.concat([Buffer.from(upgradeRequest('/ws/slow', 'ws-early')), frame('one')]));
      // The upstream answers after 300 ms: this one arrives while the proxy holds the handshake.
      setTimeout(() => client.write(frame('two')), 100);
    });
    client.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    try {
      await eventually(() => received.includes('orders:two'), 2000, 10);
    } finally {
      client.destroy();
    }
    expect(received).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(received.indexOf('orders:one')).toBeLessThan(received.indexOf('orders:two'));
  });
});

describe('drainTimeoutMs running out: what the proxy cuts is its doing, not an upstream failure', () => {
  test('an event stream and a request still waiting for its answer are cut with no failure logged nor counted against the upstream', async () => {
    const events = await startUpstream('events', (req, res) => {
      if (req.url?.includes('wait')) return;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write('data: tick\n\n'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const config = testConfig([upstreamConfig('legacy', events.url), upstreamConfig('orders', events.url)], [routeConfig('events', '/sse', { stage: 'live', percent: 100 })]);
    const proxy = await startProxyHarness({ ...config, listen: { ...config.listen, drainTimeoutMs: 300 } });
    try {
      const stream = httpRequest(`${proxy.url}/sse/a`, { agent: false });
      const streamEnd = new Promise<string>((resolve) => {
        stream.on('response', (res) => {
          res.on('error', () => resolve('cut'));
          res.on('end', () => resolve('ended'));
          res.resume();
        });
      });
      stream.end();
      const waiting = new Promise<string>((resolve) => {
        const req = httpRequest(`${proxy.url}/sse/wait`, { agent: false }, () => resolve('answered'));
        req.on('error', () => resolve('cut before any answer'));
        req.end();
      });
      await eventually(() => proxy.server.activeRequests === 2, 2000, 10);
      await proxy.close();
      expect([await streamEnd, await waiting]).toEqual(['cut', 'cut before any answer']);
      const text = await proxy.registry.metrics();
      const series = (name: string): string[] => text.split('\n').filter((line) => line.startsWith(`${name}{route="events"`));
      // What each client got: the stream's 200, and no answer at all (499) for the request still waiting.
      expect(series('strangler_requests_total').sort()).toEqual(['strangler_requests_total{route="events",target="new",code="200"} 1', 'strangler_requests_total{route="events",target="new",code="499"} 1']);
      expect(series('strangler_upstream_errors_total').filter((line) => !line.endsWith(' 0'))).toEqual([]);
      expect(series('strangler_responses_cut_total').filter((line) => !line.endsWith(' 0'))).toEqual([]);
      expect(proxy.logs).toEqual([]);
    } finally {
      await events.close();
    }
  });
});

describe('an upgrade answered without a tunnel: the connection is closed, whatever the client does', () => {
  let scripted: ScriptedWsUpstream;
  let stuck: TestUpstream;
  let raw: NetServer;
  const rawSockets: Duplex[] = [];
  /** Every request head the raw upstream got, as its bytes. */
  const rawHeads: string[] = [];
  let proxy: ProxyHarness;
  /** A raw upstream answering each upgrade with the bytes named by its path (`/raw/101`, `/raw/403`). */
  const rawAnswers: Record<string, string> = {
    '/raw/101': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Name: caf\xc3\xa9\r\n\r\n',
    '/raw/403': 'HTTP/1.1 403 Verboten \xc3\xa9\r\nX-Name: caf\xc3\xa9\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    '/raw/hop101':
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade, X-Internal-Token\r\nX-Internal-Token: s3cr3t\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nTransfer-Encoding: chunked\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    '/raw/ctlreason': 'HTTP/1.1 403 Bad\x01Reason\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    '/raw/nohdr101': 'HTTP/1.1 101 Switching Protocols\r\n\r\n',
    '/raw/del101': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Bad: a\x7fb\r\n\r\n',
  };
  const handshake = (path: string, extra = ''): string =>
    `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
  const h2c = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`;
  /** Each kind of answer that opens no tunnel, with the request that gets it. */
  const answers: Array<[string, string]> = [
    ['403', handshake('/refuse/ws')],
    ['504', handshake('/hang/ws')],
    ['400', handshake('/refuse/ws').replace('Host: a', 'Host: a b')],
    ['410', handshake('/gone/ws')],
    ['426', h2c('/refuse/plain')],
  ];

  beforeAll(async () => {
    scripted = await startScriptedWsUpstream('scripted', (path) => (path.startsWith('/hang') ? 'hang' : 403));
    stuck = await startUpstream('stuck', () => undefined);
    raw = createNetServer((socket) => {
      rawSockets.push(socket);
      socket.on('error', () => undefined);
      let head = '';
      socket.on('data', (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        rawHeads.push(head);
        socket.write(rawAnswers[head.split(' ')[1] ?? ''] ?? '', 'latin1');
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    proxy = await startProxyHarness(
      testConfig(
        [
          upstreamConfig('legacy', scripted.url),
          upstreamConfig('scripted', scripted.url, { timeoutMs: 300 }),
          upstreamConfig('raw', `http://127.0.0.1:${(raw.address() as AddressInfo).port}`),
          upstreamConfig('dead', `http://127.0.0.1:${await unusedPort()}`),
          upstreamConfig('stuck', stuck.url, { timeoutMs: 1000 }),
        ],
        [
          routeConfig('refuse', '/refuse', { stage: 'live', service: 'scripted' }),
          routeConfig('hang', '/hang', { stage: 'live', service: 'scripted' }),
          routeConfig('gone', '/gone', { service: undefined, stage: 'retired', percent: 100 }),
          routeConfig('raw', '/raw', { stage: 'live', service: 'raw' }),
          routeConfig('down', '/down', { stage: 'live', service: 'dead' }),
          routeConfig('stuck', '/stuck', { stage: 'live', service: 'stuck' }),
        ],
      ),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await scripted.close();
    await stuck.close();
    for (const socket of rawSockets) socket.destroy();
    raw.close();
  });

  /** Sockets open in this process (the proxy's, its upstreams' and the clients'). */
  function openSockets(): number {
    let count = 0;
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) count++;
      } catch {
        // closed while listed
      }
    }
    return count;
  }

  /** Sends `request` and `extra` bytes after it, and leaves once the answer starts: resolves with the answer's first bytes. */
  function sendAndLeave(request: string, extra: number): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(proxy.port, '127.0.0.1', () => {
        socket.write(request);
        socket.write(Buffer.alloc(extra, 'A'));
      });
      socket.on('error', () => undefined);
      socket.once('data', (chunk: Buffer) => {
        socket.destroy();
        resolve(chunk.toString('latin1'));
      });
    });
  }

  test.each(answers)('%s after an upgrade plus 150 KB, the client leaving: every proxy socket is closed again', async (status, request) => {
    const before = openSockets();
    const firstBytes = await Promise.all(Array.from({ length: 6 }, () => sendAndLeave(request, 150_000)));
    for (const answer of firstBytes) expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    // The hanging upstream keeps its ends of the given-up handshakes: those are not the proxy's.
    for (const socket of scripted.sockets) socket.destroy();
    await eventually(() => openSockets() <= before, 4000);
  });

  test.each(answers)('%s to a client that never closes: the proxy closes the connection itself after a short grace', async (status, request) => {
    const socket = connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    const closed = new Promise<string>((resolve) => {
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      socket.on('close', () => resolve('closed'));
    });
    socket.write(request);
    // The client keeps writing after the answer: only a connection the proxy has closed refuses the bytes.
    const writing = setInterval(() => answer !== '' && !socket.destroyed && socket.write('x'), 100);
    const giveUp = setTimeout(() => socket.destroy(new Error('still open')), 4000);
    try {
      expect(await closed).not.toBe('still open');
      expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    } finally {
      clearInterval(writing);
      clearTimeout(giveUp);
      socket.destroy();
      for (const held of scripted.sockets) held.destroy();
    }
  });

  test('header bytes outside ASCII reach the client as the upstream or the client sent them: on the 101, a refusal and the proxy’s 502', async () => {
    const opened = await rawExchange(proxy.port, handshake('/raw/101'), 500);
    expect(opened).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(opened).toContain('\r\nX-Name: caf\xc3\xa9\r\n');
    const refused = await rawExchange(proxy.port, handshake('/raw/403'));
    expect(refused).toMatch(/^HTTP\/1\.1 403 Verboten \xc3\xa9\r\n/);
    expect(refused).toContain('\r\nX-Name: caf\xc3\xa9\r\n');
    const failed = await rawExchange(proxy.port, Buffer.from(handshake('/down/ws', 'x-request-id: id-\xc3\xa9\r\n'), 'latin1'));
    expect(failed).toMatch(/^HTTP\/1\.1 502 /);
    expect(failed).toContain('\r\nx-request-id: id-\xc3\xa9\r\n');
  });

  test("a 101's hop-by-hop headers, and those its Connection names, stop at the proxy; Upgrade and Connection: Upgrade reach the client", async () => {
    const opened = (await rawExchange(proxy.port, handshake('/raw/hop101'), 500)).toLowerCase();
    expect(opened).toMatch(/^http\/1\.1 101 switching protocols\r\n/);
    expect(opened).toContain('\r\nupgrade: websocket\r\n');
    expect(opened).toContain('\r\nconnection: upgrade\r\n');
    expect(opened).toContain('\r\nsec-websocket-accept: ');
    for (const name of ['x-internal-token', 'keep-alive', 'proxy-authenticate', 'transfer-encoding']) expect(opened).not.toContain(`\r\n${name}:`);
  });

  test('a refusal whose reason phrase has control characters reaches the client with the standard phrase', async () => {
    expect(await rawExchange(proxy.port, handshake('/raw/ctlreason'))).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
  });

  test("an answer the upstream gave but node's parser refuses, or a 101 that switches nothing, is a 502 counted as a reset, not a connect error", async () => {
    const counted = async (reason: string): Promise<number> =>
      Number(new RegExp(`strangler_upstream_errors_total\\{route="raw",target="new",reason="${reason}"\\} (\\d+)`).exec(await proxy.registry.metrics())?.[1] ?? 0);
    const opened = async (): Promise<number> => Number(/strangler_requests_total\{route="raw",target="new",code="101"\} (\d+)/.exec(await proxy.registry.metrics())?.[1] ?? 0);
    const before = [await counted('reset'), await counted('connect-error'), await opened()];
    const invalid = await rawExchange(proxy.port, handshake('/raw/del101'));
    expect(invalid).toMatch(/^HTTP\/1\.1 502 /);
    expect(invalid).toContain('answered the upgrade with an invalid response (HPE_');
    const noSwitch = await rawExchange(proxy.port, handshake('/raw/nohdr101'));
    expect(noSwitch).toMatch(/^HTTP\/1\.1 502 /);
    expect(noSwitch).toContain('answered 101 without switching protocols');
    expect([await counted('reset'), await counted('connect-error'), await opened()]).toEqual([before[0]! + 2, before[1], before[2]]);
  });

  test("client headers named constructor and __proto__ reach the upgrade's upstream as they were sent", async () => {
    rawHeads.length = 0;
    const answer = await rawExchange(proxy.port, handshake('/raw/403', 'constructor: mine\r\n__proto__: p\r\n'));
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(rawHeads[0]).toContain('\r\nconstructor: mine\r\n');
    expect(rawHeads[0]).toContain('\r\n__proto__: p\r\n');
  });

  test('an ignored upgrade (h2c) whose client leaves while the upstream is slow is a client abort (499), not the upstream timeout', async () => {
    const counted = async (code: string): Promise<number> =>
      Number(new RegExp(`strangler_requests_total\\{route="stuck",target="new",code="${code}"\\} (\\d+)`).exec(await proxy.registry.metrics())?.[1] ?? 0);
    const socket = connect(proxy.port, '127.0.0.1', () => socket.write(h2c('/stuck/plain')));
    socket.on('error', () => undefined);
    await eventually(() => stuck.requests.length === 1);
    socket.end();
    await eventually(async () => (await counted('499')) === 1, 900);
    // Past the upstream's timeoutMs: no 504 follows.
    await new Promise((r) => setTimeout(r, 1200));
    expect(await counted('504')).toBe(0);
    socket.destroy();
  });
});

describe('a stopping proxy cuts the upgrade connections node handed over', () => {
  test('an ignored upgrade (h2c) waiting on its upstream, and a connection answered 400, do not hold close() past drainTimeoutMs', async () => {
    const stuck = await startUpstream('stuck', () => undefined);
    const proxy = await startProxyHarness(
      testConfig([upstreamConfig('legacy', stuck.url, { timeoutMs: 20_000 })], [], {
        listen: { ...testConfig([], []).listen, drainTimeoutMs: 300 },
      }),
    );
    const held = [
      'GET /slow HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n',
      'GET /ws HTTP/1.1\r\nHost: a b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ].map((request) => {
      const socket = connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.write(request));
      socket.on('error', () => undefined);
      socket.resume();
      return socket;
    });
    try {
      await eventually(() => stuck.requests.length === 1);
      const started = Date.now();
      await proxy.close();
      expect(Date.now() - started).toBeLessThan(900);
    } finally {
      for (const socket of held) socket.destroy();
      await stuck.close();
    }
  });
});
