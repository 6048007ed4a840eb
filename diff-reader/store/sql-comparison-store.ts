import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import {
  MAX_QUERY_COMPARISONS,
  type ComparisonCount,
  type ComparisonQuery,
  type ComparisonRecord,
  type ComparisonStore,
  type ComparisonTally,
  type CountQuery,
  type CountBucketsFor,
  type CountsRead,
  type FieldDifference,
  type LatencyCount,
  type LatencySide,
  type PathKinds,
  type ReportCountsRead,
  type RequestComparisons,
} from '../../core/comparison';
import { jsonForPostgres } from '../../core/db/json-for-postgres';
import type { Database, Queryable } from '../../core/db/database';
import { LatencySketch, type LatencyBuckets } from '../../core/latency-sketch';
import { ComparisonTallier, countingStart, countKey, HOUR_MS, hourStart } from '../counts';
import { countSpan, countsPerBucket, countsPerMinute, type CountFilter, type CountSelect } from './count-sums';
import { decodeMatches, encodeMatches, isPlainMatch, newestArrival } from './match-list';

interface ComparisonRow {
  id: string | number;
  request_id: string;
  route: string;
  method: string;
  target: string;
  at: Date | string;
  result: ComparisonRecord['result'];
  legacy_status: number;
  candidate_status: number | null;
  legacy_ms: number;
  candidate_ms: number | null;
  differences: FieldDifference[] | string;
  noise: FieldDifference[] | string;
  error: string | null;
  /** The matches of a batch row (see match-list.ts); null for a row of one comparison. */
  match_list: string | null;
}

interface CountRow {
  route: string;
  minute: Date | string;
  result: ComparisonCount['result'];
  differences: string;
  noise: string;
  error: string | null;
  comparisons: string | number;
}

/** Latency rows fetched at a time by readCounts: a page of 500 sketches (~230 buckets each) held the event loop 12-33 ms. */
const LATENCY_PAGE = 100;

/** Count rows fetched at a time by readCounts. */
const COUNT_PAGE = 1000;

interface LatencyRow {
  route: string;
  minute: Date | string;
  side: LatencyCount['side'];
  buckets: string;
}

const COLUMNS = 'request_id, route, method, target, at, result, legacy_status, candidate_status, legacy_ms, candidate_ms, differences, noise, error';
const READ_COLUMNS = `id, ${COLUMNS}, match_list`;
const MAX_QUERY_ROWS = MAX_QUERY_COMPARISONS;

/**
 * Comparisons in the state store's database (the schema comes with the state store's migrations). A row
 * holds one comparison, or, for plain matches, a batch of one route's matches (`comparisons` of them, in
 * `match_list`; `at` is the newest one's arrival). Readers see comparisons either way.
 */
export class SqlComparisonStore implements ComparisonStore {
  constructor(private readonly db: Database) {}

