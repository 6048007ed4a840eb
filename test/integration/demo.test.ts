import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { inRollout } from '../../core/bucketing';
import { LAUNCHER, tempDir } from '../helpers/proxy-process';
import { unusedPort } from '../helpers/upstream';

/**
 * `npm start` (package.json: `node dist/examples/demo.js`) as a child process, on free ports.
 *
 * The demo reads examples/strangler.yaml next to its own dist folder (`resolve(__dirname, '../../examples/
 * strangler.yaml')`), and the embedded state `embedded:./.strangler` resolves against the config file's
 * folder, not the working directory: run from the repo it would use (and keep) examples/.strangler. So it
 * runs here from a temp folder that holds only links: <tmp>/dist → the repo's dist, <tmp>/examples/strangler.yaml
 * → the repo's file, with --preserve-symlinks-main so that its __dirname is <tmp>/dist/examples. Its state
 * then lands in <tmp>/examples/.strangler, and nothing is written into the repo.
 */

const REPO = resolve(__dirname, '../..');
const DEMO_TIMEOUT_MS = 30000;

interface Demo {
  child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startDemo(root: string, env: NodeJS.ProcessEnv): Promise<Demo> {
  const child = spawn(process.execPath, ['--preserve-symlinks-main', join(root, 'dist/examples/demo.js')], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const demo: Demo = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal }))),
  };
  child.stderr.on('data', (chunk: Buffer) => (demo.stderr += chunk.toString()));
  await new Promise<void>((resolveStarted, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start in ${DEMO_TIMEOUT_MS} ms:\n${demo.stdout}\n${demo.stderr}`)), DEMO_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      demo.stdout += chunk.toString();
      if (demo.stdout.includes('Ctrl-C stops everything.\n')) {
        clearTimeout(timer);
        resolveStarted();
      }
    });
    void demo.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code ?? signal}) before it was ready:\n${demo.stdout}\n${demo.stderr}`));
    });
  });
  return demo;
}

