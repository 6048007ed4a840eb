/**
 * A second throwaway PostgreSQL cluster that speaks TLS with a self-signed certificate, for
 * tests of `sslmode`. It uses the server binaries scripts/test-env.js found (STRANGLER_TEST_PG_BIN), runs as
 * the same OS user (STRANGLER_TEST_PG_RUNAS), and is its own cluster so the shared one is never reconfigured.
 * It takes TCP connections only encrypted (pg_hba.conf: hostssl), as a server that insists on TLS does.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unusedPort } from './upstream';

export interface TlsPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres, without sslmode. */
  url: string;
  /** The server's self-signed certificate (PEM), to pass as sslrootcert; it names CERTIFICATE_HOST, not 127.0.0.1. */
  certificateFile: string;
  stop(): void;
}

const START_ATTEMPTS = 3;
/** The only name in the certificate: a CA check passes, a host name check against 127.0.0.1 fails. */
export const CERTIFICATE_HOST = 'strangler-test-db';

/** Why a TLS cluster cannot be started here, or undefined when it can. */
export function tlsPostgresUnavailable(): string | undefined {
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl is not installed (it makes the self-signed certificate)';
  if (!process.env.STRANGLER_TEST_PG_BIN) return 'STRANGLER_TEST_PG_BIN is not set: run the tests through scripts/test-env.js, which finds the PostgreSQL binaries';
  return undefined;
}

function run(command: string, args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

function mustRun(command: string, args: string[], cwd: string): void {
  const result = run(command, args, cwd);
  if (result.status !== 0) throw new Error(`${command} ${args[0]} failed: ${result.output}`);
}

/** Runs a PostgreSQL tool as the cluster's OS user (PostgreSQL refuses to run as root). */
function pgTool(dir: string, tool: string, args: string[]): { status: number | null; output: string } {
  const binary = join(process.env.STRANGLER_TEST_PG_BIN!, tool);
  const runAs = process.env.STRANGLER_TEST_PG_RUNAS;
  return runAs ? run('runuser', ['-u', runAs, '--', binary, ...args], dir) : run(binary, args, dir);
}

function giveToClusterUser(paths: string[]): void {
  const runAs = process.env.STRANGLER_TEST_PG_RUNAS;
  if (!runAs) return;
  const uid = Number(spawnSync('id', ['-u', runAs], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', runAs], { encoding: 'utf8' }).stdout.trim());
  for (const path of paths) chownSync(path, uid, gid);
}

function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  mustRun('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${CERTIFICATE_HOST}`, '-addext', `subjectAltName=DNS:${CERTIFICATE_HOST}`, '-keyout', key, '-out', cert], dir);
  chmodSync(key, 0o600); // the server refuses a key others can read
  return { cert, key };
}

export async function startTlsPostgres(): Promise<TlsPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'strangler-pg-tls-'));
  const dataDir = join(dir, 'data');
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    pgTool(dir, 'pg_ctl', ['stop', '-m', 'immediate', '-D', dataDir]);
    rmSync(dir, { recursive: true, force: true });
  };
  // A jest worker that dies before afterAll must not leave the cluster running.
  process.once('exit', stop);
  try {
    const { cert, key } = makeCertificate(dir);
    giveToClusterUser([dir, cert, key]);
    const init = pgTool(dir, 'initdb', ['-D', dataDir, '--auth=trust', '--username=postgres', '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions']);
    if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
    writeFileSync(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 trust\n');
    for (let attempt = 1; ; attempt++) {
      const port = await unusedPort();
      const settings = ['listen_addresses=127.0.0.1', `port=${port}`, `unix_socket_directories=${dir}`, 'fsync=off', 'ssl=on', `ssl_cert_file=${cert}`, `ssl_key_file=${key}`];
      const start = pgTool(dir, 'pg_ctl', ['start', '-w', '-D', dataDir, '-l', join(dir, 'postgres.log'), '-o', settings.map((s) => `-c ${s}`).join(' ')]);
      if (start.status === 0) return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, certificateFile: cert, stop };
      if (attempt === START_ATTEMPTS) throw new Error(`the TLS PostgreSQL did not start: ${start.output}`);
    }
  } catch (err) {
    stop();
    throw err;
  }
}