  async write(batch: ComparisonRecord[]): Promise<void> {
    if (batch.length === 0) return;
    const singles: ComparisonRecord[] = [];
    const matchesByRoute = new Map<string, ComparisonRecord[]>();
    for (const record of batch) {
      if (!isPlainMatch(record)) {
        singles.push(record);
        continue;
      }
      const list = matchesByRoute.get(record.route) ?? [];
      list.push(record);
      matchesByRoute.set(record.route, list);
    }
    const matchRows = [...matchesByRoute];
    // One statement per batch: unnest keeps it to 17 parameters whatever the batch size. `upto` numbers
    // the comparisons written so far (each row's last), which is what retention counts.
    await this.db.query(
      `WITH written AS (
         SELECT single.*, 1 AS n, NULL::text AS list, single.ord AS position
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::int[], $8::int[],
                     $9::real[], $10::real[], $11::jsonb[], $12::jsonb[], $13::text[])
              WITH ORDINALITY AS single(request_id, route, method, target, at, result, legacy_status, candidate_status,
                                        legacy_ms, candidate_ms, differences, noise, error, ord)
         UNION ALL
         SELECT '', batch.route, '', '', batch.at, 'match', 0, NULL, 0, NULL, '[]'::jsonb, '[]'::jsonb, NULL, batch.ord,
                batch.n, batch.list, cardinality($1::text[]) + batch.ord
         FROM unnest($14::text[], $15::timestamptz[], $16::int[], $17::text[]) WITH ORDINALITY AS batch(route, at, n, list, ord)),
       before AS (SELECT coalesce((SELECT upto FROM strangler_comparisons ORDER BY id DESC LIMIT 1), 0) AS upto)
       INSERT INTO strangler_comparisons (${COLUMNS}, comparisons, match_list, upto)
       SELECT ${COLUMNS}, n, list, before.upto + sum(n) OVER (ORDER BY position) FROM written, before ORDER BY position`,
      [
        singles.map((r) => r.requestId),
        singles.map((r) => r.route),
        singles.map((r) => r.method),
        singles.map((r) => r.target),
        singles.map((r) => r.at),
        singles.map((r) => r.result),
        singles.map((r) => r.legacyStatus),
        singles.map((r) => r.candidateStatus ?? null) as number[],
        singles.map((r) => r.legacyMs),
        singles.map((r) => r.candidateMs ?? null) as number[],
        singles.map((r) => jsonForPostgres(r.differences)),
        singles.map((r) => jsonForPostgres(r.noise)),
        singles.map((r) => r.error ?? null) as string[],
        matchRows.map(([route]) => route),
        matchRows.map(([, matches]) => newestArrival(matches).toISOString()),
        matchRows.map(([, matches]) => matches.length),
        matchRows.map(([, matches]) => encodeMatches(matches)),
      ],
    );
  }

