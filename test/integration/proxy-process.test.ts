import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AddressInfo, connect as connectTcp, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import { inRollout } from '../../core/bucketing';
import { MIGRATION_LOCK } from '../../rollout/migrations';
import { adminCall, type AdminReply } from '../helpers/admin-call';
import { createTestDatabase } from '../helpers/postgres';
import { eventually } from '../helpers/eventually';
import { TcpRelay } from '../helpers/tcp-relay';
import { startUpstream, unusedPort, type TestUpstream } from '../helpers/upstream';
import { ADMIN_TOKEN, CLI, proxyYaml, runCli, runCliAsync, startProxyProcess, tempDir, writeConfig, type ProxyProcess } from '../helpers/proxy-process';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

function admin(proxy: ProxyProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = auth): Promise<AdminReply> {
  return adminCall(proxy.adminUrl, method, path, body, headers);
}

async function servedBy(proxy: ProxyProcess, user: string): Promise<string> {
  const response = await fetch(`${proxy.proxyUrl}/api/orders`, { headers: { 'x-user-id': user } });
  return ((await response.json()) as { servedBy: string }).servedBy;
}

/** The orders service's answer to `?cut`: a head promising 100 bytes, 12 of them, then the connection goes. */
function ordersCuttingOnRequest(req: IncomingMessage, res: ServerResponse): void {
  if (req.url?.includes('cut')) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"servedBy":');
    setTimeout(() => res.socket?.destroy(), 20);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': 'orders' });
  res.end(JSON.stringify({ servedBy: 'orders', method: req.method, url: req.url }));
}

interface MeasuredStatus {
  routes: Array<{ name: string; stage: string; percent: number; traffic: Record<string, { requests: number; errors: number; errorRate: number; requestsPerSecond: number }> }>;
}

/** `strangler status --json --window 2` with `load` sent inside its window (after its first scrape). */
async function statusDuring(cliFlags: string[], load: () => Promise<void>): Promise<MeasuredStatus> {
  const background = spawn(process.execPath, [CLI, 'status', '--json', '--window', '2', ...cliFlags]);
  let out = '';
  background.stdout.on('data', (c: Buffer) => (out += c.toString()));
  // The first scrape is done when the CLI says it is measuring.
  await new Promise<void>((resolve) => background.stderr.on('data', (c: Buffer) => c.toString().includes('measuring traffic for 2 s') && resolve()));
  await load();
  expect(await new Promise((r) => background.once('exit', r))).toBe(0);
  return JSON.parse(out) as MeasuredStatus;
}

