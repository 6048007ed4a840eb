import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { parseConfig } from '../../core/config';
import type { RouteConfig, StranglerConfig, UnleashFlagsConfig } from '../../core/config/types';
import { PostgresDatabase } from '../../core/db/postgres';
import { startProxy, type RunningProxy } from '../../proxy/start';
import { FixedRouteState } from '../../rollout/fixed-state';
import { UnleashFlagProvider } from '../../rollout/flags/unleash';
import { migrate } from '../../rollout/migrations';
import { SqlStateStore } from '../../rollout/sql-state-store';
import { inRollout } from '../../core/bucketing';
import { adminCall, type AdminReply } from '../helpers/admin-call';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { CLI, tempDir } from '../helpers/proxy-process';
import { eventually } from '../helpers/eventually';
import { HttpFaultRelay } from '../helpers/http-fault-relay';
import { TcpRelay } from '../helpers/tcp-relay';
import { startUnleash, UNLEASH_PROJECT, UnleashAdmin, type UnleashHandle } from '../helpers/unleash';
import { startUpstream, unusedPort, type TestUpstream } from '../helpers/upstream';

const ADMIN = 'unleash-test-admin-token';
const REFRESH_MS = 200;

let unleash: UnleashHandle;
let database: TestDatabase;
let legacy: TestUpstream;
let orders: TestUpstream;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  [unleash, database, legacy, orders] = await Promise.all([startUnleash(), createTestDatabase(), startUpstream('legacy'), startUpstream('orders')]);
  dir = tempDir('strangler-unleash-');
  // The history tables, for providers made without a proxy (which would migrate) in a test run on its own.
  const db = new PostgresDatabase({ url: database.url });
  await migrate(db).finally(() => db.close());
}, 60000);

afterAll(async () => {
  await unleash?.stop();
  await database?.drop();
  await legacy?.close();
  await orders?.close();
  dir?.remove();
});

/** A strangler.yaml with flags from Unleash, loaded through the real config loader. */
function config(options: { url?: string; clientToken?: string; bootstrap?: string; appName?: string; routes?: string } = {}): StranglerConfig {
  const file = join(dir.path, 'strangler.yaml');
  const yaml = [
    'listen: { host: 127.0.0.1, port: 0 }',
    `admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }`,
    `state: { url: "${database.url}", pollMs: 200 }`,
    'flags:',
    '  provider: unleash',
    `  url: ${options.url ?? unleash.url}`,
    '  clientToken: ${CLIENT_TOKEN}',
    '  adminToken: ${ADMIN_TOKEN}',
    `  appName: ${options.appName ?? 'strangler-test'}`,
    `  refreshMs: ${REFRESH_MS}`,
    ...(options.bootstrap ? [`  bootstrap: ${options.bootstrap}`] : []),
    'upstreams:',
    `  legacy: { url: "${legacy.url}" }`,
    `  orders: { url: "${orders.url}" }`,
    'routes:',
    options.routes ??
      ['  - name: orders', '    match: { path: /api/orders }', '    service: orders', '    stickiness: header:x-user-id'].join('\n'),
  ].join('\n');
  writeFileSync(file, yaml);
  return parseConfig(yaml, file, { CLIENT_TOKEN: options.clientToken ?? unleash.clientToken, ADMIN_TOKEN: unleash.adminToken });
}

function capturedLogger(): { logger: pino.Logger; lines: () => string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines: () => lines };
}

/** The CLI as a child process, without blocking this process (the proxy runs in it). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

function admin(proxy: RunningProxy, method: string, path: string, body?: unknown): Promise<AdminReply> {
  return adminCall(`http://127.0.0.1:${proxy.adminAddress.port}`, method, path, body, { authorization: `Bearer ${ADMIN}` });
}

async function servedBy(proxy: RunningProxy, user: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${proxy.proxyAddress.port}/api/orders`, { headers: { 'x-user-id': user } });
  return ((await response.json()) as { servedBy: string }).servedBy;
}

/**
 * A real unleash-client on the same Unleash, as any other service reading the flag would be; resolves once
 * it holds `flag` as `holds` says.
 */
async function referenceClient(flag: string, holds: (strategies: Array<{ parameters?: Record<string, unknown> }>) => boolean): Promise<Unleash> {
  const client = new Unleash({
    url: `${unleash.url}/api`,
    appName: `strangler-reference-${process.pid}`,
    refreshInterval: REFRESH_MS,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    customHeaders: { authorization: unleash.clientToken },
  });
  client.on('error', () => undefined);
  try {
    await eventually(() => {
      const feature = client.getFeatureToggleDefinition(flag);
      return feature !== undefined && holds(feature.strategies ?? []);
    }, 8000);
  } catch (err) {
    client.destroy();
    throw err;
  }
  return client;
}

/** The users the proxy sends to another side than `client` (a real unleash-client) gives them, with the user id as userId. */
async function sidesDiffering(proxy: RunningProxy, client: Unleash, flag: string, users: readonly string[]): Promise<string[]> {
  const differing: string[] = [];
  for (const user of users) {
    const expected = client.isEnabled(flag, { userId: user }) ? 'orders' : 'legacy';
    const served = await servedBy(proxy, user);
    if (served !== expected) differing.push(`${user}: proxy ${served}, unleash-client ${expected}`);
  }
  return differing;
}

const USERS = Array.from({ length: 200 }, (_, i) => (i % 5 === 0 ? `jörg-${i}` : `user-${i}`));

