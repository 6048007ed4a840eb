import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const CLI = resolve(__dirname, '../../dist/cli/main.js');
/** bin/strangler: the launcher package.json names as the `strangler` binary (runs CLI with memory settings). */
export const LAUNCHER = resolve(__dirname, '../../bin/strangler');
export const ADMIN_TOKEN = 'process-test-token';

export interface ProxyProcess {
  proxyUrl: string;
  adminUrl: string;
  child: ChildProcessWithoutNullStreams;
  logs: string[];
  /** What the process printed on stdout so far (the listening and stopped lines). */
  stdout(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** YAML for a proxy in front of the given upstreams, on free ports, with the given state URL. */
export function proxyYaml(options: { legacyUrl: string; ordersUrl: string; stateUrl: string; routesYaml?: string; extra?: string }): string {
  return [
    'listen: { host: 127.0.0.1, port: 0, drainTimeoutMs: 5000 }',
    'admin: { host: 127.0.0.1, port: 0, token: ${TEST_ADMIN_TOKEN} }',
    `state: { url: "${options.stateUrl}", pollMs: 200 }`,
    'upstreams:',
    `  legacy: { url: "${options.legacyUrl}" }`,
    `  orders: { url: "${options.ordersUrl}", timeoutMs: 3000 }`,
    'routes:',
    options.routesYaml ??
      [
        '  - name: orders',
        '    match: { path: /api/orders }',
        '    service: orders',
        '    stage: canary',
        '    percent: 0',
        '    stickiness: header:x-user-id',
      ].join('\n'),
    options.extra ?? '',
  ].join('\n');
}

/**
 * Starts `strangler proxy --config FILE` as a child process and waits until it listens: `node dist/cli/main.js`,
 * or with `launcher` through bin/strangler (which execs node, so the child's PID is node's).
 */
export async function startProxyProcess(configFile: string, timeoutMs = 20000, options: { launcher?: boolean; json?: boolean } = {}): Promise<ProxyProcess> {
  const { MALLOC_ARENA_MAX: _inherited, ...env } = process.env;
  const [command, args] = options.launcher ? [LAUNCHER, []] : [process.execPath, [CLI]];
  const child = spawn(command, [...args, 'proxy', '--config', configFile, ...(options.json ? ['--json'] : [])], {
    env: { ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, TEST_ADMIN_TOKEN: ADMIN_TOKEN, NODE_OPTIONS: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const addresses = await new Promise<{ proxy: string; admin: string }>((resolveAddresses, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start in ${timeoutMs} ms:\n${logs.join('\n')}`)), timeoutMs);
    let buffered = '';
    child.stderr.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        logs.push(line);
        if (line.includes('strangler proxy listening')) {
          clearTimeout(timer);
          const entry = JSON.parse(line) as { proxy: string; admin: string };
          resolveAddresses(entry);
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });
  return {
    proxyUrl: `http://${addresses.proxy}`,
    adminUrl: `http://${addresses.admin}`,
    child,
    logs,
    stdout: () => stdout,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the strangler CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    cwd,
    timeout: 20000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the strangler CLI to completion without blocking this process (for tests that serve its calls here). */
export function runCliAsync(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
  });
}

export function writeConfig(dir: string, yaml: string, name = 'strangler.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}
