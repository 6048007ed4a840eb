/** One interface over PostgreSQL (`pg`) and the embedded PGlite, so the same SQL runs everywhere. */

export type SqlParam = string | number | boolean | null | Date | string[] | number[];

export interface QueryResult<Row> {
  rows: Row[];
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<QueryResult<Row>>;
}

/**
 * The connection was lost after COMMIT was sent and before its answer came: the server may have committed.
 * Callers must not say "nothing changed".
 */
export class CommitOutcomeUnknownError extends Error {
  constructor(cause: Error) {
    super(`the connection was lost while committing (${cause.message}): the change may have been applied`);
    this.name = 'CommitOutcomeUnknownError';
  }
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'embedded';
  /** Runs `fn` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Multi-statement SQL without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Subscribes to NOTIFY on `channel`. Returns an unsubscribe function.
   * Embedded databases have one session, so notifications only come from this process.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Makes the room of deleted and updated rows reusable, and lets old write-ahead log be recycled, where the
   * database does not do it itself. PostgreSQL's autovacuum and checkpointer do: nothing to do. The embedded
   * database has neither; callers that delete rows (pruning) call this after they do. Cheap when nothing is due.
   */
  reclaimSpace(): Promise<void>;
  /**
   * Ends the statements running now and those started after, which fail at once (a start given up while it
   * waits for another process's lock): close() then need not wait for them.
   */
  interrupt(): Promise<void>;
  close(): Promise<void>;
}
