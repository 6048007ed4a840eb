/**
 * `--out FILE` of `flags export` and `diff report` (the CLI, dist) against a real proxy: a regular file is
 * replaced whole, but a device or a named pipe is written to as it is, a symbolic link keeps pointing at the
 * file it names (which gets the output), other kinds of file and the configuration file are refused.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../core/config';
import { startProxy, type RunningProxy } from '../../proxy/start';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { runCli, runCliAsync, tempDir } from '../helpers/proxy-process';
import { startUpstream, type TestUpstream } from '../helpers/upstream';

const TOKEN = 'cli-out-admin-token';

/** A device node in a test folder (needs root): false when not permitted, and the case is not run. */
function mknod(path: string, type: 'c' | 'b', major: number, minor: number): boolean {
  return spawnSync('mknod', [path, type, String(major), String(minor)], { stdio: 'ignore' }).status === 0;
}

/**
 * Reads a named pipe to its end in another process, as a CI step reading it would. `close` ends the reader
 * when no writer came (the pipe was replaced): what it read by then, or undefined.
 */
function readFifo(path: string): { close(afterMs: number): Promise<string | undefined> } {
  const reader = spawn('cat', [path]);
  let text = '';
  reader.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const ended = new Promise<boolean>((resolve) => reader.on('close', (code) => resolve(code === 0)));
  return {
    close: async (afterMs) => {
      const timer = setTimeout(() => reader.kill('SIGKILL'), afterMs);
      const complete = await ended;
      clearTimeout(timer);
      return complete ? text : undefined;
    },
  };
}

