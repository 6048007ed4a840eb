import type { ComparisonCount, ComparisonRecord, ComparisonTally, DifferenceKind, FieldDifference, LatencyCount, LatencySide, PathKinds } from '../core/comparison';
import { LatencySketch } from '../core/latency-sketch';

export const MINUTE_MS = 60_000;

/** The start (epoch ms) of the minute `time` falls in. */
export function minuteStart(time: number): number {
  return Math.floor(time / MINUTE_MS) * MINUTE_MS;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The start (epoch ms) of the hour `time` falls in (UTC). */
export function hourStart(time: number): number {
  return Math.floor(time / HOUR_MS) * HOUR_MS;
}

/**
 * Where counting starts for a `since`: its minute, or its hour when counts there are kept by the hour (before
 * `compactedThrough`), since an hour's row cannot be split.
 */
export function countingStart(since: number, compactedThrough: number | undefined): number {
  return compactedThrough !== undefined && since < compactedThrough ? hourStart(since) : minuteStart(since);
}

/** The ISO-8601 start of the minute `time` falls in. */
export function minuteOf(time: number): string {
  return new Date(minuteStart(time)).toISOString();
}

/** Each path once, with every kind seen there, sorted by path. */
export function pathKinds(differences: ReadonlyArray<Pick<FieldDifference, 'path' | 'kind'>>): PathKinds[] {
  if (differences.length === 0) return [];
  const kinds = new Map<string, Set<DifferenceKind>>();
  for (const difference of differences) {
    let seen = kinds.get(difference.path);
    if (!seen) kinds.set(difference.path, (seen = new Set()));
    seen.add(difference.kind);
  }
  return [...kinds]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, seen]) => ({ path, kinds: [...seen].sort() }));
}

/** The paths of both lists, each once, with the kinds seen there in either, sorted by path. */
export function mergePathKinds(a: readonly PathKinds[], b: readonly PathKinds[]): PathKinds[] {
  return pathKinds([...a, ...b].flatMap(({ path, kinds }) => kinds.map((kind) => ({ path, kind }))));
}

interface LatencyEntry {
  route: string;
  minute: string;
  side: LatencySide;
  sketch: LatencySketch;
}

/**
 * Folds comparisons into per-minute counts and latency sketches. Its size grows with routes × minutes ×
 * distinct outcomes, not with traffic, so it can hold comparisons while the store is away.
 */
export class ComparisonTallier {
  private counts = new Map<string, ComparisonCount>();
  private latency = new Map<string, LatencyEntry>();
  private lastMinuteStart = Number.NaN;
  private lastMinute = '';

  /** Distinct counts and sketches held. */
  get size(): number {
    return this.counts.size + this.latency.size;
  }

  add(record: ComparisonRecord): void {
    const time = Date.parse(record.at);
    if (Number.isNaN(time)) return;
    const minute = this.minuteOf(time);
    const differences = pathKinds(record.differences);
    const noise = pathKinds(record.noise);
    const error = record.result === 'error' ? (record.error ?? '') : null;
    this.addCount({ route: record.route, minute, result: record.result, differences, noise, error, comparisons: 1 });
    this.sketchOf(record.route, minute, 'legacy').add(record.legacyMs);
    if (record.candidateMs !== undefined) this.sketchOf(record.route, minute, 'candidate').add(record.candidateMs);
  }

  /** Adds counts already tallied. */
  restore(tally: ComparisonTally): void {
    for (const count of tally.counts) this.addCount({ ...count });
    for (const latency of tally.latency) this.addLatency(latency);
  }

  /** Merges a latency sketch into the one held for its route, minute and side. */
  addLatency({ route, minute, side, buckets }: LatencyCount): void {
    this.sketchOf(route, minute, side).addBuckets(buckets);
  }

  /** What is held (of minutes starting before `before`, when given), in a stable order; it is held no longer. */
  drain(before?: number): ComparisonTally {
    const taken = (minute: string): boolean => before === undefined || Date.parse(minute) < before;
    const tally: ComparisonTally = { counts: [], latency: [] };
    for (const [key, count] of this.counts) {
      if (!taken(count.minute)) continue;
      tally.counts.push(count);
      this.counts.delete(key);
    }
    for (const [key, { route, minute, side, sketch }] of this.latency) {
      if (!taken(minute)) continue;
      tally.latency.push({ route, minute, side, buckets: sketch.buckets() });
      this.latency.delete(key);
    }
    return tally;
  }

  /** minuteOf, remembering the last one: comparisons arrive minute after minute. */
  private minuteOf(time: number): string {
    const start = minuteStart(time);
    if (start !== this.lastMinuteStart) {
      this.lastMinuteStart = start;
      this.lastMinute = new Date(start).toISOString();
    }
    return this.lastMinute;
  }

  private addCount(count: ComparisonCount): void {
    const key = countKey(count);
    const held = this.counts.get(key);
    if (held) held.comparisons += count.comparisons;
    else this.counts.set(key, count);
  }

  private sketchOf(route: string, minute: string, side: LatencySide): LatencySketch {
    const key = `${route}\u0000${minute}\u0000${side}`;
    let entry = this.latency.get(key);
    if (!entry) this.latency.set(key, (entry = { route, minute, side, sketch: new LatencySketch() }));
    return entry.sketch;
  }
}

/** Counts with the same key add up. */
export function countKey(count: ComparisonCount): string {
  return JSON.stringify([count.route, count.minute, count.result, count.differences, count.noise, count.error]);
}

/** The counts and latencies of a set of comparisons. */
export function tallyComparisons(records: readonly ComparisonRecord[]): ComparisonTally {
  const tallier = new ComparisonTallier();
  for (const record of records) tallier.add(record);
  return tallier.drain();
}
