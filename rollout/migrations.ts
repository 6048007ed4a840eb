import type { Database } from '../core/db/database';

/** Ordered, append-only schema migrations; each runs once, recorded in strangler_migrations. */
export const MIGRATIONS: ReadonlyArray<{ id: number; name: string; sql: string }> = [
  {
    id: 1,
    name: 'route state and history',
    sql: `
      CREATE TABLE strangler_routes (
        route      text PRIMARY KEY,
        stage      text NOT NULL CHECK (stage IN ('legacy','shadow','canary','live','retired')),
        percent    integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
        version    bigint NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE strangler_route_history (
        id           bigserial PRIMARY KEY,
        route        text NOT NULL,
        at           timestamptz NOT NULL DEFAULT now(),
        actor        text NOT NULL,
        reason       text NOT NULL,
        from_stage   text,
        from_percent integer,
        to_stage     text NOT NULL,
        to_percent   integer NOT NULL
      );
      CREATE INDEX strangler_route_history_route ON strangler_route_history (route, id DESC);
    `,
  },
  {
    id: 2,
    name: 'shadow comparisons',
    sql: `
      CREATE TABLE strangler_comparisons (
        id               bigserial PRIMARY KEY,
        request_id       text NOT NULL,
        route            text NOT NULL,
        method           text NOT NULL,
        target           text NOT NULL,
        at               timestamptz NOT NULL,
        result           text NOT NULL CHECK (result IN ('match','mismatch','noise','error')),
        legacy_status    integer NOT NULL,
        candidate_status integer,
        legacy_ms        real NOT NULL,
        candidate_ms     real,
        differences      jsonb NOT NULL,
        noise            jsonb NOT NULL,
        error            text
      );
      CREATE INDEX strangler_comparisons_route_at ON strangler_comparisons (route, at);
      CREATE INDEX strangler_comparisons_at ON strangler_comparisons (at);
      CREATE INDEX strangler_comparisons_request ON strangler_comparisons (request_id)
    `,
  },
  {
    id: 3,
    name: 'how far comparisons were pruned',
    sql: `
      CREATE TABLE strangler_comparisons_pruned (
        single  boolean PRIMARY KEY DEFAULT true CHECK (single),
        through timestamptz NOT NULL
      )
    `,
  },
  {
    id: 4,
    name: 'matches stored a batch to a row',
    sql: `
      ALTER TABLE strangler_comparisons ADD COLUMN comparisons integer NOT NULL DEFAULT 1;
      ALTER TABLE strangler_comparisons ADD COLUMN match_list text
    `,
  },
  {
    id: 5,
    name: 'running count of comparisons, for retention',
    sql: `
      ALTER TABLE strangler_comparisons ADD COLUMN upto bigint;
      UPDATE strangler_comparisons SET upto = running.upto
        FROM (SELECT id, sum(comparisons) OVER (ORDER BY id) AS upto FROM strangler_comparisons) running
        WHERE running.id = strangler_comparisons.id;
      CREATE INDEX strangler_comparisons_upto ON strangler_comparisons (upto)
    `,
  },
  {
    id: 6,
    name: 'comparison counts per minute',
    // Comparisons stored before this have no counts: the pruned mark says reports no longer count them.
    sql: `
      CREATE TABLE strangler_comparison_counts (
        route       text NOT NULL,
        minute      timestamptz NOT NULL,
        result      text NOT NULL CHECK (result IN ('match','mismatch','noise','error')),
        differences text NOT NULL,
        noise       text NOT NULL,
        error       text,
        comparisons bigint NOT NULL
      );
      CREATE INDEX strangler_comparison_counts_minute ON strangler_comparison_counts (minute);
      CREATE TABLE strangler_comparison_latency (
        route   text NOT NULL,
        minute  timestamptz NOT NULL,
        side    text NOT NULL CHECK (side IN ('legacy','candidate')),
        buckets text NOT NULL
      );
      CREATE INDEX strangler_comparison_latency_minute ON strangler_comparison_latency (minute);
      DELETE FROM strangler_comparisons_pruned;
      INSERT INTO strangler_comparisons_pruned (through)
        SELECT date_trunc('minute', max(at)) + interval '1 minute' FROM strangler_comparisons HAVING count(*) > 0
    `,
  },
  {
    id: 7,
    name: 'comparison counts merged by the hour once a day old',
    sql: `
      CREATE TABLE strangler_comparison_counts_compacted (
        single  boolean PRIMARY KEY DEFAULT true CHECK (single),
        through timestamptz NOT NULL
      )
    `,
  },
  {
    id: 8,
    name: 'one comparison count row per minute and outcome, however many proxies write it',
    sql: `
      CREATE FUNCTION strangler_merge_buckets(VARIADIC lists text[]) RETURNS text LANGUAGE sql IMMUTABLE AS $merge$
        SELECT coalesce('[' || string_agg('[' || bucket || ',' || total || ']', ',' ORDER BY bucket) || ']', '[]')
        FROM (SELECT (pair->>0)::integer AS bucket, sum((pair->>1)::bigint) AS total
              FROM unnest(lists) list, json_array_elements(list::json) pair
              GROUP BY 1) merged
      $merge$;
      WITH gone AS (
        DELETE FROM strangler_comparison_counts c
        USING (SELECT DISTINCT route, minute FROM strangler_comparison_counts
               GROUP BY route, minute, result, differences, noise, error HAVING count(*) > 1) dup
        WHERE c.route = dup.route AND c.minute = dup.minute
        RETURNING c.*)
      INSERT INTO strangler_comparison_counts (route, minute, result, differences, noise, error, comparisons)
        SELECT route, minute, result, differences, noise, error, sum(comparisons) FROM gone
        GROUP BY route, minute, result, differences, noise, error;
      WITH gone AS (
        DELETE FROM strangler_comparison_latency l
        USING (SELECT route, minute, side FROM strangler_comparison_latency GROUP BY route, minute, side HAVING count(*) > 1) dup
        WHERE l.route = dup.route AND l.minute = dup.minute AND l.side = dup.side
        RETURNING l.*)
      INSERT INTO strangler_comparison_latency (route, minute, side, buckets)
        SELECT route, minute, side, strangler_merge_buckets(VARIADIC array_agg(buckets)) FROM gone
        GROUP BY route, minute, side;
      CREATE UNIQUE INDEX strangler_comparison_counts_key
        ON strangler_comparison_counts (route, minute, result, md5(differences), md5(noise), coalesce(md5(error), ''));
      CREATE UNIQUE INDEX strangler_comparison_latency_key ON strangler_comparison_latency (route, minute, side)
    `,
  },
  {
    id: 9,
    name: 'outside canary the stage sets the percentage',
    // Configurations used to be taken with any percentage in any stage (retired at 0 %, shadow at 25 %). Traffic
    // never followed it, but status showed it, and a later move to canary kept it: such rows are set to what
    // their stage implies, with a history entry saying why.
    sql: `
      WITH fixed AS (
        UPDATE strangler_routes r
        SET percent = CASE WHEN r.stage IN ('live', 'retired') THEN 100 ELSE 0 END, version = r.version + 1, updated_at = now()
        FROM strangler_routes stored
        WHERE stored.route = r.route AND r.stage <> 'canary'
          AND r.percent <> CASE WHEN r.stage IN ('live', 'retired') THEN 100 ELSE 0 END
        RETURNING r.route, r.stage, stored.percent AS from_percent, r.percent AS to_percent)
      INSERT INTO strangler_route_history (route, actor, reason, from_stage, from_percent, to_stage, to_percent)
        SELECT route, 'upgrade', 'outside canary the stage sets the percentage', stage, from_percent, stage, to_percent FROM fixed
    `,
  },
  {
    id: 10,
    name: 'comparison count writes applied once, whatever happens to their answer',
    // Each counts write records its id here in the statement that adds its counts: a retry of a write whose
    // answer was lost (it committed, the connection died) finds its id and adds nothing.
    sql: `
      CREATE TABLE strangler_comparison_count_writes (
        id text PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX strangler_comparison_count_writes_at ON strangler_comparison_count_writes (at)
    `,
  },
];

