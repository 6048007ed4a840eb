import type { Queryable } from './database';

/**
 * PGlite runs PostgreSQL as one single-user session: there is no autovacuum and no checkpointer. Deleted
 * and updated rows are never made reusable, so pruned tables grow with every row ever written, and no
 * checkpoint ever comes from WAL volume, so pg_wal grows until the database is closed. These settings and
 * reclaimEmbeddedSpace do, on the caller's request, what those server processes would do.
 */

/**
 * Start options for PGlite. They only bound how much WAL a checkpoint keeps for reuse (PostgreSQL keeps up
 * to max_wal_size, default 1 GB, when much was written since the last one); in single-user mode no checkpoint
 * is started by WAL volume, so they cost nothing else.
 */
export const EMBEDDED_WAL_SETTINGS = ['-c', 'min_wal_size=32MB', '-c', 'max_wal_size=32MB'];

/** Autovacuum's rule with a larger floor: a table is vacuumed when its dead rows exceed this… */
const VACUUM_MIN_DEAD_ROWS = 1000;
/** …plus this share of its live rows (PostgreSQL's default autovacuum_vacuum_scale_factor). */
const VACUUM_DEAD_SHARE = 0.2;
/** A checkpoint once this much WAL was written since the last one (one segment). */
const CHECKPOINT_AFTER_WAL_BYTES = 16 * 1024 * 1024;

export interface Reclaimer {
  query: Queryable['query'];
  exec(sql: string): Promise<void>;
}

/**
 * VACUUM (plain: rows can be read and written meanwhile) every table whose dead rows passed the rule above,
 * one table per statement so that queued statements run between them, then CHECKPOINT when enough WAL was
 * written, so that old segments are recycled. Three short queries when nothing is due.
 */
export async function reclaimEmbeddedSpace(db: Reclaimer): Promise<void> {
  // Table statistics reach pg_stat_* at most once a second; this makes the next statement's end publish them.
  await db.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await db.query<{ name: string }>(
    `SELECT format('%I.%I', schemaname, relname) AS name FROM pg_stat_user_tables
     WHERE n_dead_tup > $1::float8 + $2::float8 * n_live_tup ORDER BY n_dead_tup DESC`,
    [VACUUM_MIN_DEAD_ROWS, VACUUM_DEAD_SHARE],
  );
  for (const { name } of rows) await db.exec(`VACUUM ${name}`);
  const wal = await db.query<{ bytes: string | number }>('SELECT pg_current_wal_lsn() - (pg_control_checkpoint()).redo_lsn AS bytes');
  if (Number(wal.rows[0]?.bytes ?? 0) >= CHECKPOINT_AFTER_WAL_BYTES) await db.exec('CHECKPOINT');
}