describe('rollout through Unleash: create, set, get round-trip, and changes made in Unleash', () => {
  let proxy: RunningProxy;
  let flags: string[];
  const bootstrapFile = () => join(dir.path, 'flags-bootstrap.json');
  const log = capturedLogger();

  beforeAll(async () => {
    proxy = await startProxy(config(), log.logger);
    flags = ['--admin', `http://127.0.0.1:${proxy.adminAddress.port}`, '--token', ADMIN];
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  test('a missing flag is refused without --create; with it, the flag and strategy are created in Unleash', async () => {
    const missing = await cli(['rollout', 'set', 'orders', '25', '--stage', 'canary', '--reason', 'start canary', ...flags]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('strangler: PUT /routes/orders failed (404): flag "strangler.orders" does not exist in Unleash project default (pass --create to create it)\n');

    const created = await cli(['rollout', 'set', 'orders', '25', '--stage', 'canary', '--create', '--reason', 'start canary', '--json', ...flags]);
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'orders', stage: 'canary', percent: 25, flag: 'strangler.orders' });
    const flag = await unleash.admin.getFlag('strangler.orders');
    const env = flag.environments.find((e) => e.name === 'development')!;
    expect(env.enabled).toBe(true);
    expect(env.strategies).toHaveLength(1);
    expect(env.strategies[0]).toMatchObject({
      name: 'flexibleRollout',
      parameters: { rollout: '25', stickiness: 'userId', groupId: 'strangler.orders', stranglerStage: 'canary' },
    });
  });

  test('the proxy routes by the flag at once, every user on the side unleash-client gives', async () => {
    for (const user of USERS) expect([user, await servedBy(proxy, user)]).toEqual([user, inRollout(user, 'strangler.orders', 25) ? 'orders' : 'legacy']);
    const get = await cli(['rollout', 'get', 'orders', '--json', ...flags]);
    expect(JSON.parse(get.stdout)).toMatchObject({ stage: 'canary', percent: 25 });
    const history = JSON.parse((await cli(['rollout', 'history', 'orders', '--json', ...flags])).stdout) as { history: Array<Record<string, unknown>> };
    expect(history.history[0]).toMatchObject({ actor: expect.stringMatching(/^cli:/), reason: 'start canary', from: { stage: 'legacy', percent: 0 }, to: { stage: 'canary', percent: 25 } });
    // What Unleash already holds is not written again nor recorded.
    const again = await cli(['rollout', 'set', 'orders', '25', '--reason', 'again', '--json', ...flags]);
    expect(JSON.parse(again.stdout)).toMatchObject({ stage: 'canary', percent: 25, changed: false, version: JSON.parse(get.stdout).version });
    const after = JSON.parse((await cli(['rollout', 'history', 'orders', '--json', ...flags])).stdout) as { history: unknown[] };
    expect(after.history).toEqual(history.history);
  });

  test.each([
    ['shadow', '0', false, '0'],
    ['live', '100', true, '100'],
    ['retired', '100', true, '100'],
    ['canary', '40', true, '40'],
  ])('stage %s round-trips: what rollout get reports is what Unleash holds', async (stage, percent, enabled, rollout) => {
    const set = await cli(['rollout', 'set', 'orders', percent, '--stage', stage, '--reason', `to ${stage}`, ...flags]);
    expect(set.stderr).toBe('');
    const env = (await unleash.admin.getFlag('strangler.orders')).environments.find((e) => e.name === 'development')!;
    expect(env.enabled).toBe(enabled);
    expect(env.strategies[0]!.parameters).toMatchObject({ rollout, stranglerStage: stage });
    // A fresh reader of Unleash (the proxy's own client, after its next poll) says the same.
    await eventually(async () => {
      const got = JSON.parse((await cli(['rollout', 'get', 'orders', '--json', ...flags])).stdout) as { stage: string; percent: number };
      return got.stage === stage && got.percent === Number(percent);
    });
  });

  test('a change made in Unleash itself reaches the proxy within a refresh interval and shows in status', async () => {
    const strategyId = (await unleash.admin.getFlag('strangler.orders')).environments.find((e) => e.name === 'development')!.strategies[0]!.id;
    await unleash.admin.setRollout('strangler.orders', strategyId, 60);
    const took = await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.percent === 60, 3000, 25);
    // One refresh interval, plus Unleash's own delay in serving a change to a polling client: 0.35-0.9 s
    // measured here on a quiet machine, 1.7 s on a busy one (also after a fresh read of its client API showed
    // the change, so the wait is Unleash's answer to the client's If-None-Match, not the proxy's).
    expect(took).toBeLessThan(REFRESH_MS + 2500);
    for (const user of USERS.slice(0, 50)) expect(await servedBy(proxy, user)).toBe(inRollout(user, 'strangler.orders', 60) ? 'orders' : 'legacy');
    const status = await cli(['status', '--json', '--window', '0', ...flags]);
    expect((JSON.parse(status.stdout) as { routes: Array<Record<string, unknown>> }).routes[0]).toMatchObject({ name: 'orders', stage: 'canary', percent: 60 });
    await unleash.admin.disable('strangler.orders');
    await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.stage === 'legacy');
    expect(await servedBy(proxy, USERS.find((u) => inRollout(u, 'strangler.orders', 60))!)).toBe('legacy');
    await unleash.admin.enable('strangler.orders');
    await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.percent === 60);
  });

  test('flags export writes a bootstrap file in Unleash format, whole', async () => {
    const out = await cli(['flags', 'export', '--out', bootstrapFile(), ...flags]);
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe(`${bootstrapFile()}: 1 flag\n`);
    const written = JSON.parse(readFileSync(bootstrapFile(), 'utf8')) as { version: number; features: Array<{ name: string; enabled: boolean; strategies: Array<{ parameters: Record<string, string> }> }> };
    expect(written.version).toBe(2);
    expect(written.features).toEqual([
      expect.objectContaining({ name: 'strangler.orders', enabled: true, strategies: [expect.objectContaining({ parameters: expect.objectContaining({ rollout: '60' }) })] }),
    ]);
    // Right after a change, before any poll could show it: the export has it (read from Unleash itself).
    expect((await cli(['rollout', 'set', 'orders', '65', '--reason', 'export right after', ...flags])).status).toBe(0);
    await cli(['flags', 'export', '--out', bootstrapFile(), ...flags]);
    const after = JSON.parse(readFileSync(bootstrapFile(), 'utf8')) as typeof written;
    expect(after.features.map((f) => f.strategies[0]!.parameters.rollout)).toEqual(['65']);
    expect((await cli(['rollout', 'set', 'orders', '60', '--reason', 'back to where the later tests expect it', ...flags])).status).toBe(0);
    await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.percent === 60);
    const bad = await cli(['flags', 'export', '--out', join(dir.path, 'no-such-dir', 'x.json'), ...flags]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^strangler: --out .*x\.json: cannot write: its folder does not exist \(ENOENT\)\n$/);
    // A folder named as the file: refused, and no temporary file is left beside it.
    const folder = await cli(['flags', 'export', '--out', dir.path, ...flags]);
    expect([folder.status, folder.stderr]).toEqual([2, `strangler: --out ${dir.path}: is a folder; give a regular file (or a device or named pipe to write to)\n`]);
    expect(readdirSync(dirname(dir.path)).filter((name) => name.startsWith(`${basename(dir.path)}.`) && name.endsWith('.tmp'))).toEqual([]);
    const empty = await cli(['flags', 'export', '--out', '', ...flags]);
    expect([empty.status, empty.stderr]).toEqual([2, 'strangler: --out: must be a file path, got ""\n']);
  });

  test('a stickiness edited in Unleash: unleash-client decides, status says so, the log warns once per change, and rollout set says it writes the route\'s back', async () => {
    const strategyId = (await unleash.admin.getFlag('strangler.orders')).environments.find((e) => e.name === 'development')!.strategies[0]!.id;
    const stickinessWarnings = () => log.lines().filter((line) => line.includes('"level":40') && line.includes('(set in Unleash), not on what the route sends'));
    await unleash.admin.setParameter('strangler.orders', strategyId, 'stickiness', 'sessionId');
    const rule = 'flexibleRollout 60% sticky on sessionId (the route sends userId)';
    await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.flagRule === rule, 5000);
    const reference = await referenceClient('strangler.orders', (strategies) => strategies[0]?.parameters?.stickiness === 'sessionId');
    try {
      // The proxy sends each user where a real unleash-client sends them (no sessionId in the context: nobody).
      expect(await sidesDiffering(proxy, reference, 'strangler.orders', USERS)).toEqual([]);
    } finally {
      reference.destroy();
    }
    // The least share that reaches the route: none, since it sends no sessionId.
    expect((await admin(proxy, 'GET', '/routes/orders')).json).toMatchObject({ stage: 'canary', percent: 0 });
    const status = await cli(['status', '--window', '0', ...flags]);
    expect(status.stdout).toMatch(/^orders +canary +≥0% /m);
    expect(status.stdout).toContain(`\norders: unleash-client decides each request (the flag's strategies: ${rule})\n`);
    const get = await cli(['rollout', 'get', 'orders', ...flags]);
    expect(get.stdout).toContain(`percent:    ≥0% (unleash-client decides each request: ${rule})\n`);
    // Several polls later, still one warning for this one change.
    await new Promise((r) => setTimeout(r, REFRESH_MS * 4));
    expect(stickinessWarnings()).toHaveLength(1);
    expect(JSON.parse(stickinessWarnings()[0]!)).toMatchObject({ route: 'orders', flag: 'strangler.orders', stickiness: 'sessionId', routeSends: 'userId' });

    // random: a user goes back and forth between the services, as Unleash decides it.
    await unleash.admin.setParameter('strangler.orders', strategyId, 'stickiness', 'random');
    await eventually(async () => String((await admin(proxy, 'GET', '/routes/orders')).json.flagRule).includes('sticky on random'), 5000);
    expect((await admin(proxy, 'GET', '/routes/orders')).json).toMatchObject({ stage: 'canary', percent: 60 });
    const sides = new Set<string>();
    for (let i = 0; i < 40; i++) sides.add(await servedBy(proxy, 'user-1'));
    expect([...sides].sort()).toEqual(['legacy', 'orders']);
    expect(stickinessWarnings()).toHaveLength(2);

    const set = await cli(['rollout', 'set', 'orders', '60', '--reason', 'stickiness back', ...flags]);
    expect(set.status).toBe(0);
    expect(set.stderr).toBe(
      'strangler: warning: flag "strangler.orders"\'s strategy was sticky on random (set in Unleash); this change wrote the route\'s own back (sticky on userId), so users are split anew\n',
    );
    expect((await flagInUnleash('strangler.orders')).parameters).toMatchObject({ rollout: '60', stickiness: 'userId' });
    await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.flagRule === null);
    // Once Unleash serves the change (its client API cache may lag a loaded machine past the proxy's wait for it).
    const split = USERS.slice(0, 50);
    const expected = split.map((user) => (inRollout(user, 'strangler.orders', 60) ? 'orders' : 'legacy'));
    await eventually(async () => JSON.stringify(await Promise.all(split.map((user) => servedBy(proxy, user)))) === JSON.stringify(expected), 10000);
    // The same stickiness set again later is a new change: warned again.
    await unleash.admin.setParameter('strangler.orders', strategyId, 'stickiness', 'sessionId');
    await eventually(() => stickinessWarnings().length === 3, 5000);
    expect((await cli(['rollout', 'set', 'orders', '60', '--reason', 'back again', ...flags])).status).toBe(0);
    await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.flagRule === null);
  });

  test('a groupId edited in Unleash is followed, and rollout set keeps it: a ramp moves no user back to legacy', async () => {
    const strategyId = (await unleash.admin.getFlag('strangler.orders')).environments.find((e) => e.name === 'development')!.strategies[0]!.id;
    const sideIn = (group: string, percent: number) => (user: string) => (inRollout(user, group, percent) ? 'orders' : 'legacy');
    const servedSides = async (users: string[]) => Promise.all(users.map((user) => servedBy(proxy, user)));
    const users = USERS.slice(0, 60);
    try {
      await unleash.admin.setParameter('strangler.orders', strategyId, 'groupId', 'orders-v2');
      await eventually(async () => JSON.stringify(await servedSides(users)) === JSON.stringify(users.map(sideIn('orders-v2', 60))), 5000);
      const ramp = await cli(['rollout', 'set', 'orders', '80', '--reason', 'ramp in the group set in Unleash', ...flags]);
      expect([ramp.status, ramp.stderr]).toEqual([0, '']);
      expect((await flagInUnleash('strangler.orders')).parameters).toMatchObject({ rollout: '80', groupId: 'orders-v2' });
      const expected = users.map(sideIn('orders-v2', 80));
      await eventually(async () => JSON.stringify(await servedSides(users)) === JSON.stringify(expected), 10000);
      const after = await servedSides(users);
      // Everyone the new service had at 60 % keeps it at 80 %.
      expect(users.filter((user, i) => sideIn('orders-v2', 60)(user) === 'orders' && after[i] !== 'orders')).toEqual([]);
    } finally {
      await unleash.admin.setParameter('strangler.orders', strategyId, 'groupId', 'strangler.orders');
      expect((await cli(['rollout', 'set', 'orders', '60', '--reason', 'back to where the later tests expect it', ...flags])).status).toBe(0);
      await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.percent === 60);
    }
  });

  test('without an admin token, changes are refused with a clear message', async () => {
    const yaml = readFileSync(join(dir.path, 'strangler.yaml'), 'utf8').replace('  adminToken: ${ADMIN_TOKEN}\n', '');
    const readOnly = parseConfig(yaml, join(dir.path, 'strangler.yaml'), { CLIENT_TOKEN: unleash.clientToken });
    const second = await startProxy({ ...readOnly, admin: { ...readOnly.admin, port: 0 }, listen: { ...readOnly.listen, port: 0 } }, pino({ level: 'silent' }));
    try {
      const refused = await admin(second, 'PUT', '/routes/orders', { percent: 10, reason: 'x' });
      expect(refused.status).toBe(409);
      expect(refused.json.error).toBe('flags.adminToken is not configured: change the flag in Unleash itself, or give strangler an admin token');
    } finally {
      await second.stop();
    }
  });
});

