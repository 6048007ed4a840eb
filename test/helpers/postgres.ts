/**
 * Access to the throwaway PostgreSQL cluster that scripts/test-env.js starts for `npm test`.
 *
 * - postgresUrlFromEnv(): the server's URL (database `postgres`).
 * - createTestDatabase(): a database of one's own, so parallel jest workers never share one.
 * - withMigratedDatabase(): one of those, migrated, for the time `work` runs; closed and dropped after.
 *
 * The server is shared by every test file running at once: to test "the store became unreachable", put a
 * TcpRelay (tcp-relay.ts) in front of your own database and cut it, never stop the server. (Stopping it
 * once cut the connections of whatever suite ran beside, and failed that suite at random.)
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PostgresDatabase } from '../../core/db/postgres';
import { migrate } from '../../rollout/migrations';

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

/** Runs `work` on a database of its own with the state store's migrations applied; closes and drops it after. */
export async function withMigratedDatabase<T>(work: (db: PostgresDatabase) => Promise<T>): Promise<T> {
  const database = await createTestDatabase();
  const db = new PostgresDatabase({ url: database.url });
  try {
    await migrate(db);
    return await work(db);
  } finally {
    await db.close();
    await database.drop();
  }
}
