import { execFile } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StranglerError } from '../errors';
import { lockFolder } from './folder-lock';
import { DATA_DIR_MARKER, prepareStateFolder } from './state-folder';
import { EMBEDDED_WAL_SETTINGS, reclaimEmbeddedSpace } from './embedded-reclaim';
import type { Database, Queryable, QueryResult, SqlParam } from './database';
import { embeddedWorkerMain, type WorkerError, type WorkerReply, type WorkerRequest, type WorkerStartData } from './embedded-worker';

/** A request before its id is assigned (Omit over each member of the union). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<WorkerRequest>;

interface Pending {
  resolve(rows: unknown[] | undefined): void;
  reject(err: Error): void;
}

const OPEN_REPLY_ID = 0;

/**
 * PGlite (PostgreSQL in WASM) persisted to a folder: one session, owned by this process.
 *
 * PGlite runs in a worker thread. On the caller's thread it would hold the event loop for every
 * statement (about 3 ms for a 200-row insert), and every proxied request waiting behind it would pay
 * that in latency. Here the caller's thread only copies parameters and rows across.
 */
export class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<number, (payload: string) => void>();
  private nextId = OPEN_REPLY_ID + 1;
  private failure: Error | undefined;
  private closing = false;
  /** The reclaim under way: callers arriving meanwhile share it rather than vacuum twice. */
  private reclaiming: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly folder: string,
    private readonly unlock: () => void,
  ) {
    worker.on('message', (reply: WorkerReply) => this.receive(reply));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`the embedded database's worker thread exited with code ${code}`));
    });
  }

  /**
   * `field`: how messages about the folder name the setting that gave it. `signal` stops the opening: a new
   * store being created is abandoned (nothing of it is left beside the folder), one being opened is opened
   * and closed again; the folder's lock is released and `signal.reason` thrown.
   */
  static async open(folder: string, field = 'state.url', signal?: AbortSignal): Promise<EmbeddedDatabase> {
    signal?.throwIfAborted();
    prepareStateFolder(folder, field);
    const unlock = lockFolder(folder);
    let database: EmbeddedDatabase | undefined;
    try {
      const start: WorkerStartData = { pglite: require.resolve('@electric-sql/pglite'), folder, settings: EMBEDDED_WAL_SETTINGS };
      await createInChildProcess(start, signal);
      signal?.throwIfAborted();
      database = new EmbeddedDatabase(new Worker(`(${embeddedWorkerMain.toString()})()`, { eval: true, workerData: start }), folder, unlock);
      // Not cut short by the signal: a worker ended while PGlite writes the folder could leave it half-written.
      await database.await(OPEN_REPLY_ID);
      if (signal?.aborted) {
        await database.close();
        signal.throwIfAborted();
      }
      return database;
    } catch (err) {
      if (database?.closing) throw err;
      if (database) {
        database.closing = true;
        await database.worker.terminate();
      }
      unlock();
      throw err;
    }
  }

  async query<Row>(sql: string, params: SqlParam[] = []): Promise<QueryResult<Row>> {
    return { rows: (await this.call({ op: 'query', sql, params })) as Row[] };
  }

  async exec(sql: string): Promise<void> {
    await this.call({ op: 'exec', sql });
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const tx = this.nextId++;
    await this.call({ op: 'begin' }, tx);
    let result: T;
    try {
      result = await fn({
        query: async <Row>(sql: string, params: SqlParam[] = []) => ({
          rows: (await this.call({ op: 'query', sql, params, tx })) as Row[],
        }),
      });
    } catch (err) {
      await this.call({ op: 'end', tx, commit: false }).catch(() => undefined);
      throw err;
    }
    await this.call({ op: 'end', tx, commit: true });
    return result;
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    const subscription = this.nextId++;
    this.listeners.set(subscription, onPayload);
    try {
      await this.call({ op: 'listen', channel }, subscription);
    } catch (err) {
      this.listeners.delete(subscription);
      throw err;
    }
    return async () => {
      if (!this.listeners.delete(subscription) || this.failure) return;
      await this.call({ op: 'unlisten', subscription });
    };
  }

  /** Runs in the worker, like every statement: the caller's thread only waits for the answer. */
  reclaimSpace(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.reclaiming ??= reclaimEmbeddedSpace(this).finally(() => (this.reclaiming = undefined));
    return this.reclaiming;
  }

  /** One session in this process, its statements short: they end by themselves. */
  async interrupt(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      if (!this.failure) await this.call({ op: 'close' });
    } finally {
      await this.worker.terminate();
      this.unlock();
    }
  }

  /** Sends `request` under `id` (a transaction's or subscription's own id, when the caller needs it). */
  private call(request: Request, id = this.nextId++): Promise<unknown[] | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = this.await(id);
    this.worker.postMessage({ ...request, id } as WorkerRequest);
    return reply;
  }

  private await(id: number): Promise<unknown[] | undefined> {
    // The worker keeps the process alive only while an answer is awaited, as PGlite in-process would.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private receive(reply: WorkerReply): void {
    if ('notify' in reply) {
      this.listeners.get(reply.notify)?.(reply.payload);
      return;
    }
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.settled(reply.id);
    if (reply.ok) waiting.resolve(reply.rows);
    else waiting.reject(asError(reply.error));
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(cause: Error): void {
    this.failure ??= new StranglerError('STRANGLER_ERR_STATE_FAILED', `embedded state ${this.folder} failed: ${cause.message}`);
    for (const [id, waiting] of this.pending) {
      this.settled(id);
      waiting.reject(this.failure);
    }
  }
}