describe('a flag with strategies strangler does not manage: unleash-client decides each request', () => {
  const FLAG = 'strangler.qa-first';
  let proxy: RunningProxy;
  let flags: string[];

  beforeAll(async () => {
    // The usual "QA first" in Unleash: strangler's flexibleRollout at 0 %, plus a strategy for the testers by id.
    await unleash.admin.createFlag(FLAG);
    await unleash.admin.addFlexibleRollout(FLAG, { rollout: 0, stickiness: 'userId', extraParameters: { stranglerStage: 'canary' } });
    await unleash.admin.addFlexibleRollout(FLAG, { rollout: 100, stickiness: 'userId', constraints: [{ contextName: 'userId', operator: 'IN', values: ['qa-1', 'qa-2'] }] });
    await unleash.admin.enable(FLAG);
    const routes = ['  - name: orders', '    match: { path: /api/orders }', '    service: orders', '    stickiness: header:x-user-id', `    flag: ${FLAG}`].join('\n');
    proxy = await startProxy(config({ routes, appName: 'strangler-qa-first' }), pino({ level: 'silent' }));
    flags = ['--admin', `http://127.0.0.1:${proxy.adminAddress.port}`, '--token', ADMIN];
    // Unleash serves a new flag to clients a moment after it is made.
    await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.flagRule !== null);
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  test('the testers reach the new service and nobody else does: not a cut-over to 100 %', async () => {
    expect(await servedBy(proxy, 'qa-1')).toBe('orders');
    expect(await servedBy(proxy, 'qa-2')).toBe('orders');
    for (const user of USERS.slice(0, 40)) expect([user, await servedBy(proxy, user)]).toEqual([user, 'legacy']);
    const anonymous = await fetch(`http://127.0.0.1:${proxy.proxyAddress.port}/api/orders`);
    expect(((await anonymous.json()) as { servedBy: string }).servedBy).toBe('legacy');
    const route = (await admin(proxy, 'GET', '/routes/orders')).json;
    expect(route).toMatchObject({ stage: 'canary', percent: 0, flagRule: 'flexibleRollout 0%, flexibleRollout 100% with 1 constraint' });
  });

  test('status and rollout get show the least share and what decides', async () => {
    const status = await cli(['status', '--window', '0', ...flags]);
    expect(status.stdout).toMatch(/^orders +canary +≥0% /m);
    expect(status.stdout).toContain('\norders: unleash-client decides each request (the flag\'s strategies: flexibleRollout 0%, flexibleRollout 100% with 1 constraint)\n');
    const get = await cli(['rollout', 'get', 'orders', ...flags]);
    expect(get.stdout).toContain('percent:    ≥0% (unleash-client decides each request: flexibleRollout 0%, flexibleRollout 100% with 1 constraint)\n');
  });

  test('rollout set changes only strangler\'s strategy, keeps the testers, and warns that the share is a least', async () => {
    const set = await cli(['rollout', 'set', 'orders', '20', '--reason', 'widen', ...flags]);
    expect(set.status).toBe(0);
    expect(set.stderr).toBe(
      `strangler: warning: flag "${FLAG}" has strategies strangler does not manage (flexibleRollout 20%, flexibleRollout 100% with 1 constraint): unleash-client decides each request, and the new service gets at least 20%\n`,
    );
    expect(set.stdout).toMatch(/^orders: canary ≥20% \(version \d+\)\n$/);
    const env = (await unleash.admin.getFlag(FLAG)).environments.find((e) => e.name === 'development')!;
    expect(env.strategies[1]!.constraints).toEqual([expect.objectContaining({ contextName: 'userId', values: ['qa-1', 'qa-2'] })]);
    expect(env.strategies.map((s) => [s.name, s.parameters])).toEqual([
      ['flexibleRollout', expect.objectContaining({ rollout: '20', stranglerStage: 'canary' })],
      ['flexibleRollout', expect.objectContaining({ rollout: '100' })],
    ]);
    await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.percent === 20 && (await servedBy(proxy, 'qa-1')) === 'orders');
    for (const user of USERS.slice(0, 40)) expect([user, await servedBy(proxy, user)]).toEqual([user, inRollout(user, FLAG, 20) ? 'orders' : 'legacy']);
  });

  test('a constraint on the client address is evaluated with the address the request came from', async () => {
    await unleash.admin.addStrategy(FLAG, { name: 'default', parameters: {}, constraints: [{ contextName: 'remoteAddress', operator: 'IN', values: ['127.0.0.1'] }] });
    await eventually(async () => String((await admin(proxy, 'GET', '/routes/orders')).json.flagRule).endsWith('default with 1 constraint'));
    expect((await admin(proxy, 'GET', '/routes/orders')).json).toMatchObject({ stage: 'canary', percent: 20 });
    // Every request here comes from 127.0.0.1: everyone is in, those without a user id too.
    for (const user of USERS.slice(0, 20)) expect([user, await servedBy(proxy, user)]).toEqual([user, 'orders']);
    const anonymous = await fetch(`http://127.0.0.1:${proxy.proxyAddress.port}/api/orders`);
    expect(((await anonymous.json()) as { servedBy: string }).servedBy).toBe('orders');
  });

  test('switching the flag off sends everyone, testers too, to legacy', async () => {
    const set = await cli(['rollout', 'set', 'orders', '0', '--stage', 'legacy', '--reason', 'stop', ...flags]);
    expect(set.stderr).toBe('');
    expect(set.stdout).toMatch(/^orders: legacy 0% /);
    await eventually(async () => (await servedBy(proxy, 'qa-1')) === 'legacy');
    for (const user of USERS.slice(0, 20)) expect([user, await servedBy(proxy, user)]).toEqual([user, 'legacy']);
    expect((await admin(proxy, 'GET', '/routes/orders')).json).toMatchObject({ stage: 'legacy', percent: 0, flagRule: null });
  });
});

describe('parity: the embedded provider and the Unleash provider send every user to the same side', () => {
  test('10,000 ids, ASCII and not, at three percentages', async () => {
    const route: RouteConfig = {
      name: 'parity',
      match: { path: '/parity' },
      service: 'orders',
      legacy: 'legacy',
      stage: 'canary',
      percent: 0,
      stickiness: { kind: 'header', name: 'x-user-id' },
      stickyFallback: 'legacy',
      flag: 'strangler.parity',
    };
    await unleash.admin.createFlag(route.flag);
    const strategyId = await unleash.admin.addFlexibleRollout(route.flag, { rollout: 17, stickiness: 'userId', groupId: route.flag });
    await unleash.admin.enable(route.flag);
    const provider = unleashProvider(config().flags as UnleashFlagsConfig, [route]);
    const embedded = new FixedRouteState();
    const ids = Array.from({ length: 10000 }, (_, i) => (i % 2 ? `user-${i}@example.com` : `ユーザー-${i}-ñ-😀`));
    try {
      await provider.start();
      for (const percent of [17, 50, 93]) {
        if (percent !== 17) await unleash.admin.setRollout(route.flag, strategyId, percent);
        await eventually(() => provider.view.get('parity')?.percent === percent);
        const mismatches = ids.filter((id) => provider.view.inRollout(route, id, percent) !== embedded.inRollout(route, id, percent));
        // On a mismatch, show both answers and the flag as the provider holds it.
        const seen = mismatches.slice(0, 5).map((id) => `${id}: unleash ${provider.view.inRollout(route, id, percent)}, embedded ${embedded.inRollout(route, id, percent)}`);
        expect([percent, seen, mismatches.length ? JSON.stringify(await provider.exportFlags()) : '']).toEqual([percent, [], '']);
      }
    } finally {
      await provider.stop();
    }
  }, 30000);
});