describe('strangler proxy on embedded state (PGlite), driven through the admin API and the CLI', () => {
  let legacy: TestUpstream;
  let orders: TestUpstream;
  let dir: ReturnType<typeof tempDir>;
  let proxy: ProxyProcess;
  let cliFlags: string[];

  beforeAll(async () => {
    legacy = await startUpstream('legacy');
    orders = await startUpstream('orders', ordersCuttingOnRequest);
    dir = tempDir('strangler-proc-');
    const file = writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: orders.url, stateUrl: 'embedded:./state' }));
    proxy = await startProxyProcess(file);
    cliFlags = ['--admin', proxy.adminUrl, '--token', ADMIN_TOKEN];
  }, 60000);

  afterAll(async () => {
    await proxy?.stop();
    await legacy.close();
    await orders.close();
    dir.remove();
  });

  test('the probes (healthz, readyz) are open; everything else needs the bearer token', async () => {
    expect((await admin(proxy, 'GET', '/healthz', undefined, {})).status).toBe(200);
    expect((await admin(proxy, 'GET', '/readyz', undefined, {})).json).toEqual({ ready: true, provider: 'embedded' });
    const refused: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-token-value' },
      { authorization: ADMIN_TOKEN },
      { authorization: `Basic ${ADMIN_TOKEN}` },
      { authorization: `Bearer${ADMIN_TOKEN}` },
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
    ];
    for (const headers of refused) {
      for (const path of ['/routes', '/routes/orders', '/metrics', '/routes/orders/history']) {
        const reply = await admin(proxy, 'GET', path, undefined, headers);
        expect([path, reply.status]).toEqual([path, 401]);
      }
    }
    const put = await admin(proxy, 'PUT', '/routes/orders', { percent: 50, reason: 'x' }, {});
    expect(put.status).toBe(401);
    // The scheme is case-insensitive, as RFC 9110 says: curl -H 'authorization: bearer …' works.
    for (const scheme of ['bearer', 'BEARER', 'Bearer ']) expect((await admin(proxy, 'GET', '/routes/orders', undefined, { authorization: `${scheme} ${ADMIN_TOKEN}` })).status).toBe(200);
    expect((await admin(proxy, 'GET', '/routes/orders')).json.percent).toBe(0);
    expect((await admin(proxy, 'GET', '/readyz')).json).toEqual({ ready: true, provider: 'embedded' });
  });

  test('bad changes are refused with the field named, and change nothing', async () => {
    const cases: Array<[unknown, number, string | undefined]> = [
      [{ percent: 101, reason: 'x' }, 400, 'percent'],
      [{ percent: 12.5, reason: 'x' }, 400, 'percent'],
      [{ stage: 'beta', reason: 'x' }, 400, 'stage'],
      [{ percent: 10 }, 400, 'reason'],
      [{ percent: 10, reason: 'x', colour: 'red' }, 400, 'colour'],
      [[1, 2], 400, 'body'],
      [{ stage: 'legacy', percent: 40, reason: 'x' }, 409, 'percent'],
    ];
    for (const [body, status, field] of cases) {
      const reply = await admin(proxy, 'PUT', '/routes/orders', body);
      expect([body, reply.status, reply.json.field]).toEqual([body, status, field]);
      expect(typeof reply.json.error).toBe('string');
    }
    const expected = 'a JSON object {stage?, percent?, reason} with Content-Type: application/json';
    const raw: Array<[string | undefined, string, number, string]> = [
      ['application/json', '{"percent": 10, "reason": ', 400, `body is not valid JSON: must be ${expected}`],
      ['application/json', '', 400, `body is empty: must be ${expected}`],
      ['application/json', '{"percent": 30, "reason": "x", "percent": 40}', 400, `body gives the key "percent" twice: give it once; must be ${expected}`],
      ['application/x-www-form-urlencoded', 'percent=10&reason=x', 400, `body has an unsupported content type: must be ${expected}`],
      ['text/plain', '{"percent": 10, "reason": "x"}', 400, 'body must be a JSON object {stage?, percent?, reason}'],
      [undefined, '', 400, 'body must be a JSON object {stage?, percent?, reason}'],
      ['application/json', JSON.stringify({ percent: 10, reason: 'x'.repeat(70 * 1024) }), 413, 'body is larger than 64 KiB'],
    ];
    for (const [type, body, status, error] of raw) {
      const response = await fetch(`${proxy.adminUrl}/routes/orders`, { method: 'PUT', headers: { ...auth, ...(type ? { 'content-type': type } : {}) }, body });
      expect([type, status, await response.json()]).toEqual([type, response.status, { error, field: 'body' }]);
    }
    // JSON.parse makes __proto__ a plain key: named as the unknown field it is.
    const proto = await fetch(`${proxy.adminUrl}/routes/orders`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{"percent": 10, "reason": "x", "__proto__": {"admin": true}}' });
    expect([proto.status, ((await proto.json()) as { field: string }).field]).toEqual([400, '__proto__']);
    // A path that exists, asked with a method it does not take: 405 naming the ones it does.
    const post = await fetch(`${proxy.adminUrl}/routes/orders`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    expect([post.status, post.headers.get('allow'), await post.json()]).toEqual([405, 'GET, PUT, HEAD', { error: 'POST is not allowed on /routes/orders: use GET or PUT' }]);
    const nowhere = await fetch(`${proxy.adminUrl}/nowhere`, { headers: auth });
    expect([nowhere.status, await nowhere.json()]).toEqual([404, { error: 'no such path: /nowhere' }]);
    expect((await admin(proxy, 'PUT', '/routes/nope', { percent: 1, reason: 'x' })).status).toBe(404);
    expect((await admin(proxy, 'GET', '/routes/nope')).status).toBe(404);
    const route = await admin(proxy, 'GET', '/routes/orders');
    expect(route.json).toMatchObject({ stage: 'canary', percent: 0, version: 1 });
    expect((await admin(proxy, 'GET', '/routes/orders/history')).json.history).toHaveLength(1);
  });

  test('rollout set moves sticky users at once, and history records who, why, from and to', async () => {
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    for (const user of users.slice(0, 5)) expect(await servedBy(proxy, user)).toBe('legacy');
    const set = runCli(['rollout', 'set', 'orders', '30', '--reason', 'canary start', '--json', ...cliFlags]);
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ name: 'orders', stage: 'canary', percent: 30, version: 2, changed: true });
    for (const user of users) {
      expect([user, await servedBy(proxy, user)]).toEqual([user, inRollout(user, 'strangler.orders', 30) ? 'orders' : 'legacy']);
    }
    const get = runCli(['rollout', 'get', 'orders', ...cliFlags]);
    expect(get.status).toBe(0);
    expect(get.stdout).toMatch(/stage:\s+canary/);
    expect(get.stdout).toMatch(/percent:\s+30%/);
    const history = runCli(['rollout', 'history', 'orders', '--json', ...cliFlags]);
    const entries = (JSON.parse(history.stdout) as { history: Array<Record<string, unknown>> }).history;
    expect(entries[0]).toMatchObject({ actor: expect.stringMatching(/^cli:/), reason: 'canary start', from: { stage: 'canary', percent: 0 }, to: { stage: 'canary', percent: 30 } });
    const text = runCli(['rollout', 'history', 'orders', ...cliFlags]).stdout;
    expect(text).toMatch(/canary 0%\s+canary 30%\s+canary start/);
    // The same again changes nothing and says so: exit 0, no new version, nothing in the history.
    const again = runCli(['rollout', 'set', 'orders', '30', '--reason', 'canary start, again', ...cliFlags]);
    expect(again).toMatchObject({ status: 0, stdout: 'orders: already canary 30% (version 2); nothing changed, nothing recorded\n', stderr: '' });
    expect(JSON.parse(runCli(['rollout', 'set', 'orders', '30', '--stage', 'canary', '--reason', 'x', '--json', ...cliFlags]).stdout)).toMatchObject({ version: 2, changed: false });
    const after = (JSON.parse(runCli(['rollout', 'history', 'orders', '--json', ...cliFlags]).stdout) as { history: unknown[] }).history;
    expect(after).toEqual(entries);
  });

  test('status shows stage, percent and per-target traffic from the metrics', async () => {
    // The CLI scrapes /metrics twice, 2 s apart; the requests are sent inside that window.
    const parsed = await statusDuring(cliFlags, async () => {
      for (let i = 0; i < 50; i++) await servedBy(proxy, `load-${i}`);
    });
    expect(parsed.routes[0]).toMatchObject({ name: 'orders', stage: 'canary', percent: 30 });
    const traffic = parsed.routes[0]!.traffic;
    const total = (traffic.legacy?.requests ?? 0) + (traffic.new?.requests ?? 0);
    expect(total).toBe(50);
    expect(traffic.legacy!.errorRate).toBe(0);
    expect(traffic.legacy!.requestsPerSecond).toBeGreaterThan(0);
    expect((parsed as { restarted?: unknown }).restarted).toBe(false);
    // A stable shape: every target, quiet ones at 0 (a canary route never answers as none).
    expect(Object.keys(traffic).sort()).toEqual(['legacy', 'new', 'none']);
    expect(traffic.none).toEqual({ requestsPerSecond: 0, errorRate: 0, requests: 0, errors: 0 });
    // --window 0: stage and percent only, at once; traffic was not measured, so it is "-" and null, not 0.
    const table = runCli(['status', '--window', '0', ...cliFlags]);
    expect(table.stderr).toBe('');
    expect(table.stdout.split('\n')[0]).toMatch(/^ROUTE\s+STAGE\s+PERCENT\s+LEGACY REQ\/S\s+LEGACY ERR\s+NEW REQ\/S\s+NEW ERR\s+RETIRED REQ\/S$/);
    expect(table.stdout).toMatch(/^orders\s+canary\s+30%\s+-\s+-\s+-\s+-\s+-$/m);
    const unmeasured = JSON.parse(runCli(['status', '--window', '0', '--json', ...cliFlags]).stdout) as { windowSeconds: number; routes: Array<{ traffic: unknown }>; unmatched: unknown };
    expect(unmeasured).toMatchObject({ windowSeconds: 0, ready: true, restarted: null, unmatched: null });
    expect(table.stdout).not.toContain('not ready');
    expect(unmeasured.routes[0]!.traffic).toBeNull();
  });

  test("status counts a response cut off mid-body as an error of the side that sent it, though its code is the client's 200", async () => {
    const onNew = Array.from({ length: 200 }, (_, i) => `cut-${i}`).filter((user) => inRollout(user, 'strangler.orders', 30));
    const [cutUsers, wholeUsers] = [onNew.slice(0, 4), onNew.slice(4, 10)];
    const cutCounter = 'strangler_responses_cut_total{route="orders",target="new",reason="reset"}';
    const counted = async (): Promise<number> => {
      const line = (await admin(proxy, 'GET', '/metrics')).text.split('\n').find((l) => l.startsWith(`${cutCounter} `));
      return Number(line?.slice(cutCounter.length + 1));
    };
    const cutBefore = await counted();
    const parsed = await statusDuring(cliFlags, async () => {
      for (const user of cutUsers) {
        const response = await fetch(`${proxy.proxyUrl}/api/orders?cut`, { headers: { 'x-user-id': user } });
        expect(response.status).toBe(200);
        await expect(response.text()).rejects.toThrow();
      }
      for (const user of wholeUsers) expect(await servedBy(proxy, user)).toBe('orders');
    });
    expect(parsed.routes[0]!.traffic.new).toEqual({ requests: 10, errors: 4, errorRate: 0.4, requestsPerSecond: 5 });
    expect(parsed.routes[0]!.traffic.legacy).toMatchObject({ requests: 0, errors: 0 });
    expect((await counted()) - cutBefore).toBe(4);
  });

  test('CLI errors are one line on stderr with a non-zero exit, and change nothing', async () => {
    const deadAdmin = `http://127.0.0.1:${await unusedPort()}`;
    const empty = tempDir('strangler-cwd-');
    // [argv, stderr, exit code]: 2 for usage errors, 1 for everything else.
    const cases: Array<[string[], RegExp, number]> = [
      [['rollout', 'set', 'orders', '101', '--reason', 'x', ...cliFlags], /^strangler: PERCENT: must be an integer from 0 to 100, got "101"\n$/, 2],
      [['rollout', 'set', 'orders', '20', ...cliFlags], /^strangler: --reason: required/, 2],
      [['rollout', 'set', 'orders', '20', '--reason', '  ', ...cliFlags], /^strangler: --reason: required/, 2],
      [['rollout', 'set', 'orders', '20', '--reason', 'line1\nline2', ...cliFlags], /^strangler: --reason: must be one line of at most 1000 characters, without control characters such as line breaks or bidirectional overrides\n$/, 2],
      [['rollout', 'set', 'nope', '20', '--reason', 'x', ...cliFlags], /^strangler: PUT \/routes\/nope failed \(404\): unknown route "nope"\n$/, 1],
      [['rollout', 'set', 'orders', '20', '--stage', 'canary', '--stage', 'live', '--reason', 'x', ...cliFlags], /^strangler: --stage: given 2 times \("canary", "live"\); give it once\n$/, 2],
      [['rollout', 'set', 'orders', '20', '--reason', 'x', '--reason', 'y', ...cliFlags], /^strangler: --reason: given 2 times \("x", "y"\); give it once\n$/, 2],
      [['rollout', 'get', 'orders', ...cliFlags, '--token', 'another'], /^strangler: --token: given 2 times \(".+", "another"\); give it once\n$/, 2],
      [['status', '--config', 'a.yaml', '--config', 'b.yaml', '--window', '0'], /^strangler: --config: given 2 times \("a.yaml", "b.yaml"\); give it once\n$/, 2],
      [['rollout', 'set', 'orders', '20', '--stage', 'legacy', '--reason', 'x', ...cliFlags], /^strangler: .*\(409\): route orders would be in stage legacy/, 1],
      [['rollout', 'get', 'orders', '--admin', proxy.adminUrl, '--token', 'wrong-token-value'], /^strangler: the admin API at .* refused the token from --token \(401\)/, 1],
      [['rollout', 'get', 'orders', '--admin', deadAdmin, '--token', 'x'], /^strangler: cannot reach the admin API at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/, 1],
      [['rollout', 'get', 'orders'], /^strangler: no admin API address/, 2],
      [['rollout', 'set', 'orders', '20', '--stage', 'beta', '--reason', 'x', ...cliFlags], /^strangler: Invalid values: Argument: stage, Given: "beta", Choices: /, 2],
      // Number flags echo what was typed (not NaN) and are usage errors (exit 2).
      [['status', '--window', 'abc', ...cliFlags], /^strangler: --window: must be a whole number of seconds from 0 to 300, got "abc" \(see --help\)\n$/, 2],
      [['rollout', 'history', 'orders', '--limit', '2.5', ...cliFlags], /^strangler: --limit: must be an integer from 1 to 10000, got "2\.5" \(see --help\)\n$/, 2],
      [['status', '--window', ...cliFlags], /^strangler: Not enough arguments following: window \(see --help\)\n$/, 2],
      // A value starting with "-" is the flag's value (yargs took it for short flags: "Unknown arguments: 5, m").
      [['status', '--window', '-1', ...cliFlags], /^strangler: --window: must be a whole number of seconds from 0 to 300, got "-1" \(see --help\)\n$/, 2],
      [['diff', 'report', '--since', '-5m', ...cliFlags], /^strangler: --since: must be a duration such as 30m, 1h, 7d or an ISO-8601 time, got "-5m"\n$/, 2],
      [['rollout', 'frobnicate'], /^strangler: Unknown argument: frobnicate \(see --help\)\n$/, 2],
      [['diff', 'report', '--since', '2x', ...cliFlags], /^strangler: --since: must be a duration such as 30m, 1h, 7d or an ISO-8601 time, got "2x"\n$/, 2],
      [['diff', 'show', '', ...cliFlags], /^strangler: REQUEST_ID: must be a request id \(x-request-id\), or its first 8 or more characters, got ""\n$/, 2],
    ];
    for (const [args, pattern, exitCode] of cases) {
      const result = runCli(args, {}, empty.path);
      expect([args.join(' '), result.status]).toEqual([args.join(' '), exitCode]);
      expect(result.stderr).toMatch(pattern);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stdout).toBe('');
    }
    empty.remove();
    expect((await admin(proxy, 'GET', '/routes/orders')).json).toMatchObject({ percent: 30, version: 2 });
  });

  test('--admin pointed at the proxy\'s own port: the CLI asks the monolith only an open GET /healthz, and sends it neither the token nor the change', async () => {
    // Asynchronously: the monolith runs in this process, so a blocking spawnSync would keep it from answering.
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH } }, (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }));
      });
    const before = legacy.requests.length;
    const get = await run(['rollout', 'get', 'orders', '--admin', proxy.proxyUrl, '--token', ADMIN_TOKEN]);
    expect(get).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `strangler: ${proxy.proxyUrl} is not a strangler admin API: it answered GET /healthz (200) without the x-strangler-admin header, ` +
        "so GET /routes/orders and the token were not sent; is --admin the proxy's own port instead of admin.port?\n",
    });
    const set = await run(['rollout', 'set', 'orders', '20', '--reason', 'x', '--admin', proxy.proxyUrl, '--token', ADMIN_TOKEN]);
    expect([set.code, set.stdout, set.stderr]).toEqual([1, '', expect.stringMatching(/^strangler: \S+ is not a strangler admin API: it answered GET \/healthz \(200\) without the x-strangler-admin header, so PUT \/routes\/orders and the token were not sent;/)]);
    const reached = legacy.requests.slice(before);
    expect(reached.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['GET', '/healthz', undefined],
      ['GET', '/healthz', undefined],
    ]);
    expect((await admin(proxy, 'GET', '/routes/orders')).json).toMatchObject({ percent: 30, version: 2 });
  });

  test('without flags the CLI takes the admin address and token from strangler.yaml in the working directory', () => {
    const missingEnv = runCli(['rollout', 'get', 'orders'], {}, dir.path);
    expect(missingEnv.status).toBe(1);
    expect(missingEnv.stderr).toBe('strangler: strangler.yaml:2 admin.token: environment variable TEST_ADMIN_TOKEN is not set\n');
    // The config says port 0 (any free port), so the address comes from the environment here.
    const fromConfig = runCli(['rollout', 'get', 'orders', '--json'], { TEST_ADMIN_TOKEN: ADMIN_TOKEN, STRANGLER_ADMIN_URL: proxy.adminUrl }, dir.path);
    expect(fromConfig.stderr).toBe('');
    expect(JSON.parse(fromConfig.stdout)).toMatchObject({ name: 'orders', percent: 30 });
  });

  test('every command has --help', () => {
    for (const args of [['--help'], ['proxy', '--help'], ['status', '--help'], ['config', 'validate', '--help'], ['rollout', 'set', '--help'], ['rollout', 'get', '--help'], ['rollout', 'history', '--help']]) {
      const result = runCli(args);
      expect([args.join(' '), result.status]).toEqual([args.join(' '), 0]);
      expect(result.stdout).toContain('strangler');
    }
  });

  test('metrics expose the four proxy families', async () => {
    const text = (await admin(proxy, 'GET', '/metrics')).text;
    for (const family of ['strangler_requests_total', 'strangler_request_duration_seconds', 'strangler_upstream_errors_total', 'strangler_route_percent']) {
      expect(text).toContain(`# TYPE ${family}`);
    }
    expect(text).toContain('strangler_route_percent{route="orders"} 30');
    // The stage, which the percent alone cannot tell (legacy and shadow are both 0).
    expect(text).toContain('strangler_route_stage{route="orders",stage="canary"} 1');
    expect(text).toContain('strangler_route_stage{route="orders",stage="shadow"} 0');
    // Failure series exist from the start at 0, so an error-ratio alert reads 0, not "no data".
    expect(text).toContain('strangler_fallbacks_total{route="orders",reason="5xx"} 0');
    expect(text).toContain('strangler_upstream_errors_total{route="orders",target="new",reason="timeout"} 0');
    expect(text).toContain('strangler_responses_cut_total{route="orders",target="new",reason="timeout"} 0');
    expect(text).toContain('strangler_responses_cut_total{route="orders",target="legacy",reason="reset"} 0');
    expect(text).toContain('# TYPE strangler_requests_in_flight gauge');
    expect(text).toContain('strangler_websocket_tunnels 0');
    // Process metrics under the names Node dashboards look for.
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
  });
});