  async query(query: ComparisonQuery): Promise<ComparisonRecord[]> {
    const conditions: string[] = [];
    const params: Array<string | number | Date> = [];
    if (query.route) {
      params.push(query.route);
      conditions.push(`route = $${params.length}`);
    }
    if (query.since) {
      params.push(query.since);
      conditions.push(`at >= $${params.length}`);
    }
    if (query.differing) conditions.push(`match_list IS NULL AND (result <> 'match' OR noise <> '[]'::jsonb)`);
    if (query.only === 'mismatches') conditions.push(`match_list IS NULL AND result = 'mismatch'`);
    if (query.only === 'noise') conditions.push(`match_list IS NULL AND result IN ('match', 'noise') AND noise <> '[]'::jsonb`);
    const limit = Math.min(query.limit ?? MAX_QUERY_ROWS, MAX_QUERY_ROWS);
    // Every row holds at least one comparison, so `limit` rows always hold the newest `limit` comparisons.
    params.push(limit);
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const { rows } = await this.db.query<ComparisonRow>(
      `SELECT ${READ_COLUMNS} FROM strangler_comparisons ${where} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    const since = query.since?.getTime();
    // Ids follow writes, not arrivals (a batch's matches are one row, written after its other comparisons),
    // so the newest `limit` are chosen by arrival: every row whose newest arrival can still make the cut.
    const found: ComparisonRecord[] = [];
    let cutoff = Number.NEGATIVE_INFINITY;
    for (const row of rows) {
      if (new Date(row.at).getTime() < cutoff) continue;
      for (const record of recordsOf(row)) {
        if (since === undefined || Date.parse(record.at) >= since) found.push(record);
      }
      if (cutoff === Number.NEGATIVE_INFINITY && found.length >= limit) cutoff = Date.parse(oldestFirst(found)[found.length - limit]!.at);
    }
    return oldestFirst(found).slice(-limit);
  }

  async get(requestId: string): Promise<ComparisonRecord | undefined> {
    return (await this.newestByRequestId(requestId, 'exact', 1))[0];
  }

  async startingWith(prefix: string, limit: number, route?: string): Promise<ComparisonRecord[]> {
    return this.newestByRequestId(prefix, 'prefix', limit, route);
  }

  async withRequestId(requestId: string, options: { route?: string; limit: number }): Promise<RequestComparisons> {
    const inList = listEntryStart(requestId, 'exact');
    const onRoute = options.route === undefined ? '' : 'AND route = $4';
    const params = [requestId, inList, options.limit, ...(options.route === undefined ? [] : [options.route])];
    // By arrival: a row's `at` is its newest comparison's, so the newest `limit` rows hold the newest `limit` single
    // comparisons (and, but for matches of one batch arriving apart, the newest kept matches).
    const { rows } = await this.db.query<ComparisonRow>(
      `(SELECT ${READ_COLUMNS} FROM strangler_comparisons WHERE match_list IS NULL AND request_id = $1 ${onRoute} ORDER BY at DESC, id DESC LIMIT $3)
       UNION ALL
       (SELECT ${READ_COLUMNS} FROM strangler_comparisons WHERE match_list IS NOT NULL AND strpos(match_list, $2) > 0 ${onRoute} ORDER BY at DESC, id DESC LIMIT $3)
       ORDER BY id DESC`,
      params,
    );
    const found = rows.flatMap((row) => recordsOf(row).reverse()).filter((record) => record.requestId === requestId);
    const newest = found.sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, options.limit);
    // Each entry of a batch starts with `["<id>"`, found nowhere else in it (see listEntryStart): counting the
    // occurrences counts the matches with this id.
    const counted = await this.db.query<{ route: string; comparisons: string | number }>(
      `SELECT route, sum(n) AS comparisons FROM (
         SELECT route, count(*) AS n FROM strangler_comparisons WHERE match_list IS NULL AND request_id = $1 GROUP BY route
         UNION ALL
         SELECT route, sum((length(match_list) - length(replace(match_list, $2, ''))) / length($2)) AS n
         FROM strangler_comparisons WHERE match_list IS NOT NULL AND strpos(match_list, $2) > 0 GROUP BY route) kept
       GROUP BY route ORDER BY route`,
      [requestId, inList],
    );
    return { newest, kept: counted.rows.map((row) => ({ route: row.route, comparisons: Number(row.comparisons) })) };
  }

  async oldestKept(): Promise<Date | undefined> {
    const { rows } = await this.db.query<{ at: Date | string | null }>('SELECT min(at) AS at FROM strangler_comparisons');
    return rows[0]?.at ? new Date(rows[0].at) : undefined;
  }

  /**
   * The newest comparison of each request id equal to (or starting with) `id`, newest first, up to `limit`
   * ids: single rows through request_id (its index, for an exact id), batches of matches by their text (see
   * listEntryStart).
   */
  private async newestByRequestId(id: string, match: 'exact' | 'prefix', limit: number, route?: string): Promise<ComparisonRecord[]> {
    const exact = match === 'exact';
    const onRoute = route === undefined ? '' : 'AND route = $4';
    const { rows } = await this.db.query<ComparisonRow>(
      `(SELECT ${READ_COLUMNS} FROM strangler_comparisons WHERE match_list IS NULL AND request_id ${exact ? '=' : 'LIKE'} $1 ${onRoute} ORDER BY id DESC LIMIT $3)
       UNION ALL
       (SELECT ${READ_COLUMNS} FROM strangler_comparisons WHERE match_list IS NOT NULL AND strpos(match_list, $2) > 0 ${onRoute} ORDER BY id DESC LIMIT $3)
       ORDER BY id DESC`,
      [exact ? id : id.replace(/[\\%_]/g, (c) => `\\${c}`) + '%', listEntryStart(id, match), limit, ...(route === undefined ? [] : [route])],
    );
    const newest = new Map<string, ComparisonRecord>();
    for (const row of rows) {
      for (const record of recordsOf(row).reverse()) {
        if (newest.size >= limit) break;
        const named = exact ? record.requestId === id : record.requestId.startsWith(id);
        if (named && !newest.has(record.requestId)) newest.set(record.requestId, record);
      }
    }
    return [...newest.values()];
  }

  /**
   * Deletes the oldest rows while the newer ones still hold at least `keep` comparisons (a batch of matches
   * goes whole, so up to one batch more is kept). `upto` counts comparisons through each row, so the
   * boundary is one index lookup whatever the table holds.
   */
  async prune(keep: number): Promise<number> {
    const { rows } = await this.db.query<{ deleted: string | number }>(
      `WITH boundary AS (
         SELECT id FROM strangler_comparisons
         WHERE upto <= (SELECT upto FROM strangler_comparisons ORDER BY id DESC LIMIT 1) - $1
         ORDER BY upto DESC LIMIT 1),
       doomed AS (
         DELETE FROM strangler_comparisons
         WHERE id <= (SELECT id FROM boundary)
         RETURNING comparisons)
       SELECT coalesce(sum(comparisons), 0) AS deleted FROM doomed`,
      [keep],
    );
    return Number(rows[0]?.deleted ?? 0);
  }

  async reclaimSpace(): Promise<void> {
    await this.db.reclaimSpace();
  }

  async writeCounts(tally: ComparisonTally, writeId: string = randomUUID()): Promise<void> {
    await insertTally(this.db, tally, writeId);
  }

  /**
   * One snapshot (repeatable read): the compaction and prune marks and the rows they apply to are read
   * together, so a compaction committing meanwhile cannot leave a report flooring `since` by one rule and
   * reading by another, nor a prune make it misstate what was not counted.
   */
  async readCounts(query: CountQuery): Promise<CountsRead> {
    return this.inCountsSnapshot(query, async (tx, filter) => ({
      counts: await countRows(tx, countsPerMinute(filter)),
      latency: await mergedLatency(tx, filter.where, filter.params),
    }));
  }

  /** The same snapshot as readCounts; the span is read first, as the buckets depend on it. */
  async readReportCounts(query: CountQuery, bucketsFor: CountBucketsFor): Promise<ReportCountsRead> {
    return this.inCountsSnapshot(query, async (tx, filter, compactedThrough) => {
      const span = await countSpan(tx, filter);
      return {
        counts: await countRows(tx, countsPerBucket(filter, bucketsFor(span, compactedThrough))),
        latency: await mergedLatency(tx, filter.where, filter.params),
        span,
      };
    });
  }

  /** `read` in a repeatable-read transaction, given the rows `query` selects, with the marks read in it. */
  private async inCountsSnapshot<T extends ComparisonTally>(
    query: CountQuery,
    read: (tx: Queryable, filter: CountFilter, compactedThrough: Date | undefined) => Promise<T>,
  ): Promise<T & Pick<CountsRead, 'compactedThrough' | 'prunedThrough'>> {
    return this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const compactedThrough = await markIn(tx, COMPACTED_MARK);
      const prunedThrough = await markIn(tx, PRUNED_MARK);
      const conditions: string[] = [];
      const params: Array<string | Date> = [];
      if (query.route) {
        params.push(query.route);
        conditions.push(`route = $${params.length}`);
      }
      if (query.since) {
        // Where counts are kept by the hour, the hour `since` falls in is counted whole.
        params.push(new Date(countingStart(query.since.getTime(), compactedThrough?.getTime())));
        conditions.push(`minute >= $${params.length}`);
      }
      const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
      return {
        ...(await read(tx, { where, params }, compactedThrough)),
        ...(compactedThrough ? { compactedThrough } : {}),
        ...(prunedThrough ? { prunedThrough } : {}),
      };
    });
  }

  /** Counts are kept by age, by whole hours (an hour's merged row cannot be split); how far is kept too. */
  async pruneCounts(before: Date): Promise<number> {
    const { rows } = await this.db.query<{ deleted: string | number }>(
      `WITH bound AS (SELECT ${hourOf('$1::timestamptz')} AS at),
       counted AS (
         DELETE FROM strangler_comparison_counts WHERE minute < (SELECT at FROM bound) RETURNING minute),
       timed AS (
         DELETE FROM strangler_comparison_latency WHERE minute < (SELECT at FROM bound) RETURNING minute),
       reached AS (
         INSERT INTO strangler_comparisons_pruned (through)
         SELECT (SELECT at FROM bound) FROM (SELECT minute FROM counted UNION ALL SELECT minute FROM timed) gone HAVING count(*) > 0
         ON CONFLICT (single) DO UPDATE SET through = greatest(strangler_comparisons_pruned.through, excluded.through))
       SELECT count(*) AS deleted FROM counted`,
      [before],
    );
    return Number(rows[0]?.deleted ?? 0);
  }

  async prunedThrough(): Promise<Date | undefined> {
    return markIn(this.db, PRUNED_MARK);
  }

  /**
   * One transaction: the hours' rows are deleted and their sums inserted, so a crash loses nothing and readers
   * see either. Proxies compacting the same hours at once are safe: each merges only the rows it deleted.
   */
  async compactCounts(before: Date, maxHours: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM strangler_comparison_count_writes WHERE at < now() - ${WRITE_IDS_KEPT}`);
      const { rows } = await tx.query<{ start: Date | string | null; bound: Date | string }>(
        `SELECT coalesce(
                  (SELECT through FROM ${COMPACTED_MARK}),
                  ${hourOf('least((SELECT min(minute) FROM strangler_comparison_counts), (SELECT min(minute) FROM strangler_comparison_latency))')}
                ) AS start,
                ${hourOf('$1::timestamptz')} AS bound`,
        [before],
      );
      if (rows[0]?.start === null || rows[0]?.start === undefined) return 0;
      const start = new Date(rows[0].start).getTime();
      const end = Math.min(new Date(rows[0].bound).getTime(), start + maxHours * HOUR_MS);
      if (end <= start) return 0;
      const range: [Date, Date] = [new Date(start), new Date(end)];
      await tx.query(
        `WITH gone AS (DELETE FROM strangler_comparison_counts WHERE minute >= $1 AND minute < $2 RETURNING *)
         INSERT INTO strangler_comparison_counts (route, minute, result, differences, noise, error, comparisons)
         SELECT route, ${hourOf('minute')}, result, differences, noise, error, sum(comparisons) FROM gone
         GROUP BY 1, 2, 3, 4, 5, 6
         ${ADD_TO_COUNT}`,
        range,
      );
      // Sketches are merged by the tallier, at their hour's start: in JS, as summing JSON buckets in PGlite's
      // SQL is ~100× slower (counts stay in SQL, off the proxy's thread).
      const timed = await tx.query<LatencyRow>('DELETE FROM strangler_comparison_latency WHERE minute >= $1 AND minute < $2 RETURNING *', range);
      const hours = new ComparisonTallier();
      // One row at a time: parsed buckets die young instead of all surviving into the old generation.
      for (const row of timed.rows) hours.addLatency(toLatency(row, hourStart));
      // A write id of its own: this transaction is what makes the merge happen once.
      await insertTally(tx, hours.drain(), randomUUID());
      await tx.query(
        `INSERT INTO ${COMPACTED_MARK} (through) VALUES ($1)
         ON CONFLICT (single) DO UPDATE SET through = greatest(${COMPACTED_MARK}.through, excluded.through)`,
        [range[1]],
      );
      return (end - start) / HOUR_MS;
    });
  }

  async compactedThrough(): Promise<Date | undefined> {
    return markIn(this.db, COMPACTED_MARK);
  }
}

