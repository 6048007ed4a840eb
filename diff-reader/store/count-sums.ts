/** What a counts read selects from strangler_comparison_counts: every row, or rows summed per time bucket. */
import type { CountBuckets, CountSpan } from '../../core/comparison';
import type { Queryable, SqlParam } from '../../core/db/database';

/** The rows a read covers: a WHERE clause (or '') and its parameters. */
export interface CountFilter {
  where: string;
  params: Array<string | Date>;
}

export interface CountSelect {
  sql: string;
  params: SqlParam[];
}

const COUNT_ORDER = 'ORDER BY minute, route, result, error, differences, noise';

/** Every row: one per minute (or merged hour) and outcome already (unique since migration 8), nothing to sum. */
export function countsPerMinute(filter: CountFilter): CountSelect {
  return {
    sql: `SELECT route, minute, result, differences, noise, error, comparisons FROM strangler_comparison_counts ${filter.where} ${COUNT_ORDER}`,
    params: filter.params,
  };
}

/**
 * Rows alike but for their minute, summed per bucket (over all time without buckets), each with the first
 * minute it sums: that minute falls in the bucket of every minute summed, so a report buckets the sum as it
 * would have bucketed each row.
 */
export function countsPerBucket(filter: CountFilter, buckets: CountBuckets | null): CountSelect {
  const params: SqlParam[] = [...filter.params];
  let bucket = '';
  if (buckets) {
    params.push(String(buckets.firstEdgeMs), buckets.widthMs, buckets.count);
    const [edge, width, count] = [params.length - 2, params.length - 1, params.length];
    // Exact (numeric) arithmetic on whole milliseconds, clamped to the buckets the way the report clamps.
    const index = `floor((extract(epoch FROM minute) * 1000 - $${edge}::numeric) / $${width}::bigint)`;
    bucket = `, least($${count}::integer - 1, greatest(0, ${index}))`;
  }
  return {
    sql: `SELECT route, min(minute) AS minute, result, differences, noise, error, sum(comparisons) AS comparisons
          FROM strangler_comparison_counts ${filter.where}
          GROUP BY route, result, differences, noise, error${bucket} ${COUNT_ORDER}`,
    params,
  };
}

/** The first and last minute of the rows; null when there are none. */
export async function countSpan(tx: Queryable, filter: CountFilter): Promise<CountSpan | null> {
  const { rows } = await tx.query<{ first: Date | string | null; last: Date | string | null }>(
    `SELECT min(minute) AS first, max(minute) AS last FROM strangler_comparison_counts ${filter.where}`,
    filter.params,
  );
  const span = rows[0];
  if (!span || span.first === null || span.last === null) return null;
  return { first: new Date(span.first).toISOString(), last: new Date(span.last).toISOString() };
}
