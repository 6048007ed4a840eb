/** Time steps that read at a glance (5m, 15m, 1h, 8h, 1d, …) on the UTC clock: report buckets and chart ticks. */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../counts';

const WEEK_MS = 7 * DAY_MS;
/** 1970-01-05T00:00Z, a Monday: weeks are aligned to it, not to the epoch's Thursday. */
const MONDAY_MS = 4 * DAY_MS;
/** Past the last of these, whole weeks. */
const NICE_STEPS = [1, 2, 5, 10, 15, 30].map((m) => m * MINUTE_MS).concat([1, 2, 3, 4, 6, 8, 12, 24, 48].map((h) => h * HOUR_MS));

/** A step and the instant its marks count from: marks are `origin + k × step`. */
export interface ClockStep {
  ms: number;
  origin: number;
}

/** The narrowest nice step, at least `atLeastMs`, of which `count` cover `spanMs`. */
export function niceStep(spanMs: number, count: number, atLeastMs: number): ClockStep {
  const ms = NICE_STEPS.find((step) => step >= atLeastMs && Math.ceil(spanMs / step) <= count);
  if (ms !== undefined) return { ms, origin: 0 };
  return { ms: Math.max(1, Math.ceil(spanMs / count / WEEK_MS)) * WEEK_MS, origin: MONDAY_MS };
}

/** The last mark of `step` at or before `time`. */
export function markAtOrBefore(time: number, step: ClockStep): number {
  return step.origin + Math.floor((time - step.origin) / step.ms) * step.ms;
}
