import { Counter, Histogram, Registry } from 'prom-client';
import { parsePrometheusText } from '../../cli/prom-text';
import { statusTable } from '../../cli/commands/status';
import { COUNTERS_READ, restartedBetween, trafficBetween } from '../../cli/traffic';
import { PROCESS_START_TIME } from '../../core/metric-names';
import { createMetricsRegistry } from '../../core/metrics';
import { ProxyMetrics } from '../../proxy/metrics';
import { FixedRouteState } from '../../rollout/fixed-state';

describe('parsePrometheusText', () => {
  test('reads names, labels and values, skipping comments and blank lines', () => {
    const text = [
      '# HELP strangler_requests_total Requests proxied.',
      '# TYPE strangler_requests_total counter',
      'strangler_requests_total{route="orders",target="new",code="200"} 12',
      '',
      'strangler_requests_total{route="orders",target="legacy",code="502"} 3',
      '# a comment that looks like a sample: strangler_requests_total{route="x"} 99',
      'process_uptime_seconds 123.5',
      '',
    ].join('\n');
    expect(parsePrometheusText(text)).toEqual([
      { name: 'strangler_requests_total', labels: { route: 'orders', target: 'new', code: '200' }, value: 12 },
      { name: 'strangler_requests_total', labels: { route: 'orders', target: 'legacy', code: '502' }, value: 3 },
      { name: 'process_uptime_seconds', labels: {}, value: 123.5 },
    ]);
  });

  test('filters by metric name', () => {
    const text = [
      'a_total{x="1"} 1',
      'b_total{x="2"} 2',
      'a_total_extra 3',
      'a_total{x="3"} 4',
    ].join('\n');
    expect(parsePrometheusText(text, new Set(['a_total']))).toEqual([
      { name: 'a_total', labels: { x: '1' }, value: 1 },
      { name: 'a_total', labels: { x: '3' }, value: 4 },
    ]);
    expect(parsePrometheusText(text, new Set(['nope']))).toEqual([]);
    expect(parsePrometheusText(text, new Set())).toEqual([]);
  });

  test('unescapes \\" and \\\\ in label values', () => {
    const text = 'm{path="a \\"quoted\\" word",dir="C:\\\\Temp\\\\x",plain="ok"} 7';
    const [sample] = parsePrometheusText(text);
    expect(sample).toEqual({ name: 'm', labels: { path: 'a "quoted" word', dir: 'C:\\Temp\\x', plain: 'ok' }, value: 7 });
  });

  test('label values may contain commas, braces, "=" and spaces', () => {
    const [sample] = parsePrometheusText('m{a="x,y",b="{z}",c="k=v",d="two words"} 1');
    expect(sample!.labels).toEqual({ a: 'x,y', b: '{z}', c: 'k=v', d: 'two words' });
  });

  test('an escaped quote does not end the value early', () => {
    const [sample] = parsePrometheusText('m{a="x\\",b=\\"y",c="z"} 1');
    expect(sample!.labels).toEqual({ a: 'x",b="y', c: 'z' });
  });

  test('\\n becomes a newline', () => {
    const [sample] = parsePrometheusText('m{a="line1\\nline2"} 1');
    expect(sample!.labels.a).toBe('line1\nline2');
  });

  // Escapes are undone in one pass: undoing `\n` before `\\` would turn `\\n` into a backslash and a newline.
  test('an escaped backslash followed by "n" stays a backslash and an "n"', () => {
    // Exposition text `m{dir="C:\\new"} 1` is the label value `C:\new`.
    const [sample] = parsePrometheusText('m{dir="C:\\\\new"} 1');
    expect(sample!.labels.dir).toBe('C:\\new');
  });

  test('round-trips label values as prom-client escapes them (no backslash before n)', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'odd_total', help: 'h', labelNames: ['v'], registers: [registry] });
    const values = ['say "hi"', 'back\\slash', 'multi\nline', 'mix "\\" end'];
    values.forEach((v, i) => counter.labels(v).inc(i + 1));
    const samples = parsePrometheusText(await registry.metrics(), new Set(['odd_total']));
    expect(samples.map((s) => [s.labels.v, s.value])).toEqual(values.map((v, i) => [v, i + 1]));
  });

  test('ignores a timestamp after the value and parses numeric forms', () => {
    const samples = parsePrometheusText(['a 1.5e3 1700000000000', 'b -2', 'c 0', 'd NaN'].join('\n'));
    expect(samples.map((s) => [s.name, s.value])).toEqual([
      ['a', 1500],
      ['b', -2],
      ['c', 0],
      ['d', NaN],
    ]);
  });

  test('names may contain colons and underscores; lines that are not samples are skipped', () => {
    const samples = parsePrometheusText(['job:rate_5m{x="1"} 2', '  indented 1', '9bad 1', 'novalue', '{x="1"} 3'].join('\n'));
    expect(samples).toEqual([{ name: 'job:rate_5m', labels: { x: '1' }, value: 2 }]);
  });

  test('empty input or only comments → no samples', () => {
    expect(parsePrometheusText('')).toEqual([]);
    expect(parsePrometheusText('\n\n# only comments\n')).toEqual([]);
  });
});

