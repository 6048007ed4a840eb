import { Client } from 'pg';
import { createTestDatabase, postgresUrlFromEnv } from '../helpers/postgres';

/** Runs one statement on a fresh connection. */
async function query(url: string, sql: string, params: unknown[] = []): Promise<unknown[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await query(postgresUrlFromEnv(), 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length === 1;
}

describe('the test PostgreSQL environment', () => {
  it('gives each test database of its own, and drops it', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    const nameA = new URL(a.url).pathname.slice(1);
    const nameB = new URL(b.url).pathname.slice(1);
    try {
      expect(nameA).toMatch(new RegExp(`^t_${process.pid}_[0-9a-f]+$`));
      expect(nameA).not.toBe(nameB);

      await query(a.url, 'CREATE TABLE items (id int PRIMARY KEY)');
      await query(a.url, 'INSERT INTO items VALUES (1), (2)');
      expect(await query(a.url, 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 2 }]);
      expect(await query(b.url, "SELECT to_regclass('items') AS t")).toEqual([{ t: null }]);
    } finally {
      await a.drop();
      await b.drop();
    }
    expect(await databaseExists(nameA)).toBe(false);
    expect(await databaseExists(nameB)).toBe(false);
  });

  it('drops a database that still has open connections', async () => {
    const db = await createTestDatabase();
    const client = new Client({ connectionString: db.url });
    client.on('error', () => {}); // the drop terminates this connection
    await client.connect();
    await db.drop();
    await db.drop(); // a second drop is harmless
    expect(await databaseExists(new URL(db.url).pathname.slice(1))).toBe(false);
    await client.end().catch(() => {});
  });
});
