import type { SqlParam } from './database';

/**
 * The messages between EmbeddedDatabase (the caller's thread) and the worker thread that runs PGlite.
 * Every request carries an id; the worker answers each with a reply of the same id, in the order the
 * work finishes. Notifications arrive on the same port, so one sent by a statement reaches the caller
 * before that statement's reply, as it does in-process.
 */
export type WorkerRequest =
  | { id: number; op: 'query'; sql: string; params: SqlParam[]; tx?: number }
  | { id: number; op: 'exec'; sql: string }
  /** Opens a transaction; its id is this request's id. */
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'unlisten'; subscription: number }
  | { id: number; op: 'close' };

/** The fields of a PostgreSQL error that survive the trip between threads. */
export interface WorkerError {
  message: string;
  fields: Record<string, string | number>;
}

export type WorkerReply =
  | { id: number; ok: true; rows?: unknown[] }
  | { id: number; ok: false; error: WorkerError }
  /** A NOTIFY for the subscription made by the listen request with this id. */
  | { notify: number; payload: string };

export interface WorkerStartData {
  /** Absolute path of PGlite's CommonJS entry, resolved by the caller (the worker has no module context). */
  pglite: string;
  folder: string;
  /** Start options (`-c name=value`) added to PGlite's own. */
  settings: string[];
}

/**
 * The worker's whole program. It runs from its source text (`new Worker(code, { eval: true })`), so it
 * works the same from compiled JavaScript and under a TypeScript test runner; that is also why it
 * reaches everything through `require` and refers to nothing outside its own body.
 */
export function embeddedWorkerMain(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { PGlite } = require((workerData as WorkerStartData).pglite) as typeof import('@electric-sql/pglite');
  type Transaction = Parameters<Parameters<InstanceType<typeof PGlite>['transaction']>[0]>[0];
  if (!parentPort) throw new Error('embeddedWorkerMain runs only in a worker thread');
  const port = parentPort;

  const ERROR_FIELDS = ['code', 'severity', 'detail', 'hint', 'position', 'where', 'schema', 'table', 'column', 'constraint'];
  const asError = (err: unknown): WorkerError => {
    const source = (err ?? {}) as Record<string, unknown>;
    const fields: Record<string, string | number> = {};
    for (const name of ERROR_FIELDS) {
      const value = source[name];
      if (typeof value === 'string' || typeof value === 'number') fields[name] = value;
    }
    return { message: err instanceof Error ? err.message : String(err), fields };
  };
  const reply = (message: WorkerReply): void => port.postMessage(message);
  const fail = (id: number, err: unknown): void => reply({ id, ok: false, error: asError(err) });

  interface OpenTransaction {
    tx: Transaction;
    end(endId: number, commit: boolean): void;
  }
  const transactions = new Map<number, OpenTransaction>();
  const subscriptions = new Map<number, () => Promise<void>>();
  const ROLLBACK = Symbol('rollback');

  const begin = (db: InstanceType<typeof PGlite>, id: number): void => {
    let endId: number | undefined;
    db.transaction(
      (tx) =>
        new Promise<void>((resolve, reject) => {
          transactions.set(id, {
            tx,
            end(requestId, commit) {
              endId = requestId;
              transactions.delete(id);
              if (commit) resolve();
              else reject(ROLLBACK);
            },
          });
          reply({ id, ok: true });
        }),
    ).then(
      () => reply({ id: endId as number, ok: true }),
      (err: unknown) => {
        if (endId === undefined) {
          transactions.delete(id);
          fail(id, err);
        } else if (err === ROLLBACK) reply({ id: endId, ok: true });
        else fail(endId, err);
      },
    );
  };

  const serve = async (db: InstanceType<typeof PGlite>, request: WorkerRequest): Promise<void> => {
    switch (request.op) {
      case 'query': {
        const target = request.tx === undefined ? db : transactions.get(request.tx)?.tx;
        if (!target) throw new Error(`transaction ${request.tx} is not open`);
        const result = await target.query(request.sql, request.params);
        reply({ id: request.id, ok: true, rows: result.rows });
        return;
      }
      case 'exec':
        await db.exec(request.sql);
        reply({ id: request.id, ok: true });
        return;
      case 'begin':
        begin(db, request.id);
        return;
      case 'end': {
        const open = transactions.get(request.tx);
        if (!open) throw new Error(`transaction ${request.tx} is not open`);
        open.end(request.id, request.commit);
        return;
      }
      case 'listen': {
        const subscription = request.id;
        subscriptions.set(subscription, await db.listen(request.channel, (payload) => reply({ notify: subscription, payload })));
        reply({ id: request.id, ok: true });
        return;
      }
      case 'unlisten':
        await subscriptions.get(request.subscription)?.();
        subscriptions.delete(request.subscription);
        reply({ id: request.id, ok: true });
        return;
      case 'close':
        await db.close();
        reply({ id: request.id, ok: true });
        port.close();
        return;
    }
  };

  const start = workerData as WorkerStartData;
  PGlite.create(start.folder, { startParams: [...PGlite.defaultStartParams, ...start.settings] }).then(
    (db) => {
      port.on('message', (request: WorkerRequest) => {
        serve(db, request).catch((err: unknown) => fail(request.id, err));
      });
      reply({ id: 0, ok: true });
    },
    (err: unknown) => fail(0, err),
  );
}
