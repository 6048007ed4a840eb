import { resolve } from 'node:path';
import { StranglerError } from '../errors';
import type { Database } from './database';
import { EmbeddedDatabase } from './embedded';
import { PostgresDatabase } from './postgres';

export const EMBEDDED_PREFIX = 'embedded:';

/** Opens `embedded:<folder>` (PGlite) or `postgres://…`; relative folders resolve against `baseDir`. */
export async function openDatabase(url: string, baseDir = process.cwd()): Promise<Database> {
  if (url.startsWith(EMBEDDED_PREFIX)) {
    const folder = resolve(baseDir, url.slice(EMBEDDED_PREFIX.length));
    try {
      return await EmbeddedDatabase.open(folder);
    } catch (err) {
      if (err instanceof StranglerError) throw err;
      throw new StranglerError('STRANGLER_ERR_STATE_OPEN', `cannot open embedded state at ${folder}: ${(err as Error).message}`);
    }
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const db = new PostgresDatabase({ url });
    return db;
  }
  throw new StranglerError('STRANGLER_ERR_STATE_URL', `state.url must be embedded:<folder> or postgres://…, got "${url}"`);
}