function scrape(lines: string[]): string {
  return [
    '# HELP strangler_requests_total Requests proxied, by route, target side (legacy|new) and response status code.',
    '# TYPE strangler_requests_total counter',
    ...lines,
    '',
    '# HELP strangler_request_duration_seconds Request duration.',
    '# TYPE strangler_request_duration_seconds histogram',
    'strangler_request_duration_seconds_bucket{le="0.1",route="orders",target="new"} 999',
    'strangler_request_duration_seconds_count{route="orders",target="new"} 999',
    '# HELP strangler_upstream_errors_total Upstream errors.',
    '# TYPE strangler_upstream_errors_total counter',
    'strangler_upstream_errors_total{route="orders",target="new",reason="timeout"} 500',
    '',
  ].join('\n');
}

describe('trafficBetween', () => {
  const before = scrape([
    'strangler_requests_total{route="orders",target="legacy",code="200"} 1000',
    'strangler_requests_total{route="orders",target="legacy",code="404"} 50',
    'strangler_requests_total{route="orders",target="legacy",code="500"} 10',
    'strangler_requests_total{route="orders",target="new",code="200"} 100',
    'strangler_requests_total{route="orders",target="new",code="502"} 2',
    'strangler_requests_total{route="users",target="legacy",code="200"} 7',
    'strangler_requests_total{route="_unmatched",target="legacy",code="200"} 40',
  ]);
  const after = scrape([
    'strangler_requests_total{route="orders",target="legacy",code="200"} 1180',
    'strangler_requests_total{route="orders",target="legacy",code="404"} 60',
    'strangler_requests_total{route="orders",target="legacy",code="500"} 20',
    'strangler_requests_total{route="orders",target="new",code="200"} 136',
    'strangler_requests_total{route="orders",target="new",code="502"} 6',
    'strangler_requests_total{route="orders",target="new",code="504"} 4',
    'strangler_requests_total{route="users",target="legacy",code="200"} 7',
    'strangler_requests_total{route="_unmatched",target="legacy",code="200"} 45',
    'strangler_requests_total{route="billing",target="new",code="200"} 18',
    'strangler_requests_total{route="billing",target="new",code="503"} 2',
  ]);

  test('a fallback is a failed request of the new service as well as legacy\'s answer', () => {
    const traffic = trafficBetween(
      scrape(['strangler_requests_total{route="live",target="new",code="200"} 10', 'strangler_requests_total{route="live",target="legacy",code="200"} 0']),
      scrape([
        'strangler_requests_total{route="live",target="new",code="200"} 10',
        'strangler_requests_total{route="live",target="legacy",code="200"} 20',
        'strangler_fallbacks_total{route="live",reason="5xx"} 15',
        'strangler_fallbacks_total{route="live",reason="timeout"} 5',
      ]),
      10,
    );
    expect(traffic.get('live')).toEqual({
      new: { requestsPerSecond: 2, errorRate: 1, requests: 20, errors: 20 },
      legacy: { requestsPerSecond: 2, errorRate: 0, requests: 20, errors: 0 },
    });
  });

  test('requests/s and error rate (5xx share) per route and target', () => {
    const traffic = trafficBetween(before, after, 10);
    // orders/legacy: +180 ok, +10 404, +10 500 → 200 requests, 10 errors
    expect(traffic.get('orders')!.legacy).toEqual({ requestsPerSecond: 20, errorRate: 0.05, requests: 200, errors: 10 });
    // orders/new: +36 ok, +4 502, +4 504 (new series) → 44 requests, 8 errors
    const fresh = traffic.get('orders')!.new!;
    expect(fresh.requests).toBe(44);
    expect(fresh.errors).toBe(8);
    expect(fresh.requestsPerSecond).toBeCloseTo(4.4, 10);
    expect(fresh.errorRate).toBeCloseTo(8 / 44, 10);
  });

  test('4xx are requests but not errors', () => {
    const traffic = trafficBetween(
      scrape(['strangler_requests_total{route="r",target="new",code="499"} 0']),
      scrape(['strangler_requests_total{route="r",target="new",code="499"} 30', 'strangler_requests_total{route="r",target="new",code="500"} 10']),
      5,
    );
    expect(traffic.get('r')!.new).toEqual({ requestsPerSecond: 8, errorRate: 0.25, requests: 40, errors: 10 });
  });

  test('a route with no new requests in the window shows zero, not NaN', () => {
    const traffic = trafficBetween(before, after, 10);
    expect(traffic.get('users')).toEqual({ legacy: { requestsPerSecond: 0, errorRate: 0, requests: 0, errors: 0 } });
  });

  test('counters that appear only in the second scrape count from zero', () => {
    const traffic = trafficBetween(before, after, 4);
    expect(traffic.get('billing')).toEqual({ new: { requestsPerSecond: 5, errorRate: 0.1, requests: 20, errors: 2 } });
  });

  test('the unmatched pseudo-route is reported like any other', () => {
    expect(trafficBetween(before, after, 5).get('_unmatched')).toEqual({ legacy: { requestsPerSecond: 1, errorRate: 0, requests: 5, errors: 0 } });
  });

  test('only strangler_requests_total is counted', () => {
    const traffic = trafficBetween(before, after, 10);
    expect([...traffic.keys()].sort()).toEqual(['_unmatched', 'billing', 'orders', 'users']);
    expect(Object.keys(traffic.get('orders')!).sort()).toEqual(['legacy', 'new']);
  });

  test('a zero window gives 0 requests/s but still counts requests and the error rate', () => {
    const traffic = trafficBetween(before, after, 0);
    expect(traffic.get('orders')!.legacy).toEqual({ requestsPerSecond: 0, errorRate: 0.05, requests: 200, errors: 10 });
    expect(traffic.get('billing')!.new).toEqual({ requestsPerSecond: 0, errorRate: 0.1, requests: 20, errors: 2 });
  });

  test('identical scrapes → zero traffic everywhere', () => {
    const traffic = trafficBetween(after, after, 1);
    for (const [, routeTraffic] of traffic) {
      for (const side of Object.values(routeTraffic)) expect(side).toEqual({ requestsPerSecond: 0, errorRate: 0, requests: 0, errors: 0 });
    }
    expect(traffic.size).toBe(4);
  });

  test('empty scrapes → empty map', () => {
    expect(trafficBetween('', '', 1).size).toBe(0);
    expect(trafficBetween(before, '', 1).size).toBe(0);
  });

  test('works on scrapes rendered by prom-client itself', async () => {
    const registry = new Registry();
    const requests = new Counter({ name: 'strangler_requests_total', help: 'h', labelNames: ['route', 'target', 'code'], registers: [registry] });
    const duration = new Histogram({ name: 'strangler_request_duration_seconds', help: 'h', labelNames: ['route', 'target'], registers: [registry] });
    requests.labels('orders', 'legacy', '200').inc(10);
    requests.labels('orders', 'new', '200').inc(5);
    duration.labels('orders', 'new').observe(0.01);
    const first = await registry.metrics();
    requests.labels('orders', 'legacy', '200').inc(30);
    requests.labels('orders', 'legacy', '503').inc(10);
    requests.labels('orders', 'new', '200').inc(18);
    requests.labels('orders', 'new', '504').inc(2);
    requests.labels('checkout', 'new', '201').inc(3);
    duration.labels('orders', 'new').observe(0.02);
    const second = await registry.metrics();

    const traffic = trafficBetween(first, second, 2);
    expect(traffic.get('orders')).toEqual({
      legacy: { requestsPerSecond: 20, errorRate: 0.25, requests: 40, errors: 10 },
      new: { requestsPerSecond: 10, errorRate: 0.1, requests: 20, errors: 2 },
    });
    expect(traffic.get('checkout')).toEqual({ new: { requestsPerSecond: 1.5, errorRate: 0, requests: 3, errors: 0 } });
  });
});

