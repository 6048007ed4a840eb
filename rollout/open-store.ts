import { dirname } from 'node:path';
import type { StranglerConfig } from '../core/config/types';
import { openDatabase } from '../core/db/open';
import type { StateStore } from '../core/state';
import { SqlStateStore } from './sql-state-store';

/** Opens the configured state store, applies migrations and seeds the routes it does not know yet. */
export async function openStateStore(config: StranglerConfig): Promise<StateStore> {
  const db = await openDatabase(config.state.url, dirname(config.file));
  const store = new SqlStateStore(db);
  try {
    await store.init(config.routes.map((r) => ({ route: r.name, stage: r.stage, percent: r.percent })));
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
