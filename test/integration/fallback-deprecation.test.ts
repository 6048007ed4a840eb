import { request as httpRequest } from 'node:http';
import { statusTable } from '../../cli/commands/status';
import { trafficBetween } from '../../cli/traffic';
import type { RouteConfig } from '../../core/config/types';
import { routeConfig, testConfig, upstreamConfig } from '../helpers/config';
import { startProxyHarness, type ProxyHarness } from '../helpers/proxy-harness';
import { rawExchange } from '../helpers/raw-http';
import { startUpstream, unusedPort, type TestUpstream } from '../helpers/upstream';
import { startScriptedWsUpstream, wsOutcome, type ScriptedWsUpstream, type UpgradeAnswer } from '../helpers/ws-upstream';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, method = 'GET', headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ALL_REASONS: RouteConfig['fallback'] = { on: ['connect-error', 'timeout', '5xx'], methods: ['GET', 'HEAD'] };

describe('fallback: legacy answers when the new service fails before answering', () => {
  let legacy: TestUpstream;
  let orders: TestUpstream;
  let proxy: ProxyHarness;

  beforeAll(async () => {
    legacy = await startUpstream('legacy');
    orders = await startUpstream('orders', (req, res) => {
      if (req.url?.includes('fail')) return void res.writeHead(503, { 'content-type': 'text/plain' }).end('new service down');
      if (req.url?.includes('slow')) return void setTimeout(() => res.writeHead(200).end('late'), 1000).unref();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ servedBy: 'orders', url: req.url }));
    });
    const deadUrl = `http://127.0.0.1:${await unusedPort()}`;
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('orders', orders.url, { timeoutMs: 200 }), upstreamConfig('down', deadUrl)],
        [
          routeConfig('live-fb', '/api/live', { stage: 'live', percent: 100, fallback: ALL_REASONS }),
          routeConfig('canary-fb', '/api/canary', { stage: 'canary', percent: 100, fallback: ALL_REASONS }),
          routeConfig('down-fb', '/api/down', { stage: 'live', percent: 100, service: 'down', fallback: { on: ['connect-error'], methods: ['GET'] } }),
          routeConfig('connect-only', '/api/connect-only', { stage: 'live', percent: 100, fallback: { on: ['connect-error'], methods: ['GET'] } }),
          routeConfig('no-fb', '/api/no-fb', { stage: 'live', percent: 100 }),
          routeConfig('retired-svc', '/api/retired', { stage: 'retired', percent: 100, fallback: ALL_REASONS }),
        ],
      ),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([legacy.close(), orders.close()]);
  });

  beforeEach(() => {
    legacy.requests.length = 0;
    orders.requests.length = 0;
  });

  const metric = (name: string, labels: string): Promise<number> => proxy.metricValue(name, labels);

  test.each([
    ['5xx', '/api/live/fail', 'live-fb'],
    ['5xx', '/api/canary/fail', 'canary-fb'],
    ['timeout', '/api/live/slow', 'live-fb'],
    ['connect-error', '/api/down/x', 'down-fb'],
  ])('%s on %s: the client gets legacy, counted as a fallback', async (reason, path, route) => {
    const before = {
      fallbacks: await metric('strangler_fallbacks_total', `route="${route}",reason="${reason}"`),
      legacy: await metric('strangler_requests_total', `route="${route}",target="legacy",code="200"`),
      newErrors: await metric('strangler_upstream_errors_total', `route="${route}",target="new",reason="${reason}"`),
    };
    const reply = await send(`${proxy.url}${path}`, 'GET', { 'x-request-id': `fb-${reason}` });
    expect([reply.status, JSON.parse(reply.body)]).toEqual([200, { servedBy: 'legacy', method: 'GET', url: path }]);
    expect(reply.headers['x-request-id']).toBe(`fb-${reason}`);
    expect(legacy.requests.map((r) => [r.url, r.headers['x-request-id']])).toEqual([[path, `fb-${reason}`]]);
    expect(await metric('strangler_fallbacks_total', `route="${route}",reason="${reason}"`)).toBe(before.fallbacks + 1);
    expect(await metric('strangler_requests_total', `route="${route}",target="legacy",code="200"`)).toBe(before.legacy + 1);
    // The failed attempt is not a request of its own: no 5xx, 502 or 504 is counted for the new service...
    expect(await proxy.registry.metrics()).not.toMatch(new RegExp(`strangler_requests_total\\{route="${route}",target="new",code="5\\d\\d"\\}`));
    // ...but it is the new service's failure, 5xx included: an error-rate alert on the new service must see it.
    expect(await metric('strangler_upstream_errors_total', `route="${route}",target="new",reason="${reason}"`)).toBe(before.newErrors + 1);
  });

  test('the duration after a fallback is what the client waited, the new service\'s timeout included, on the side that answered', async () => {
    const durations = (): Promise<[number, number, number]> =>
      Promise.all([
        metric('strangler_request_duration_seconds_sum', 'route="live-fb",target="legacy"'),
        metric('strangler_request_duration_seconds_count', 'route="live-fb",target="legacy"'),
        metric('strangler_request_duration_seconds_count', 'route="live-fb",target="new"'),
      ]);
    const [sumBefore, countBefore, newCountBefore] = await durations();
    const started = performance.now();
    expect((await send(`${proxy.url}/api/live/slow`)).status).toBe(200);
    const waited = (performance.now() - started) / 1000;
    const [sumAfter, countAfter, newCountAfter] = await durations();
    expect([countAfter - countBefore, newCountAfter - newCountBefore]).toEqual([1, 0]);
    // The new service had 200 ms (timeoutMs) and used them all before legacy answered.
    expect(sumAfter - sumBefore).toBeGreaterThanOrEqual(0.2);
    expect(sumAfter - sumBefore).toBeLessThanOrEqual(waited);
  });

  test('a timeout or a refused connection is also an upstream error of the new service', async () => {
    const before = await metric('strangler_upstream_errors_total', 'route="down-fb",target="new",reason="connect-error"');
    await send(`${proxy.url}/api/down/y`);
    expect(await metric('strangler_upstream_errors_total', 'route="down-fb",target="new",reason="connect-error"')).toBe(before + 1);
  });

  test('HEAD falls back too, and a healthy new service keeps answering', async () => {
    expect((await send(`${proxy.url}/api/live/fail`, 'HEAD')).status).toBe(200);
    expect(legacy.requests.map((r) => r.method)).toEqual(['HEAD']);
    const ok = await send(`${proxy.url}/api/live/ok`);
    expect(JSON.parse(ok.body)).toEqual({ servedBy: 'orders', url: '/api/live/ok' });
  });

  test('no fallback: a method not listed, a request with a body, a reason not listed, no fallback block, stage retired', async () => {
    const cases: Array<[string, string, string | undefined, number]> = [
      ['POST', '/api/live/fail', undefined, 503],
      // Over 64 KiB, so it streamed to the new service and is gone.
      ['GET', '/api/live/fail', 'b'.repeat(70_000), 503],
      ['GET', '/api/connect-only/fail', undefined, 503],
      ['GET', '/api/connect-only/slow', undefined, 504],
      ['GET', '/api/no-fb/fail', undefined, 503],
      ['GET', '/api/retired/fail', undefined, 503],
    ];
    for (const [method, path, body, status] of cases) {
      const reply = await send(`${proxy.url}${path}`, method, body ? { 'content-type': 'text/plain', 'content-length': String(body.length) } : {}, body);
      expect([method, path, reply.status]).toEqual([method, path, status]);
    }
    expect(legacy.requests).toHaveLength(0);
  });

  test('a body read whole first (up to 64 KiB, with a Content-Length or chunked) is sent to legacy on a fallback', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['{"query":"sized"}', { 'content-type': 'application/json', 'content-length': '17' }],
      ['{"query":"chunked"}', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }],
    ];
    for (const [body, headers] of cases) {
      const reply = await send(`${proxy.url}/api/live/fail`, 'GET', headers, body);
      expect([reply.status, JSON.parse(reply.body)]).toEqual([200, { servedBy: 'legacy', method: 'GET', url: '/api/live/fail' }]);
    }
    expect(orders.requests.map((r) => r.body.toString())).toEqual(['{"query":"sized"}', '{"query":"chunked"}']);
    expect(legacy.requests.map((r) => r.body.toString())).toEqual(['{"query":"sized"}', '{"query":"chunked"}']);
  });

  test('canary: only the share on the new service can fall back; legacy-served requests go to legacy once', async () => {
    proxy.state.set('canary-fb', 'canary', 0);
    try {
      expect(JSON.parse((await send(`${proxy.url}/api/canary/fail`)).body).servedBy).toBe('legacy');
      expect(orders.requests).toHaveLength(0);
      expect(legacy.requests).toHaveLength(1);
    } finally {
      proxy.state.set('canary-fb', 'canary', 100);
    }
  });
});