const COMPACTED_MARK = 'strangler_comparison_counts_compacted';
/** How long a counts write's id is remembered: a retry of it later than this (a proxy cut off from the store for a week) would be applied again. */
const WRITE_IDS_KEPT = "interval '7 days'";
const PRUNED_MARK = 'strangler_comparisons_pruned';

/** A one-row mark table's time; undefined while it has no row. */
async function markIn(db: Queryable, table: string): Promise<Date | undefined> {
  const { rows } = await db.query<{ through: Date | string }>(`SELECT through FROM ${table}`);
  return rows[0] ? new Date(rows[0].through) : undefined;
}

/**
 * The count rows, a page at a time with a turn for the event loop between pages (on the embedded database a
 * query runs on the proxy's own thread), each distinct list of paths parsed once and shared by its rows.
 */
async function countRows(tx: Queryable, select: CountSelect): Promise<ComparisonCount[]> {
  const parsed = new Map<string, PathKinds[]>();
  const pathsOf = (text: string): PathKinds[] => {
    let paths = parsed.get(text);
    if (!paths) parsed.set(text, (paths = JSON.parse(text) as PathKinds[]));
    return paths;
  };
  const counts: ComparisonCount[] = [];
  await tx.query(`DECLARE strangler_counts NO SCROLL CURSOR FOR ${select.sql}`, select.params);
  for (;;) {
    const { rows } = await tx.query<CountRow>(`FETCH ${COUNT_PAGE} FROM strangler_counts`);
    for (const row of rows) counts.push(toCount(row, pathsOf));
    if (rows.length < COUNT_PAGE) break;
    await setImmediate();
  }
  await tx.query('CLOSE strangler_counts');
  return counts;
}