describe('counter resets between the two scrapes', () => {
  test('a counter that went down (proxy restarted) counts from zero instead of going negative', () => {
    const before = 'strangler_requests_total{route="orders",target="new",code="200"} 500\nstrangler_requests_total{route="orders",target="new",code="503"} 20\n';
    const after = 'strangler_requests_total{route="orders",target="new",code="200"} 30\nstrangler_requests_total{route="orders",target="new",code="503"} 10\n';
    const traffic = trafficBetween(before, after, 2).get('orders')!.new!;
    expect(traffic).toEqual({ requests: 40, errors: 10, requestsPerSecond: 20, errorRate: 0.25 });
  });
});

/** One proxy process's metrics as its admin /metrics renders them: the proxy's own registry, process metrics included. */
class ProxyScrapes {
  private readonly registry = createMetricsRegistry();
  private readonly metrics: ProxyMetrics;

  constructor(routes: string[] = ['orders', 'reports']) {
    const state = new FixedRouteState();
    for (const route of routes) state.set(route, 'canary', 50);
    this.metrics = new ProxyMetrics(this.registry, routes.map((name) => ({ name, service: 'orders' })), state);
  }

  answer(route: string, side: 'legacy' | 'new', status: number, times: number): this {
    for (let i = 0; i < times; i++) this.metrics.forRoute(route, side).observe(status, 0.002);
    return this;
  }