describe('deprecated and retired routes', () => {
  let legacy: TestUpstream;
  let proxy: ProxyHarness;
  const deprecated = { sunset: '2027-06-01T00:00:00Z', since: '2026-12-01T00:00:00Z', link: '/v2/reports' };

  beforeAll(async () => {
    legacy = await startUpstream('legacy');
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('orders', legacy.url), upstreamConfig('down', 'http://127.0.0.1:1')],
        [
          routeConfig('reports-v1', '/v1/reports', { service: undefined, deprecated }),
          routeConfig('invoices-v1', '/v1/invoices', { service: 'down', stage: 'live', percent: 100, deprecated }),
          routeConfig('reports-v0', '/v0/reports', { service: undefined, stage: 'retired', percent: 100, deprecated: { sunset: '2026-01-01T00:00:00Z', link: '/v2/reports' } }),
          routeConfig('exports', '/exports', { service: undefined }),
          routeConfig('admin-v0', '/v0/Admin', { service: undefined, stage: 'retired', percent: 100, match: { path: '/v0/Admin', ignoreCase: true } }),
          routeConfig('reports-v00', '/v00/reports', { service: undefined, stage: 'retired', percent: 100, deprecated: { sunset: '2025-01-01T00:00:00Z', link: '/v2/reports', redirect: 308 } }),
          routeConfig('old-search', '/search', { service: undefined, stage: 'retired', percent: 100, deprecated: { sunset: '2025-01-01T00:00:00Z', link: 'https://search.example.com/?v=2', redirect: 301 } }),
        ],
      ),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await legacy.close();
  });

  beforeEach(() => {
    legacy.requests.length = 0;
  });

  test('a deprecated route is served with Deprecation, Sunset and a Link to its successor', async () => {
    const reply = await send(`${proxy.url}/v1/reports/monthly`);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).servedBy).toBe('legacy');
    expect(reply.headers.deprecation).toBe(`@${Date.UTC(2026, 11, 1) / 1000}`);
    expect(reply.headers.sunset).toBe('Tue, 01 Jun 2027 00:00:00 GMT');
    expect(reply.headers.link).toBe('</v2/reports>; rel="successor-version"');
    const other = await send(`${proxy.url}/exports/x`);
    expect([other.headers.deprecation, other.headers.sunset, other.headers.link]).toEqual([undefined, undefined, undefined]);
  });

  test('the proxy\'s own 502 on a deprecated route carries the same Deprecation, Sunset and Link', async () => {
    const reply = await send(`${proxy.url}/v1/invoices/3`);
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toMatchObject({ route: 'invoices-v1', target: 'new', upstream: 'down' });
    expect([reply.headers.deprecation, reply.headers.sunset, reply.headers.link]).toEqual([
      `@${Date.UTC(2026, 11, 1) / 1000}`,
      'Tue, 01 Jun 2027 00:00:00 GMT',
      '</v2/reports>; rel="successor-version"',
    ]);
  });

  test('a retired route without a new service: 410 from the proxy, nothing reaches legacy', async () => {
    const metricsBefore = await proxy.registry.metrics();
    const reply = await send(`${proxy.url}/v0/reports/monthly`, 'GET', { 'x-request-id': 'gone-1' });
    expect(reply.status).toBe(410);
    expect(JSON.parse(reply.body)).toEqual({ error: 'route reports-v0 is retired', route: 'reports-v0', target: 'none', requestId: 'gone-1', successor: '/v2/reports' });
    // No `since`: RFC 9745's Deprecation is a date, so there is none (the draft's `true` is not valid).
    expect(reply.headers.deprecation).toBeUndefined();
    expect(reply.headers.sunset).toBe('Thu, 01 Jan 2026 00:00:00 GMT');
    expect(reply.headers.link).toBe('</v2/reports>; rel="successor-version"');
    const upload = await send(`${proxy.url}/v0/reports`, 'POST', { 'content-type': 'application/json' }, '{"a":1}');
    expect(upload.status).toBe(410);
    expect(legacy.requests).toHaveLength(0);
    const metricsAfter = await proxy.registry.metrics();
    expect(metricsAfter).toContain('strangler_requests_total{route="reports-v0",target="none",code="410"} 2');
    // status counts them apart from legacy and new: the callers a retired route still has.
    const traffic = trafficBetween(metricsBefore, metricsAfter, 2).get('reports-v0')!;
    expect(traffic).toEqual({ none: { requests: 2, errors: 0, errorRate: 0, requestsPerSecond: 1 } });
    const [header, row] = statusTable([{ name: 'reports-v0', stage: 'retired', percent: 100, traffic }]);
    expect(header).toMatch(/NEW ERR\s+RETIRED REQ\/S$/);
    expect(row).toMatch(/^reports-v0\s+retired\s+100%\s+0\.0\s+-\s+0\.0\s+-\s+1\.0$/);
  });

  test('match.ignoreCase: a retired route answers 410 to its path in any case (a case-insensitive monolith would serve it); without it, only as written', async () => {
    for (const path of ['/v0/admin/users', '/V0/ADMIN', '/v0/Admin/x']) {
      expect([path, (await send(`${proxy.url}${path}`)).status]).toEqual([path, 410]);
    }
    expect(legacy.requests).toEqual([]);
    expect((await send(`${proxy.url}/V0/Reports/monthly`)).status).toBe(200);
    expect(legacy.requests.map((r) => r.url)).toEqual(['/V0/Reports/monthly']);
  });

  test('a 410 keeps the caller\'s connection unless a request body is left unread', async () => {
    // Two bodyless requests on one connection: both answered, nothing closes it.
    const twice = await rawExchange(proxy.port, 'GET /v0/reports/a HTTP/1.1\r\nHost: x\r\n\r\nGET /v0/reports/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(twice.match(/HTTP\/1\.1 410 Gone\r\n/g)).toHaveLength(2);
    expect(twice.split('HTTP/1.1 410')[1]).not.toMatch(/\r\nconnection: close\r\n/i);
    // With a body the proxy does not read, the connection closes after the answer.
    const upload = await rawExchange(proxy.port, 'POST /v0/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n');
    expect(upload).toMatch(/^HTTP\/1\.1 410 Gone\r\n[\s\S]*\r\nconnection: close\r\n/i);
    expect(legacy.requests).toHaveLength(0);
  });

  test('a WebSocket upgrade to a retired route gets the same 410 (its JSON, successor and deprecation headers), then the connection closes', async () => {
    const answer = await rawExchange(proxy.port, 'GET /v0/reports/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nx-request-id: ws-gone\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 410 Gone\r\n/);
    const head = answer.slice(0, answer.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).toContain('\r\nconnection: close');
    expect(head).toContain('\r\nsunset: thu, 01 jan 2026 00:00:00 gmt');
    expect(head).toContain('\r\nlink: </v2/reports>; rel="successor-version"');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: 'route reports-v0 is retired',
      route: 'reports-v0',
      target: 'none',
      requestId: 'ws-gone',
      successor: '/v2/reports',
    });
    expect(legacy.requests).toHaveLength(0);
  });

  test('deprecated.redirect: a retired route redirects to its successor instead of 410, keeping the query', async () => {
    const reply = await send(`${proxy.url}/v00/reports/monthly?year=2026&q=a%20b`, 'GET', { 'x-request-id': 'moved-1' });
    expect(reply.status).toBe(308);
    expect(reply.headers.location).toBe('/v2/reports?year=2026&q=a%20b');
    expect(reply.headers['x-request-id']).toBe('moved-1');
    expect(reply.headers.sunset).toBe('Wed, 01 Jan 2025 00:00:00 GMT');
    expect(reply.headers.link).toBe('</v2/reports>; rel="successor-version"');
    expect(reply.body).toBe('');
    // A successor URL with a query of its own is used as it is.
    const external = await send(`${proxy.url}/search?q=x`, 'POST', { 'content-type': 'application/json' }, '{"q":"x"}');
    expect(external.status).toBe(301);
    expect(external.headers.location).toBe('https://search.example.com/?v=2');
    expect(legacy.requests).toHaveLength(0);
    const metrics = await proxy.registry.metrics();
    expect(metrics).toContain('strangler_requests_total{route="reports-v00",target="none",code="308"} 1');
    expect(metrics).toContain('strangler_requests_total{route="old-search",target="none",code="301"} 1');
  });

  test('a WebSocket upgrade to a redirecting retired route gets the redirect', async () => {
    const answer = await rawExchange(proxy.port, 'GET /v00/reports/live?x=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nx-request-id: ws-moved\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 308 Permanent Redirect\r\n/);
    expect(answer.toLowerCase()).toContain('\r\nlocation: /v2/reports?x=1\r\n');
    expect(answer).toContain('x-request-id: ws-moved');
    expect(answer.toLowerCase()).toContain('\r\nsunset: wed, 01 jan 2025 00:00:00 gmt');
    expect(legacy.requests).toHaveLength(0);
  });

  test('retiring and un-retiring a route takes effect on the next request', async () => {
    proxy.state.set('exports', 'retired', 100);
    try {
      expect((await send(`${proxy.url}/exports/a`)).status).toBe(410);
    } finally {
      proxy.state.set('exports', 'legacy', 0);
    }
    expect((await send(`${proxy.url}/exports/a`)).status).toBe(200);
    expect(legacy.requests.map((r) => r.url)).toEqual(['/exports/a']);
  });
});