function asError(error: WorkerError): Error {
  return Object.assign(new Error(error.message), error.fields);
}

/**
 * Creates a new data directory in a short-lived child process. PGlite's first start (initdb) grows its
 * WebAssembly memory to ~0.8 GB, which it never gives back: done in the worker, a proxy started on a fresh
 * folder (every container start with an empty volume) would hold that for its whole life instead of the
 * ~0.3 GB of opening an existing one. The child builds it beside the folder and the entries are moved in
 * with the marker last, so a half-made directory is never opened. If the child cannot do it, the worker
 * creates the directory itself and reports any real error.
 */
async function createInChildProcess(start: WorkerStartData, signal?: AbortSignal): Promise<void> {
  if (existsSync(join(start.folder, DATA_DIR_MARKER))) return;
  // The caller holds the folder's lock, so staging folders of earlier, interrupted starts are abandoned.
  const stagingPrefix = `${basename(start.folder)}.creating-`;
  for (const entry of readdirSync(dirname(start.folder))) {
    if (entry.startsWith(stagingPrefix)) rmSync(join(dirname(start.folder), entry), { recursive: true, force: true });
  }
  const staging = join(dirname(start.folder), `${stagingPrefix}${process.pid}`);
  const script = `require(${JSON.stringify(start.pglite)}).PGlite.create(${JSON.stringify(staging)}).then((db) => db.close())`;
  try {
    await runScript(script, signal);
    if (!existsSync(join(staging, DATA_DIR_MARKER))) return;
    const entries = readdirSync(staging).filter((entry) => entry !== DATA_DIR_MARKER);
    for (const entry of [...entries, DATA_DIR_MARKER]) renameSync(join(staging, entry), join(start.folder, entry));
  } catch {
    // The worker creates the directory instead (unless the opening was stopped: the caller sees the signal).
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Runs `script` in a child node process. `signal` kills it; either way this settles once the child has exited
 * (execFile's own `signal` option reports at once, while the child may still be writing).
 */
function runScript(script: string, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const kill = (): void => void child.kill('SIGKILL');
    const child = execFile(process.execPath, ['-e', script], { timeout: 120_000 }, (err) => {
      signal?.removeEventListener('abort', kill);
      if (err) reject(err);
      else resolve();
    });
    if (signal?.aborted) kill();
    else signal?.addEventListener('abort', kill, { once: true });
  });
}
