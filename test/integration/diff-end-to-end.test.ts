import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../core/config';
import { startLegacyMonolith } from '../../examples/legacy-monolith';
import { startOrdersService } from '../../examples/orders-service';
import { startProxy, type RunningProxy } from '../../proxy/start';
import { PostgresDatabase } from '../../core/db/postgres';
import type { DiffReportJson } from '../../diff-reader/report';
import { SqlComparisonStore } from '../../diff-reader/store/sql-comparison-store';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { eventually } from '../helpers/eventually';
import { runCliAsync as cli, tempDir } from '../helpers/proxy-process';

const TOKEN = 'diff-e2e-admin-token';
const DEMO_CONFIG = join(__dirname, '../../examples/strangler.yaml');

describe('the demo in shadow (its own strangler.yaml): one real difference, one noisy timestamp', () => {
  let database: TestDatabase;
  let proxy: RunningProxy;
  let stops: Array<() => void>;
  let flags: string[];
  const dir = tempDir('strangler-diff-');

  beforeAll(async () => {
    database = await createTestDatabase();
    const legacy = await startLegacyMonolith(0);
    const orders = await startOrdersService(0);
    stops = [() => legacy.server.close(), () => orders.server.close()];
    // The demo's own strangler.yaml (shadow, noiseSample 0.5), its state pointed at the test database.
    const file = join(dir.path, 'strangler.yaml');
    const yaml = readFileSync(DEMO_CONFIG, 'utf8').replace('embedded:./.strangler', database.url);
    expect(yaml).toContain(database.url);
    writeFileSync(file, yaml);
    const env = {
      STRANGLER_DEMO_PORT: '0',
      STRANGLER_DEMO_ADMIN_PORT: '0',
      STRANGLER_ADMIN_TOKEN: TOKEN,
      STRANGLER_DEMO_LEGACY_PORT: String(new URL(legacy.url).port),
      STRANGLER_DEMO_ORDERS_PORT: String(new URL(orders.url).port),
    };
    proxy = await startProxy(parseConfig(yaml, file, env), pino({ level: 'silent' }));
    flags = ['--admin', `http://127.0.0.1:${proxy.adminAddress.port}`, '--token', TOKEN];
    for (let i = 0; i < 15; i++) {
      for (const path of ['/api/orders', '/api/orders/1']) {
        const response = await fetch(`http://127.0.0.1:${proxy.proxyAddress.port}${path}`, { headers: { 'x-request-id': `e2e-${i}-${path.length}` } });
        expect(((await response.json()) as { servedBy: string }).servedBy).toBe('legacy');
      }
    }
  });

  afterAll(async () => {
    await proxy.stop();
    stops.forEach((stop) => stop());
    await database.drop();
    dir.remove();
  });

  test('the report shows the real difference as a mismatch and the timestamp as noise', async () => {
    const run = await cli(['diff', 'report', '--format', 'json', ...flags]);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as { routes: Array<{ route: string; counts: Record<string, number>; fields: Array<{ path: string; count: number; noise: number; kinds: string[] }> }> };
    const route = report.routes.find((r) => r.route === 'orders')!;
    expect(route.counts).toMatchObject({ comparisons: 30, mismatch: 30, match: 0, error: 0 });
    const byPath = new Map(route.fields.map((f) => [f.path, f]));
    expect(byPath.get('$.orders[*].total')).toMatchObject({ count: 15, kinds: ['type'] });
    expect(byPath.get('$.total')).toMatchObject({ count: 15, kinds: ['type'] });
    expect(byPath.get('$.generatedAt')).toMatchObject({ count: 0, noise: 30 });
    expect(byPath.has('$.servedBy')).toBe(false);
  });

  test('metrics: comparisons by result and legacy-vs-new latency histograms, on the admin port', async () => {
    const scrape = async (): Promise<string> => {
      const response = await fetch(`http://127.0.0.1:${proxy.adminAddress.port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(200);
      return response.text();
    };
    let text = '';
    await eventually(async () => (text = await scrape()).includes('strangler_shadow_comparisons_total{route="orders",result="mismatch"} 30'));
    expect(text).toContain('# TYPE strangler_shadow_comparisons_total counter');
    expect(text).not.toMatch(/strangler_shadow_comparisons_total\{route="orders",result="(match|noise|error)"\}/);
    // The new service's answers by status class: all 30 were 200s here.
    expect(text).toContain('strangler_shadow_new_answers_total{route="orders",class="2xx"} 30');
    expect(text).not.toMatch(/strangler_shadow_new_answers_total\{route="orders",class="5xx"\}/);
    expect(text).toContain('# TYPE strangler_shadow_latency_seconds histogram');
    for (const target of ['legacy', 'new']) {
      expect(text).toContain(`strangler_shadow_latency_seconds_count{route="orders",target="${target}"} 30`);
      expect(text).toContain(`strangler_shadow_latency_seconds_bucket{route="orders",target="${target}",le="+Inf"} 30`);
      const sum = Number(new RegExp(`strangler_shadow_latency_seconds_sum\\{route="orders",target="${target}"\\} (\\S+)`).exec(text)?.[1]);
      expect(sum).toBeGreaterThan(0);
      expect(sum).toBeLessThan(30);
    }
  });

  test('diff show prints one comparison in full, with the noise apart', async () => {
    const shown = await cli(['diff', 'show', 'e2e-14-13', ...flags]);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain('request:  e2e-14-13  GET /api/orders/1');
    expect(shown.stdout).toContain('result:   mismatch');
    expect(shown.stdout).toMatch(/differences:\n {2}\$\.total {2}type\n {4}legacy: 42\.5\n {4}new: {4}"42\.50"/);
    expect(shown.stdout).toMatch(/noise \(legacy differs from itself here\):\n {2}\$\.generatedAt {2}changed/);
    // As a text report prints it, shortened: a unique start of the id, with its ellipsis.
    const copied = await cli(['diff', 'show', 'e2e-14-13…', ...flags]);
    expect(copied.stdout).toBe(shown.stdout);
    // --json: every key, null when absent, in the order the report's JSON uses.
    const json = JSON.parse((await cli(['diff', 'show', 'e2e-14-13', '--json', ...flags])).stdout) as Record<string, unknown>;
    // Then the other comparisons with this id (none here) and how many are kept per route.
    expect(Object.keys(json)).toEqual(['requestId', 'route', 'method', 'target', 'at', 'result', 'error', 'legacyStatus', 'candidateStatus', 'legacyMs', 'candidateMs', 'differences', 'noise', 'others', 'kept', 'notShown']);
    expect(json).toMatchObject({ others: [], kept: [{ route: 'orders', comparisons: 1 }], notShown: 0 });
    expect(json).toMatchObject({ requestId: 'e2e-14-13', result: 'mismatch', error: null, differences: [{ path: '$.total', kind: 'type', legacy: '42.5', candidate: '"42.50"' }] });
    expect(Object.keys((json.noise as object[])[0]!)).toEqual(['path', 'location', 'kind', 'legacy', 'candidate']);
    const ambiguous = await cli(['diff', 'show', 'e2e-14-1', ...flags]);
    expect(ambiguous.status).toBe(1);
    expect(ambiguous.stderr).toMatch(/^strangler: GET \/comparisons\/e2e-14-1 failed \(409\): request id "e2e-14-1" is ambiguous: e2e-14-1\d, e2e-14-1\d start with it; give more of it\n$/);
    const missing = await cli(['diff', 'show', 'nope', ...flags]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('strangler: GET /comparisons/nope failed (404): no comparison for request id "nope" (the start of an id needs at least 8 characters)\n');
    const unknown = await cli(['diff', 'show', 'nope-nope-nope', ...flags]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(
      /^strangler: GET \/comparisons\/nope-nope-nope failed \(404\): no comparison kept for request id "nope-nope-nope": only the newest state\.keepComparisons comparisons with differences, noise or an error are kept, the oldest from \S+Z; plain matches are only counted \(state\.keepMatches\)\n$/,
    );
  });

  test('markdown and html reports, and bad flags', async () => {
    const markdown = await cli(['diff', 'report', '--format', 'markdown', ...flags]);
    expect(markdown.stdout).toMatch(/^\| `\$\.orders\[\*\]\.total` \| 15 \| 50\.0 % \| 0 \| `\d+(\.\d+)?` → `"\d+\.\d\d"` \| `e2e-14-11` \|$/m);
    expect(markdown.stdout).toMatch(/^\| `\$\.generatedAt` \| 0 \| 0 % \| 30 \| .* _\(noise\)_ \| `e2e-\d+-\d+` \|$/m);
    const out = join(dir.path, 'report.html');
    const html = await cli(['diff', 'report', '--format', 'html', '--out', out, ...flags]);
    expect(html.stdout).toBe(`${out}: html report, 1 route\n`);
    // the file itself: the whole page, with the route's numbers in it
    const page = readFileSync(out, 'utf8');
    expect(page.startsWith('<!doctype html>\n')).toBe(true);
    expect(page.endsWith('</html>\n')).toBe(true);
    expect(page).toContain('<title>Shadow diff report</title>');
    expect(page).toContain('<section class="route" id="route-1" data-route="orders">');
    expect(page).toContain('<span data-route="orders" data-metric="comparisons" data-value="30">30</span>');
    expect(page).toContain('<span data-route="orders" data-metric="mismatch-rate" data-value="1">100 %</span>');
    expect(page).toContain('<span data-route="orders" data-metric="field-count" data-field="$.total" data-value="15">15</span>');
    expect(page).toContain('<span data-route="orders" data-metric="field-share" data-field="$.orders[*].total" data-value="0.5">50.0 %</span>');
    expect(page).toContain('<span data-route="orders" data-metric="field-noise" data-field="$.generatedAt" data-value="30">30</span>');
    const since = await cli(['diff', 'report', '--since', 'yesterday', ...flags]);
    expect(since.status).toBe(2);
    expect(since.stderr).toBe('strangler: --since: must be a duration such as 30m, 1h, 7d or an ISO-8601 time, got "yesterday"\n');
    const direct = await fetch(`http://127.0.0.1:${proxy.adminAddress.port}/diff/report?since=2025-02-30`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect([direct.status, await direct.json()]).toEqual([400, { error: 'since: must be a duration such as 30m, 1h, 7d or an ISO-8601 time, got "2025-02-30"', field: 'since' }]);
    // The admin API takes the durations the CLI takes.
    const byDuration = await fetch(`http://127.0.0.1:${proxy.adminAddress.port}/diff/report?since=1h`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect([byDuration.status, ((await byDuration.json()) as { routes: Array<{ counts: { comparisons: number } }> }).routes[0]!.counts.comparisons]).toEqual([200, 30]);
    const route = await cli(['diff', 'report', '--route', 'nope', ...flags]);
    expect(route.stderr).toBe('strangler: GET /diff/report?route=nope failed (404): unknown route "nope": not in the configuration, and no comparisons of it are counted\n');
    const both = await cli(['diff', 'report', '--json', '--format', 'html', ...flags]);
    // --json was asked for, so the refusal is the JSON failure line.
    expect([both.status, both.stderr]).toEqual([2, '{"error":{"message":"--json and --format html: give one of them","exitCode":2}}\n']);
    const empty = await cli(['diff', 'report', '--route', '', ...flags]);
    expect([empty.status, empty.stderr]).toEqual([2, 'strangler: --route: must be a route name, got ""\n']);
    const typo = await cli(['diff', 'report', '--since', '100000d', ...flags]);
    expect([typo.status, typo.stderr]).toEqual([2, 'strangler: --since: "100000d" is more than ten years back (3650d)\n']);
    const recent = JSON.parse((await cli(['diff', 'report', '--since', '1h', '--json', ...flags])).stdout) as { routes: Array<{ counts: { comparisons: number } }> };
    expect(recent.routes[0]!.counts.comparisons).toBe(30);
  });

  test('--route, --format text, --out FILE, and --since filtering through the CLI', async () => {
    type Report = {
      filter: { route: string | null; since: string | null };
      window: { from: string | null };
      totals: { counts: { comparisons: number } };
      routes: Array<{ route: string; counts: { comparisons: number; match: number; mismatch: number; noise: number; error: number }; fields: Array<{ examples: Array<{ requestId: string }> }> }>;
    };
    const json = async (...args: string[]): Promise<Report> => {
      const run = await cli(['diff', 'report', '--format', 'json', ...args, ...flags]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      return JSON.parse(run.stdout) as Report;
    };

    // --route orders: an existing route, named in the filter, with all 30 comparisons
    const orders = await json('--route', 'orders');
    expect(orders.filter).toEqual({ route: 'orders', since: null });
    expect(orders.routes.map((r) => r.route)).toEqual(['orders']);
    expect(orders.routes[0]!.counts).toEqual({ comparisons: 30, match: 0, mismatch: 30, noise: 0, error: 0 });

    // --format text through the CLI: the summary, the outcome line and the field table
    const text = await cli(['diff', 'report', '--route', 'orders', '--format', 'text', ...flags]);
    expect(text.status).toBe(0);
    expect(text.stderr).toBe('');
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^Shadow diff report, generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines).toContain('Filter: route orders');
    expect(text.stdout).toMatch(/^ROUTE +COMPARISONS +MATCH +MISMATCH +NOISE +ERROR +VERDICT$/m);
    expect(text.stdout).toMatch(/^orders +30 +0 % +100 % +0 % +0 % +FAIL 100 % mismatches$/m);
    expect(lines).toContain('orders  FAIL 100 % mismatches');
    expect(lines).toContain('  30 comparisons: 0 match, 30 mismatch, 0 noise, 0 error');
    expect(text.stdout).toMatch(/^ {2}legacy +\d+(\.\d)? +\d+(\.\d)? +30$/m);
    expect(text.stdout).toMatch(/^ {2}new +\d+(\.\d)? +\d+(\.\d)? +30$/m);
    const fieldRows = lines.filter((line) => /^ {2}\$\./.test(line));
    expect(fieldRows).toHaveLength(3);
    expect(fieldRows[0]).toMatch(/^ {2}\$\.orders\[\*\]\.total +15 +50\.0 % +0 +type +\d+(\.\d+)? → "\d+\.\d\d" +\(e2e-14-11\)$/);
    expect(fieldRows[1]).toMatch(/^ {2}\$\.total +15 +50\.0 % +0 +type +42\.5 → "42\.50" +\(e2e-14-13\)$/);
    expect(fieldRows[2]).toMatch(/^ {2}\$\.generatedAt +0 +0 % +30 +changed +.+ → .+ +\(e2e-\d+-\d+, noise\)$/);

    // --out FILE: the file holds the report, stdout only says where it went
    const out = join(dir.path, 'report.txt');
    const written = await cli(['diff', 'report', '--route', 'orders', '--format', 'text', '--out', out, ...flags]);
    expect(written.stderr).toBe('');
    expect(written.stdout).toBe(`${out}: text report, 1 route\n`);
    const asJson = await cli(['diff', 'report', '--route', 'orders', '--json', '--out', `${out}.json`, ...flags]);
    expect(JSON.parse(asJson.stdout)).toEqual({ out: `${out}.json`, format: 'json', routes: 1 });
    const file = readFileSync(out, 'utf8');
    // the same report as on stdout, but for the generation time (and the window, which ends then)
    const stable = (report: string): string => report.replace(/^Shadow diff report, generated .*$/m, '').replace(/^Window .*$/m, '');
    expect(file).toMatch(/^Shadow diff report, generated \S+\n/);
    expect(file.endsWith('\n')).toBe(true);
    expect(stable(file)).toBe(stable(text.stdout));

    // --since: a time after every comparison selects none (the CLI refuses one after now; the admin API, whose
    // clock may be another's, takes it); a time among them selects exactly those at or after it
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const refused = await cli(['diff', 'report', '--since', future, ...flags]);
    expect([refused.status, refused.stderr]).toEqual([2, expect.stringMatching(/^strangler: --since: "\S+" is in the future \(now is \S+\); give a time before now\n$/)]);
    const direct = async (query: string): Promise<Report> => {
      const response = await fetch(`http://127.0.0.1:${proxy.adminAddress.port}/diff/report?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as Report;
    };
    const none = await direct(`since=${encodeURIComponent(future)}`);
    expect(none.filter).toEqual({ route: null, since: future });
    expect(none.totals.counts.comparisons).toBe(0);
    expect(none.routes).toEqual([]);
    const noneOnRoute = await direct(`since=${encodeURIComponent(future)}&route=orders`);
    expect(noneOnRoute.routes.map((r) => [r.route, r.counts.comparisons])).toEqual([['orders', 0]]);
    const hour = await json('--since', '1h');
    expect(hour.totals.counts.comparisons).toBe(30);

    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      for (const length of [11, 13]) {
        const response = await fetch(`http://127.0.0.1:${proxy.adminAddress.port}/comparisons/e2e-${i}-${length}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(response.status).toBe(200);
        times.push(Date.parse(((await response.json()) as { at: string }).at));
      }
    }
    times.sort((a, b) => a - b);
    // Reports count by whole minutes: a since inside a minute counts that whole minute, and says so.
    const middle = times[15]!;
    const minuteOfMiddle = Math.floor(middle / 60_000) * 60_000;
    const fromThatMinute = times.filter((time) => time >= minuteOfMiddle).length;
    const some = await json('--since', new Date(middle).toISOString());
    expect(some.window.from).toBe(new Date(minuteOfMiddle).toISOString());
    expect(some.totals.counts.comparisons).toBe(fromThatMinute);
    expect(some.routes[0]!.counts).toMatchObject({ comparisons: fromThatMinute, mismatch: fromThatMinute });
    // Just after the last comparison: its minute is counted, and its mismatch has its example too.
    const afterLast = await json('--since', new Date(times.at(-1)! + 1).toISOString());
    expect(afterLast.routes[0]!.counts.mismatch).toBeGreaterThan(0);
    expect(afterLast.routes[0]!.fields.flatMap((field) => field.examples).length).toBeGreaterThan(0);
  });

  test('a route removed from the configuration is reported while the store counts it, marked so; fields= caps the fields sent', async () => {
    const db = new PostgresDatabase({ url: database.url });
    const store = new SqlComparisonStore(db);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000).toISOString();
    try {
      // What a proxy wrote for a route the configuration had before.
      await store.writeCounts({
        counts: [{ route: 'retired', minute, result: 'mismatch', differences: [{ path: '$.total', kinds: ['changed'] }], noise: [], error: null, comparisons: 4 }],
        latency: [],
      });
      const run = await cli(['diff', 'report', '--route', 'retired', '--format', 'json', ...flags]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const retired = (JSON.parse(run.stdout) as DiffReportJson).routes;
      expect(retired.map((r) => [r.route, r.configured, r.counts.mismatch, r.noiseThresholds])).toEqual([['retired', false, 4, { relative: 0.2, absolute: 3 }]]);
      const text = await cli(['diff', 'report', '--route', 'retired', '--format', 'text', ...flags]);
      expect(text.status).toBe(0);
      expect(text.stdout).toMatch(/^retired \(not in the configuration\) +4 +0 % +100 % /m);
      expect(text.stdout.split('\n')).toContain('(not in the configuration): default noise thresholds (20.0 %, 3 times)');
      for (const format of ['markdown', 'html']) {
        const other = await cli(['diff', 'report', '--route', 'retired', '--format', format, ...flags]);
        expect(other.status).toBe(0);
        expect(other.stdout).toContain('(not in the configuration): default noise thresholds (20.0 %, 3 times).');
      }
      // In the report of every route too; configured routes are not marked.
      const all = JSON.parse((await cli(['diff', 'report', '--json', ...flags])).stdout) as DiffReportJson;
      expect(all.routes.map((r) => [r.route, r.configured])).toEqual([['orders', true], ['retired', false]]);

      // A name neither configured nor counted in the window is still unknown.
      const unknown = await cli(['diff', 'report', '--route', 'never-was', ...flags]);
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toContain('unknown route "never-was": not in the configuration, and no comparisons of it are counted');
      // Its counts are from 10 minutes ago: a window of the last 5 has none.
      const after = await cli(['diff', 'report', '--route', 'retired', '--since', '5m', ...flags]);
      expect(after.status).toBe(1);
      expect(after.stderr).toContain('unknown route "retired": not in the configuration, and no comparisons of it are counted since');

      // fields=N sends the N that differ most and sums up the rest; fields=all (--all-fields) sends all.
      const admin = async (query: string): Promise<Response> =>
        fetch(`http://127.0.0.1:${proxy.adminAddress.port}/diff/report?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const whole = (await (await admin('route=orders')).json()) as DiffReportJson;
      const capped = (await (await admin('route=orders&fields=1')).json()) as DiffReportJson;
      expect(whole.routes[0]!.fields).toHaveLength(3);
      expect(whole.routes[0]!.omittedFields).toBeNull();
      expect(capped.routes[0]!.fields).toEqual(whole.routes[0]!.fields.slice(0, 1));
      expect(capped.routes[0]!.omittedFields).toMatchObject({ fields: 2 });
      const allFields = JSON.parse((await cli(['diff', 'report', '--route', 'orders', '--all-fields', '--json', ...flags])).stdout) as DiffReportJson;
      expect(allFields.routes[0]!.fields).toEqual(whole.routes[0]!.fields);
      for (const bad of ['0', '-1', 'some', '1.5']) {
        const response = await admin(`fields=${bad}`);
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({ error: `fields: must be all or an integer from 1 to 100000, got "${bad}"`, field: 'fields' });
      }
    } finally {
      await db.query(`DELETE FROM strangler_comparison_counts WHERE route = 'retired'`);
      await db.close();
    }
  });

  // Last: it prunes what the tests above count.
  test('counts outlive the comparisons kept; once counts are pruned, the report says which part of its window is missing', async () => {
    // A report flushes what the proxy has queued, so all 30 are in the store before pruning.
    await fetch(`http://127.0.0.1:${proxy.adminAddress.port}/diff/report`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const db = new PostgresDatabase({ url: database.url });
    const store = new SqlComparisonStore(db);
    const report = async (...extra: string[]): Promise<DiffReportJson> => {
      const run = await cli(['diff', 'report', '--format', 'json', ...extra, ...flags]);
      expect(run.stderr).toBe('');
      return JSON.parse(run.stdout) as DiffReportJson;
    };
    try {
      expect(await store.prune(10)).toBe(20);
      const kept = new Set((await store.query({})).map((record) => record.requestId));
      const afterRowPrune = await report();
      expect(afterRowPrune.totals.counts.comparisons).toBe(30);
      expect(afterRowPrune.window.omittedThrough).toBeNull();
      const examples = afterRowPrune.routes.flatMap((route) => route.fields.flatMap((field) => field.examples.map((example) => example.requestId)));
      expect(examples.length).toBeGreaterThan(0);
      expect(examples.filter((id) => !kept.has(id))).toEqual([]);

      expect(await store.pruneCounts(new Date(Date.now() + 3_600_000))).toBeGreaterThan(0); // whole hours: through the next one
      const through = (await store.prunedThrough())!.toISOString();
      const afterCountPrune = await report();
      expect(afterCountPrune.totals.counts.comparisons).toBe(0);
      expect(afterCountPrune.window.omittedThrough).toBe(through);
      const text = await cli(['diff', 'report', '--format', 'text', ...flags]);
      expect(text.stdout.split('\n')).toContain(`Not counted: comparisons before ${through} (their counts are older than state.keepCountsDays)`);
      // A window that starts after the pruned minutes misses nothing (the next hour: asked of the admin API, as
      // the CLI refuses a --since after now).
      const later = await fetch(`http://127.0.0.1:${proxy.adminAddress.port}/diff/report?since=${encodeURIComponent(through)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(((await later.json()) as DiffReportJson).window.omittedThrough).toBeNull();
    } finally {
      await db.close();
    }
  });
});