describe('strangler proxy lifecycle', () => {
  let legacy: TestUpstream;
  let dir: ReturnType<typeof tempDir>;
  /** Answers to /slow, held until a test sends them. */
  const slowAnswers: Array<() => void> = [];

  beforeAll(async () => {
    legacy = await startUpstream('legacy', (req, res) => {
      const answer = (): void => void res.end(JSON.stringify({ servedBy: 'legacy' }));
      if (req.url === '/slow') slowAnswers.push(answer);
      else answer();
    });
    dir = tempDir('strangler-life-');
  });

  afterAll(async () => {
    await legacy.close();
    dir.remove();
  });

  test('SIGTERM through bin/strangler: stop accepting, finish in-flight requests, exit 0; state survives a restart', async () => {
    const file = writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: legacy.url, stateUrl: 'embedded:./state' }));
    const proxy = await startProxyProcess(file, 20000, { launcher: true });
    // The launcher exec'd node with its memory settings: the signal below goes straight to the proxy.
    expect(readFileSync(`/proc/${proxy.child.pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['--max-semi-space-size=4', 'proxy']));
    expect(readFileSync(`/proc/${proxy.child.pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
    await admin(proxy, 'PUT', '/routes/orders', { percent: 45, reason: 'before restart' });
    const inFlight = fetch(`${proxy.proxyUrl}/slow`).then(async (r) => ({ status: r.status, body: await r.text() }));
    await eventually(() => slowAnswers.length === 1, 5000);
    // What a drain is about to wait for, as a dashboard sees it.
    expect((await admin(proxy, 'GET', '/metrics')).text).toContain('strangler_requests_in_flight 1');
    proxy.child.kill('SIGTERM');
    // /slow's answer is held, so the proxy is still draining: new connections come to be refused.
    const refused = (): Promise<boolean> => fetch(`${proxy.proxyUrl}/fast`, { headers: { connection: 'close' } }).then(() => false, () => true);
    await eventually(refused, 3000, 50);
    slowAnswers.shift()!();
    expect(await inFlight).toEqual({ status: 200, body: '{"servedBy":"legacy"}' });
    expect(await proxy.exited).toBe(0);
    expect(proxy.stdout()).toBe(
      `strangler proxy listening on ${proxy.proxyUrl} (admin ${proxy.adminUrl}, state embedded, flags embedded); SIGTERM or Ctrl-C stops it\n` +
        'strangler proxy stopped (SIGTERM)\n',
    );
    const again = await startProxyProcess(file, 20000, { json: true });
    try {
      expect((await admin(again, 'GET', '/routes/orders')).json).toMatchObject({ stage: 'canary', percent: 45 });
      // The log says the stored state applies, not the configuration's.
      const said = again.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.route === 'orders' && entry.applied);
      expect(said).toEqual([expect.objectContaining({ applied: 'canary 45%', configured: 'canary 0%', version: 2, msg: expect.stringMatching(/^route state from the state store, not the configuration/) })]);
    } finally {
      expect(await again.stop('SIGINT')).toBe(0);
    }
    expect(again.stdout().trimEnd().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([
      { event: 'listening', proxy: again.proxyUrl, admin: again.adminUrl, state: 'embedded', flags: 'embedded', pid: again.child.pid },
      { event: 'stopped', signal: 'SIGINT' },
    ]);
  }, 60000);

  test('SIGTERM with an event stream open: cut when drainTimeoutMs runs out, logged as the drain\'s cut, not as an upstream failure', async () => {
    const events = await startUpstream('events', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write('data: tick\n\n'), 100);
      res.on('close', () => clearInterval(timer));
    });
    try {
      const routesYaml = '  - { name: events, match: { path: /sse }, service: orders, stage: live }';
      const yaml = proxyYaml({ legacyUrl: legacy.url, ordersUrl: events.url, stateUrl: 'embedded:./sse-state', routesYaml }).replace('drainTimeoutMs: 5000 }', 'drainTimeoutMs: 500 }');
      const proxy = await startProxyProcess(writeConfig(dir.path, yaml, 'sse.yaml'));
      const stream = await fetch(`${proxy.proxyUrl}/sse/a`);
      const reader = stream.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain('data: tick');
      proxy.child.kill('SIGTERM');
      const cut = (async (): Promise<string> => {
        try {
          while (!(await reader.read()).done);
          return 'ended';
        } catch {
          return 'cut';
        }
      })();
      expect(await proxy.exited).toBe(0);
      expect(await cut).toBe('cut');
      const entries = proxy.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries.filter((entry) => entry.route === 'events')).toEqual([]);
      expect(entries).toContainEqual(expect.objectContaining({ requests: 1, tunnels: 0, drainTimeoutMs: 500, msg: 'drain timed out: cutting the requests and WebSocket tunnels still open' }));
    } finally {
      await events.close();
    }
  }, 30000);

  test('listen.shutdownDelayMs: after SIGTERM, /readyz says draining at once while new connections are still served, then it stops', async () => {
    const yaml = proxyYaml({ legacyUrl: legacy.url, ordersUrl: legacy.url, stateUrl: 'embedded:./delay-state' }).replace('drainTimeoutMs: 5000 }', 'drainTimeoutMs: 5000, shutdownDelayMs: 1500 }');
    const proxy = await startProxyProcess(writeConfig(dir.path, yaml, 'delay.yaml'));
    proxy.child.kill('SIGTERM');
    await eventually(async () => (await fetch(`${proxy.adminUrl}/readyz`)).status === 503, 1000, 20);
    expect(await (await fetch(`${proxy.adminUrl}/readyz`)).json()).toEqual({ ready: false, reason: 'draining' });
    // A load balancer that has not noticed yet still gets answers.
    const late = await fetch(`${proxy.proxyUrl}/fast`, { headers: { connection: 'close' } });
    expect(late.status).toBe(200);
    expect(await proxy.exited).toBe(0);
  }, 30000);

  test('a SIGTERM the moment it says it listens still drains and exits 0 (the signals are caught from the start)', async () => {
    const database = await createTestDatabase();
    try {
      const file = writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: legacy.url, stateUrl: database.url }), 'race.yaml');
      for (let run = 0; run < 3; run++) {
        const proxy = await startProxyProcess(file);
        proxy.child.kill('SIGTERM');
        expect([run, await proxy.exited]).toEqual([run, 0]);
        expect(proxy.stdout()).toMatch(/^strangler proxy listening on .*\nstrangler proxy stopped \(SIGTERM\)\n$/);
      }
    } finally {
      await database.drop();
    }
  }, 30000);

  test('a second proxy on the same embedded folder is refused; an unreachable PostgreSQL is one clear line', async () => {
    const file = writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: legacy.url, stateUrl: 'embedded:./shared-state' }), 'shared.yaml');
    const first = await startProxyProcess(file);
    try {
      const second = runCli(['proxy', '--config', file], { TEST_ADMIN_TOKEN: ADMIN_TOKEN });
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`^strangler: embedded state .*shared-state is in use by process ${first.child.pid}: one process owns an embedded store \\(use a postgres:// state.url for several proxies\\); if no strangler runs as process ${first.child.pid}, delete .*shared-state/strangler.pid\\n$`));
      expect((await admin(first, 'GET', '/readyz')).status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const deadPort = await unusedPort();
    const unreachable = writeConfig(
      dir.path,
      proxyYaml({ legacyUrl: legacy.url, ordersUrl: legacy.url, stateUrl: `postgres://strangler:s3cret@127.0.0.1:${deadPort}/db` }),
      'unreachable.yaml',
    );
    const result = runCli(['proxy', '--config', unreachable], { TEST_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`strangler: cannot open the state store postgres://strangler:***@127.0.0.1:${deadPort}/db: connect ECONNREFUSED 127.0.0.1:${deadPort}\n`);
    // A port in use is a config problem: the file, the field, the address.
    const taken = new URL(legacy.url).port;
    const busy = writeConfig(
      dir.path,
      proxyYaml({ legacyUrl: legacy.url, ordersUrl: legacy.url, stateUrl: 'embedded:./busy-state' }).replace('admin: { host: 127.0.0.1, port: 0,', `admin: { host: 127.0.0.1, port: ${taken},`),
      'busy.yaml',
    );
    const inUse = runCli(['proxy', '--config', busy], { TEST_ADMIN_TOKEN: ADMIN_TOKEN });
    expect([inUse.status, inUse.stderr]).toEqual([1, `strangler: ${busy} admin.port: 127.0.0.1:${taken} is in use by another process\n`]);
  }, 60000);

  test('an invalid config file: one line per problem naming file, line and field; exit 1', async () => {
    const file = writeConfig(dir.path, 'listen: { port: 99999 }\nadmin: { token: 12345678901 }\nupstreams: {}\n', 'bad.yaml');
    const proxy = spawnSync(process.execPath, [CLI, 'proxy', '--config', file], { encoding: 'utf8' });
    expect(proxy.status).toBe(1);
    expect(proxy.stderr).toMatch(/bad\.yaml:1 listen\.port: must be an integer from 0 to 65535, got 99999/);
    const validate = runCli(['config', 'validate', file]);
    expect(validate.status).toBe(1);
    expect(validate.stderr).toBe(proxy.stderr);
    const missing = runCli(['config', 'validate', `${dir.path}/none.yaml`]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('none.yaml');
  });

  test('status across a proxy restart in its window counts from the restart, says so, and shows no error share above 100 %', async () => {
    const reports = await startUpstream('reports', (req, res) => {
      res.statusCode = Number(new URL(req.url ?? '/', 'http://upstream').searchParams.get('status') ?? 200);
      res.end('{}');
    });
    // The CLI scrapes one admin address twice: the restarted proxy must listen where the first one did.
    const adminPort = await unusedPort();
    const routesYaml = '  - { name: reports, match: { path: /api/reports }, service: orders, stage: legacy }';
    const yaml = proxyYaml({ legacyUrl: reports.url, ordersUrl: reports.url, stateUrl: 'embedded:./restart-state', routesYaml }).replace('admin: { host: 127.0.0.1, port: 0,', `admin: { host: 127.0.0.1, port: ${adminPort},`);
    const file = writeConfig(dir.path, yaml, 'restart.yaml');
    let proxy = await startProxyProcess(file);
    try {
      expect(await answers(proxy, '/api/reports', 100)).toEqual({ 200: 100 });
      const flags = ['--admin', proxy.adminUrl, '--token', ADMIN_TOKEN, '--window', '10'];
      const [json, text] = [statusInBackground([...flags, '--json']), statusInBackground(flags)];
      await Promise.all([json.measuring, text.measuring]);
      expect(await proxy.stop()).toBe(0);
      proxy = await startProxyProcess(file);
      expect(await answers(proxy, '/api/reports?status=503', 150)).toEqual({ 503: 150 });

      const measured = await json.done;
      expect(measured.status).toBe(0);
      const parsed = JSON.parse(measured.stdout) as { restarted: boolean; routes: Array<{ name: string; traffic: Record<string, unknown> }> };
      expect(parsed.restarted).toBe(true);
      expect(parsed.routes.find((route) => route.name === 'reports')!.traffic.legacy).toEqual({ requestsPerSecond: 15, errorRate: 1, requests: 150, errors: 150 });
      const table = await text.done;
      expect(table.stdout).toMatch(/^reports\s+legacy\s+0%\s+15\.0\s+100\.0%\s/m);
      expect(table.stdout).toContain('\nthe proxy restarted during the window: only the requests since its restart are counted\n');
    } finally {
      await proxy.stop();
      await reports.close();
    }
  }, 60000);
});

