import { dirname } from 'node:path';
import type { StranglerConfig } from '../core/config/types';
import { redactUrl } from '../core/config/redact';
import type { Database } from '../core/db/database';
import { openDatabase } from '../core/db/open';
import { StranglerError } from '../core/errors';
import type { Logger } from '../core/logging';
import type { StateStore } from '../core/state';
import { SqlStateStore } from './sql-state-store';

/** Whether the store's change notifications (PostgreSQL LISTEN) are lost right now: changes then arrive by polling only. */
export interface StoreNotifications {
  lost: boolean;
}

/**
 * Opens the configured state store, applies migrations and seeds the routes it does not know yet.
 * `database` is the same connection, for the other tables that live beside the route state.
 * `signal` stops an opening under way (a SIGTERM while waiting for another replica's migration lock, or while
 * a new embedded store is created): what was opened so far is closed and `signal.reason` thrown.
 */
export async function openStateStore(
  config: StranglerConfig,
  logger?: Logger,
  signal?: AbortSignal,
): Promise<{ store: StateStore; database: Database; notifications: StoreNotifications }> {
  signal?.throwIfAborted();
  const notifications: StoreNotifications = { lost: false };
  const db = await openDatabase(config.state.url, dirname(config.file), {
    signal,
    field: `${config.file} state.url`,
    onListenError: (err) => {
      notifications.lost = true;
      logger?.warn({ err: err.message }, `state store notifications lost: reconnecting; meanwhile changes made through other replicas arrive by polling (every ${config.state.pollMs} ms)`);
    },
    onListenRestored: () => {
      notifications.lost = false;
      logger?.info('state store notifications back: re-reading the route state');
    },
  });
  const store = new SqlStateStore(db);
  // Statements waiting (for the migration lock) would hold a stop as long as they wait: they are ended.
  const interrupt = (): void => void db.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  try {
    signal?.throwIfAborted();
    await store.init(config.routes.map((r) => ({ route: r.name, stage: r.stage, percent: r.percent })));
  } catch (err) {
    await store.close().catch(() => undefined);
    signal?.throwIfAborted();
    throw new StranglerError('STRANGLER_ERR_STATE_INIT', `cannot open the state store ${redactUrl(config.state.url)}: ${describe(err)}`);
  } finally {
    signal?.removeEventListener('abort', interrupt);
  }
  return { store, database: db, notifications };
}

function describe(err: unknown): string {
  const error = err as NodeJS.ErrnoException & { errors?: Error[] };
  // pg reports a refused connection to a dual-stack host as an AggregateError with an empty message.
  if (!error.message && error.errors?.length) return error.errors.map((e) => e.message).join('; ');
  return error.message || error.code || String(err);
}