function unleashProvider(flags: UnleashFlagsConfig, routes: RouteConfig[], logger: pino.Logger = pino({ level: 'silent' }), registry = new Registry()): UnleashFlagProvider {
  const store = new SqlStateStore(new PostgresDatabase({ url: database.url }));
  const provider = new UnleashFlagProvider({ flags, routes, store, registry, logger, baseDir: dir.path });
  const stop = provider.stop.bind(provider);
  provider.stop = async () => {
    await stop();
    await store.close();
  };
  return provider;
}

/** A route of its own (flag `strangler.<name>`), so a test's writes touch no other test's flag. */
function routeNamed(name: string): RouteConfig {
  return config({ routes: [`  - name: ${name}`, `    match: { path: /api/${name} }`, '    service: orders', '    stickiness: header:x-user-id'].join('\n') }).routes[0]!;
}

/** Makes the route's flag in Unleash hold a stage as strangler writes it; returns its strategy id. */
async function flagHolding(route: RouteConfig, stage: string, rollout: number, enabled: boolean): Promise<string> {
  await unleash.admin.createFlag(route.flag);
  const id = await unleash.admin.addFlexibleRollout(route.flag, { rollout, stickiness: 'userId', groupId: route.flag, extraParameters: { stranglerStage: stage } });
  if (enabled) await unleash.admin.enable(route.flag);
  return id;
}

async function flagInUnleash(flag: string): Promise<{ enabled: boolean; parameters: Record<string, string> }> {
  const env = (await unleash.admin.getFlag(flag)).environments.find((e) => e.name === 'development')!;
  return { enabled: env.enabled, parameters: env.strategies[0]!.parameters };
}

/** A one-shot event a test can wait for. */
function signal(): { fire: () => void; fired: Promise<void> } {
  let fire: () => void = () => undefined;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fire, fired };
}

const isFlagSwitch = (flag: string) => (path: string, method: string) => method === 'POST' && path.includes(`/features/${flag}/environments/development/o`);

