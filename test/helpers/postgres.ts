/**
 * Access to the throwaway PostgreSQL cluster that scripts/test-env.js starts for `npm test`.
 *
 * - postgresUrlFromEnv(): the server's URL (database `postgres`).
 * - createTestDatabase(): a database of one's own, so parallel jest workers never share one.
 * - stopPostgres() / startPostgres(): take the whole server down and bring it back on the same port, to test
 *   "the store became unreachable". This affects every test file running at the same time against the
 *   server: use it only in tests that can tolerate that, or run them on their own.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const execFileAsync = promisify(execFile);

export function postgresUrlFromEnv(): string {
  const url = process.env.STRANGLER_TEST_PG_URL;
  if (!url) throw new Error('STRANGLER_TEST_PG_URL is not set: run the tests with "npm test", which starts PostgreSQL');
  return url;
}

export interface TestDatabase {
  /** URL of the new database, same server and user as postgresUrlFromEnv(). */
  url: string;
  /** Drops the database, closing any connections still open to it. Safe to call twice. */
  drop(): Promise<void>;
}

async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: postgresUrlFromEnv() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates a uniquely named database (t_<pid>_<random>) and returns its URL and a way to drop it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${process.pid}_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(postgresUrlFromEnv());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

interface Cluster {
  binDir: string;
  dataDir: string;
  runAs: string;
}

function clusterFromEnv(): Cluster {
  const binDir = process.env.STRANGLER_TEST_PG_BIN;
  const dataDir = process.env.STRANGLER_TEST_PG_DATA;
  if (!binDir || !dataDir) {
    throw new Error(
      'STRANGLER_TEST_PG_BIN/STRANGLER_TEST_PG_DATA are not set: stopping and starting PostgreSQL needs the ' +
        'cluster that "npm test" starts, not one given by STRANGLER_TEST_PG_URL',
    );
  }
  return { binDir, dataDir, runAs: process.env.STRANGLER_TEST_PG_RUNAS ?? '' };
}

async function pgCtl(cluster: Cluster, args: string[]): Promise<void> {
  const pgCtlPath = path.join(cluster.binDir, 'pg_ctl');
  const [command, commandArgs] = cluster.runAs
    ? ['runuser', ['-u', cluster.runAs, '--', pgCtlPath, ...args]]
    : [pgCtlPath, args];
  try {
    // cwd: the postgres user may not be allowed into ours.
    await execFileAsync(command, commandArgs, { cwd: path.dirname(cluster.dataDir) });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`pg_ctl ${args[0]} failed: ${stderr || (error as Error).message}`);
  }
}

/** Stops the server (open connections are cut). */
export async function stopPostgres(): Promise<void> {
  const cluster = clusterFromEnv();
  await pgCtl(cluster, ['stop', '-m', 'fast', '-w', '-D', cluster.dataDir]);
}

/**
 * Starts the server again on the same port and waits until it accepts connections. The settings are the
 * ones scripts/test-env.js starts it with (serverOptions there): keep the two in step. The temp dir layout
 * (data/, postgres.log, the socket beside them) is the one scripts/test-env.js creates.
 */
export async function startPostgres(): Promise<void> {
  const cluster = clusterFromEnv();
  const url = new URL(postgresUrlFromEnv());
  const tempDir = path.dirname(cluster.dataDir);
  const options = [
    `-c listen_addresses=${url.hostname}`,
    `-c port=${url.port || '5432'}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    `-c unix_socket_directories=${tempDir}`,
  ].join(' ');
  await pgCtl(cluster, [
    'start', '-w', '-D', cluster.dataDir, '-l', path.join(tempDir, 'postgres.log'), '-o', options,
  ]);
}