describe('WebSocket upgrades: fallback and deprecation headers as plain requests have them', () => {
  let legacy: ScriptedWsUpstream;
  let orders: ScriptedWsUpstream;
  let proxy: ProxyHarness;
  const deprecated = { sunset: '2027-06-01T00:00:00Z', since: '2026-01-01T00:00:00Z', link: '/ws' };
  /** The new service's answer: the status in a `statusNNN` path segment, none for `hang`, else a WebSocket. */
  const scripted = (path: string): UpgradeAnswer => {
    const status = /status(\d+)/.exec(path)?.[1];
    if (status !== undefined) return Number(status);
    return path.includes('hang') ? 'hang' : 'echo';
  };

  beforeAll(async () => {
    legacy = await startScriptedWsUpstream('legacy');
    orders = await startScriptedWsUpstream('orders', scripted);
    const deadUrl = `http://127.0.0.1:${await unusedPort()}`;
    proxy = await startProxyHarness(
      testConfig(
        [upstreamConfig('legacy', legacy.url), upstreamConfig('orders', orders.url, { timeoutMs: 300 }), upstreamConfig('down', deadUrl)],
        [
          routeConfig('ws-fb', '/ws', { stage: 'live', percent: 100, fallback: ALL_REASONS }),
          routeConfig('ws-down', '/wsdown', { stage: 'canary', percent: 100, service: 'down', fallback: { on: ['connect-error'], methods: ['GET'] } }),
          routeConfig('ws-no-fb', '/wsnofb', { stage: 'live', percent: 100 }),
          routeConfig('ws-dep', '/depws', { stage: 'live', percent: 100, deprecated }),
        ],
      ),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([legacy.close(), orders.close()]);
  });

  beforeEach(() => {
    legacy.upgrades.length = 0;
    orders.upgrades.length = 0;
  });

  const metric = (name: string, labels: string): Promise<number> => proxy.metricValue(name, labels);

  test.each([
    ['connect-error', '/wsdown/x', 'ws-down'],
    ['timeout', '/ws/hang', 'ws-fb'],
    ['5xx', '/ws/status500', 'ws-fb'],
    // Not a status at all (RFC 9110 §15): no better an answer than a 5xx.
    ['5xx', '/ws/status999', 'ws-fb'],
  ])('%s from the new service on %s: the socket opens on legacy, counted as a fallback and timed from its arrival', async (reason, path, route) => {
    const sample = (): Promise<number[]> =>
      Promise.all([
        metric('strangler_fallbacks_total', `route="${route}",reason="${reason}"`),
        metric('strangler_requests_total', `route="${route}",target="legacy",code="101"`),
        metric('strangler_upstream_errors_total', `route="${route}",target="new",reason="${reason}"`),
        metric('strangler_request_duration_seconds_count', `route="${route}",target="new"`),
        metric('strangler_request_duration_seconds_sum', `route="${route}",target="legacy"`),
      ]);
    const before = await sample();
    const answer = await wsOutcome(proxy.port, path, { 'x-request-id': `ws-fb-${reason}` });
    expect(answer.outcome).toBe('legacy:hi');
    expect(answer.headers['x-request-id']).toBe(`ws-fb-${reason}`);
    expect(legacy.upgrades.map((u) => [u.url, u.headers['x-request-id'], u.headers.host])).toEqual([[path, `ws-fb-${reason}`, new URL(legacy.url).host]]);
    const [fallbacks, legacyOpened, newErrors, newCount, legacySeconds] = await sample();
    expect([fallbacks, legacyOpened, newErrors, newCount]).toEqual([before[0]! + 1, before[1]! + 1, before[2]! + 1, before[3]]);
    // The failed attempt is no answer of its own: no 5xx, 502 or 504 for the new service.
    expect(await proxy.registry.metrics()).not.toMatch(new RegExp(`strangler_requests_total\\{route="${route}",target="new",code="(5\\d\\d|999)"\\}`));
    if (reason === 'timeout') expect(legacySeconds! - before[4]!).toBeGreaterThanOrEqual(0.3);
    expect(proxy.logs).toContainEqual(expect.objectContaining({ route, target: 'new', reason, requestId: `ws-fb-${reason}`, msg: 'new service failed; legacy answered instead (fallback)' }));
  });

  test('without a fallback the new service\'s 500 reaches the client (with its request id) and a handshake it never answers is a 504', async () => {
    expect(await wsOutcome(proxy.port, '/wsnofb/status500', { 'x-request-id': 'no-fb-500' })).toMatchObject({ outcome: 'HTTP 500', headers: { 'x-request-id': 'no-fb-500' } });
    expect((await wsOutcome(proxy.port, '/wsnofb/hang')).outcome).toBe('HTTP 504');
    expect(legacy.upgrades).toEqual([]);
  });

  test('a deprecated route\'s 101, a refusal passed on and the proxy\'s own 502 all carry Deprecation, Sunset and Link', async () => {
    const expected = { deprecation: `@${Date.UTC(2026, 0, 1) / 1000}`, sunset: 'Tue, 01 Jun 2027 00:00:00 GMT', link: '</ws>; rel="successor-version"' };
    const opened = await wsOutcome(proxy.port, '/depws/chat', { 'x-request-id': 'dep-101' });
    expect(opened.outcome).toBe('orders:hi');
    expect(opened.headers).toMatchObject({ ...expected, 'x-request-id': 'dep-101' });
    const refused = await wsOutcome(proxy.port, '/depws/status401', { 'x-request-id': 'dep-401' });
    expect(refused).toMatchObject({ outcome: 'HTTP 401', headers: { ...expected, 'x-request-id': 'dep-401' } });
    const invalid = await wsOutcome(proxy.port, '/depws/status999');
    expect(invalid).toMatchObject({ outcome: 'HTTP 502', headers: expected });
  });
});
