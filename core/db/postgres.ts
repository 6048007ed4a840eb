import { connect } from 'node:net';
import { Client, DatabaseError, Pool, type PoolClient } from 'pg';
import { CommitOutcomeUnknownError, type Database, type Queryable, type QueryResult, type SqlParam } from './database';
import { sslModeOf, withEnvironmentSsl, withLibpqSslModes, withSslMode, withSystemRootCert } from './postgres-url';

export interface PostgresOptions {
  url: string;
  maxConnections?: number;
  /** Called when the LISTEN connection drops; the database reconnects it on its own. */
  onListenError?: (err: Error) => void;
  /** Called when a dropped LISTEN connection is back. */
  onListenRestored?: () => void;
}

const LISTEN_RETRY_MS = 500;
/**
 * Longest wait for one query's answer. A server that stops answering (a network partition, a frozen host)
 * would otherwise hold the connection until TCP gives up, some 15 minutes; past it the connection is dropped.
 * The longest query strangler runs (a month's diff report) takes about a second.
 */
export const QUERY_TIMEOUT_MS = 60_000;
/** TCP keep-alive on every connection, so an idle one to a vanished server is found dead too. */
const KEEP_ALIVE_DELAY_MS = 10_000;

/**
 * libpq tries a second way when the first fails: `prefer` encrypted then plain, `allow` plain then encrypted
 * (certificate not checked either way); pg tries only one. The way this server takes is found once, here,
 * and the returned URL names it: `disable`, or pg's `prefer` (encrypted, certificate not checked).
 * Any other URL, or a failure that a second way would not fix, comes back unchanged.
 */
export async function settleSslFallback(url: string): Promise<string> {
  const mode = sslModeOf(url);
  if (mode === 'prefer') return (await refusedBy(url, (err) => err.message === 'The server does not support SSL connections')) ? withSslMode(url, 'disable') : url;
  if (mode === 'allow') {
    const plain = withSslMode(url, 'disable');
    // libpq's allow retries encrypted when the server answers the plain start-up with an error (pg_hba: hostssl only).
    return (await refusedBy(plain, (err) => err instanceof DatabaseError)) ? withSslMode(url, 'prefer') : plain;
  }
  return url;
}

