import { resolve } from 'node:path';
import { StranglerError } from '../errors';
import type { Database } from './database';

export const EMBEDDED_PREFIX = 'embedded:';

/**
 * Opens `embedded:<folder>` (PGlite) or `postgres://…`; relative folders resolve against `baseDir`. Each
 * driver is loaded only when its URL names it (a postgres:// proxy never loads PGlite).
 */
export interface OpenDatabaseOptions {
  /** PostgreSQL: its change notifications stopped (once per outage), and came back. */
  onListenError?: (err: Error) => void;
  onListenRestored?: () => void;
  /** How messages name the setting the URL came from (`strangler.yaml state.url`); default `state.url`. */
  field?: string;
  /** Stops the opening: what was opened so far is closed, and `signal.reason` thrown. */
  signal?: AbortSignal;
}

export async function openDatabase(url: string, baseDir = process.cwd(), options: OpenDatabaseOptions = {}): Promise<Database> {
  if (url.startsWith(EMBEDDED_PREFIX)) {
    const field = options.field ?? 'state.url';
    const path = url.slice(EMBEDDED_PREFIX.length);
    if (path.startsWith('~')) {
      // No shell reads this: it would be a folder literally named `~` beside the configuration.
      throw new StranglerError('STRANGLER_ERR_STATE_FOLDER', `${field}: "${url}": a leading ~ is not expanded to a home folder; give an absolute path or one relative to the configuration file`);
    }
    const folder = resolve(baseDir, path);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { EmbeddedDatabase } = require('./embedded') as typeof import('./embedded');
      return await EmbeddedDatabase.open(folder, field, options.signal);
    } catch (err) {
      options.signal?.throwIfAborted();
      if (err instanceof StranglerError) throw err;
      throw new StranglerError('STRANGLER_ERR_STATE_OPEN', `cannot open embedded state at ${folder}: ${(err as Error).message}`);
    }
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgresDatabase } = require('./postgres') as typeof import('./postgres');
    const { signal, ...postgresOptions } = options;
    const database = await PostgresDatabase.open({ url, ...postgresOptions });
    if (signal?.aborted) {
      await database.close();
      signal.throwIfAborted();
    }
    return database;
  }
  throw new StranglerError('STRANGLER_ERR_STATE_URL', `state.url must be embedded:<folder> or postgres://…, got "${url}"`);
}
