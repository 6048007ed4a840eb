import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { lockFolder } from './folder-lock';
import type { Database, Queryable, QueryResult, SqlParam } from './database';

/** PGlite (PostgreSQL in WASM) persisted to a folder: one session, owned by this process. */
export class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;

  private constructor(
    private readonly db: PGlite,
    private readonly unlock: () => void,
  ) {}

  static async open(folder: string): Promise<EmbeddedDatabase> {
    mkdirSync(folder, { recursive: true });
    const unlock = lockFolder(folder);
    try {
      return new EmbeddedDatabase(await PGlite.create(folder), unlock);
    } catch (err) {
      unlock();
      throw err;
    }
  }

  async query<Row>(sql: string, params: SqlParam[] = []): Promise<QueryResult<Row>> {
    const result = await this.db.query<Row>(sql, params);
    return { rows: result.rows };
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) =>
      fn({
        async query<Row>(sql: string, params: SqlParam[] = []) {
          const result = await tx.query<Row>(sql, params);
          return { rows: result.rows };
        },
      }),
    );
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    const unsubscribe = await this.db.listen(channel, onPayload);
    return unsubscribe;
  }

  async close(): Promise<void> {
    try {
      await this.db.close();
    } finally {
      this.unlock();
    }
  }
}
