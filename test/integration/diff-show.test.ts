/**
 * `strangler diff show` and `diff report` (the CLI, dist) against a real proxy in shadow on two routes, a
 * real PostgreSQL store and loopback upstreams: one request id on two routes and retried, values that differ
 * only in Unicode normalisation, a field named in CJK, and the CLI's bad inputs.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../core/config';
import { startProxy, type RunningProxy } from '../../proxy/start';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { eventually } from '../helpers/eventually';
import { runCliAsync as cli, tempDir } from '../helpers/proxy-process';
import { startUpstream, type TestUpstream } from '../helpers/upstream';

const TOKEN = 'diff-show-admin-token';
const NAME_NFC = 'Ōtani Shōhei';
const NAME_NFD = NAME_NFC.normalize('NFD');
const NOTE = 'same text, different Unicode normalisation: NFC vs NFD';

/** Legacy and the new service: orders differ at $.total; users at $['名前'] and, only in normalisation, at $.name. */
function answer(side: 'legacy' | 'new', path: string): unknown {
  if (path.startsWith('/api/users')) return side === 'legacy' ? { name: NAME_NFC, 名前: '大谷', id: 1 } : { name: NAME_NFD, 名前: '大谷翔平', id: 1 };
  return { total: side === 'legacy' ? 10 : 11 };
}

