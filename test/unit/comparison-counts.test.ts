import type { ComparisonRecord, FieldDifference } from '../../core/comparison';
import { ComparisonTallier, minuteOf, pathKinds, tallyComparisons } from '../../diff-reader/counts';
import { buildDiffReport, buildReportFromCounts } from '../../diff-reader/report';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');

function record(n: number, seconds: number, extra: Partial<ComparisonRecord> = {}): ComparisonRecord {
  return {
    requestId: `r${n}`,
    route: 'orders',
    method: 'GET',
    target: `/api/orders/${n}`,
    at: new Date(T0 + seconds * 1000).toISOString(),
    result: 'match',
    legacyStatus: 200,
    candidateStatus: 200,
    legacyMs: 10 + n,
    candidateMs: 5 + n,
    differences: [],
    noise: [],
    ...extra,
  };
}

const price = (legacy: string, candidate: string, kind: FieldDifference['kind'] = 'changed'): FieldDifference => ({ path: '$.items[*].price', kind, legacy, candidate });
const ts: FieldDifference = { path: '$.meta.ts', kind: 'changed', legacy: '"a"', candidate: '"b"' };

describe('comparison counts', () => {
  test('minuteOf is the start of the minute; pathKinds lists each path once with its kinds, sorted', () => {
    expect(minuteOf(T0 + 59_999)).toBe('2026-11-24T10:00:00.000Z');
    expect(minuteOf(T0 + 60_000)).toBe('2026-11-24T10:01:00.000Z');
    expect(pathKinds([price('1', '2'), ts, price('3', '"4"', 'type'), price('5', '6')])).toEqual([
      { path: '$.items[*].price', kinds: ['changed', 'type'] },
      { path: '$.meta.ts', kinds: ['changed'] },
    ]);
  });

  test('comparisons of a minute with the same outcome at the same paths are one count; latencies one sketch per side', () => {
    const tally = tallyComparisons([
      record(1, 1),
      record(2, 2),
      record(3, 3, { result: 'mismatch', differences: [price('1', '2'), price('3', '4')] }),
      record(4, 4, { result: 'mismatch', differences: [price('5', '6')] }),
      record(5, 5, { result: 'noise', noise: [ts] }),
      record(6, 6, { result: 'error', error: 'timeout', candidateStatus: undefined, candidateMs: undefined }),
      record(7, 61),
    ]);
    expect(tally.counts.map((count) => [count.minute.slice(11, 16), count.result, count.differences.map((entry) => entry.path), count.noise.length, count.error, count.comparisons])).toEqual([
      ['10:00', 'match', [], 0, null, 2],
      ['10:00', 'mismatch', ['$.items[*].price'], 0, null, 2],
      ['10:00', 'noise', [], 1, null, 1],
      ['10:00', 'error', [], 0, 'timeout', 1],
      ['10:01', 'match', [], 0, null, 1],
    ]);
    expect(tally.latency.map((entry) => [entry.minute.slice(11, 16), entry.side, entry.buckets.reduce((sum, [, count]) => sum + count, 0)])).toEqual([
      ['10:00', 'legacy', 6],
      ['10:00', 'candidate', 5],
      ['10:01', 'legacy', 1],
      ['10:01', 'candidate', 1],
    ]);
  });

  test('drain empties the tallier; restore adds a drained tally back', () => {
    const tallier = new ComparisonTallier();
    tallier.add(record(1, 1));
    tallier.add(record(2, 2));
    const first = tallier.drain();
    expect(tallier.size).toBe(0);
    tallier.add(record(3, 3));
    tallier.restore(first);
    const both = tallier.drain();
    expect(both.counts).toEqual([{ ...first.counts[0], comparisons: 3 }]);
    expect(both.latency.find((entry) => entry.side === 'legacy')!.buckets.reduce((sum, [, count]) => sum + count, 0)).toBe(3);
    // A record without a valid arrival time has no minute: it is not counted.
    tallier.add(record(4, 4, { at: 'not a time' }));
    expect(tallier.size).toBe(0);
  });

  test('a report from counts written by several proxies equals the report of all their comparisons', () => {
    const records: ComparisonRecord[] = [];
    for (let n = 0; n < 300; n++) {
      const seconds = n * 7;
      if (n % 10 === 0) records.push(record(n, seconds, { result: 'mismatch', differences: [price(String(n), String(n + 1))], noise: n % 20 === 0 ? [ts] : [] }));
      else if (n % 7 === 0) records.push(record(n, seconds, { result: 'noise', noise: [ts] }));
      else if (n % 13 === 0) records.push(record(n, seconds, { result: 'error', error: n % 2 ? 'timeout' : 'reset', candidateStatus: undefined, candidateMs: undefined }));
      else records.push(record(n, seconds));
    }
    const proxyA = tallyComparisons(records.filter((_, index) => index % 3 === 0));
    const proxyB = tallyComparisons(records.filter((_, index) => index % 3 !== 0));
    const options = { generatedAt: new Date(T0 + 3 * 3_600_000), since: new Date(T0 + 600_000), buckets: 6 };
    const fromCounts = buildReportFromCounts(
      { counts: [...proxyA.counts, ...proxyB.counts], latency: [...proxyA.latency, ...proxyB.latency], examples: records.filter((r) => r.result !== 'match') },
      options,
    );
    expect(fromCounts).toEqual(buildDiffReport(records, options));
    expect(fromCounts.routes[0]!.counts.comparisons).toBe(records.filter((r) => Date.parse(r.at) >= T0 + 600_000).length);
  });

  test('counts kept by the hour give the report of the minutes they merged; time there is counted by whole hours', () => {
    // Four hours from 10:00, a comparison every 37 s, some mismatches; hours before 12:00 are merged.
    const records = Array.from({ length: 389 }, (_, n) => record(n, n * 37, n % 5 === 0 ? { result: 'mismatch', differences: [price('1', String(n))] } : {}));
    const mark = new Date(T0 + 2 * 3_600_000);
    const raw = tallyComparisons(records);
    const merged = new ComparisonTallier();
    const hourOf = (minute: string): string => (Date.parse(minute) < mark.getTime() ? new Date(Math.floor(Date.parse(minute) / 3_600_000) * 3_600_000).toISOString() : minute);
    merged.restore({ counts: raw.counts.map((c) => ({ ...c, minute: hourOf(c.minute) })), latency: raw.latency.map((l) => ({ ...l, minute: hourOf(l.minute) })) });
    const compacted = merged.drain();
    expect(compacted.counts.length).toBeLessThan(raw.counts.length);
    const examples = records.filter((r) => r.result !== 'match');
    const report = (tally: typeof raw, since?: number) =>
      buildReportFromCounts({ ...tally, examples }, { generatedAt: new Date(T0 + 4 * 3_600_000), compactedThrough: mark, buckets: 12, ...(since === undefined ? {} : { since: new Date(since) }) });

    // Whole report: buckets are whole hours from an hour's start, so an hour's row lands where its minutes did.
    const whole = report(compacted);
    expect(whole).toEqual(report(raw));
    expect(whole.window.from).toBe(new Date(T0).toISOString());
    expect(whole.window.bucketMs % 3_600_000).toBe(0);
    expect(whole.routes[0]!.counts.comparisons).toBe(389);
    // A since inside a merged hour counts that hour whole, and the window says so.
    const inside = report(compacted, T0 + 90 * 60_000);
    expect(inside).toEqual(report(raw, T0 + 90 * 60_000));
    expect(inside.window.from).toBe(new Date(T0 + 3_600_000).toISOString());
    expect(inside.routes[0]!.counts.comparisons).toBe(records.filter((r) => Date.parse(r.at) >= T0 + 3_600_000).length);
    // After the mark, whole minutes as before.
    const after = report(compacted, T0 + 150 * 60_000 + 5_000);
    expect(after.window.from).toBe(new Date(T0 + 150 * 60_000).toISOString());
    expect(after.window.bucketMs % 3_600_000).not.toBe(0);
    expect(after.routes[0]!.counts.comparisons).toBe(records.filter((r) => Date.parse(r.at) >= T0 + 150 * 60_000).length);
  });

  test('a report over more counts than a function call takes arguments (a month of minutes, several outcomes)', () => {
    const counts = Array.from({ length: 200_000 }, (_, index) => ({
      route: 'orders',
      minute: new Date(T0 + Math.floor(index / 4) * 60_000).toISOString(),
      result: (['match', 'mismatch', 'noise', 'error'] as const)[index % 4]!,
      differences: [],
      noise: [],
      error: null,
      comparisons: 1,
    }));
    const report = buildReportFromCounts({ counts, latency: [], examples: [] }, { generatedAt: new Date(T0), buckets: 10 });
    expect(report.window.from).toBe(new Date(T0).toISOString());
    expect(report.window.to).toBe(new Date(T0 + 50_000 * 60_000).toISOString());
    expect(report.routes[0]!.counts).toEqual({ comparisons: 200_000, match: 50_000, mismatch: 50_000, noise: 50_000, error: 50_000 });
  });

  test('examples come from the comparisons given; a field whose comparisons are no longer kept has counts and no examples', () => {
    const records = [record(1, 1, { result: 'mismatch', differences: [price('1', '2')] }), record(2, 2, { result: 'mismatch', differences: [{ path: 'status', kind: 'changed', legacy: '200', candidate: '500' }] })];
    const report = buildReportFromCounts({ ...tallyComparisons(records), examples: [records[1]!] }, { generatedAt: new Date(T0 + 60_000) });
    expect(report.routes[0]!.fields.map((field) => [field.path, field.count, field.examples.map((example) => example.requestId)])).toEqual([
      ['$.items[*].price', 1, []],
      ['status', 1, ['r2']],
    ]);
  });
});
