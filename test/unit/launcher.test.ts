import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { LAUNCHER } from '../helpers/proxy-process';

const MAIN = resolve(__dirname, '../../dist/cli/main.js');
const VERSION = (JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;

describe('bin/strangler (the `strangler` binary)', () => {
  let dir: string;
  let captureDir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'strangler-launcher-'));
    // Installed packages reach the launcher through a symlink (node_modules/.bin/strangler).
    symlinkSync(LAUNCHER, join(dir, 'strangler'));
    // A `node` that prints what it was started with, one item a line, instead of running anything.
    captureDir = join(dir, 'capture');
    mkdirSync(captureDir);
    writeFileSync(join(captureDir, 'node'), '#!/bin/sh\nprintf "MALLOC_ARENA_MAX=%s\\n" "$MALLOC_ARENA_MAX"\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
    chmodSync(join(captureDir, 'node'), 0o755);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function launch(args: string[], env: NodeJS.ProcessEnv, path: string): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(join(dir, 'strangler'), args, { encoding: 'utf8', env: { PATH: path, HOME: process.env.HOME, ...env } });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  const realNode = `${dirname(process.execPath)}:/usr/bin:/bin`;
  const capturingNode = (): string => `${captureDir}:/usr/bin:/bin`;

  test('runs the CLI through a symlink with real node: version, exit codes and stderr are the CLI\'s own', () => {
    expect(launch(['--version'], {}, realNode)).toMatchObject({ status: 0, stdout: `${VERSION}\n` });
    const bad = launch(['rollout', 'set', 'orders', '101', '--reason', 'x', '--admin', 'http://127.0.0.1:9'], {}, realNode);
    const direct = spawnSync(process.execPath, [MAIN, 'rollout', 'set', 'orders', '101', '--reason', 'x', '--admin', 'http://127.0.0.1:9'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.status).toBe(direct.status);
    expect(bad.stderr).toBe(direct.stderr);
  });

  test('starts node with a 4 MB semi-space and two malloc arenas, arguments passed through unchanged', () => {
    const out = launch(['rollout', 'set', 'orders', '25', '--reason', 'two words; and "quotes"'], {}, capturingNode());
    expect(out.status).toBe(0);
    expect(out.stdout.split('\n').slice(0, -1)).toEqual([
      'MALLOC_ARENA_MAX=2',
      '--max-semi-space-size=4',
      MAIN,
      'rollout',
      'set',
      'orders',
      '25',
      '--reason',
      'two words; and "quotes"',
    ]);
  });

  test('a semi-space size in NODE_OPTIONS and a MALLOC_ARENA_MAX already set win', () => {
    const out = launch(['status'], { NODE_OPTIONS: '--max-semi-space-size=16', MALLOC_ARENA_MAX: '8' }, capturingNode());
    expect(out.stdout.split('\n').slice(0, -1)).toEqual(['MALLOC_ARENA_MAX=8', MAIN, 'status']);
  });
});