describe('failure behaviour', () => {
  test('Unleash unreachable at start and no bootstrap: everything to legacy, not ready, and the route says legacy', async () => {
    const routes = ['  - name: orders', '    match: { path: /api/orders }', '    service: orders', '    stickiness: header:x-user-id', '    stage: canary', '    percent: 50'].join('\n');
    const proxy = await startProxy(config({ url: `http://127.0.0.1:${await unusedPort()}`, routes }), pino({ level: 'silent' }));
    try {
      const ready = await admin(proxy, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json).toMatchObject({ ready: false, provider: 'unleash', reason: expect.stringContaining('every route goes to legacy') });
      for (const user of USERS.slice(0, 30)) expect(await servedBy(proxy, user)).toBe('legacy');
      // What traffic does, not the configuration's canary 50 %.
      expect((await admin(proxy, 'GET', '/routes/orders')).json).toMatchObject({ stage: 'legacy', percent: 0, version: 0 });
      // status says the replica is not ready, not only its last known state.
      const target = ['--admin', `http://127.0.0.1:${proxy.adminAddress.port}`, '--token', ADMIN];
      const status = await cli(['status', '--window', '0', ...target]);
      expect(status.status).toBe(3);
      expect(status.stdout).toMatch(/\n\nthis proxy is not ready: no flags from Unleash yet and no bootstrap file: every route goes to legacy/);
      const json = await cli(['status', '--window', '0', '--json', ...target]);
      expect(json.status).toBe(3);
      expect(JSON.parse(json.stdout)).toMatchObject({ ready: false, reason: expect.stringContaining('no flags from Unleash yet') });
    } finally {
      await proxy.stop();
    }
  });

  test('Unleash unreachable at start with a bootstrap file: the proxy starts from it', async () => {
    const file = join(dir.path, 'bootstrap-start.json');
    writeFileSync(file, JSON.stringify({ version: 2, features: [{ name: 'strangler.orders', enabled: true, strategies: [{ name: 'flexibleRollout', constraints: [], parameters: { rollout: '100', stickiness: 'userId', groupId: 'strangler.orders', stranglerStage: 'live' } }] }] }));
    const proxy = await startProxy(config({ url: `http://127.0.0.1:${await unusedPort()}`, bootstrap: 'bootstrap-start.json' }), pino({ level: 'silent' }));
    try {
      const ready = await admin(proxy, 'GET', '/readyz');
      expect(ready.json).toMatchObject({ ready: true, degraded: expect.stringContaining('bootstrap') });
      expect((await admin(proxy, 'GET', '/routes/orders')).json).toMatchObject({ stage: 'live', percent: 100 });
      expect(await servedBy(proxy, 'anyone')).toBe('orders');
    } finally {
      await proxy.stop();
    }
  });

  test("from a bootstrap file, Unleash down: every user on the side unleash-client gives with Unleash's data, by the flag's groupId, testers included", async () => {
    const flag = 'strangler.grouped';
    await unleash.admin.createFlag(flag);
    await unleash.admin.addFlexibleRollout(flag, { rollout: 40, stickiness: 'userId', groupId: 'cart-v2', extraParameters: { stranglerStage: 'canary' } });
    await unleash.admin.addFlexibleRollout(flag, { rollout: 100, stickiness: 'userId', constraints: [{ contextName: 'userId', operator: 'IN', values: ['qa-1', 'qa-2'] }] });
    await unleash.admin.enable(flag);
    const reference = await referenceClient(flag, (strategies) => strategies.length === 2);
    // The file as `flags export` writes it: the flag as Unleash's client API serves it.
    writeFileSync(join(dir.path, 'bootstrap-grouped.json'), JSON.stringify({ version: 2, features: [reference.getFeatureToggleDefinition(flag)] }));
    const routes = ['  - name: orders', '    match: { path: /api/orders }', '    service: orders', '    stickiness: header:x-user-id', `    flag: ${flag}`].join('\n');
    const proxy = await startProxy(config({ url: `http://127.0.0.1:${await unusedPort()}`, bootstrap: 'bootstrap-grouped.json', routes }), pino({ level: 'silent' }));
    try {
      expect((await admin(proxy, 'GET', '/readyz')).json).toMatchObject({ ready: true, degraded: expect.stringContaining('bootstrap file') });
      expect((await admin(proxy, 'GET', '/routes/orders')).json).toMatchObject({ stage: 'canary', percent: 40, flagRule: 'flexibleRollout 40%, flexibleRollout 100% with 1 constraint' });
      expect(await sidesDiffering(proxy, reference, flag, ['qa-1', 'qa-2', ...USERS])).toEqual([]);
      expect(await servedBy(proxy, 'qa-1')).toBe('orders');
    } finally {
      await proxy.stop();
      reference.destroy();
    }
  });

  test('a flag limited by a segment, exported and started from its bootstrap file with Unleash down: the segment\'s users reach the new service as unleash-client with that file says, and nobody switches side once Unleash answers', async () => {
    const flag = 'strangler.segmented';
    const qa = await unleash.admin.createSegment('strangler-qa', [{ contextName: 'userId', operator: 'IN', values: ['qa1', 'qa2'] }]);
    await unleash.admin.createFlag(flag);
    await unleash.admin.addFlexibleRollout(flag, { rollout: 30, stickiness: 'userId', extraParameters: { stranglerStage: 'canary' } });
    await unleash.admin.addStrategy(flag, { name: 'flexibleRollout', parameters: { rollout: '100', stickiness: 'userId', groupId: flag }, segments: [qa] });
    await unleash.admin.enable(flag);
    // qa1 is outside the 30 %: only the segment lets it in.
    expect(inRollout('qa1', flag, 30)).toBe(false);
    const routes = ['  - name: orders', '    match: { path: /api/orders }', '    service: orders', '    stickiness: header:x-user-id', `    flag: ${flag}`].join('\n');
    const file = join(dir.path, 'bootstrap-segmented.json');
    const exporter = await startProxy(config({ routes, appName: 'strangler-segmented-export' }), pino({ level: 'silent' }));
    try {
      await eventually(async () => (await admin(exporter, 'GET', '/routes/orders')).json.flagRule !== null, 5000);
      const out = await cli(['flags', 'export', '--out', file, '--admin', `http://127.0.0.1:${exporter.adminAddress.port}`, '--token', ADMIN]);
      // Every flag the client token reads (the earlier tests' too), and the one segment they name.
      expect([out.stderr, out.stdout]).toEqual(['', expect.stringMatching(/: \d+ flags?, 1 segment\n$/)]);
    } finally {
      await exporter.stop();
    }
    const written = JSON.parse(readFileSync(file, 'utf8')) as { features: Array<{ name: string; strategies: Array<{ segments?: number[] }> }>; segments: Array<{ id: number; name: string; constraints: unknown[] }> };
    expect(written.features.find((feature) => feature.name === flag)?.strategies.map((strategy) => strategy.segments)).toEqual([undefined, [qa]]);
    expect(written.segments).toEqual([{ id: qa, name: 'strangler-qa', constraints: [expect.objectContaining({ contextName: 'userId', operator: 'IN', values: ['qa1', 'qa2'] })] }]);
    // The file as exported before segments were: the start warns that the strategy naming one lets no one in.
    writeFileSync(join(dir.path, 'bootstrap-segmented-old.json'), JSON.stringify({ version: 2, features: written.features }));
    const log = capturedLogger();
    const old = await startProxy(config({ url: `http://127.0.0.1:${await unusedPort()}`, bootstrap: 'bootstrap-segmented-old.json', routes, appName: 'strangler-segmented-old' }), log.logger);
    await old.stop();
    expect(log.lines().filter((line) => line.includes('flags.bootstrap names segments it does not hold'))).toEqual([expect.stringContaining(`"segments":["${flag}: segment ${qa}"]`)]);
    // A real unleash-client with the file's data and no Unleash (refreshInterval 0: it never polls).
    const fromFile = new Unleash({
      url: `http://127.0.0.1:${await unusedPort()}/api`,
      appName: `strangler-file-${process.pid}`,
      refreshInterval: 0,
      disableMetrics: true,
      storageProvider: new InMemStorageProvider(),
      bootstrap: { data: written.features as never, segments: written.segments as never },
    });
    fromFile.on('error', () => undefined);
    await once(fromFile, 'synchronized');
    const reference = await referenceClient(flag, (strategies) => strategies.length === 2);
    const relay = await HttpFaultRelay.inFront(unleash.url);
    relay.failing = () => 'reset';
    const proxy = await startProxy(config({ url: relay.url, bootstrap: 'bootstrap-segmented.json', routes, appName: 'strangler-segmented' }), pino({ level: 'silent' }));
    const users = ['qa1', 'qa2', ...USERS.slice(0, 80)];
    try {
      expect((await admin(proxy, 'GET', '/readyz')).json).toMatchObject({ ready: true, degraded: expect.stringContaining('bootstrap file') });
      expect([fromFile.isEnabled(flag, { userId: 'qa1' }), fromFile.isEnabled(flag, { userId: 'qa2' })]).toEqual([true, true]);
      expect([await servedBy(proxy, 'qa1'), await servedBy(proxy, 'qa2')]).toEqual(['orders', 'orders']);
      expect(await sidesDiffering(proxy, fromFile, flag, users)).toEqual([]);
      // Exported again while Unleash is down: the segment comes from the file the proxy started with.
      const again = await cli(['flags', 'export', '--admin', `http://127.0.0.1:${proxy.adminAddress.port}`, '--token', ADMIN]);
      expect((JSON.parse(again.stdout) as typeof written).segments).toEqual(written.segments);
      // Nothing could be read now: the export says so on stderr, and the file holds the flags only.
      expect(again.stderr).toMatch(new RegExp(`^strangler: warning: Unleash could not be read now \\(.+\\): flag "${flag}", segment ${qa} exported as this proxy last had them, which may be older than the last change\n$`));
      expect(JSON.parse(again.stdout)).not.toHaveProperty('warnings');
      relay.failing = () => undefined;
      await eventually(async () => (await admin(proxy, 'GET', '/readyz')).json.degraded === undefined, 10000);
      expect(await sidesDiffering(proxy, reference, flag, users)).toEqual([]);
      expect(await sidesDiffering(proxy, fromFile, flag, users)).toEqual([]);
    } finally {
      await proxy.stop();
      await relay.close();
      fromFile.destroy();
      reference.destroy();
    }
  });

  test('a bootstrap file that is not Unleash format stops the start with the file named (config validate says so too)', async () => {
    writeFileSync(join(dir.path, 'bad-bootstrap.json'), '{"features": "nope"}');
    expect(() => config({ bootstrap: 'bad-bootstrap.json' })).toThrow(/flags\.bootstrap: .*bad-bootstrap\.json: expected Unleash's client features format/);
    // Spoiled after the configuration was checked: the start reads it again.
    writeFileSync(join(dir.path, 'bad-bootstrap.json'), '{"version": 2, "features": []}');
    const checked = config({ bootstrap: 'bad-bootstrap.json' });
    writeFileSync(join(dir.path, 'bad-bootstrap.json'), '{"features": "nope"}');
    await expect(startProxy(checked, pino({ level: 'silent' }))).rejects.toThrow(
      /^flags\.bootstrap .*bad-bootstrap\.json: expected Unleash's client features format/,
    );
  });

  test('Unleash unreachable later: the last known flags stay, readiness says degraded, and it recovers', async () => {
    const { relay, url: relayedUrl } = await TcpRelay.inFront(unleash.url);
    const { logger, lines } = capturedLogger();
    const provider = unleashProvider(config({ url: relayedUrl }).flags as UnleashFlagsConfig, config().routes, logger);
    try {
      await provider.start();
      const before = provider.view.get('orders');
      expect(before).toMatchObject({ stage: 'canary', percent: 60 });
      expect(provider.health()).toEqual({ ready: true });
      await relay.cut();
      await eventually(() => provider.health().reason !== undefined);
      expect(provider.health()).toMatchObject({ ready: true, reason: expect.stringContaining('Unleash unreachable since') });
      expect(provider.view.get('orders')).toEqual(before);
      expect(lines().some((l) => l.includes('Unleash unreachable'))).toBe(true);
      await relay.restore();
      await eventually(() => provider.health().reason === undefined, 5000);
    } finally {
      await provider.stop();
      await relay.close();
    }
  });

  test('Unleash answering 503 is as stale as no answer: degraded, counted, and it recovers; a password in flags.url is never shown', async () => {
    const relay = await HttpFaultRelay.inFront(unleash.url);
    const registry = new Registry();
    const { logger, lines } = capturedLogger();
    // A password in the URL (basic auth of a proxy in front of Unleash) must not reach /readyz, status or the logs.
    const url = relay.url.replace('http://', 'http://flagsuser:hunter2-pw@');
    const provider = unleashProvider(config({ url }).flags as UnleashFlagsConfig, config().routes, logger, registry);
    try {
      await provider.start();
      expect(provider.health()).toEqual({ ready: true });
      relay.failing = (path) => (path.startsWith('/api/client/') ? 503 : undefined);
      await eventually(() => provider.health().reason !== undefined);
      expect(provider.health()).toMatchObject({ ready: true, reason: expect.stringMatching(/^Unleash unreachable since .*\(last poll: 503 from http:\/\/flagsuser:\*\*\*@127\.0\.0\.1:\d+\/api\/client\/features\)$/) });
      expect(lines().some((line) => line.includes('Unleash unreachable'))).toBe(true);
      expect(lines().filter((line) => line.includes('hunter2'))).toEqual([]);
      expect(await registry.metrics()).toMatch(/strangler_flags_errors_total\{reason="http-error"\} [1-9]/);
      expect(await registry.metrics()).toContain('strangler_flags_ready 0');
      relay.failing = () => undefined;
      // unleash-client backs off after an error answer: up to 11 refresh intervals.
      await eventually(() => provider.health().reason === undefined, 10000);
    } finally {
      await provider.stop();
      await relay.close();
    }
  });

  test('Unleash resetting every connection is an outage: not ready at start, then degraded, counted, its start and end logged once', async () => {
    const relay = await HttpFaultRelay.inFront(unleash.url);
    relay.failing = (path) => (path.startsWith('/api/client/') ? 'reset' : undefined);
    const registry = new Registry();
    const { logger, lines } = capturedLogger();
    const provider = unleashProvider(config({ url: relay.url }).flags as UnleashFlagsConfig, config().routes, logger, registry);
    const reset = /\(last poll: connection reset \(ECONNRESET\) by http:\/\/127\.0\.0\.1:\d+\)$/;
    const unreachableCount = async () => Number(/strangler_flags_errors_total\{reason="unreachable"\} (\d+)/.exec(await registry.metrics())?.[1] ?? 0);
    const outageLogs = () => lines().filter((l) => l.includes('Unleash unreachable')).length;
    const endLogs = () => lines().filter((l) => l.includes('Unleash reachable again')).length;
    try {
      await provider.start();
      await eventually(() => reset.test(provider.health().reason ?? ''), 8000);
      expect(provider.health()).toMatchObject({ ready: false, reason: expect.stringMatching(/^no flags from Unleash yet and no bootstrap file/) });
      relay.failing = () => undefined;
      await eventually(() => provider.health().reason === undefined, 8000);
      expect(endLogs()).toBe(1);
      const before = provider.view.get('orders');
      expect(before).toMatchObject({ stage: 'canary', percent: 60 });

      relay.failing = (path) => (path.startsWith('/api/client/') ? 'reset' : undefined);
      await eventually(() => reset.test(provider.health().reason ?? ''), 8000);
      expect(provider.health()).toMatchObject({ ready: true, reason: expect.stringMatching(/^Unleash unreachable since .*: serving the last known flags/) });
      expect(provider.view.get('orders')).toEqual(before);
      expect(await registry.metrics()).toContain('strangler_flags_ready 0');
      // Every failed poll counts; the outage is logged once however many there are.
      const counted = await unreachableCount();
      await eventually(async () => (await unreachableCount()) > counted, 8000);
      expect(outageLogs()).toBe(2);
      relay.failing = () => undefined;
      await eventually(() => provider.health().reason === undefined, 8000);
      expect(endLogs()).toBe(2);
      expect(await registry.metrics()).toContain('strangler_flags_ready 1');
    } finally {
      await provider.stop();
      await relay.close();
    }
  }, 40000);

  test('a flags.url where Unleash does not answer (404) is named at start', async () => {
    const relay = await HttpFaultRelay.inFront(unleash.url);
    relay.failing = (path) => (path.startsWith('/api/client/') ? 404 : undefined);
    const provider = unleashProvider(config({ url: relay.url }).flags as UnleashFlagsConfig, config().routes);
    try {
      await provider.start();
      await eventually(() => /404 from .*: check flags\.url\)$/.test(provider.health().reason ?? ''));
      expect(provider.health()).toMatchObject({ ready: false, reason: expect.stringMatching(/^no flags from Unleash yet and no bootstrap file: every route goes to legacy \(last poll: 404 from /) });
    } finally {
      await provider.stop();
      await relay.close();
    }
  });

  test('a route whose flag Unleash does not have goes to legacy, and the log and readiness say so', async () => {
    const { logger, lines } = capturedLogger();
    const routes = [routeNamed('nope')];
    const provider = unleashProvider(config().flags as UnleashFlagsConfig, routes, logger);
    try {
      await provider.start();
      expect(provider.health()).toEqual({ ready: true, reason: 'no flag strangler.nope in Unleash (project default, environment development): those routes go to legacy' });
      expect(provider.view.get('nope')).toMatchObject({ stage: 'legacy', percent: 0 });
      await new Promise((r) => setTimeout(r, REFRESH_MS * 3));
      expect(lines().filter((l) => l.includes('no such flag in Unleash') && l.includes('strangler.nope'))).toHaveLength(1);
    } finally {
      await provider.stop();
    }
  });

  test('a change before any poll got through applies to the flag as Unleash holds it; a lost history entry is a warning, not "nothing changed"', async () => {
    const route = routeNamed('early');
    await unleash.admin.createFlag(route.flag);
    await unleash.admin.addFlexibleRollout(route.flag, { rollout: 20, stickiness: 'userId', groupId: route.flag });
    await unleash.admin.enable(route.flag);
    const relay = await HttpFaultRelay.inFront(unleash.url);
    relay.failing = (path) => (path.startsWith('/api/client/') ? 503 : undefined);
    const { relay: pgRelay, url: pgUrl } = await TcpRelay.inFront(database.url);
    const store = new SqlStateStore(new PostgresDatabase({ url: pgUrl }));
    const provider = new UnleashFlagProvider({ flags: config({ url: relay.url }).flags as UnleashFlagsConfig, routes: [route], store, registry: new Registry(), logger: pino({ level: 'silent' }), baseDir: dir.path });
    const env = async () => (await unleash.admin.getFlag(route.flag)).environments.find((e) => e.name === 'development')!;
    try {
      await provider.start();
      expect(provider.health().ready).toBe(false);
      // Unleash holds canary 20%: a percent alone keeps that stage (it used to be taken for legacy, and the flag turned off).
      expect(await provider.change(route, { percent: 30, actor: 'test', reason: 'more' })).toMatchObject({ changed: true, state: { stage: 'canary', percent: 30 } });
      expect(await env()).toMatchObject({ enabled: true, strategies: [expect.objectContaining({ parameters: expect.objectContaining({ rollout: '30', stranglerStage: 'canary' }) })] });
      expect((await provider.history('early', 1))[0]).toMatchObject({ from: { stage: 'canary', percent: 20 }, to: { stage: 'canary', percent: 30 } });
      // The flag turned off in Unleash: the route is in legacy there, where a percent means nothing.
      await unleash.admin.disable(route.flag);
      await expect(provider.change(route, { percent: 40, actor: 'test', reason: 'x' })).rejects.toThrow(/^route early would be in stage legacy, where 40% has no meaning/);
      await unleash.admin.enable(route.flag);
      // The history store is gone: the change is still made in Unleash, and the answer says the entry is lost.
      await pgRelay.cut();
      const lost = await provider.change(route, { percent: 45, actor: 'test', reason: 'store down' });
      expect(lost).toMatchObject({ changed: true, state: { percent: 45 }, warning: expect.stringMatching(/^the change is applied in Unleash, but its history entry could not be written/) });
      expect((await env()).strategies[0]!.parameters).toMatchObject({ rollout: '45' });
    } finally {
      await provider.stop();
      await store.close().catch(() => undefined);
      await relay.close();
      await pgRelay.close();
    }
  });

  test('the flag cannot be turned on: the strategy is put back and the answer says nothing changed; if that fails too, or the answer was lost, it says the change may be half applied', async () => {
    const route = routeNamed('halfway');
    await flagHolding(route, 'shadow', 0, false);
    const relay = await HttpFaultRelay.inFront(unleash.url);
    const provider = unleashProvider(config({ url: relay.url }).flags as UnleashFlagsConfig, [route]);
    const toCanary = { stage: 'canary' as const, percent: 40, actor: 'test', reason: 'go' };
    try {
      await provider.start();
      relay.failing = (path, method) => (isFlagSwitch(route.flag)(path, method) ? 503 : undefined);
      await expect(provider.change(route, toCanary)).rejects.toMatchObject({
        status: 502,
        message: expect.stringMatching(/^Unleash answered 503 to POST .*\/on: relay answers 503; the strategy was put back: nothing changed$/) as unknown as string,
      });
      expect(await flagInUnleash(route.flag)).toMatchObject({ enabled: false, parameters: { rollout: '0', stranglerStage: 'shadow' } });
      expect(await provider.history('halfway', 10)).toEqual([]);

      // Putting the strategy back fails as well: the answer says what Unleash holds.
      let patches = 0;
      relay.failing = (path, method) => (isFlagSwitch(route.flag)(path, method) || (method === 'PATCH' && ++patches > 1) ? 503 : undefined);
      await expect(provider.change(route, toCanary)).rejects.toMatchObject({
        status: 503,
        message: expect.stringMatching(
          /, and putting the strategy back failed \(Unleash answered 503 to PATCH .*\): the change may be half applied: its strategy is written \(rollout 40, stranglerStage canary\) and the flag is off, which the route reads as legacy 0%; check with "strangler rollout get"$/,
        ) as unknown as string,
      });
      expect(await flagInUnleash(route.flag)).toMatchObject({ enabled: false, parameters: { rollout: '40', stranglerStage: 'canary' } });

      // Unleash takes the request but its answer is lost: never "nothing changed", and nothing is put back under it.
      relay.failing = () => undefined;
      relay.losingAnswer = isFlagSwitch(route.flag);
      const lost = await provider.change(route, toCanary).then(
        () => 'resolved',
        (err: Error) => err.message,
      );
      expect(lost).toMatch(
        /^Unleash at http:\/\/127\.0\.0\.1:\d+ did not answer POST .*\/on before the connection was lost \(.+\): it may have applied it; if it did not, the change is half applied: its strategy is written \(rollout 40, stranglerStage canary\) and the flag is off, which the route reads as legacy 0%; check with "strangler rollout get"$/,
      );
      expect(lost).not.toContain('nothing changed');
      expect(await flagInUnleash(route.flag)).toMatchObject({ enabled: true, parameters: { rollout: '40', stranglerStage: 'canary' } });

      // With --create, a strategy added for the change is removed again.
      const created = routeNamed('halfway-created');
      relay.losingAnswer = () => false;
      relay.failing = (path, method) => (isFlagSwitch(created.flag)(path, method) ? 503 : undefined);
      await expect(provider.change(created, toCanary, { create: true })).rejects.toThrow(/; the strategy was put back: nothing changed$/);
      const env = (await unleash.admin.getFlag(created.flag)).environments.find((e) => e.name === 'development')!;
      expect([env.enabled, env.strategies]).toEqual([false, []]);
    } finally {
      await provider.stop();
      await relay.close();
    }
  });

  test('a change Unleash\'s answers never show gives way when its wait is over, though Unleash answers only 304 (unchanged)', async () => {
    const route = routeNamed('cached');
    await unleash.admin.createFlag(route.flag);
    await unleash.admin.addFlexibleRollout(route.flag, { rollout: 20, stickiness: 'userId', groupId: route.flag });
    await unleash.admin.enable(route.flag);
    const relay = await HttpFaultRelay.inFront(unleash.url);
    const { logger, lines } = capturedLogger();
    const provider = unleashProvider(config({ url: relay.url }).flags as UnleashFlagsConfig, [route], logger);
    try {
      await provider.start();
      // Unleash serves its client API from a cache that may not hold a flag made a moment ago.
      await eventually(() => provider.view.get('cached')?.percent === 20, 5000);
      // What a stale cache in front of Unleash, or a token of another environment, answers: nothing changed.
      relay.failing = (path) => (path.startsWith('/api/client/') ? 304 : undefined);
      const changedAt = Date.now();
      expect(await provider.change(route, { percent: 35, actor: 'test', reason: 'more' })).toMatchObject({ changed: true, state: { stage: 'canary', percent: 35 } });
      await eventually(() => provider.view.get('cached')?.percent === 20, 5000);
      // Not before the wait for Unleash to show it (two refresh intervals and 1.5 s).
      expect(Date.now() - changedAt).toBeGreaterThanOrEqual(REFRESH_MS * 2 + 1500);
      expect(provider.health()).toEqual({ ready: true });
      expect(lines().some((l) => l.includes('route state changed in Unleash') && l.includes('canary 35%') && l.includes('canary 20%'))).toBe(true);
    } finally {
      await provider.stop();
      await relay.close();
    }
  });

  test('two changes of one route through one proxy are made one after the other: the last asked is what Unleash holds, and the history says so', async () => {
    const route = routeNamed('one-at-a-time');
    await flagHolding(route, 'legacy', 0, false);
    const relay = await HttpFaultRelay.inFront(unleash.url);
    const provider = unleashProvider(config({ url: relay.url }).flags as UnleashFlagsConfig, [route]);
    const switchHeld = signal();
    const switchGoes = signal();
    try {
      await provider.start();
      // A slow Unleash turning the flag on: the first change is still being written when the second comes.
      relay.holding = (path, method) => {
        if (!isFlagSwitch(route.flag)(path, method)) return undefined;
        switchHeld.fire();
        return switchGoes.fired;
      };
      const first = provider.change(route, { stage: 'canary', percent: 30, actor: 'a', reason: 'A: go' });
      await switchHeld.fired;
      const rollback = provider.change(route, { stage: 'legacy', percent: 0, actor: 'b', reason: 'B: incident rollback' });
      // Time for the rollback to overtake the held change if changes were not made one after the other.
      await new Promise((r) => setTimeout(r, 500));
      switchGoes.fire();
      expect((await first).state).toMatchObject({ stage: 'canary', percent: 30 });
      expect((await rollback).state).toMatchObject({ stage: 'legacy', percent: 0 });
      expect(await flagInUnleash(route.flag)).toMatchObject({ enabled: false, parameters: { rollout: '0', stranglerStage: 'legacy' } });
      const history = await provider.history('one-at-a-time', 10);
      expect(history.map((h) => [h.reason, h.from, h.to])).toEqual([
        ['B: incident rollback', { stage: 'canary', percent: 30 }, { stage: 'legacy', percent: 0 }],
        ['A: go', { stage: 'legacy', percent: 0 }, { stage: 'canary', percent: 30 }],
      ]);
    } finally {
      switchGoes.fire();
      await provider.stop();
      await relay.close();
    }
  });

  test('two proxies changing one route at once: the one whose flag changed since it read it is refused (409), writes nothing, and says to run again', async () => {
    const route = routeNamed('two-proxies');
    await flagHolding(route, 'legacy', 0, false);
    const slowRelay = await HttpFaultRelay.inFront(unleash.url);
    const fast = unleashProvider(config().flags as UnleashFlagsConfig, [route]);
    const slow = unleashProvider(config({ url: slowRelay.url }).flags as UnleashFlagsConfig, [route]);
    const slowWrites = signal();
    const fastDone = signal();
    try {
      await Promise.all([fast.start(), slow.start()]);
      // The second proxy's strategy write (sent once it has read the flag) reaches Unleash after the first proxy's whole change.
      slowRelay.holding = (_path, method) => {
        if (method !== 'PATCH') return undefined;
        slowWrites.fire();
        return fastDone.fired;
      };
      const late = slow.change(route, { stage: 'canary', percent: 30, actor: 'slow', reason: 'ramp' }).then(
        () => undefined,
        (err: Error & { status?: number }) => err,
      );
      await slowWrites.fired;
      expect((await fast.change(route, { stage: 'shadow', actor: 'fast', reason: 'shadow first' })).state).toMatchObject({ stage: 'shadow', percent: 0 });
      fastDone.fire();
      expect(await late).toMatchObject({
        status: 409,
        code: 'STRANGLER_ERR_UNLEASH_CHANGED',
        message: 'flag "strangler.two-proxies" changed in Unleash since it was read as legacy 0%: nothing changed; run again to apply the change to the flag as it is now',
      });
      expect(await flagInUnleash(route.flag)).toMatchObject({ enabled: false, parameters: { rollout: '0', stranglerStage: 'shadow' } });
      expect((await fast.history('two-proxies', 10)).map((h) => h.reason)).toEqual(['shadow first']);
    } finally {
      fastDone.fire();
      await fast.stop();
      await slow.stop();
      await slowRelay.close();
    }
  });

  describe('two proxies creating one route\'s flag at once (--create)', () => {
    const addsStrategy = (flag: string) => (path: string, method: string) => method === 'POST' && path.endsWith(`/features/${flag}/environments/development/strategies`);
    const createsFlag = (path: string, method: string) => method === 'POST' && path.endsWith('/projects/default/features');

    /** The slow proxy's change starts first; its request `held` picks waits at the relay until the fast proxy's whole change is done. */
    async function race(name: string, held: (flag: string) => (path: string, method: string) => boolean) {
      const route = routeNamed(name);
      const slowRelay = await HttpFaultRelay.inFront(unleash.url);
      const fast = unleashProvider(config().flags as UnleashFlagsConfig, [route]);
      const slow = unleashProvider(config({ url: slowRelay.url }).flags as UnleashFlagsConfig, [route]);
      try {
        await Promise.all([fast.start(), slow.start()]);
        const fastDone = signal();
        const slowHeld = signal();
        slowRelay.holding = (path, method) => {
          if (!held(route.flag)(path, method)) return undefined;
          slowHeld.fire();
          return fastDone.fired;
        };
        const late = slow.change(route, { stage: 'canary', percent: 10, actor: 'slow', reason: 'B' }, { create: true }).then(
          (result) => result.state,
          (err: Error) => err,
        );
        await slowHeld.fired;
        const first = (await fast.change(route, { stage: 'canary', percent: 30, actor: 'fast', reason: 'A' }, { create: true })).state;
        fastDone.fire();
        const env = async () => (await unleash.admin.getFlag(route.flag)).environments.find((e) => e.name === 'development')!;
        return { first, second: await late, env: await env() };
      } finally {
        await fast.stop();
        await slow.stop();
        await slowRelay.close();
      }
    }

    test('both add a strategy: the one Unleash lists first stays, the later one is deleted and its change refused (409)', async () => {
      const { first, second, env } = await race('two-strategies', addsStrategy);
      expect(first).toMatchObject({ stage: 'canary', percent: 30 });
      expect(second).toMatchObject({ status: 409, code: 'STRANGLER_ERR_UNLEASH_CHANGED', message: expect.stringContaining('nothing changed; run again') });
      // Two would both let users in (Unleash ORs strategies): 30 % or 10 %.
      expect(env.strategies.map((s) => [s.name, s.parameters?.rollout])).toEqual([['flexibleRollout', '30']]);
      expect(env.enabled).toBe(true);
    });

    test('the later create finds the flag made: its change applies to the flag as it now is', async () => {
      const { first, second, env } = await race('two-creates', () => createsFlag);
      expect(first).toMatchObject({ stage: 'canary', percent: 30 });
      expect(second).toMatchObject({ stage: 'canary', percent: 10 });
      expect(env.strategies.map((s) => [s.name, s.parameters?.rollout])).toEqual([['flexibleRollout', '10']]);
    });
  });

  test('an archived flag is a 409 that says to revive it in Unleash, with or without create', async () => {
    const route = routeNamed('archived');
    await flagHolding(route, 'canary', 20, true);
    await unleash.admin.request('DELETE', `/api/admin/projects/default/features/${route.flag}`);
    const provider = unleashProvider(config().flags as UnleashFlagsConfig, [route]);
    const revive = `flag "${route.flag}" is archived in Unleash: revive it there (Archive, Revive; or POST /api/admin/archive/revive/${route.flag}), then run again`;
    try {
      await provider.start();
      for (const create of [false, true]) {
        await expect(provider.change(route, { stage: 'canary', percent: 30, actor: 'test', reason: 'x' }, { create })).rejects.toMatchObject({ status: 409, message: revive });
      }
    } finally {
      await provider.stop();
    }
  });

  test('a percent alone is checked against the flag as Unleash holds it, not the last poll', async () => {
    const route = routeNamed('stale-poll');
    const strategyId = await flagHolding(route, 'legacy', 0, false);
    const relay = await HttpFaultRelay.inFront(unleash.url);
    const routes = ['  - name: stale-poll', '    match: { path: /api/stale-poll }', '    service: orders', '    stickiness: header:x-user-id'].join('\n');
    const proxy = await startProxy(config({ url: relay.url, routes }), pino({ level: 'silent' }));
    try {
      expect((await admin(proxy, 'GET', '/routes/stale-poll')).json).toMatchObject({ stage: 'legacy', percent: 0 });
      // The proxy's polls fail from now on: it keeps legacy 0 while Unleash has the route at canary 40.
      relay.failing = (path) => (path.startsWith('/api/client/') ? 503 : undefined);
      await unleash.admin.setRollout(route.flag, strategyId, 40);
      await unleash.admin.enable(route.flag);
      const set = await admin(proxy, 'PUT', '/routes/stale-poll', { percent: 50, reason: 'UI said 40, go 50' });
      expect([set.status, set.json]).toEqual([200, expect.objectContaining({ stage: 'canary', percent: 50, changed: true })]);
      expect(await flagInUnleash(route.flag)).toMatchObject({ enabled: true, parameters: { rollout: '50', stranglerStage: 'canary' } });
      // In a stage where a percent means nothing, Unleash's stage is still the one named.
      await unleash.admin.disable(route.flag);
      const refused = await admin(proxy, 'PUT', '/routes/stale-poll', { percent: 60, reason: 'x' });
      expect([refused.status, refused.json.error]).toEqual([409, 'route stale-poll would be in stage legacy, where 60% has no meaning: use stage canary to send 60% to the new service']);
    } finally {
      await proxy.stop();
      await relay.close();
    }
  });

  test('a client token for another Unleash environment: the config check refuses it (as config validate does), and so does the start', async () => {
    const production = await new UnleashAdmin(unleash.url, unleash.adminToken, UNLEASH_PROJECT, 'production').createClientToken(`strangler-prod-${process.pid}`);
    const mismatch = /flags\.clientToken: is for Unleash environment "production", but flags\.environment is "development": the proxy would read "production"'s flags while rollout set changes "development"'s/;
    expect(() => config({ clientToken: production })).toThrow(mismatch);
    // A configuration made otherwise than through the config check is refused at start.
    const provider = unleashProvider({ ...(config().flags as UnleashFlagsConfig), clientToken: production }, config().routes);
    try {
      await expect(provider.start()).rejects.toThrow(/^flags\.clientToken is for Unleash environment "production", but flags\.environment is "development"/);
    } finally {
      await provider.stop();
    }
  });

  test('401 at start: loud error, a metric, not ready; a fixed token resumes polling without a restart', async () => {
    const { logger, lines } = capturedLogger();
    const registry = new Registry();
    const provider = unleashProvider(config({ clientToken: 'default:development.not-a-real-token' }).flags as UnleashFlagsConfig, config().routes, logger, registry);
    try {
      await provider.start();
      // No flags ever arrived (no bootstrap): every route goes to legacy, so not ready.
      expect(provider.health()).toMatchObject({ ready: false, reason: expect.stringMatching(/^Unleash refused the client token \(401\): no flags yet, every route goes to legacy; (next retry in \d+ s|retrying now)/) });
      expect(lines().some((l) => l.includes('"level":50') && l.includes('refused the client token'))).toBe(true);
      const refusals = async () => Number(/strangler_flags_errors_total\{reason="unauthorized"\} (\d+)/.exec(await registry.metrics())?.[1] ?? 0);
      expect(await refusals()).toBeGreaterThanOrEqual(1);
      // "next retry in N s" is when the next try happens (the wait doubles on each refusal).
      await eventually(() => /next retry in \d+ s/.test(provider.health().reason ?? ''));
      const counted = await refusals();
      const seconds = Number(/next retry in (\d+) s/.exec(provider.health().reason ?? '')?.[1]);
      await eventually(async () => (await refusals()) > counted, seconds * 1000 + 1500);
      expect(await registry.metrics()).toContain('strangler_flags_ready 0');
      provider.setClientToken(unleash.clientToken);
      await eventually(() => provider.health().ready);
      expect(provider.view.get('orders')).toMatchObject({ stage: 'canary', percent: 60 });
      expect(await registry.metrics()).toContain('strangler_flags_ready 1');
      expect(lines().some((l) => l.includes('Unleash accepts the client token again'))).toBe(true);
    } finally {
      await provider.stop();
    }
  });

  test('a token revoked while running: flags freeze, ready but degraded (routing goes on); a new token through the admin API resumes', async () => {
    const token = await unleash.admin.createClientToken(`strangler-revoke-${process.pid}`);
    const route = routeNamed('revoked');
    await flagHolding(route, 'canary', 60, true);
    const routes = ['  - name: revoked', '    match: { path: /api/revoked }', '    service: orders', '    stickiness: header:x-user-id'].join('\n');
    const proxy = await startProxy(config({ clientToken: token, routes }), pino({ level: 'silent' }));
    try {
      expect((await admin(proxy, 'GET', '/readyz')).status).toBe(200);
      // Unleash's client API serves a new flag after its cache refresh.
      await eventually(async () => (await admin(proxy, 'GET', '/routes/revoked')).json.percent === 60, 10000);
      // A body that is not JSON is told the body this path takes.
      const notJson = await fetch(`http://127.0.0.1:${proxy.adminAddress.port}/flags/client-token`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{"token": ' });
      expect([notJson.status, await notJson.json()]).toEqual([400, { error: 'body is not valid JSON: must be a JSON object {token} with Content-Type: application/json', field: 'body' }]);
      await unleash.admin.deleteToken(token);
      await unleash.refreshTokenCache();
      await eventually(async () => /refused the client token/.test(String((await admin(proxy, 'GET', '/readyz')).json.degraded)), 5000);
      // Not-ready on every replica at once would take them all out of the load balancer, though they route.
      const ready = await admin(proxy, 'GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.json).toMatchObject({ ready: true, degraded: expect.stringMatching(/^Unleash refused the client token \(401\): flags frozen at the last known state; (next retry in \d+ s|retrying now) \(PUT \/flags\/client-token replaces the token\)$/) });
      expect((await admin(proxy, 'GET', '/routes/revoked')).json).toMatchObject({ stage: 'canary', percent: 60 });
      const badBody = await admin(proxy, 'PUT', '/flags/client-token', { token: 'short' });
      expect(badBody.status).toBe(400);
      // A token no header can carry would only fail at the next poll, as a refused client token.
      const unsendable = await admin(proxy, 'PUT', '/flags/client-token', { token: 'default:development.sécret-token' });
      expect([unsendable.status, unsendable.json]).toEqual([400, { error: 'token: must contain only visible ASCII characters, without spaces (it is sent in an HTTP header): character 22 is not', field: 'token' }]);
      const production = await new UnleashAdmin(unleash.url, unleash.adminToken, UNLEASH_PROJECT, 'production').createClientToken(`strangler-prod-put-${process.pid}`);
      const otherEnvironment = await admin(proxy, 'PUT', '/flags/client-token', { token: production });
      expect(otherEnvironment.status).toBe(400);
      expect(otherEnvironment.json.error).toMatch(/^token is for Unleash environment "production", but flags\.environment is "development"/);
      const fresh = await unleash.admin.createClientToken(`strangler-fresh-${process.pid}`);
      expect((await admin(proxy, 'PUT', '/flags/client-token', { token: fresh })).status).toBe(200);
      await eventually(async () => (await admin(proxy, 'GET', '/readyz')).status === 200, 5000);
    } finally {
      await proxy.stop();
    }
  });

  test('a token refused while running: the last known flags keep deciding, testers included, also in the clients made to retry', async () => {
    const flag = 'strangler.frozen';
    await unleash.admin.createFlag(flag);
    await unleash.admin.addFlexibleRollout(flag, { rollout: 30, stickiness: 'userId', groupId: flag, extraParameters: { stranglerStage: 'canary' } });
    await unleash.admin.addFlexibleRollout(flag, { rollout: 100, stickiness: 'userId', constraints: [{ contextName: 'userId', operator: 'IN', values: ['qa-1', 'dave'] }] });
    await unleash.admin.enable(flag);
    const reference = await referenceClient(flag, (strategies) => strategies.length === 2);
    const relay = await HttpFaultRelay.inFront(unleash.url);
    const routes = ['  - name: orders', '    match: { path: /api/orders }', '    service: orders', '    stickiness: header:x-user-id', `    flag: ${flag}`].join('\n');
    const proxy = await startProxy(config({ url: relay.url, routes, appName: 'strangler-frozen' }), pino({ level: 'silent' }));
    const users = ['qa-1', 'dave', ...USERS.slice(0, 80)];
    try {
      await eventually(async () => (await admin(proxy, 'GET', '/routes/orders')).json.flagRule !== null, 5000);
      expect(await sidesDiffering(proxy, reference, flag, users)).toEqual([]);
      relay.failing = (path) => (path.startsWith('/api/client/') ? 401 : undefined);
      // Refused twice: the client made after the first refusal was refused too.
      const refusals = async () => Number(/strangler_flags_errors_total\{reason="unauthorized"\} (\d+)/.exec((await admin(proxy, 'GET', '/metrics')).text)?.[1] ?? 0);
      await eventually(async () => (await refusals()) >= 2, 8000, 50);
      expect((await admin(proxy, 'GET', '/readyz')).json).toMatchObject({ ready: true, degraded: expect.stringContaining('flags frozen at the last known state') });
      expect(await sidesDiffering(proxy, reference, flag, users)).toEqual([]);
      expect(await servedBy(proxy, 'dave')).toBe('orders');
      relay.failing = () => undefined;
      await eventually(async () => (await admin(proxy, 'GET', '/readyz')).json.degraded === undefined, 10000);
      expect(await sidesDiffering(proxy, reference, flag, users)).toEqual([]);
    } finally {
      await proxy.stop();
      await relay.close();
      reference.destroy();
    }
  });

  test("flags are never read from a stale backup file of another app", async () => {
    const appName = `strangler-stale-${process.pid}`;
    // unleash-client's default storage would read this back when Unleash is unreachable.
    writeFileSync(join(tmpdir(), `unleash-backup-${appName}.json`), JSON.stringify({ version: 2, features: [{ name: 'strangler.orders', enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [] }] }] }));
    const proxy = await startProxy(config({ url: `http://127.0.0.1:${await unusedPort()}`, appName }), pino({ level: 'silent' }));
    try {
      expect((await admin(proxy, 'GET', '/readyz')).status).toBe(503);
      expect(await servedBy(proxy, 'someone')).toBe('legacy');
    } finally {
      await proxy.stop();
    }
  });
});
