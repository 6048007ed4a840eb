import { LATENCY_RELATIVE_ACCURACY, LatencySketch } from '../../core/latency-sketch';

function sketchOf(values: readonly number[]): LatencySketch {
  const sketch = new LatencySketch();
  for (const value of values) sketch.add(value);
  return sketch;
}

/** Nearest rank on the exact values: the value at rank ceil(p/100 · n). */
function exactPercentile(values: readonly number[], percentile: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((percentile / 100) * sorted.length)) - 1]!;
}

function expectWithinAccuracy(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(expected * LATENCY_RELATIVE_ACCURACY + 1e-9);
}

describe('LatencySketch', () => {
  test('nearest-rank percentiles within 1 % of the exact value, over five orders of magnitude', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const values = Array.from({ length: 20_000 }, () => Math.pow(10, random() * 5 - 1)); // 0.1 ms … 10 s
    const sketch = sketchOf(values);
    expect(sketch.samples).toBe(20_000);
    for (const percentile of [1, 25, 50, 90, 99, 99.9, 100]) expectWithinAccuracy(sketch.percentile(percentile), exactPercentile(values, percentile));
  });

  test('small sets: the rank is exact and the value is within 1 %', () => {
    const values = [5, 7, 9, 11, 13, 15, 200];
    const sketch = sketchOf(values);
    expectWithinAccuracy(sketch.percentile(50), 11);
    expectWithinAccuracy(sketch.percentile(99), 200);
    expectWithinAccuracy(sketchOf([42]).percentile(50), 42);
    expectWithinAccuracy(sketchOf([1, 2]).percentile(0), 1);
  });

  test('merging sketches, or their stored buckets, equals one sketch of all the values', () => {
    const first = sketchOf([1, 2, 3, 250]);
    const second = sketchOf([0.4, 3, 80]);
    const all = sketchOf([1, 2, 3, 250, 0.4, 3, 80]);
    const merged = new LatencySketch();
    merged.merge(first);
    merged.addBuckets(second.buckets());
    expect(merged.buckets()).toEqual(all.buckets());
    expect(merged.samples).toBe(7);
    expect(merged.percentile(50)).toBe(all.percentile(50));
  });

  test('zero and sub-microsecond latencies read back as 0; negative, NaN and infinite ones are ignored', () => {
    const sketch = sketchOf([0, 0.0004, -1, Number.NaN, Number.POSITIVE_INFINITY, 5]);
    expect(sketch.samples).toBe(3);
    expect(sketch.percentile(50)).toBe(0);
    expectWithinAccuracy(sketch.percentile(100), 5);
  });

  test('an empty sketch has no percentiles; malformed stored buckets are skipped', () => {
    expect(new LatencySketch().percentile(50)).toBeNull();
    const sketch = new LatencySketch();
    sketch.addBuckets([[1.5, 2], [3, -1], [4, 0], [10, 2]]);
    expect(sketch.samples).toBe(2);
  });
});
