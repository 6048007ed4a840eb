import { dirname } from 'node:path';
import type { StranglerConfig } from '../core/config/types';
import { redactUrl } from '../core/config/redact';
import type { Database } from '../core/db/database';
import { openDatabase } from '../core/db/open';
import { StranglerError } from '../core/errors';
import type { Logger } from '../core/logging';
import type { StateStore } from '../core/state';
import { SqlStateStore } from './sql-state-store';

/**
 * Opens the configured state store, applies migrations and seeds the routes it does not know yet.
 * `database` is the same connection, for the other tables that live beside the route state.
 */
/** Whether the store's change notifications (PostgreSQL LISTEN) are lost right now: changes then arrive by polling only. */
export interface StoreNotifications {
  lost: boolean;
}

export async function openStateStore(config: StranglerConfig, logger?: Logger): Promise<{ store: StateStore; database: Database; notifications: StoreNotifications }> {
  const notifications: StoreNotifications = { lost: false };
  const db = await openDatabase(config.state.url, dirname(config.file), {
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
  try {
    await store.init(config.routes.map((r) => ({ route: r.name, stage: r.stage, percent: r.percent })));
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new StranglerError('STRANGLER_ERR_STATE_INIT', `cannot open the state store ${redactUrl(config.state.url)}: ${describe(err)}`);
  }
  return { store, database: db, notifications };
}

function describe(err: unknown): string {
  const error = err as NodeJS.ErrnoException & { errors?: Error[] };
  // pg reports a refused connection to a dual-stack host as an AggregateError with an empty message.
  if (!error.message && error.errors?.length) return error.errors.map((e) => e.message).join('; ');
  return error.message || error.code || String(err);
}