  fallBack(route: string, times: number): this {
    this.metrics.fallbacks.labels(route, '5xx').inc(times);
    return this.answer(route, 'legacy', 200, times);
  }

  /**
   * The exposition text. Two registries in one test process share its start time, as two proxy processes
   * started in the same second would; `startedLater` gives this one the start time of a process started later.
   */
  async scrape(options: { startedLater?: boolean } = {}): Promise<string> {
    const text = await this.registry.metrics();
    if (!options.startedLater) return text;
    const started = /^process_start_time_seconds (\d+)$/m.exec(text);
    expect(started).not.toBeNull();
    return text.replace(started![0], `process_start_time_seconds ${Number(started![1]) + 42}`);
  }
}

describe('a proxy restart within the window', () => {
  test('a restarted proxy\'s counts are the window\'s, even where their sum exceeds the old process\'s', async () => {
    const before = await new ProxyScrapes().answer('reports', 'legacy', 200, 100).scrape();
    const after = await new ProxyScrapes().answer('reports', 'legacy', 503, 150).scrape({ startedLater: true });
    expect(trafficBetween(before, after, 30).get('reports')).toEqual({ legacy: { requestsPerSecond: 5, errorRate: 1, requests: 150, errors: 150 } });
    expect(restartedBetween(before, after)).toBe(true);
  });

  test('a restart in the same second shows in a series that went down: every series then counts from zero', async () => {
    const before = await new ProxyScrapes().answer('orders', 'new', 200, 100).answer('orders', 'new', 503, 10).scrape();
    const after = await new ProxyScrapes().answer('orders', 'new', 200, 20).answer('orders', 'new', 503, 150).scrape();
    expect(trafficBetween(before, after, 10).get('orders')!.new).toEqual({ requestsPerSecond: 17, errorRate: 150 / 170, requests: 170, errors: 150 });
    expect(restartedBetween(before, after)).toBe(true);
  });

  test('a restart in the same second shows in a series that vanished (the proxy never drops one)', async () => {
    const before = await new ProxyScrapes().answer('reports', 'legacy', 200, 100).scrape();
    const after = await new ProxyScrapes().answer('reports', 'legacy', 503, 150).scrape();
    expect(trafficBetween(before, after, 30).get('reports')!.legacy).toEqual({ requestsPerSecond: 5, errorRate: 1, requests: 150, errors: 150 });
    expect(restartedBetween(before, after)).toBe(true);
  });

  test('a new start time alone tells a restart: no series went down, fallbacks included', async () => {
    const before = await new ProxyScrapes().answer('orders', 'new', 200, 40).fallBack('orders', 5).scrape();
    const after = await new ProxyScrapes().answer('orders', 'new', 200, 50).fallBack('orders', 10).scrape({ startedLater: true });
    expect(restartedBetween(before, after)).toBe(true);
    const orders = trafficBetween(before, after, 5).get('orders')!;
    expect(orders.legacy).toEqual({ requestsPerSecond: 2, errorRate: 0, requests: 10, errors: 0 });
    expect(orders.new).toEqual({ requestsPerSecond: 12, errorRate: 10 / 60, requests: 60, errors: 10 });
  });

  test('the same process scraped twice is no restart, and counts what it added', async () => {
    const proxy = new ProxyScrapes().answer('orders', 'new', 200, 100).answer('orders', 'new', 503, 10);
    const before = await proxy.scrape();
    const after = await proxy.answer('orders', 'new', 200, 30).answer('orders', 'new', 502, 10).scrape();
    expect(restartedBetween(before, after)).toBe(false);
    expect(trafficBetween(before, after, 4).get('orders')!.new).toEqual({ requestsPerSecond: 10, errorRate: 0.25, requests: 40, errors: 10 });
  });

  test('an error share never exceeds 100 %, whatever the two processes counted', async () => {
    for (const [oldOk, oldFailed, newOk, newFailed] of [[100, 0, 0, 150], [0, 100, 150, 0], [100, 5, 0, 300], [3, 0, 1, 2], [0, 0, 0, 7]] as const) {
      for (const startedLater of [false, true]) {
        const before = await new ProxyScrapes().answer('orders', 'new', 200, oldOk).answer('orders', 'new', 503, oldFailed).scrape();
        const after = await new ProxyScrapes().answer('orders', 'new', 200, newOk).answer('orders', 'new', 503, newFailed).scrape({ startedLater });
        const traffic = trafficBetween(before, after, 1).get('orders')!.new!;
        expect([oldOk, oldFailed, newOk, newFailed, startedLater, traffic.requests, traffic.errors]).toEqual([oldOk, oldFailed, newOk, newFailed, startedLater, newOk + newFailed, newFailed]);
        expect(traffic.errorRate).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('what status reads is what the proxy writes', () => {
  test('every counter status reads is in the proxy\'s registry, with the labels status reads by', async () => {
    const registry = createMetricsRegistry();
    const state = new FixedRouteState();
    state.set('orders', 'canary', 50);
    const metrics = new ProxyMetrics(registry, [{ name: 'orders', service: 'orders' }], state);
    metrics.forRoute('orders', 'new').observe(200, 0.002);
    const samples = parsePrometheusText(await registry.metrics());

    for (const metric of COUNTERS_READ) {
      const series = samples.filter((sample) => sample.name === metric.name);
      expect([metric.name, series.length > 0]).toEqual([metric.name, true]);
      for (const sample of series) expect([metric.name, Object.keys(sample.labels).sort()]).toEqual([metric.name, [...metric.labels].sort()]);
    }
    expect(samples.filter((sample) => sample.name === PROCESS_START_TIME)).toHaveLength(1);
    expect(trafficBetween('', await registry.metrics(), 1).get('orders')).toEqual({ new: { requestsPerSecond: 1, errorRate: 0, requests: 1, errors: 0 } });
  });
});

describe('the status table', () => {
  const before = 'strangler_requests_total{route="orders",target="legacy",code="200"} 0\nstrangler_requests_total{route="_unmatched",target="legacy",code="200"} 0\n';
  const after =
    'strangler_requests_total{route="orders",target="legacy",code="200"} 1250\nstrangler_requests_total{route="orders",target="new",code="500"} 3\n' +
    'strangler_requests_total{route="_unmatched",target="legacy",code="200"} 18\nstrangler_requests_total{route="_unmatched",target="legacy",code="502"} 2\n';

  test('numbers align right; a last row shows the requests no route matched', () => {
    const traffic = trafficBetween(before, after, 10);
    const lines = statusTable(
      [
        { name: 'orders', stage: 'canary', percent: 5, traffic: traffic.get('orders')! },
        { name: 'users', stage: 'legacy', percent: 100, traffic: traffic.get('users') ?? {} },
      ],
      traffic.get('_unmatched')!,
    );
    expect(lines).toEqual([
      'ROUTE       STAGE   PERCENT  LEGACY REQ/S  LEGACY ERR  NEW REQ/S  NEW ERR  RETIRED REQ/S',
      'orders      canary       5%         125.0        0.0%        0.3   100.0%            0.0',
      'users       legacy     100%           0.0           -        0.0        -            0.0',
      '(no route)  -             -           2.0       10.0%        0.0        -            0.0',
    ]);
  });

  test('without a measurement (--window 0) there is no unmatched row and traffic is "-"', () => {
    expect(statusTable([{ name: 'orders', stage: 'live', percent: 100, traffic: null }])).toEqual([
      'ROUTE   STAGE  PERCENT  LEGACY REQ/S  LEGACY ERR  NEW REQ/S  NEW ERR  RETIRED REQ/S',
      'orders  live      100%             -           -          -        -              -',
    ]);
  });
});