/**
 * The latency rows of the matching minutes merged into one sketch per route and side, read LATENCY_PAGE
 * rows at a time (in `tx`, a transaction): a day of a busy route is thousands of sketches (~230 buckets
 * each), and holding them all at once took ~150 MB in the proxy serving the report (bench/diff-report).
 */
async function mergedLatency(tx: Queryable, where: string, params: Array<string | Date>): Promise<LatencyCount[]> {
  const merged = new Map<string, { route: string; side: LatencySide; first: number; sketch: LatencySketch }>();
  await tx.query(`DECLARE strangler_latency NO SCROLL CURSOR FOR SELECT route, minute, side, buckets FROM strangler_comparison_latency ${where}`, params);
  for (;;) {
    const { rows } = await tx.query<LatencyRow>(`FETCH ${LATENCY_PAGE} FROM strangler_latency`);
    for (const row of rows) {
      const key = `${row.side} ${row.route}`;
      const minute = new Date(row.minute).getTime();
      let entry = merged.get(key);
      if (!entry) merged.set(key, (entry = { route: row.route, side: row.side, first: minute, sketch: new LatencySketch() }));
      entry.first = Math.min(entry.first, minute);
      entry.sketch.addBuckets(JSON.parse(row.buckets) as LatencyBuckets);
    }
    if (rows.length < LATENCY_PAGE) break;
    await setImmediate();
  }
  await tx.query('CLOSE strangler_latency');
  return [...merged.values()]
    .sort((a, b) => (a.route === b.route ? (a.side < b.side ? -1 : 1) : a.route < b.route ? -1 : 1))
    .map(({ route, side, first, sketch }) => ({ route, minute: new Date(first).toISOString(), side, buckets: sketch.buckets() }));
}