/** The advisory lock that serialises migrations, so replicas starting together do not race. */
export const MIGRATION_LOCK = 74210391;

/**
 * Applies the migrations the database lacks, one process at a time (an advisory lock). A database that has
 * them all needs no DDL, so replicas may run as a role that only reads and writes rows (the owner migrates
 * once); when one is pending and the role cannot create, the error names it.
 */
export async function migrate(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    const { rows: table } = await tx.query<{ present: boolean }>("SELECT to_regclass('strangler_migrations') IS NOT NULL AS present");
    if (!table[0]?.present) {
      await ddl(
        () => tx.query(`CREATE TABLE IF NOT EXISTS strangler_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`),
        'the table of applied migrations',
      );
    }
    const { rows } = await tx.query<{ id: number }>('SELECT id FROM strangler_migrations');
    const applied = new Set(rows.map((r) => Number(r.id)));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.id)) continue;
      await ddl(async () => {
        for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      }, `migration ${migration.id} (${migration.name})`);
      await tx.query('INSERT INTO strangler_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
    }
  });
}

/** Runs schema changes; a refusal for lack of rights (42501) says what needed them and who can do it. */
async function ddl(run: () => Promise<unknown>, what: string): Promise<void> {
  try {
    await run();
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
    throw new Error(`${(err as Error).message}: ${what} needs the right to create tables; start one proxy once as the database's owner, then replicas need only to read and write rows`);
  }
}

function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
