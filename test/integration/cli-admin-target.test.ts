import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { ADMIN_API_HEADER } from '../../core/admin-api';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { runCli, runCliAsync, startProxyProcess, tempDir, writeConfig, type CliResult, type ProxyProcess } from '../helpers/proxy-process';
import { startUpstream, unusedPort, type TestUpstream } from '../helpers/upstream';

/**
 * Where the CLI finds the admin API and its token (cli/admin-client.ts): `--admin` / `--token`, else
 * STRANGLER_ADMIN_URL / STRANGLER_ADMIN_TOKEN, else `--config FILE` (default ./strangler.yaml), each against
 * a real `strangler proxy`. runCli gives the CLI only PATH and HOME plus what a test passes, so nothing
 * leaks in from the environment jest runs in.
 */

const TOKEN = 'admin-target-token';
const WRONG_TOKEN = 'not-the-admin-token';

/** A config that is only read by the CLI: the admin address and token, plus what validation requires. */
function cliOnlyYaml(admin: string): string {
  return [`admin: ${admin}`, 'upstreams:', '  legacy: { url: "http://127.0.0.1:3000" }', ''].join('\n');
}

function expectRoute(result: CliResult): void {
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ name: 'orders', stage: 'canary', percent: 0, service: 'orders', legacy: 'legacy' });
}

/** A usage problem (nothing to call, or a flag that cannot be used) exits 2; a call that failed exits 1. */
function expectError(result: CliResult, stderr: string, status = 1): void {
  expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status, stdout: '', stderr });
}