/**
 * A minute's (or merged hour's) count row is one per outcome, whatever the number of proxies or writes
 * (unique index of migration 8): a later write adds to it. Latency sketches merge the same way, in SQL.
 */
const ADD_TO_COUNT = `ON CONFLICT (route, minute, result, md5(differences), md5(noise), coalesce(md5(error), ''))
  DO UPDATE SET comparisons = strangler_comparison_counts.comparisons + excluded.comparisons`;

/**
 * One statement for both tables and the write's id (so it is atomic on PGlite as on PostgreSQL): the counts and
 * sketches are added only when the id was not recorded yet. unnest keeps it to 12 parameters whatever the
 * tally's size.
 */
async function insertTally(db: Queryable, tally: ComparisonTally, writeId: string): Promise<void> {
  if (tally.counts.length === 0 && tally.latency.length === 0) return;
  const { counts, latency } = inKeyOrder(tally);
  await db.query(
    `WITH first_time AS (
       INSERT INTO strangler_comparison_count_writes (id) VALUES ($12) ON CONFLICT (id) DO NOTHING RETURNING id),
     counted AS (
       INSERT INTO strangler_comparison_counts (route, minute, result, differences, noise, error, comparisons)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
       WHERE EXISTS (SELECT 1 FROM first_time)
       ${ADD_TO_COUNT})
     INSERT INTO strangler_comparison_latency (route, minute, side, buckets)
     SELECT * FROM unnest($8::text[], $9::timestamptz[], $10::text[], $11::text[])
     WHERE EXISTS (SELECT 1 FROM first_time)
     ON CONFLICT (route, minute, side) DO UPDATE SET buckets = strangler_merge_buckets(strangler_comparison_latency.buckets, excluded.buckets)`,
    [
      counts.map((c) => c.route),
      counts.map((c) => c.minute),
      counts.map((c) => c.result),
      counts.map((c) => jsonForPostgres(c.differences)),
      counts.map((c) => jsonForPostgres(c.noise)),
      counts.map((c) => c.error) as string[],
      counts.map((c) => c.comparisons),
      latency.map((l) => l.route),
      latency.map((l) => l.minute),
      latency.map((l) => l.side),
      latency.map((l) => JSON.stringify(l.buckets)),
      writeId,
    ],
  );
}