/** Whether connecting to `url` fails with an error `isRefusal` accepts. */
async function refusedBy(url: string, isRefusal: (err: Error) => boolean): Promise<boolean> {
  const client = new Client({ connectionString: withLibpqSslModes(url), connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return false;
  } catch (err) {
    return isRefusal(err as Error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;
  /** options.url as pg must be given it for sslmode to mean what it means to libpq. */
  private readonly connectionString: string;
  private closed = false;
  /** The pool's connections, for interrupt(). */
  private readonly connections = new Set<PoolClient>();
  private interrupted = false;

  /** Opens `options.url` with sslmode `prefer`/`allow` (in the URL or PGSSLMODE) settled for this server (settleSslFallback). */
  static async open(options: PostgresOptions): Promise<PostgresDatabase> {
    return new PostgresDatabase({ ...options, url: await settleSslFallback(withSystemRootCert(withEnvironmentSsl(options.url))) });
  }

  constructor(private readonly options: PostgresOptions) {
    this.connectionString = withLibpqSslModes(withSystemRootCert(withEnvironmentSsl(options.url)));
    this.pool = new Pool({
      connectionString: this.connectionString,
      max: options.maxConnections ?? 5,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 10000,
      query_timeout: QUERY_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEP_ALIVE_DELAY_MS,
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => {
      this.connections.add(client);
      if (this.interrupted) void this.terminate([client]);
    });
    this.pool.on('remove', (client) => this.connections.delete(client));
  }

  async query<Row>(sql: string, params: SqlParam[] = []): Promise<QueryResult<Row>> {
    const result = await this.pool.query(sql, params);
    return { rows: result.rows as Row[] };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    // A checked-out connection that loses its server emits 'error' (its pending query fails too): without
    // a listener that event would end the process.
    let lost: Error | undefined;
    const onError = (err: Error): void => {
      lost = err;
    };
    client.on('error', onError);
    // A connection that was lost, or whose ROLLBACK failed (it may still be inside the transaction), is
    // destroyed, not pooled.
    let broken: Error | undefined;
    let committing = false;
    try {
      await client.query('BEGIN');
      const result = await fn(clientQueryable(client));
      committing = true;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A refusal from the server (a serialization failure, a deferred constraint) means it did not commit;
      // a lost connection or no answer leaves it unknown.
      if (committing && !(err instanceof DatabaseError)) {
        broken = err as Error;
        throw new CommitOutcomeUnknownError(err as Error);
      }
      if (lost) broken = lost;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken ?? lost);
    }
  }

  /**
   * LISTENs on `channel`; reconnects when the connection drops. Notifications sent while it was down are
   * lost, so after a reconnect `onPayload('')` is called once: something may have changed meanwhile.
   */
  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    let client: Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    let dropped = false;
    const connect = async (): Promise<void> => {
      const next = new Client({ connectionString: this.connectionString, connectionTimeoutMillis: 2000, keepAlive: true, keepAliveInitialDelayMillis: KEEP_ALIVE_DELAY_MS });
      next.on('notification', (msg) => {
        if (msg.channel === channel) onPayload(msg.payload ?? '');
      });
      next.on('error', (err) => reconnect(err));
      try {
        await next.connect();
        await next.query(`LISTEN ${quoteIdent(channel)}`);
        if (stopped) await next.end();
        else {
          client = next;
          if (dropped) {
            dropped = false;
            this.options.onListenRestored?.();
            onPayload('');
          }
        }
      } catch (err) {
        next.end().catch(() => undefined);
        reconnect(err as Error);
      }
    };
    const reconnect = (err: Error): void => {
      if (stopped || this.closed) return;
      if (!dropped) this.options.onListenError?.(err);
      dropped = true;
      client?.end().catch(() => undefined);
      client = undefined;
      if (!retry) {
        retry = setTimeout(() => {
          retry = undefined;
          void connect();
        }, LISTEN_RETRY_MS);
        retry.unref();
      }
    };
    await connect();
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }

  /** The server's autovacuum and checkpointer do this. */
  async reclaimSpace(): Promise<void> {}

  /**
   * A statement waiting for a lock never reads its connection: closing it would leave the session waiting on
   * the server (and pool.end() waiting for it). Each session's running statement is cancelled with the
   * protocol's cancel request (its own connection, no login: it works with every connection slot taken, and
   * through PgBouncer, and reaches no other session), failing at once; then, as a second means, the sessions
   * are ended on the server (pg_terminate_backend, allowed for one's own role), as is any connected after.
   */
  async interrupt(): Promise<void> {
    this.interrupted = true;
    const clients = [...this.connections];
    await Promise.all(clients.map(sendCancelRequest));
    void this.terminate(clients);
  }

  private async terminate(clients: PoolClient[]): Promise<void> {
    // pg keeps each session's server process id (from BackendKeyData) on the client; its typings leave it out.
    const pids = clients.map((client) => (client as PoolClient & { processID?: number | null }).processID).filter((pid): pid is number => typeof pid === 'number');
    if (pids.length === 0) return;
    const client = new Client({ connectionString: this.connectionString, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
    } catch {
      // The server does not answer: the sessions end with their connections when this process does.
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.end();
  }
}

/** CancelRequest (PostgreSQL protocol §55.2.9): a 16-byte packet on a new connection, which the server then closes. */
const CANCEL_REQUEST_CODE = 80877102;
const CANCEL_WAIT_MS = 2000;

/** Asks the server to cancel what `client`'s session runs now; resolves once the server closed the request's connection. */
function sendCancelRequest(client: PoolClient): Promise<void> {
  // pg keeps the session's BackendKeyData and its address on the client; its typings leave them out.
  const { processID, secretKey, host, port } = client as PoolClient & { processID?: number | null; secretKey?: number | null; host?: string; port?: number };
  if (typeof processID !== 'number' || typeof secretKey !== 'number' || !host || !port) return Promise.resolve();
  return new Promise((resolve) => {
    const socket = host.startsWith('/') ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host);
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, CANCEL_WAIT_MS);
    const packet = Buffer.alloc(16);
    packet.writeInt32BE(16, 0);
    packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
    packet.writeInt32BE(processID, 8);
    packet.writeInt32BE(secretKey, 12);
    socket.once('connect', () => socket.end(packet));
    socket.once('close', done);
    socket.once('error', done);
  });
}

function clientQueryable(client: PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params: SqlParam[] = []) {
      const result = await client.query(sql, params);
      return { rows: result.rows as Row[] };
    },
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