describe('--out writes what it names without replacing devices, pipes, links or the config', () => {
  let database: TestDatabase;
  let legacy: TestUpstream;
  let proxy: RunningProxy;
  let flags: string[];
  let exported: unknown;
  const dir = tempDir('strangler-cli-out-');
  let configFile: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    legacy = await startUpstream('legacy');
    const yaml = [
      'listen: { host: 127.0.0.1, port: 0 }',
      `admin: { host: 127.0.0.1, port: 0, token: ${TOKEN} }`,
      `state: { url: "${database.url}" }`,
      'upstreams:',
      `  legacy: { url: "${legacy.url}" }`,
      `  orders: { url: "${legacy.url}" }`,
      'routes:',
      '  - name: orders',
      '    match: { path: /api/orders }',
      '    service: orders',
    ].join('\n');
    configFile = join(dir.path, 'strangler.yaml');
    writeFileSync(configFile, yaml);
    proxy = await startProxy(parseConfig(yaml, configFile, {}), pino({ level: 'silent' }));
    flags = ['--admin', `http://127.0.0.1:${proxy.adminAddress.port}`, '--token', TOKEN];
    const plain = await runCliAsync(['flags', 'export', ...flags]);
    expect(plain.status).toBe(0);
    exported = JSON.parse(plain.stdout);
  });

  afterAll(async () => {
    await proxy?.stop();
    await legacy?.close();
    await database?.drop();
    dir.remove();
  });

  /** Nothing but `names` in the folder: no temporary file was left. */
  const expectOnly = (folder: string, names: string[]): void => expect(readdirSync(folder).sort()).toEqual([...names].sort());

  test('a file it replaces keeps its permissions (a private export stays private), and no temporary file is left', async () => {
    const folder = join(dir.path, 'private');
    mkdirSync(folder);
    const file = join(folder, 'flags.json');
    writeFileSync(file, 'old', { mode: 0o600 });
    chmodSync(file, 0o600);
    const exportTo = await runCliAsync(['flags', 'export', '--out', file, ...flags]);
    expect([exportTo.status, exportTo.stderr]).toEqual([0, '']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(exported);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expectOnly(folder, ['flags.json']);
  });

  test('a character device is written to, and stays the device', async () => {
    const folder = join(dir.path, 'device');
    mkdirSync(folder);
    const devNull = join(folder, 'null');
    if (!mknod(devNull, 'c', 1, 3)) return console.warn('mknod not permitted: the character device case is not run');
    const exportTo = await runCliAsync(['flags', 'export', '--out', devNull, ...flags]);
    expect([exportTo.status, exportTo.stderr, exportTo.stdout]).toEqual([0, '', `${devNull}: 1 flag\n`]);
    const report = await runCliAsync(['diff', 'report', '--out', devNull, ...flags]);
    expect([report.status, report.stderr]).toEqual([0, '']);
    expect(lstatSync(devNull).isCharacterDevice()).toBe(true);
    expect(lstatSync(devNull).rdev).toBe(lstatSync('/dev/null').rdev);
    expectOnly(folder, ['null']);
  });

  test('a named pipe is written to, read whole by the process on its other end, and stays a pipe', async () => {
    const folder = join(dir.path, 'fifo');
    mkdirSync(folder);
    const fifo = join(folder, 'flags.json');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = readFifo(fifo);
    const written = await runCliAsync(['flags', 'export', '--out', fifo, ...flags]);
    // Written and closed before the CLI exited: the reader ends at once; 2 s is only the bound for a test that fails.
    const read = await reader.close(2000);
    expect([written.status, written.stderr]).toEqual([0, '']);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(read === undefined ? read : JSON.parse(read)).toEqual(exported);
    expectOnly(folder, ['flags.json']);
  });

  test('a symbolic link keeps pointing at its file, which gets the output; a link to no file yet creates it', async () => {
    const folder = join(dir.path, 'links');
    const real = join(dir.path, 'checkout');
    mkdirSync(folder);
    mkdirSync(real);
    writeFileSync(join(real, 'flags-bootstrap.json'), 'old\n');
    // Relative, through "..": read from the folder the link is in.
    symlinkSync('../checkout/flags-bootstrap.json', join(folder, 'flags-bootstrap.json'));
    const written = await runCliAsync(['flags', 'export', '--out', join(folder, 'flags-bootstrap.json'), ...flags]);
    expect([written.status, written.stderr]).toEqual([0, '']);
    expect(readlinkSync(join(folder, 'flags-bootstrap.json'))).toBe('../checkout/flags-bootstrap.json');
    expect(JSON.parse(readFileSync(join(real, 'flags-bootstrap.json'), 'utf8'))).toEqual(exported);

    symlinkSync(join(real, 'report.md'), join(folder, 'report.md'));
    const report = await runCliAsync(['diff', 'report', '--format', 'markdown', '--out', join(folder, 'report.md'), ...flags]);
    expect([report.status, report.stderr]).toEqual([0, '']);
    expect(lstatSync(join(folder, 'report.md')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(real, 'report.md'), 'utf8')).toMatch(/^#/);
    expectOnly(folder, ['flags-bootstrap.json', 'report.md']);
    expectOnly(real, ['flags-bootstrap.json', 'report.md']);
  });

  test('a folder, a socket or a block device is refused naming --out (exit 2), and left as it was', async () => {
    const folder = join(dir.path, 'others');
    mkdirSync(folder);
    const socketPath = join(folder, 'sock');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const socket = await runCliAsync(['flags', 'export', '--out', socketPath, ...flags]);
      expect([socket.status, socket.stdout, socket.stderr]).toEqual([2, '', `strangler: --out ${socketPath}: is a socket; give a regular file (or a device or named pipe to write to)\n`]);
      expect(lstatSync(socketPath).isSocket()).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const sub = join(folder, 'sub');
    mkdirSync(sub);
    const asFolder = await runCliAsync(['diff', 'report', '--out', sub, ...flags]);
    expect([asFolder.status, asFolder.stderr]).toEqual([2, `strangler: --out ${sub}: is a folder; give a regular file (or a device or named pipe to write to)\n`]);
    const block = join(folder, 'loop');
    if (mknod(block, 'b', 7, 0)) {
      const refused = await runCliAsync(['flags', 'export', '--out', block, ...flags]);
      expect([refused.status, refused.stderr]).toEqual([2, `strangler: --out ${block}: is a block device; give a regular file (or a device or named pipe to write to)\n`]);
      expect(lstatSync(block).isBlockDevice()).toBe(true);
    }
    expectOnly(folder, existsSync(block) ? ['loop', 'sub'] : ['sub']);
    expectOnly(sub, []);
  });

  test('the configuration file the command reads is refused as --out, by any path to it', () => {
    const before = readFileSync(configFile, 'utf8');
    const refused = (result: { status: number | null; stdout: string; stderr: string }, out: string, config: string): void =>
      expect([result.status, result.stdout, result.stderr]).toEqual([2, '', `strangler: --out ${out}: is the configuration file this command reads (${config}); write to another file\n`]);
    refused(runCli(['flags', 'export', '--config', configFile, '--out', configFile]), configFile, configFile);
    refused(runCli(['diff', 'report', '--config', 'strangler.yaml', '--out', './strangler.yaml'], {}, dir.path), './strangler.yaml', 'strangler.yaml');
    // ./strangler.yaml is read when no --config is given.
    refused(runCli(['flags', 'export', '--out', 'strangler.yaml', ...flags], {}, dir.path), 'strangler.yaml', 'strangler.yaml');
    const link = join(dir.path, 'config-link.yaml');
    symlinkSync('strangler.yaml', link);
    refused(runCli(['flags', 'export', '--config', configFile, '--out', link]), link, configFile);
    expect(readFileSync(configFile, 'utf8')).toBe(before);
  });
});
