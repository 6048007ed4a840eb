import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PostgresDatabase } from '../../core/db/postgres';
import { createTestDatabase, postgresUrlFromEnv, type TestDatabase } from '../helpers/postgres';
import { eventually } from '../helpers/eventually';

/**
 * Database.interrupt() on PostgreSQL ends a statement that waits for a lock (a start stopped while another
 * replica migrates) even when no new login is possible: the role's every connection slot is taken.
 */
describe('PostgresDatabase.interrupt', () => {
  let database: TestDatabase;
  const role = `r_${randomBytes(5).toString('hex')}`;
  let admin: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 1`);
  });

  afterAll(async () => {
    await admin.end();
    await database.drop();
    const server = new Client({ connectionString: postgresUrlFromEnv() });
    await server.connect();
    await server.query(`DROP ROLE IF EXISTS ${role}`);
    await server.end();
  });

  test('a lock wait is cancelled though the role may not open another connection to end it', async () => {
    const url = new URL(database.url);
    url.username = role;
    url.password = '';
    const db = new PostgresDatabase({ url: url.toString(), maxConnections: 1 });
    await admin.query('SELECT pg_advisory_lock(4242)');
    try {
      const waiting = db.query('SELECT pg_advisory_lock(4242)');
      const outcome = waiting.then(() => 'acquired', (err: Error) => err.message);
      await eventually(async () => (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'`, [role])).rows.length === 1, 5000, 20);
      await db.interrupt();
      expect(await outcome).toMatch(/cancel/i);
      expect((await admin.query(`SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'`, [role])).rows).toHaveLength(0);
    } finally {
      await admin.query('SELECT pg_advisory_unlock_all()');
      await db.close();
    }
  });
});
