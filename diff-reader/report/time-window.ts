/** A report's window and its time buckets: where they start and end, and how wide the buckets are. */
import type { ComparisonCount, CountBuckets, CountSpan } from '../../core/comparison';
import { HOUR_MS, hourStart, MINUTE_MS } from '../counts';
import { markAtOrBefore, niceStep } from './clock';

export interface TimeWindow {
  from: number;
  to: number;
  buckets: number;
  bucketMs: number;
  /** Where the first bucket would start if it were whole: a multiple of bucketMs on the UTC clock (Mondays for weeks). */
  firstEdge: number;
}

/** The first and last minute of the counts; null without counts. */
export function spanOf(counts: readonly ComparisonCount[]): CountSpan | null {
  // A loop, not Math.min(...minutes): a month of counts is more arguments than a call takes.
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const count of counts) {
    const time = Date.parse(count.minute);
    if (Number.isNaN(time)) continue;
    first = Math.min(first, time);
    last = Math.max(last, time);
  }
  if (first === Number.POSITIVE_INFINITY) return null;
  return { first: new Date(first).toISOString(), last: new Date(last).toISOString() };
}

/**
 * Buckets of a nice width (5m, 15m, 1h, 6h, 1d, …) on the clock, so they read as "every 15 minutes from
 * :00"; the first and last are cut to the window. The narrowest width of which `wanted` cover the
 * window, and never narrower than a minute (an hour where counts are kept by the hour, so an hour's row
 * falls in one bucket). `since` is where counting starts; without it the window is the counts' `span`.
 */
export function timeWindow(span: CountSpan | null, since: number | undefined, generatedAt: Date, compacted: number | undefined, wanted: number): TimeWindow | null {
  let from: number;
  let to: number;
  if (since !== undefined) {
    from = since;
    to = Math.max(from, generatedAt.getTime());
  } else {
    if (span === null) return null;
    from = Date.parse(span.first);
    const last = Date.parse(span.last);
    // The minute under way ends now, not in the future (counts from a clock ahead of this one keep their whole minute).
    const now = generatedAt.getTime();
    to = now > last && now < last + MINUTE_MS ? now : last + MINUTE_MS;
    if (compacted !== undefined && from < compacted) from = hourStart(from);
  }
  const unit = compacted !== undefined && from < compacted ? HOUR_MS : MINUTE_MS;
  if (wanted === 1) {
    const bucketMs = Math.max(unit, Math.ceil((to - from) / unit) * unit);
    return { from, to, bucketMs, buckets: 1, firstEdge: from };
  }
  // `wanted` widths cover the span; cut at both ends, that can be one bucket more (25 hours for `--since 24h`).
  const step = niceStep(to - from, wanted, unit);
  const firstEdge = markAtOrBefore(from, step);
  return { from, to, bucketMs: step.ms, firstEdge, buckets: Math.max(1, Math.ceil((to - firstEdge) / step.ms)) };
}

/** Which bucket a count of minute `time` falls in: those before the first or after the last fall in it. */
export function bucketIndex(window: TimeWindow, time: number): number {
  return Math.min(window.buckets - 1, Math.max(0, Math.floor((time - window.firstEdge) / window.bucketMs)));
}

/** The buckets a store sums counts into for this window. */
export function countBuckets(window: TimeWindow): CountBuckets {
  return { firstEdgeMs: window.firstEdge, widthMs: window.bucketMs, count: window.buckets };
}