describe('strangler CLI: admin API address and token', () => {
  let database: TestDatabase;
  let legacy: TestUpstream;
  let orders: TestUpstream;
  let dir: ReturnType<typeof tempDir>;
  let proxy: ProxyProcess;
  /** The proxy's own config: admin on a fixed free port (port 0 could not be found from the file). */
  let proxyConfig: string;
  let adminUrl: string;
  let deadUrl: string;
  let deadPort: number;
  let adminPort: number;
  /** An empty working directory: no ./strangler.yaml to fall back on. */
  let empty: string;
  const tempDirs: Array<ReturnType<typeof tempDir>> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    legacy = await startUpstream('legacy');
    orders = await startUpstream('orders');
    dir = tempDir('strangler-admin-target-');
    adminPort = await unusedPort();
    deadPort = await unusedPort();
    deadUrl = `http://127.0.0.1:${deadPort}`;
    proxyConfig = writeConfig(
      dir.path,
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        `admin: { host: 127.0.0.1, port: ${adminPort}, token: "${TOKEN}" }`,
        `state: { url: "${database.url}", pollMs: 200 }`,
        'upstreams:',
        `  legacy: { url: "${legacy.url}" }`,
        `  orders: { url: "${orders.url}" }`,
        'routes:',
        '  - name: orders',
        '    match: { path: /api/orders }',
        '    service: orders',
        '    stage: canary',
        '    percent: 0',
        '',
      ].join('\n'),
    );
    proxy = await startProxyProcess(proxyConfig);
    adminUrl = `http://127.0.0.1:${adminPort}`;
    expect(proxy.adminUrl).toBe(adminUrl);
    const emptyDir = tempDir('strangler-admin-empty-');
    tempDirs.push(emptyDir);
    empty = emptyDir.path;
  }, 30000);

  afterAll(async () => {
    await proxy?.stop();
    await legacy?.close();
    await orders?.close();
    dir?.remove();
    for (const t of tempDirs) t.remove();
    await database?.drop();
  });

  test('--config FILE gives both the address and the token, as the README and the demo print it', () => {
    // The printed form: a path relative to the working directory, text output.
    const cwd = join(dir.path, '..');
    const result = runCli(['rollout', 'get', 'orders', '--config', relative(cwd, proxyConfig)], {}, cwd);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'route:      orders',
      'stage:      canary',
      'percent:    0%',
      'match:      /api/orders',
      'service:    orders (legacy: legacy)',
      'stickiness: random',
      'flag:       strangler.orders',
    ]);
    expect(lines[7]).toMatch(/^version: {4}1, updated \d{4}-\d\d-\d\dT/);
    expect(lines).toHaveLength(8);
    // An absolute path, from a directory without strangler.yaml.
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--config', proxyConfig], {}, empty));
  });

  test('STRANGLER_ADMIN_TOKEN from the environment, with --admin or with STRANGLER_ADMIN_URL', () => {
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--admin', adminUrl], { STRANGLER_ADMIN_TOKEN: TOKEN }, empty));
    expectRoute(runCli(['rollout', 'get', 'orders', '--json'], { STRANGLER_ADMIN_URL: adminUrl, STRANGLER_ADMIN_TOKEN: TOKEN }, empty));
    // A trailing slash on the address is dropped.
    expectRoute(runCli(['rollout', 'get', 'orders', '--json'], { STRANGLER_ADMIN_URL: `${adminUrl}/`, STRANGLER_ADMIN_TOKEN: TOKEN }, empty));
  });

  test('no token anywhere: one line naming the three places to give it, exit 1', () => {
    const noToken = 'strangler: no admin token: pass --token, set STRANGLER_ADMIN_TOKEN, or give a config file with admin.token\n';
    expectError(runCli(['rollout', 'get', 'orders', '--admin', adminUrl], {}, empty), noToken, 2);
    // With --json, the same failure as one JSON line.
    const noTokenJson = JSON.stringify({ error: { message: noToken.slice('strangler: '.length, -1), exitCode: 2 } }) + '\n';
    expectError(runCli(['rollout', 'get', 'orders', '--json'], { STRANGLER_ADMIN_URL: adminUrl }, empty), noTokenJson, 2);
    // An empty variable counts as unset.
    expectError(runCli(['rollout', 'get', 'orders', '--admin', adminUrl], { STRANGLER_ADMIN_TOKEN: '' }, empty), noToken, 2);
    expectError(
      runCli(['rollout', 'set', 'orders', '10', '--reason', 'no token', '--admin', adminUrl], {}, empty),
      noToken,
      2,
    );
    expectError(
      runCli(['rollout', 'get', 'orders', '--token', TOKEN], {}, empty),
      'strangler: no admin API address: pass --admin URL, set STRANGLER_ADMIN_URL, or run where strangler.yaml is (or pass --config FILE)\n',
      2,
    );
  });

  test('the token: --token beats STRANGLER_ADMIN_TOKEN, which beats the config file', () => {
    // The refusal names where the token came from: an old STRANGLER_ADMIN_TOKEN silently beating --config is the classic.
    const refused = (from: string): string =>
      `strangler: the admin API at ${adminUrl} refused the token from ${from} (401): check --token, STRANGLER_ADMIN_TOKEN (it wins over the config file) and admin.token\n`;
    const wrongInFile = writeConfig(dir.path, cliOnlyYaml(`{ host: 127.0.0.1, port: ${adminPort}, token: "${WRONG_TOKEN}" }`), 'wrong-token.yaml');
    // Flag over environment, both ways round.
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--admin', adminUrl, '--token', TOKEN], { STRANGLER_ADMIN_TOKEN: WRONG_TOKEN }, empty));
    expectError(runCli(['rollout', 'get', 'orders', '--admin', adminUrl, '--token', WRONG_TOKEN], { STRANGLER_ADMIN_TOKEN: TOKEN }, empty), refused('--token'));
    // Environment over the file, both ways round (the address comes from the file each time).
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--config', wrongInFile], { STRANGLER_ADMIN_TOKEN: TOKEN }, empty));
    expectError(runCli(['rollout', 'get', 'orders', '--config', proxyConfig], { STRANGLER_ADMIN_TOKEN: WRONG_TOKEN }, empty), refused('STRANGLER_ADMIN_TOKEN'));
    expectError(runCli(['rollout', 'get', 'orders', '--config', wrongInFile], {}, empty), refused(`${wrongInFile} admin.token`));
    // Flag over the file.
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--config', wrongInFile, '--token', TOKEN], {}, empty));
  });

  test('the address: --admin beats STRANGLER_ADMIN_URL, which beats the config file', () => {
    const unreachable = `strangler: cannot reach the admin API at ${deadUrl}: ECONNREFUSED (is "strangler proxy" running?)\n`;
    const deadInFile = writeConfig(dir.path, cliOnlyYaml(`{ host: 127.0.0.1, port: ${deadPort}, token: "${TOKEN}" }`), 'dead-port.yaml');
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--admin', adminUrl, '--token', TOKEN], { STRANGLER_ADMIN_URL: deadUrl }, empty));
    expectError(runCli(['rollout', 'get', 'orders', '--admin', deadUrl, '--token', TOKEN], { STRANGLER_ADMIN_URL: adminUrl }, empty), unreachable);
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--config', deadInFile], { STRANGLER_ADMIN_URL: adminUrl }, empty));
    expectError(runCli(['rollout', 'get', 'orders', '--config', proxyConfig], { STRANGLER_ADMIN_URL: deadUrl }, empty), unreachable);
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--config', deadInFile, '--admin', adminUrl], {}, empty));
  });

  test('the config file fills in only what flags and environment leave out, and --config beats ./strangler.yaml', () => {
    // Address from the flag, token from the file.
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--admin', adminUrl, '--config', proxyConfig], {}, empty));
    // Both given: the file is not read at all, so even a missing one is no error.
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--config', join(empty, 'missing.yaml')], { STRANGLER_ADMIN_URL: adminUrl, STRANGLER_ADMIN_TOKEN: TOKEN }, empty));
    // ./strangler.yaml in the working directory is the default, and an explicit --config replaces it.
    const cwd = tempDir('strangler-admin-cwd-');
    tempDirs.push(cwd);
    writeConfig(cwd.path, cliOnlyYaml(`{ host: 127.0.0.1, port: ${deadPort}, token: "${WRONG_TOKEN}" }`));
    expectError(
      runCli(['rollout', 'get', 'orders'], {}, cwd.path),
      `strangler: cannot reach the admin API at ${deadUrl}: ECONNREFUSED (is "strangler proxy" running?)\n`,
    );
    expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--config', proxyConfig], {}, cwd.path));
  });

  test('a wildcard admin.host in the config file is reached on 127.0.0.1', () => {
    for (const host of ['0.0.0.0', '"::"']) {
      const file = writeConfig(dir.path, cliOnlyYaml(`{ host: ${host}, port: ${adminPort}, token: "${TOKEN}" }`), 'wildcard.yaml');
      expectRoute(runCli(['rollout', 'get', 'orders', '--json', '--config', file], {}, empty));
    }
  });

  test('--timeout: an admin API that takes the request and never answers is one line naming the wait, exit 1; a PUT says it may have applied', async () => {
    const held: ServerResponse[] = [];
    const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
      if (request.url === '/healthz') response.writeHead(200, { [ADMIN_API_HEADER]: '1' }).end('ok');
      else held.push(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const [get, put] = await Promise.all([
        runCliAsync(['rollout', 'get', 'orders', '--admin', url, '--token', TOKEN, '--timeout', '0.3'], {}, empty),
        runCliAsync(['rollout', 'set', 'orders', '5', '--reason', 'slow admin', '--admin', url, '--token', TOKEN, '--timeout', '0.3'], {}, empty),
      ]);
      expectError(get, `strangler: the admin API at ${url} did not answer GET /routes/orders within 0.3 s (--timeout)\n`);
      expectError(
        put,
        `strangler: the admin API at ${url} did not answer PUT /routes/orders within 0.3 s (--timeout): the change may have been applied, check with "strangler rollout get"\n`,
      );
      expect(held).toHaveLength(2);
    } finally {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    for (const bad of ['0', 'soon', '-1', '7200']) {
      expectError(
        runCli(['rollout', 'get', 'orders', '--admin', adminUrl, '--token', TOKEN, '--timeout', bad], {}, empty),
        `strangler: --timeout: must be a number of seconds from 0.1 to 3600, got "${bad}" (see --help)\n`,
        2,
      );
    }
    expectRoute(runCli(['rollout', 'get', 'orders', '--admin', adminUrl, '--token', TOKEN, '--timeout', '5', '--json'], {}, empty));
  });

  test('a --config file that cannot be used: one line, exit 1; an address that is not a URL or an empty flag: exit 2', () => {
    const missing = join(empty, 'missing.yaml');
    expectError(runCli(['rollout', 'get', 'orders', '--config', missing], {}, empty), `strangler: ${missing}: cannot read file: ENOENT: no such file or directory\n`);
    const unset = writeConfig(dir.path, cliOnlyYaml('{ port: 9090, token: ${ADMIN_TARGET_UNSET} }'), 'unset.yaml');
    expectError(
      runCli(['rollout', 'get', 'orders', '--config', unset], {}, empty),
      `strangler: ${unset}:1 admin.token: environment variable ADMIN_TARGET_UNSET is not set\n`,
    );
    // The first problem of the file, on one line, and how many more there are.
    const twoProblems = writeConfig(dir.path, 'admin: { port: 99999, token: short }\nupstreams: {}\n', 'two-problems.yaml');
    expectError(
      runCli(['rollout', 'get', 'orders', '--config', twoProblems], {}, empty),
      expect.stringMatching(new RegExp(`^strangler: ${twoProblems.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1 admin\\.port: must be an integer from 0 to 65535, got 99999 \\(and \\d+ more: strangler config validate .*two-problems\\.yaml\\)\n$`)) as unknown as string,
    );
    expectError(
      runCli(['rollout', 'get', 'orders', '--admin', adminUrl.replace('http://', ''), '--token', TOKEN], {}, empty),
      `strangler: --admin: must be an http:// or https:// URL, got "${adminUrl.replace('http://', '')}"\n`,
      2,
    );
    expectError(
      runCli(['rollout', 'get', 'orders', '--token', TOKEN], { STRANGLER_ADMIN_URL: 'localhost:9' }, empty),
      'strangler: STRANGLER_ADMIN_URL: must be an http:// or https:// URL, got "localhost:9"\n',
      2,
    );
    expectError(runCli(['rollout', 'get', 'orders', '--config', ''], {}, empty), 'strangler: --config: must not be empty\n', 2);
  });
});