/** Sends `count` GETs one after another; how many got each status code. */
async function answers(proxy: ProxyProcess, path: string, count: number): Promise<Record<number, number>> {
  const codes: Record<number, number> = {};
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${proxy.proxyUrl}${path}`);
    await response.arrayBuffer();
    codes[response.status] = (codes[response.status] ?? 0) + 1;
  }
  return codes;
}

/** `strangler status` running: `measuring` once its first scrape is done, `done` with what it printed. */
function statusInBackground(args: string[]): { measuring: Promise<void>; done: Promise<{ status: number | null; stdout: string }> } {
  const child = spawn(process.execPath, [CLI, 'status', ...args]);
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const measuring = new Promise<void>((resolve) => child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('measuring traffic') && resolve()));
  const done = new Promise<{ status: number | null; stdout: string }>((resolve) => child.once('close', (status) => resolve({ status, stdout })));
  return { measuring, done };
}

describe('two proxy processes sharing one PostgreSQL database', () => {
  test('a change made through one reaches the other within a second; a change under load fails no request', async () => {
    const database = await createTestDatabase();
    const legacy = await startUpstream('legacy');
    const orders = await startUpstream('orders');
    const dir = tempDir('strangler-two-');
    const file = writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: orders.url, stateUrl: database.url }));
    const [a, b] = await Promise.all([startProxyProcess(file), startProxyProcess(file)]);
    const agent = new Agent({ connections: 16 });
    try {
      await admin(a, 'PUT', '/routes/orders', { percent: 100, reason: 'all users, through A' });
      const started = Date.now();
      while ((await servedBy(b, 'someone')) !== 'orders') {
        if (Date.now() - started > 1000) throw new Error('proxy B did not apply the change within 1 s');
        await new Promise((r) => setTimeout(r, 25));
      }
      // Load through both proxies while the percentage moves back and forth.
      let failures = 0;
      let completed = 0;
      let stop = false;
      const worker = async (proxy: ProxyProcess, n: number): Promise<void> => {
        for (let i = 0; !stop; i++) {
          const response = await request(`${proxy.proxyUrl}/api/orders/${i}`, { headers: { 'x-user-id': `u${n}-${i}` }, dispatcher: agent });
          await response.body.text();
          if (response.statusCode !== 200) failures++;
          completed++;
        }
      };
      const workers = Array.from({ length: 8 }, (_, n) => worker(n % 2 === 0 ? a : b, n));
      for (const percent of [10, 90, 0, 50, 100, 25]) {
        const step = await admin(n2(percent) ? b : a, 'PUT', '/routes/orders', { percent, reason: `load step ${percent}` });
        expect({ percent, status: step.status, body: step.json }).toMatchObject({ percent, status: 200, body: { percent } });
        await new Promise((r) => setTimeout(r, 150));
      }
      stop = true;
      await Promise.all(workers);
      expect(failures).toBe(0);
      expect(completed).toBeGreaterThan(100);
      expect(legacy.requests.length + orders.requests.length).toBeGreaterThanOrEqual(completed);
      const history = (await admin(b, 'GET', '/routes/orders/history')).json.history as unknown[];
      expect(history).toHaveLength(8);
    } finally {
      await agent.close();
      await Promise.all([a.stop(), b.stop()]);
      await legacy.close();
      await orders.close();
      dir.remove();
      await database.drop();
    }
  }, 60000);
});

describe('the state store becoming unreachable under a running proxy', () => {
  test('the proxy keeps serving with the last state, /readyz stays ready but says degraded (every replica shares the store), and recovers', async () => {
    const database = await createTestDatabase();
    const { relay, url: relayedUrl } = await TcpRelay.inFront(database.url);
    const legacy = await startUpstream('legacy');
    const orders = await startUpstream('orders');
    const dir = tempDir('strangler-outage-');
    const file = writeConfig(dir.path, proxyYaml({ legacyUrl: legacy.url, ordersUrl: orders.url, stateUrl: relayedUrl }));
    const proxy = await startProxyProcess(file);
    try {
      await admin(proxy, 'PUT', '/routes/orders', { percent: 100, reason: 'before the outage' });
      await relay.cut();
      await eventually(async () => (await admin(proxy, 'GET', '/readyz')).json.degraded !== undefined, 5000, 50);
      const ready = await admin(proxy, 'GET', '/readyz');
      expect([ready.status, ready.json]).toEqual([200, { ready: true, provider: 'embedded', degraded: expect.stringContaining('state store unreachable') }]);
      expect((await admin(proxy, 'GET', '/metrics')).text).toContain('strangler_state_store_up 0');
      for (let i = 0; i < 20; i++) expect(await servedBy(proxy, `user-${i}`)).toBe('orders');
      const refused = await admin(proxy, 'PUT', '/routes/orders', { percent: 10, reason: 'during the outage' });
      expect(refused.status).toBe(503);
      expect(refused.json.error).toMatch(/^state store unreachable, nothing changed/);
      expect(await servedBy(proxy, 'user-1')).toBe('orders');
      expect(proxy.logs.some((line) => line.includes('state store unreachable'))).toBe(true);
      await relay.restore();
      await eventually(async () => (await admin(proxy, 'GET', '/readyz')).json.degraded === undefined, 5000, 50);
      expect((await admin(proxy, 'GET', '/metrics')).text).toContain('strangler_state_store_up 1');
      expect((await admin(proxy, 'GET', '/routes/orders')).json).toMatchObject({ percent: 100 });
    } finally {
      await proxy.stop();
      await relay.close();
      await legacy.close();
      await orders.close();
      dir.remove();
      await database.drop();
    }
  }, 60000);
});

function n2(percent: number): boolean {
  return percent % 20 === 0;
}

describe('strangler proxy start: the ports are taken before the state store is opened', () => {
  let legacy: TestUpstream;
  let orders: TestUpstream;
  let dir: ReturnType<typeof tempDir>;
  const env = { TEST_ADMIN_TOKEN: ADMIN_TOKEN };

  beforeAll(async () => {
    legacy = await startUpstream('legacy');
    orders = await startUpstream('orders');
    dir = tempDir('strangler-start-');
  });

  afterAll(async () => {
    await legacy.close();
    await orders.close();
    dir.remove();
  });

  /** A proxy on `stateUrl` and the given ports, its one route `orders` starting at `stage` (and `percent`). */
  function configOn(stateUrl: string, ports: { listen: number; admin: number }, stage: string, percent?: number): string {
    const routesYaml = ['  - name: orders', '    match: { path: /api/orders }', '    service: orders', `    stage: ${stage}`, ...(percent === undefined ? [] : [`    percent: ${percent}`])].join('\n');
    return proxyYaml({ legacyUrl: legacy.url, ordersUrl: orders.url, stateUrl, routesYaml })
      .replace('listen: { host: 127.0.0.1, port: 0,', `listen: { host: 127.0.0.1, port: ${ports.listen},`)
      .replace('admin: { host: 127.0.0.1, port: 0,', `admin: { host: 127.0.0.1, port: ${ports.admin},`);
  }

  async function holdPort(): Promise<{ port: number; release(): Promise<void> }> {
    const holder = createNetServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    return { port: (holder.address() as AddressInfo).port, release: () => new Promise<void>((resolve) => holder.close(() => resolve())) };
  }

  /** Bytes sent on a connection of their own; `written` once they are out, `reply` all that came back by the time it closed. */
  function rawRequest(port: number, payload: string): { written: Promise<void>; reply: Promise<string> } {
    const socket = connectTcp(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    const reply = new Promise<string>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1'))));
    const written = new Promise<void>((resolve) => socket.write(payload, () => resolve()));
    return { written, reply };
  }

  /**
   * Another replica migrating: a session holding the migration lock in an open transaction. `waiters()` counts
   * the other sessions on the database waiting for a lock (a starting proxy); `others()`, the other sessions.
   */
  async function migrationLockHeld(url: string): Promise<{ waiters(): Promise<number>; others(): Promise<number>; terminateWaiters(): Promise<void>; tables(): Promise<string[]>; release(): Promise<void> }> {
    const holder = new Client({ connectionString: url });
    const observer = new Client({ connectionString: url });
    await Promise.all([holder.connect(), observer.connect()]);
    await holder.query('BEGIN');
    await holder.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    const ours = `pid NOT IN (${(holder as Client & { processID: number }).processID}, pg_backend_pid())`;
    const count = async (where: string): Promise<number> =>
      Number((await observer.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND ${ours} AND ${where}`)).rows[0]!.n);
    return {
      waiters: () => count("wait_event_type = 'Lock'"),
      others: () => count('true'),
      terminateWaiters: async () => {
        await observer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND ${ours} AND wait_event_type = 'Lock'`);
      },
      tables: async () => (await observer.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'")).rows.map((row) => row.name),
      release: async () => {
        await holder.end();
        await observer.end();
      },
    };
  }

  /** `strangler proxy` on `file`, not waited for: its exit code, stdout and stderr once it has exited. */
  function spawnProxy(file: string): { child: ReturnType<typeof spawn>; result: Promise<{ status: number | null; stdout: string; stderr: string }> } {
    const child = spawn(process.execPath, [CLI, 'proxy', '--config', file], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const result = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
    return { child, result };
  }

  /**
   * A proxy held starting behind another replica's migration lock, with a request, a WebSocket upgrade and an
   * admin call waiting on it: they were read before /readyz, sent after them, answered "starting".
   */
  async function heldStart(name: string): Promise<{
    database: Awaited<ReturnType<typeof createTestDatabase>>;
    lock: Awaited<ReturnType<typeof migrationLockHeld>>;
    proxy: ReturnType<typeof spawnProxy>;
    waiting: { request: Promise<string>; upgrade: Promise<string>; admin: Promise<string> };
  }> {
    const database = await createTestDatabase();
    const lock = await migrationLockHeld(database.url);
    const ports = { listen: await unusedPort(), admin: await unusedPort() };
    const proxy = spawnProxy(writeConfig(dir.path, configOn(database.url, ports, 'canary', 25), `${name}.yaml`));
    await eventually(async () => (await lock.waiters()) === 1, 20000, 50);
    const request = rawRequest(ports.listen, 'GET /api/orders/7 HTTP/1.1\r\nHost: shop\r\nX-Request-Id: held-1\r\n\r\n');
    const upgrade = rawRequest(
      ports.listen,
      'GET /api/orders/feed HTTP/1.1\r\nHost: shop\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Request-Id: held-ws\r\n\r\n',
    );
    const adminRequest = rawRequest(ports.admin, `GET /routes HTTP/1.1\r\nHost: admin\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n\r\n`);
    await Promise.all([request.written, upgrade.written, adminRequest.written]);
    expect(await adminCall(`http://127.0.0.1:${ports.admin}`, 'GET', '/readyz', undefined, {})).toMatchObject({ status: 503, json: { reason: 'starting: opening the state store' } });
    return { database, lock, proxy, waiting: { request: request.reply, upgrade: upgrade.reply, admin: adminRequest.reply } };
  }

  /** The head and the JSON body of a raw HTTP/1.1 answer. */
  function parsed(reply: string): { statusLine: string; headers: string[]; json: unknown } {
    const [head = '', body = ''] = reply.split('\r\n\r\n');
    const [statusLine = '', ...headers] = head.split('\r\n');
    return { statusLine, headers: headers.map((line) => line.toLowerCase()), json: body ? (JSON.parse(body) as unknown) : undefined };
  }

  function expectRefused(waiting: { request: string; upgrade: string; admin: string }, error: string): void {
    const request = parsed(waiting.request);
    expect(request.statusLine).toBe('HTTP/1.1 503 Service Unavailable');
    expect(request.headers).toEqual(expect.arrayContaining(['connection: close', 'x-request-id: held-1']));
    expect(request.json).toEqual({ error, route: 'orders', target: 'none', requestId: 'held-1' });
    const upgrade = parsed(waiting.upgrade);
    expect(upgrade.statusLine).toBe('HTTP/1.1 503 Service Unavailable');
    expect(upgrade.json).toEqual({ error, route: 'orders', target: 'none', requestId: 'held-ws' });
    const admin = parsed(waiting.admin);
    expect(admin.statusLine).toBe('HTTP/1.1 503 Service Unavailable');
    expect(admin.headers).toEqual(expect.arrayContaining(['connection: close', 'x-strangler-admin: 1']));
    expect(admin.json).toEqual({ error });
  }

  test('a state store failing while requests wait: each is answered 503 (the JSON error, Connection: close; an upgrade too), then exit 1 with the one line', async () => {
    const { database, lock, proxy, waiting } = await heldStart('fails-held');
    try {
      await lock.terminateWaiters();
      const [result, request, upgrade, admin] = await Promise.all([proxy.result, waiting.request, waiting.upgrade, waiting.admin]);
      expect([result.status, result.stdout]).toEqual([1, '']);
      expect(result.stderr).toMatch(/^strangler: cannot open the state store postgres:\/\/.*: terminating connection due to administrator command\n$/);
      expectRefused({ request, upgrade, admin }, 'the proxy could not start and is exiting');
    } finally {
      proxy.child.kill('SIGKILL');
      await lock.release();
      await database.drop();
    }
  }, 30000);

  test('SIGTERM while the start waits for another replica\'s migration lock: the waiting requests are answered 503, the session waiting for the lock is ended, exit 0', async () => {
    const { database, lock, proxy, waiting } = await heldStart('stopped-held');
    try {
      proxy.child.kill('SIGTERM');
      const [result, request, upgrade, admin] = await Promise.all([proxy.result, waiting.request, waiting.upgrade, waiting.admin]);
      expect([result.status, result.stdout]).toEqual([0, 'strangler proxy stopped (SIGTERM)\n']);
      expectRefused({ request, upgrade, admin }, 'the proxy was stopped while starting');
      // Its session was ended on the server, not left queued for the lock; nothing was migrated.
      await eventually(async () => (await lock.others()) === 0, 10000, 50);
      expect(await lock.tables()).toEqual([]);
    } finally {
      proxy.child.kill('SIGKILL');
      await lock.release();
      await database.drop();
    }
  }, 30000);

  test('a busy listen.port is reported at once and leaves the embedded folder as it was; the corrected config then starts with its own initial state, probes answered while it opens the store', async () => {
    const project = join(dir.path, 'embedded');
    // A fresh volume mounted as the state folder: empty but for lost+found.
    mkdirSync(join(project, 'state', 'lost+found'), { recursive: true });
    const held = await holdPort();
    const adminPort = await unusedPort();
    const canary = writeConfig(project, configOn('embedded:./state', { listen: held.port, admin: adminPort }, 'canary', 25), 'canary.yaml');
    const began = Date.now();
    const refused = await runCliAsync(['proxy', '--config', canary], env);
    const tookMs = Date.now() - began;
    await held.release();
    expect([refused.status, refused.stderr]).toEqual([1, `strangler: ${canary} listen.port: 127.0.0.1:${held.port} is in use by another process\n`]);
    // Creating the embedded store alone takes seconds; nothing of it was made, not even beside the folder.
    expect(tookMs).toBeLessThan(5000);
    expect(readdirSync(join(project, 'state'))).toEqual(['lost+found']);
    expect(readdirSync(project).sort()).toEqual(['canary.yaml', 'state']);

    // Corrected: live 100. A request answered from the store's state goes to orders; one answered before, to legacy.
    const listenPort = await unusedPort();
    const live = writeConfig(project, configOn('embedded:./state', { listen: listenPort, admin: adminPort }, 'live', 100), 'live.yaml');
    const starting = startProxyProcess(live, 60000);
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    await eventually(() => fetch(`${adminUrl}/healthz`).then((r) => r.status === 200 && r.headers.get('x-strangler-admin') === '1', () => false), 20000, 50);
    expect(await adminCall(adminUrl, 'GET', '/readyz', undefined, {})).toMatchObject({ status: 503, json: { ready: false, reason: 'starting: opening the state store' } });
    const early = fetch(`http://127.0.0.1:${listenPort}/api/orders`, { headers: { 'x-user-id': 'early' } }).then((r) => r.json() as Promise<unknown>);
    const earlyRoutes = adminCall(adminUrl, 'GET', '/routes/orders', undefined, auth);
    const proxy = await starting;
    try {
      expect(await early).toMatchObject({ servedBy: 'orders' });
      expect((await earlyRoutes).json).toMatchObject({ stage: 'live', percent: 100, version: 1 });
      expect((await admin(proxy, 'GET', '/readyz', undefined, {})).json).toEqual({ ready: true, provider: 'embedded' });
      expect(readdirSync(join(project, 'state'))).toEqual(expect.arrayContaining(['lost+found', 'PG_VERSION', 'strangler.pid']));
    } finally {
      expect(await proxy.stop()).toBe(0);
    }
  }, 90000);

  test('a busy admin.port on a fresh PostgreSQL database creates no table in it', async () => {
    const database = await createTestDatabase();
    const held = await holdPort();
    try {
      const file = writeConfig(dir.path, configOn(database.url, { listen: 0, admin: held.port }, 'canary', 25), 'pg-busy.yaml');
      const refused = await runCliAsync(['proxy', '--config', file], env);
      expect([refused.status, refused.stderr]).toEqual([1, `strangler: ${file} admin.port: 127.0.0.1:${held.port} is in use by another process\n`]);
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        const tables = await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");
        expect(tables.rows).toEqual([]);
      } finally {
        await client.end();
      }
    } finally {
      await held.release();
      await database.drop();
    }
  }, 30000);

  test('an unresolvable listen.host or admin.host is one line naming the field', async () => {
    for (const block of ['listen', 'admin'] as const) {
      const yaml = configOn('embedded:./never', { listen: 0, admin: 0 }, 'shadow').replace(`${block}: { host: 127.0.0.1,`, `${block}: { host: nosuchhost.invalid,`);
      const file = writeConfig(dir.path, yaml, `${block}-host.yaml`);
      const result = await runCliAsync(['proxy', '--config', file], env);
      expect(result.status).toBe(1);
      // No name server reachable (EAI_AGAIN) is said as such; either way the field is named.
      expect(result.stderr).toMatch(
        new RegExp(`^strangler: ${file} ${block}\\.host: nosuchhost\\.invalid (is not a known host name \\(no address found for it\\)|could not be resolved: the name server did not answer \\(EAI_AGAIN\\))\\n$`),
      );
    }
    expect(existsSync(join(dir.path, 'never'))).toBe(false);
  }, 30000);

  test('state.url: a folder with other files, a leading ~, or one that cannot be made is refused in one line, and nothing is written', async () => {
    const ports = { listen: 0, admin: 0 };
    const project = join(dir.path, 'folders');
    mkdirSync(project);
    writeFileSync(join(project, 'notes.txt'), 'keep');
    const here = writeConfig(project, configOn('embedded:.', ports, 'shadow'), 'here.yaml');
    const home = writeConfig(project, configOn('embedded:~/state', ports, 'shadow'), 'home.yaml');
    const proc = writeConfig(project, configOn('embedded:/proc/strangler-nope', ports, 'shadow'), 'proc.yaml');
    const run = (file: string): ReturnType<typeof runCliAsync> => runCliAsync(['proxy', '--config', file], env);
    const [inHere, inHome, inProc] = await Promise.all([run(here), run(home), run(proc)]);
    expect([inHere.status, inHere.stderr]).toEqual([
      1,
      `strangler: ${here} state.url: ${project} is not empty and not a strangler state folder (no PG_VERSION): name a new or empty folder for the store\n`,
    ]);
    expect([inHome.status, inHome.stderr]).toEqual([
      1,
      `strangler: ${home} state.url: "embedded:~/state": a leading ~ is not expanded to a home folder; give an absolute path or one relative to the configuration file\n`,
    ]);
    // Node's recursive mkdir never returns on procfs (and no signal ends it): this must fail, not hang until killed.
    expect([inProc.status, inProc.stderr]).toEqual([1, `strangler: ${proc} state.url: cannot create the folder /proc/strangler-nope: the file system refused it (ENOENT)\n`]);
    expect(readdirSync(project).sort()).toEqual(['here.yaml', 'home.yaml', 'notes.txt', 'proc.yaml']);
  }, 30000);
});