/** The words of a printed shell command; double quotes group words (the printed commands use no other quoting). */
function shellWords(line: string): string[] {
  return (line.trim().match(/"[^"]*"|\S+/g) ?? []).map((word) => (word.startsWith('"') ? word.slice(1, -1) : word));
}

/** Runs a printed `bin/strangler …` command with the repo's bin/strangler, from the demo's folder. */
function runPrinted(words: string[], root: string, env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  expect(words[0]).toBe('bin/strangler');
  const result = spawnSync(LAUNCHER, words.slice(1), { cwd: root, env, encoding: 'utf8', timeout: 20000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; servedBy: string | null; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers });
  return { status: response.status, servedBy: response.headers.get('x-served-by'), body: (await response.json()) as Record<string, unknown> };
}

describe('the demo (npm start)', () => {
  let root: ReturnType<typeof tempDir>;
  let env: NodeJS.ProcessEnv;
  let demo: Demo;
  let ports: { admin: number; legacy: number; orders: number };
  let startedInMs: number;

  beforeAll(async () => {
    root = tempDir('strangler-demo-');
    symlinkSync(join(REPO, 'dist'), join(root.path, 'dist'));
    mkdirSync(join(root.path, 'examples'));
    symlinkSync(join(REPO, 'examples/strangler.yaml'), join(root.path, 'examples/strangler.yaml'));
    ports = { admin: await unusedPort(), legacy: await unusedPort(), orders: await unusedPort() };
    // Only what the demo and bin/strangler need: no STRANGLER_ADMIN_TOKEN, so the file's default token applies.
    env = {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME,
      STRANGLER_DEMO_PORT: '0',
      STRANGLER_DEMO_ADMIN_PORT: String(ports.admin),
      STRANGLER_DEMO_LEGACY_PORT: String(ports.legacy),
      STRANGLER_DEMO_ORDERS_PORT: String(ports.orders),
    };
    const started = Date.now();
    demo = await startDemo(root.path, env);
    startedInMs = Date.now() - started;
  }, DEMO_TIMEOUT_MS + 5000);

  afterAll(async () => {
    if (demo && demo.child.exitCode === null && demo.child.signalCode === null) {
      demo.child.kill('SIGKILL');
      await demo.exited;
    }
    root?.remove();
  });

  test('prints the proxy URL, the admin API, a curl line and the rollout set line', () => {
    expect(startedInMs).toBeLessThan(DEMO_TIMEOUT_MS);
    const lines = demo.stdout.split('\n');
    const proxyUrl = /^ {2}proxy: {5}(http:\/\/127\.0\.0\.1:(\d+))$/m.exec(demo.stdout);
    expect(proxyUrl).not.toBeNull();
    expect(Number(proxyUrl![2])).toBeGreaterThan(0);
    const url = proxyUrl![1]!;
    expect(lines).toEqual(
      expect.arrayContaining([
        `strangler demo — legacy monolith http://127.0.0.1:${ports.legacy}, new orders service http://127.0.0.1:${ports.orders}`,
        `  admin API: http://127.0.0.1:${ports.admin}  (token in examples/strangler.yaml)`,
        `  for i in $(seq 20); do curl -s ${url}/api/orders/1 > /dev/null; curl -s ${url}/api/orders > /dev/null; done`,
        `  bin/strangler rollout set orders 25 --stage canary --reason "demo canary" --admin http://127.0.0.1:${ports.admin} --config examples/strangler.yaml`,
        '/api/orders is in shadow: legacy answers, a copy goes to the new service, the answers are compared.',
        `  for u in ada grace linus margaret; do curl -s -H "x-user-id: $u" ${url}/api/orders | head -c 40; echo; done`,
      ]),
    );
    // The embedded state is next to the config file the demo read, in the temp folder, and the demo owns it.
    expect(existsSync(join(root.path, 'examples/.strangler/PG_VERSION'))).toBe(true);
    expect(readFileSync(join(root.path, 'examples/.strangler/strangler.pid'), 'utf8')).toMatch(new RegExp(`^${demo.child.pid} \\d+$`));
  });

  test('the printed curl targets answer through the proxy, and so do the monolith\'s /api/users and /reports', async () => {
    const targets = [...demo.stdout.matchAll(/curl -s (?:-H "[^"]*" )?(http:\/\/\S+)/g)].map((match) => match[1]!);
    const proxyUrl = /^ {2}proxy: {5}(\S+)$/m.exec(demo.stdout)![1]!;
    expect(targets).toEqual([`${proxyUrl}/api/orders/1`, `${proxyUrl}/api/orders`, `${proxyUrl}/api/orders`]);
    // /api/orders starts in shadow: legacy answers.
    const order = await getJson(targets[0]!);
    expect(order).toMatchObject({ status: 200, servedBy: 'legacy', body: { servedBy: 'legacy', id: 1, customer: 'ada', total: 42.5, status: 'shipped' } });
    const list = await getJson(targets[1]!, { 'x-user-id': 'ada' });
    expect(list).toMatchObject({ status: 200, servedBy: 'legacy', body: { servedBy: 'legacy', orders: [{ id: 1, total: 42.5 }, { id: 2, total: 17 }] } });
    expect(await getJson(`${proxyUrl}/api/users`)).toEqual({
      status: 200,
      servedBy: 'legacy',
      body: { servedBy: 'legacy', users: [{ id: 'ada', name: 'Ada Lovelace' }, { id: 'grace', name: 'Grace Hopper' }] },
    });
    expect(await getJson(`${proxyUrl}/reports/monthly`)).toEqual({ status: 200, servedBy: 'legacy', body: { servedBy: 'legacy', report: 'monthly', rows: 3 } });
    expect(await getJson(`${proxyUrl}/reports`)).toEqual({ status: 200, servedBy: 'legacy', body: { servedBy: 'legacy', report: 'monthly', rows: 3 } });
  });

  test('the printed rollout set command, run with bin/strangler, moves the orders route to canary 25%', async () => {
    const getWords = ['bin/strangler', 'rollout', 'get', 'orders', '--json', '--config', 'examples/strangler.yaml'];
    const before = runPrinted(getWords, root.path, env);
    expect(before.stderr).toBe('');
    expect(JSON.parse(before.stdout)).toMatchObject({ name: 'orders', stage: 'shadow', percent: 0, version: 1 });

    const setLine = demo.stdout.split('\n').find((line) => line.includes('rollout set'))!;
    const set = runPrinted(shellWords(setLine), root.path, env);
    expect(set).toEqual({ status: 0, stdout: 'orders: canary 25% (version 2)\n', stderr: '' });

    const after = runPrinted(getWords, root.path, env);
    expect(after.status).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ name: 'orders', stage: 'canary', percent: 25, version: 2 });
    const history = runPrinted(['bin/strangler', 'rollout', 'history', 'orders', '--json', '--config', 'examples/strangler.yaml'], root.path, env);
    expect((JSON.parse(history.stdout) as { history: unknown[] }).history[0]).toMatchObject({
      reason: 'demo canary',
      from: { stage: 'shadow', percent: 0 },
      to: { stage: 'canary', percent: 25 },
    });

    // The printed per-user loop: each user lands on the side the sticky bucketing puts them.
    const proxyUrl = /^ {2}proxy: {5}(\S+)$/m.exec(demo.stdout)![1]!;
    const users = ['ada', 'grace', 'linus', 'margaret', ...Array.from({ length: 16 }, (_, i) => `user-${i}`)];
    const expected = users.map((user) => [user, inRollout(user, 'strangler.orders', 25) ? 'orders-service' : 'legacy']);
    expect(expected.some(([, side]) => side === 'orders-service')).toBe(true);
    const served: string[][] = [];
    for (const user of users) served.push([user, (await getJson(`${proxyUrl}/api/orders`, { 'x-user-id': user })).body.servedBy as string]);
    expect(served).toEqual(expected);
  });

  test('SIGTERM stops the demo cleanly: exit 0, nothing on stderr, and the ports are free again', async () => {
    const proxyUrl = /^ {2}proxy: {5}(\S+)$/m.exec(demo.stdout)![1]!;
    const started = Date.now();
    demo.child.kill('SIGTERM');
    const exit = await demo.exited;
    expect({ exit, stderr: demo.stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
    expect(Date.now() - started).toBeLessThan(5000);
    for (const url of [proxyUrl, `http://127.0.0.1:${ports.admin}`, `http://127.0.0.1:${ports.legacy}`, `http://127.0.0.1:${ports.orders}`]) {
      await expect(fetch(url, { headers: { connection: 'close' } })).rejects.toThrow('fetch failed');
    }
    // The embedded store was closed: its pid file is gone.
    expect(existsSync(join(root.path, 'examples/.strangler/strangler.pid'))).toBe(false);

    // Started again on the same folder, it says the route is where the earlier run left it, not "in shadow".
    const again = await startDemo(root.path, env);
    try {
      expect(again.stdout).toContain(
        '/api/orders is in canary 25% (version 2): the state of an earlier run, kept in examples/.strangler.\n' +
          'Remove that folder while the demo is stopped to start over in shadow.\n',
      );
      expect(again.stdout).not.toContain('/api/orders is in shadow');
      // The next steps follow: not the canary it already is, but the way back to shadow.
      expect(again.stdout).toContain('to shadow again:\n  bin/strangler rollout set orders 0 --stage shadow --reason "demo again"');
      expect(again.stdout).not.toContain('--stage canary');
    } finally {
      again.child.kill('SIGTERM');
      expect({ exit: await again.exited, stderr: again.stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
    }
  }, 30000);
});

test('a demo port already taken: one line naming the port and the variables that move it, exit 1', async () => {
  const root = tempDir('strangler-demo-busy-');
  const busy = createServer();
  try {
    symlinkSync(join(REPO, 'dist'), join(root.path, 'dist'));
    mkdirSync(join(root.path, 'examples'));
    symlinkSync(join(REPO, 'examples/strangler.yaml'), join(root.path, 'examples/strangler.yaml'));
    await new Promise<void>((resolveListening) => busy.listen(0, '127.0.0.1', resolveListening));
    const taken = (busy.address() as AddressInfo).port;
    const run = spawnSync(process.execPath, ['--preserve-symlinks-main', join(root.path, 'dist/examples/demo.js')], {
      cwd: root.path,
      encoding: 'utf8',
      timeout: DEMO_TIMEOUT_MS,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, STRANGLER_DEMO_PORT: '0', STRANGLER_DEMO_ADMIN_PORT: '0', STRANGLER_DEMO_LEGACY_PORT: String(taken), STRANGLER_DEMO_ORDERS_PORT: '0' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      `strangler demo: listen EADDRINUSE: address already in use 127.0.0.1:${taken} (move the demo with STRANGLER_DEMO_PORT, STRANGLER_DEMO_ADMIN_PORT, STRANGLER_DEMO_LEGACY_PORT, STRANGLER_DEMO_ORDERS_PORT)`,
    ]);
  } finally {
    busy.close();
    root.remove();
  }
}, DEMO_TIMEOUT_MS);
