/**
 * Latencies as a mergeable histogram with logarithmic buckets (DDSketch's scheme): any percentile read back
 * is within LATENCY_RELATIVE_ACCURACY of a value that was added, whatever the count or spread. Two sketches
 * merge by adding bucket counts, so per-minute sketches sum to a report over any window.
 */

/** A percentile read from a sketch is within this share of the true value (1 %). */
export const LATENCY_RELATIVE_ACCURACY = 0.01;

const GAMMA = (1 + LATENCY_RELATIVE_ACCURACY) / (1 - LATENCY_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this (milliseconds) count as 0: a microsecond is below anything a proxy can measure. */
const ZERO_MS = 0.001;
/** The bucket that holds values at or below ZERO_MS. */
const ZERO_BUCKET = Math.ceil(Math.log(ZERO_MS) / LOG_GAMMA) - 1;

/** Buckets as [index, count] pairs, the form a sketch is stored and sent in. */
export type LatencyBuckets = Array<[number, number]>;

export class LatencySketch {
  private readonly counts = new Map<number, number>();
  private total = 0;

  get samples(): number {
    return this.total;
  }

  /** Adds one latency in milliseconds; negative, NaN and infinite values are ignored. */
  add(ms: number, count = 1): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.addToBucket(ms <= ZERO_MS ? ZERO_BUCKET : Math.ceil(Math.log(ms) / LOG_GAMMA), count);
  }

  merge(other: LatencySketch): void {
    for (const [bucket, count] of other.counts) this.addToBucket(bucket, count);
  }

  addBuckets(buckets: LatencyBuckets): void {
    for (const [bucket, count] of buckets) {
      if (Number.isInteger(bucket) && Number.isInteger(count) && count > 0) this.addToBucket(bucket, count);
    }
  }

  buckets(): LatencyBuckets {
    return [...this.counts].sort((a, b) => a[0] - b[0]);
  }

  /** Nearest-rank percentile (0–100): the value of rank ceil(p/100 · n), within the sketch's accuracy. */
  percentile(percentile: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.min(this.total, Math.max(1, Math.ceil((percentile / 100) * this.total)));
    let seen = 0;
    for (const [bucket, count] of this.buckets()) {
      seen += count;
      if (seen >= rank) return valueOf(bucket);
    }
    return null;
  }

  private addToBucket(bucket: number, count: number): void {
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + count);
    this.total += count;
  }
}

/** The value a bucket stands for: within the relative accuracy of everything in it. */
function valueOf(bucket: number): number {
  if (bucket <= ZERO_BUCKET) return 0;
  return (2 * Math.pow(GAMMA, bucket)) / (GAMMA + 1);
}