describe('diff show and diff report on two shadowed routes', () => {
  let database: TestDatabase;
  let legacy: TestUpstream;
  let next: TestUpstream;
  let proxy: RunningProxy;
  let flags: string[];
  const dir = tempDir('strangler-diff-show-');

  const send = async (path: string, id: string): Promise<void> => {
    const response = await fetch(`http://127.0.0.1:${proxy.proxyAddress.port}${path}`, { headers: { 'x-request-id': id } });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const serve = (side: 'legacy' | 'new') => (req: { url?: string }, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer(side, req.url ?? '/')));
    };
    legacy = await startUpstream('legacy', serve('legacy'));
    next = await startUpstream('next', serve('new'));
    const route = (name: string): string[] => [`  - name: ${name}`, `    match: { path: /api/${name} }`, '    service: next', '    stage: shadow', '    shadow: { sample: 1, noiseSample: 0 }'];
    const yaml = [
      'listen: { host: 127.0.0.1, port: 0 }',
      `admin: { host: 127.0.0.1, port: 0, token: ${TOKEN} }`,
      `state: { url: "${database.url}" }`,
      'upstreams:',
      `  legacy: { url: "${legacy.url}" }`,
      `  next: { url: "${next.url}" }`,
      'routes:',
      ...route('orders'),
      ...route('users'),
    ].join('\n');
    const file = join(dir.path, 'strangler.yaml');
    writeFileSync(file, yaml);
    proxy = await startProxy(parseConfig(yaml, file, {}), pino({ level: 'silent' }));
    flags = ['--admin', `http://127.0.0.1:${proxy.adminAddress.port}`, '--token', TOKEN];
    // One id on users, then on orders, retried there: three comparisons, the newest last.
    await send('/api/users/1', 'dup-request-0001');
    await send('/api/orders/1', 'dup-request-0001');
    await send('/api/orders/1', 'dup-request-0001');
    await send('/api/users/2', 'users-only-0001');
    await send('/api/orders/2', 'orders-only-0001');
    await send('/api/orders/3', 'orders-only-0002');
    await eventually(async () => (await cli(['diff', 'show', 'orders-only-0002', ...flags])).status === 0, 10000, 100);
  }, 60000);

  afterAll(async () => {
    await proxy.stop();
    await legacy.close();
    await next.close();
    await database.drop();
    dir.remove();
  });

  test('an id kept on two routes and retried: every comparison, newest first, each with its route and time', async () => {
    const shown = await cli(['diff', 'show', 'dup-request-0001', ...flags]);
    expect([shown.status, shown.stderr]).toEqual([0, '']);
    const lines = shown.stdout.split('\n');
    expect(lines[0]).toBe('request id dup-request-0001: 3 comparisons kept (orders 2, users 1), newest first');
    expect(lines.filter((line) => /^── \d of 3 ──$/.test(line))).toEqual(['── 1 of 3 ──', '── 2 of 3 ──', '── 3 of 3 ──']);
    const routes = lines.filter((line) => line.startsWith('route:')).map((line) => /^route: {4}(\S+) {2}at (\S+)$/.exec(line)!);
    expect(routes.map((match) => match[1])).toEqual(['orders', 'orders', 'users']);
    const times = routes.map((match) => Date.parse(match[2]!));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // The users mismatch, which the report links to, is there in full.
    expect(shown.stdout).toContain(`  $['名前']  changed\n    legacy: "大谷"\n    new:    "大谷翔平"`);

    // The start of the id (8+ characters, as a text report prints it) finds the same.
    expect((await cli(['diff', 'show', 'dup-requ…', ...flags])).stdout).toBe(shown.stdout);

    // --json: the newest comparison's keys as before, then the others and the counts.
    const json = JSON.parse((await cli(['diff', 'show', 'dup-request-0001', '--json', ...flags])).stdout) as Record<string, unknown> & { others: Array<Record<string, unknown>> };
    expect(Object.keys(json)).toEqual(['requestId', 'route', 'method', 'target', 'at', 'result', 'error', 'legacyStatus', 'candidateStatus', 'legacyMs', 'candidateMs', 'differences', 'noise', 'others', 'kept', 'notShown']);
    expect(json).toMatchObject({ requestId: 'dup-request-0001', route: 'orders', target: '/api/orders/1', kept: [{ route: 'orders', comparisons: 2 }, { route: 'users', comparisons: 1 }], notShown: 0 });
    expect(json.others.map((other) => [other.route, Object.keys(other).length])).toEqual([['orders', 13], ['users', 13]]);

    // --route narrows, and says what is kept elsewhere.
    const users = await cli(['diff', 'show', 'dup-request-0001', '--route', 'users', ...flags]);
    expect(users.stdout.split('\n')[0]).toBe('request id dup-request-0001: 3 comparisons kept (orders 2, users 1); on route users, newest first');
    expect(users.stdout.match(/^route: .*$/gm)).toEqual([expect.stringMatching(/^route: {4}users {2}at /)]);
    expect(users.stdout).toContain('2 comparisons with this id on other routes (without --route, all are shown)');
    const usersJson = JSON.parse((await cli(['diff', 'show', 'dup-request-0001', '--route', 'users', '--json', ...flags])).stdout) as Record<string, unknown>;
    expect(usersJson).toMatchObject({ route: 'users', others: [], notShown: 0 });

    // --limit: the newest, and how many more are kept.
    const one = await cli(['diff', 'show', 'dup-request-0001', '--limit', '1', ...flags]);
    expect(one.stdout.match(/^── .* ──$/gm)).toEqual(['── 1 of 3 ──']);
    expect(one.stdout).toContain('… 2 older not shown (--limit up to 100, or --route)');
    expect(JSON.parse((await cli(['diff', 'show', 'dup-request-0001', '--limit', '1', '--json', ...flags])).stdout)).toMatchObject({ others: [], notShown: 2 });
    const badLimit = await cli(['diff', 'show', 'dup-request-0001', '--limit', '0', ...flags]);
    expect([badLimit.status, badLimit.stderr]).toEqual([2, 'strangler: --limit: must be a whole number from 1 to 100, got 0\n']);

    // An id with one comparison reads as it always did: no header.
    const single = await cli(['diff', 'show', 'orders-only-0002', ...flags]);
    expect(single.stdout.split('\n')[0]).toBe('request:  orders-only-0002  GET /api/orders/3');
  });

  test('ids not shown: on other routes only, ambiguous, or not kept (and why, truly)', async () => {
    const otherRoute = await cli(['diff', 'show', 'orders-only-0001', '--route', 'users', ...flags]);
    expect([otherRoute.status, otherRoute.stderr]).toEqual([
      1,
      'strangler: GET /comparisons/orders-only-0001?route=users failed (404): no comparison kept for request id "orders-only-0001" on route "users" (it has some on other routes: orders 1)\n',
    ]);
    // The start of an id narrowed by --route; a start shared by two ids names both.
    const narrowed = await cli(['diff', 'show', 'dup-requ', '--route', 'orders', ...flags]);
    expect(narrowed.stdout.split('\n')[0]).toBe('request id dup-request-0001: 3 comparisons kept (orders 2, users 1); on route orders, newest first');
    const ambiguous = await cli(['diff', 'show', 'orders-only', ...flags]);
    expect([ambiguous.status, ambiguous.stderr]).toEqual([
      1,
      'strangler: GET /comparisons/orders-only failed (409): request id "orders-only" is ambiguous: orders-only-0002, orders-only-0001 start with it; give more of it\n',
    ]);
    const unknown = await cli(['diff', 'show', 'never-seen-0001', ...flags]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(
      /^strangler: GET \/comparisons\/never-seen-0001 failed \(404\): no comparison kept for request id "never-seen-0001": only the newest state\.keepComparisons comparisons with differences, noise or an error are kept, the oldest from \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z; plain matches are only counted \(state\.keepMatches\)\n$/,
    );
    expect(unknown.stderr).not.toContain('unless state.keepMatches is true');
  });

  test('values that differ only in Unicode normalisation say so, in every format and in diff show', async () => {
    const text = await cli(['diff', 'report', '--route', 'users', '--format', 'text', ...flags]);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(new RegExp(`^ {2}\\$\\.name .*"${NAME_NFC}" → "${NAME_NFD}" {2}\\([\\w-]+; ${NOTE}\\)$`, 'mu'));
    expect(text.stdout).not.toMatch(new RegExp(`名前.*${NOTE}`, 'u'));
    const markdown = await cli(['diff', 'report', '--route', 'users', '--format', 'markdown', ...flags]);
    expect(markdown.stdout).toMatch(new RegExp(`^\\| \`\\$\\.name\` \\|.* → \`"${NAME_NFD}"\` _\\(${NOTE}\\)_ \\|`, 'mu'));
    const html = await cli(['diff', 'report', '--route', 'users', '--format', 'html', ...flags]);
    expect(html.stdout).toContain(`<code>&quot;${NAME_NFD}&quot;</code> <span class="note">${NOTE}</span>`);
    const show = await cli(['diff', 'show', 'users-only-0001', ...flags]);
    expect(show.stdout).toContain(`  $.name  changed\n    legacy: "${NAME_NFC}"\n    new:    "${NAME_NFD}"\n    (${NOTE})\n`);
    expect(show.stdout.match(/same text/g)).toHaveLength(1);
  });

  test('the text report aligns columns by terminal width: a CJK field name takes two columns a character', async () => {
    const text = await cli(['diff', 'report', '--route', 'users', '--format', 'text', ...flags]);
    // FIELD is as wide as $['名前'], 9 columns: $.name (6) gets 3 spaces of padding, $['名前'] none.
    expect(text.stdout).toMatch(/^ {2}FIELD {4} {2}COUNT {2}/m);
    expect(text.stdout).toMatch(/^ {2}\$\.name {3} {2} {4}2 {2}/m);
    expect(text.stdout).toMatch(/^ {2}\$\['名前'\] {2} {4}2 {2}/mu);
  });

  test('bad --since, --format and --out say what is wrong on one line', async () => {
    const future = await cli(['diff', 'report', '--since', '2999-01-01T00:00:00Z', ...flags]);
    expect(future.status).toBe(2);
    expect(future.stderr).toMatch(/^strangler: --since: "2999-01-01T00:00:00Z" is in the future \(now is \S+Z\); give a time before now\n$/);
    const noFormat = await cli(['diff', 'report', '--format', ...flags]);
    expect([noFormat.status, noFormat.stderr]).toEqual([2, 'strangler: --format: needs a value: text, markdown, html or json (see --help)\n']);

    const folder = join(dir.path, 'out');
    mkdirSync(folder);
    const slash = await cli(['diff', 'report', '--out', `${folder}/`, ...flags]);
    expect([slash.status, slash.stderr]).toEqual([2, `strangler: --out ${folder}/: must be a file path, got a folder (it ends with "/")\n`]);
    const file = join(dir.path, 'a-file');
    writeFileSync(file, 'x');
    const underFile = await cli(['diff', 'report', '--out', join(file, 'report.txt'), ...flags]);
    expect([underFile.status, underFile.stderr]).toEqual([1, `strangler: --out ${join(file, 'report.txt')}: cannot write: a part of its path is a file, not a folder (ENOTDIR)\n`]);
    if (existsSync('/proc/self')) {
      const proc = await cli(['diff', 'report', '--out', '/proc/strangler-report.txt', ...flags]);
      expect(proc.status).toBe(1);
      expect(proc.stderr).toMatch(/^strangler: --out \/proc\/strangler-report\.txt: cannot write: its folder exists but takes no new files \(as \/proc and \/sys do\) \(E[A-Z]+\)\n$/);
    }
    expect(readdirSync(folder)).toEqual([]);
  });
});