/**
 * Each row's key once (an upsert cannot change one row twice in a statement), in the same order for every
 * writer: proxies upserting the same minutes at once then wait for each other instead of deadlocking.
 */
function inKeyOrder(tally: ComparisonTally): ComparisonTally {
  const tallier = new ComparisonTallier();
  const iso = (minute: string): string => new Date(minute).toISOString();
  tallier.restore({
    counts: tally.counts.map((count) => ({ ...count, minute: iso(count.minute) })),
    latency: tally.latency.map((latency) => ({ ...latency, minute: iso(latency.minute) })),
  });
  const merged = tallier.drain();
  const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const countKeys = new Map(merged.counts.map((count) => [count, countKey(count)]));
  merged.counts.sort((a, b) => byKey(countKeys.get(a)!, countKeys.get(b)!));
  const latencyKey = (l: LatencyCount): string => `${l.route}\u0000${l.minute}\u0000${l.side}`;
  merged.latency.sort((a, b) => byKey(latencyKey(a), latencyKey(b)));
  return merged;
}

/** The ISO time of a row's minute, or of the period `periodStart` puts it in. */
function minuteOfRow(minute: Date | string, periodStart?: (time: number) => number): string {
  const time = new Date(minute).getTime();
  return new Date(periodStart ? periodStart(time) : time).toISOString();
}

function toCount(row: CountRow, pathsOf: (text: string) => PathKinds[] = (text) => JSON.parse(text) as PathKinds[]): ComparisonCount {
  return {
    route: row.route,
    minute: minuteOfRow(row.minute),
    result: row.result,
    differences: pathsOf(row.differences),
    noise: pathsOf(row.noise),
    error: row.error,
    comparisons: Number(row.comparisons),
  };
}

function toLatency(row: LatencyRow, periodStart?: (time: number) => number): LatencyCount {
  return { route: row.route, minute: minuteOfRow(row.minute, periodStart), side: row.side, buckets: JSON.parse(row.buckets) as LatencyCount['buckets'] };
}

/** SQL: the start of the (UTC) hour of a timestamptz expression, whatever the session's time zone. */
function hourOf(expression: string): string {
  return `date_bin('1 hour', ${expression}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;
}

/**
 * The text every entry of a batch of matches with this id (or, for a prefix, an id starting so) starts with:
 * a batch holds each entry as ["<request id>", …], and a `"` inside a JSON string is escaped, so `["` plus the
 * JSON-escaped id (and its closing `"` when exact) is found only at the start of such entries.
 */
function listEntryStart(id: string, match: 'exact' | 'prefix'): string {
  return '["' + JSON.stringify(id).slice(1, match === 'exact' ? undefined : -1);
}

function recordsOf(row: ComparisonRow): ComparisonRecord[] {
  return row.match_list === null ? [toRecord(row)] : decodeMatches(row.route, row.match_list);
}

/** Oldest first, then by request id: the order a reader gets. */
function oldestFirst(records: ComparisonRecord[]): ComparisonRecord[] {
  return records.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0));
}

function toRecord(row: ComparisonRow): ComparisonRecord {
  const record: ComparisonRecord = {
    requestId: row.request_id,
    route: row.route,
    method: row.method,
    target: row.target,
    at: new Date(row.at).toISOString(),
    result: row.result,
    legacyStatus: Number(row.legacy_status),
    legacyMs: Number(row.legacy_ms),
    differences: parseJson(row.differences),
    noise: parseJson(row.noise),
  };
  if (row.candidate_status !== null) record.candidateStatus = Number(row.candidate_status);
  if (row.candidate_ms !== null) record.candidateMs = Number(row.candidate_ms);
  if (row.error !== null) record.error = row.error;
  return record;
}

function parseJson(value: FieldDifference[] | string): FieldDifference[] {
  return typeof value === 'string' ? (JSON.parse(value) as FieldDifference[]) : value;
}
