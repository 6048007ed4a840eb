import type { ComparisonRecord, ComparisonResult, FieldDifference } from '../../core/comparison';
import { LATENCY_RELATIVE_ACCURACY } from '../../core/latency-sketch';
import {
  DIFF_REPORT_FORMAT,
  buildDiffReport,
  codeSpan,
  escapeHtml,
  renderDiffReport,
  renderHtml,
  renderJson,
  renderMarkdown,
  renderText,
  type DiffReport,
  type DiffReportFormat,
} from '../../diff-reader/report';
import { formatMs, routeVerdict } from '../../diff-reader/report/format';
import { hiddenFields } from '../../diff-reader/report/model';
import { timeTicks } from '../../diff-reader/report/html';
import { describeComparison } from '../../cli/commands/diff';

// ---------------------------------------------------------------------------------------------------------
// Hand-built comparisons
//
// Route `orders`: 10 comparisons, one every 10 minutes from 10:00 to 11:30.
//   i  time   result    legacyMs  candidateMs  differences / noise / error
//   0  10:00  match     10        5
//   1  10:10  mismatch  20        200          price 1→2 and 3→4 (one path, twice), status 200→500; noise $.meta.ts
//   2  10:20  mismatch  30        7            price "5"→"6", header.content-type added
//   3  10:30  noise     40        9            noise $.meta.ts, price
//   4  10:40  error     50        –            timeout
//   5  10:50  error     60        –            timeout
//   6  11:00  error     70        –            (no reason)
//   7  11:10  match     80        11
//   8  11:20  match     90        13
//   9  11:30  match     100       15
// Route `users`: 2 matches at 10:05 and 10:55.

const T0 = Date.parse('2025-06-01T10:00:00.000Z');
const minutes = (n: number): string => new Date(T0 + n * 60_000).toISOString();

function record(
  requestId: string,
  route: string,
  at: string,
  result: ComparisonResult,
  legacyMs: number,
  candidateMs: number | undefined,
  extra: { differences?: FieldDifference[]; noise?: FieldDifference[]; error?: string } = {},
): ComparisonRecord {
  return {
    requestId,
    route,
    method: 'GET',
    target: `/api/${route}/${requestId}`,
    at,
    result,
    legacyStatus: 200,
    candidateStatus: result === 'error' ? undefined : 200,
    legacyMs,
    candidateMs,
    differences: extra.differences ?? [],
    noise: extra.noise ?? [],
    error: extra.error,
  };
}

const PRICE = '$.items[*].price';

function fixture(): ComparisonRecord[] {
  return [
    record('o0', 'orders', minutes(0), 'match', 10, 5),
    record('o1', 'orders', minutes(10), 'mismatch', 20, 200, {
      differences: [
        { path: PRICE, kind: 'changed', legacy: '1', candidate: '2' },
        { path: PRICE, kind: 'changed', legacy: '3', candidate: '4' },
        { path: 'status', kind: 'changed', legacy: '200', candidate: '500' },
      ],
      noise: [{ path: '$.meta.ts', kind: 'changed', legacy: '"a"', candidate: '"b"' }],
    }),
    record('o2', 'orders', minutes(20), 'mismatch', 30, 7, {
      differences: [
        { path: PRICE, kind: 'type', legacy: '5', candidate: '"6"' },
        { path: 'header.content-type', kind: 'added', candidate: '"text/plain"' },
      ],
    }),
    record('o3', 'orders', minutes(30), 'noise', 40, 9, {
      noise: [
        { path: '$.meta.ts', kind: 'changed', legacy: '"c"', candidate: '"d"' },
        { path: PRICE, kind: 'changed', legacy: '7', candidate: '8' },
      ],
    }),
    record('o4', 'orders', minutes(40), 'error', 50, undefined, { error: 'timeout' }),
    record('o5', 'orders', minutes(50), 'error', 60, undefined, { error: 'timeout' }),
    record('o6', 'orders', minutes(60), 'error', 70, undefined),
    record('o7', 'orders', minutes(70), 'match', 80, 11),
    record('o8', 'orders', minutes(80), 'match', 90, 13),
    record('o9', 'orders', minutes(90), 'match', 100, 15),
    record('u0', 'users', minutes(5), 'match', 3, 4),
    record('u1', 'users', minutes(55), 'match', 5, 6),
  ].reverse(); // input order must not matter
}

const GENERATED_AT = new Date('2025-06-01T12:00:00.000Z');

function build(options: Partial<Parameters<typeof buildDiffReport>[1]> = {}): DiffReport {
  return buildDiffReport(fixture(), { generatedAt: GENERATED_AT, buckets: 4, ...options });
}

function route(report: DiffReport, name: string) {
  const found = report.routes.find((candidate) => candidate.route === name);
  if (!found) throw new Error(`no route ${name} in the report`);
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// The model

describe('buildDiffReport', () => {
  test('counts and rates per route and in total; routes sorted by name', () => {
    const report = build();
    expect(report.generatedAt).toBe('2025-06-01T12:00:00.000Z');
    expect(report.filter).toEqual({ route: null, since: null });
    expect(report.routes.map((entry) => entry.route)).toEqual(['orders', 'users']);
    const orders = route(report, 'orders');
    expect(orders.counts).toEqual({ comparisons: 10, match: 4, mismatch: 2, noise: 1, error: 3 });
    expect(orders.rates).toEqual({ match: 0.4, mismatch: 0.2, noise: 0.1, error: 0.3 });
    expect(route(report, 'users').counts).toEqual({ comparisons: 2, match: 2, mismatch: 0, noise: 0, error: 0 });
    expect(route(report, 'users').rates).toEqual({ match: 1, mismatch: 0, noise: 0, error: 0 });
    expect(report.totals.counts).toEqual({ comparisons: 12, match: 6, mismatch: 2, noise: 1, error: 3 });
    expect(report.totals.rates).toEqual({ match: 6 / 12, mismatch: 2 / 12, noise: 1 / 12, error: 3 / 12 });
  });

  test('top fields: count desc then path, a path counted once per comparison, noise per path, kinds seen', () => {
    const fields = route(build(), 'orders').fields;
    expect(fields.map(({ path, count, share, noise, kinds }) => ({ path, count, share, noise, kinds }))).toEqual([
      { path: PRICE, count: 2, share: 0.2, noise: 1, kinds: ['changed', 'type'] },
      { path: 'header.content-type', count: 1, share: 0.1, noise: 0, kinds: ['added'] },
      { path: 'status', count: 1, share: 0.1, noise: 0, kinds: ['changed'] },
      { path: '$.meta.ts', count: 0, share: 0, noise: 2, kinds: ['changed'] },
    ]);
  });

  test('examples: newest first, the first difference of the path in each comparison, both values side by side', () => {
    const fields = route(build(), 'orders').fields;
    expect(fields[0]?.examples).toEqual([
      {
        requestId: 'o2', method: 'GET', target: '/api/orders/o2', at: minutes(20),
        kind: 'type', legacy: '5', candidate: '"6"', noise: false, locations: [], moreLocations: 0,
      },
      {
        requestId: 'o1', method: 'GET', target: '/api/orders/o1', at: minutes(10),
        kind: 'changed', legacy: '1', candidate: '2', noise: false, locations: [], moreLocations: 0,
      },
    ]);
    // absent values are null, never undefined
    expect(fields[1]?.examples[0]).toMatchObject({ requestId: 'o2', kind: 'added', legacy: null, candidate: '"text/plain"' });
    // a field that only ever differed as noise shows noise examples
    expect(fields[3]?.examples.map((example) => [example.requestId, example.noise, example.legacy])).toEqual([
      ['o3', true, '"c"'],
      ['o1', true, '"a"'],
    ]);
  });

  test('examplesPerField limits the examples (default 3)', () => {
    const many = Array.from({ length: 5 }, (_, index) =>
      record(`m${index}`, 'orders', minutes(index), 'mismatch', 1, 1, {
        differences: [{ path: 'body', kind: 'changed', legacy: `"${index}"`, candidate: '"x"' }],
      }),
    );
    const ids = (report: DiffReport) => report.routes[0]?.fields[0]?.examples.map((example) => example.requestId);
    expect(ids(buildDiffReport(many, { generatedAt: GENERATED_AT }))).toEqual(['m4', 'm3', 'm2']);
    expect(ids(buildDiffReport(many, { generatedAt: GENERATED_AT, examplesPerField: 1 }))).toEqual(['m4']);
    expect(ids(buildDiffReport(many, { generatedAt: GENERATED_AT, examplesPerField: 0 }))).toEqual([]);
    expect(() => buildDiffReport(many, { generatedAt: GENERATED_AT, examplesPerField: -1 })).toThrow(RangeError);
    expect(() => buildDiffReport(many, { generatedAt: GENERATED_AT, buckets: 0 })).toThrow(/buckets/);
  });

  test('latency p50/p99 per side, nearest rank within 1 %; no candidate latency for errors', () => {
    const within = (actual: number | null, exact: number): void => {
      expect(actual).not.toBeNull();
      expect(Math.abs(actual! - exact)).toBeLessThanOrEqual(exact * LATENCY_RELATIVE_ACCURACY);
    };
    const orders = route(build(), 'orders');
    expect([orders.latency.legacy.samples, orders.latency.candidate.samples]).toEqual([10, 7]);
    within(orders.latency.legacy.p50, 50);
    within(orders.latency.legacy.p99, 100);
    within(orders.latency.candidate.p50, 11);
    within(orders.latency.candidate.p99, 200);
    const users = route(build(), 'users').latency;
    expect([users.legacy.samples, users.candidate.samples]).toEqual([2, 2]);
    within(users.legacy.p50, 3);
    within(users.legacy.p99, 5);
    within(users.candidate.p50, 4);
    within(users.candidate.p99, 6);
  });

  test('error reasons with counts, count desc then reason', () => {
    expect(route(build(), 'orders').errors).toEqual([
      { reason: 'timeout', count: 2 },
      { reason: '(no reason given)', count: 1 },
    ]);
    expect(route(build(), 'users').errors).toEqual([]);
  });

  test('mismatch rate over time: buckets of a nice width on the clock, from the first comparison\'s minute to the end of the last one\'s, the same for every route', () => {
    const report = build();
    // 91 minutes in 4 buckets: 15 minutes would take 7, so 30 minutes from 10:00, the last one cut to 1.
    expect(report.window).toEqual({ from: minutes(0), to: minutes(91), bucketMs: 30 * 60_000, omittedThrough: null });
    expect(route(report, 'orders').timeline).toEqual([
      { start: minutes(0), end: minutes(30), comparisons: 3, mismatches: 2, mismatchRate: 2 / 3 },
      { start: minutes(30), end: minutes(60), comparisons: 3, mismatches: 0, mismatchRate: 0 },
      { start: minutes(60), end: minutes(90), comparisons: 3, mismatches: 0, mismatchRate: 0 },
      { start: minutes(90), end: minutes(91), comparisons: 1, mismatches: 0, mismatchRate: 0 },
    ]);
    expect(route(report, 'users').timeline.map((bucket) => [bucket.comparisons, bucket.mismatchRate])).toEqual([
      [1, 0],
      [1, 0],
      [0, null],
      [0, null],
    ]);
    // 24 buckets wanted (the default): 2 minutes would make 46, so 19 buckets of 5 minutes.
    const fine = route(buildDiffReport(fixture(), { generatedAt: GENERATED_AT }), 'orders').timeline;
    expect(fine).toHaveLength(19);
    expect(fine.at(-1)).toMatchObject({ start: minutes(90), end: minutes(91), comparisons: 1 });
    expect(renderText(buildDiffReport(fixture(), { generatedAt: GENERATED_AT }))).toContain(`Window ${minutes(0)} → ${minutes(91)}, 19 buckets of 5m`);
  });

  test('a window that starts off the clock: the first bucket is cut to it, the rest start on the width\'s marks', () => {
    const at = (iso: string, id: string, result: ComparisonResult = 'match') => record(id, 'r', iso, result, 1, 1);
    const records = [at('2025-06-01T10:07:00Z', 'a', 'mismatch'), at('2025-06-01T10:14:00Z', 'b'), at('2025-06-01T10:15:00Z', 'c', 'mismatch'), at('2025-06-01T10:59:00Z', 'd')];
    const report = buildDiffReport(records, { generatedAt: GENERATED_AT, buckets: 4 });
    expect(report.window).toEqual({ from: '2025-06-01T10:07:00.000Z', to: '2025-06-01T11:00:00.000Z', bucketMs: 15 * 60_000, omittedThrough: null });
    expect(report.routes[0]!.timeline.map((bucket) => [bucket.start, bucket.end, bucket.comparisons, bucket.mismatches])).toEqual([
      ['2025-06-01T10:07:00.000Z', '2025-06-01T10:15:00.000Z', 2, 1],
      ['2025-06-01T10:15:00.000Z', '2025-06-01T10:30:00.000Z', 1, 1],
      ['2025-06-01T10:30:00.000Z', '2025-06-01T10:45:00.000Z', 0, 0],
      ['2025-06-01T10:45:00.000Z', '2025-06-01T11:00:00.000Z', 1, 0],
    ]);
  });

  test('bucket widths over longer windows: hours, days, then whole weeks from a Monday', () => {
    const widthFor = (since: string, buckets = 24): [number, string, string] => {
      const report = buildDiffReport([], { generatedAt: new Date('2026-03-31T13:20:00Z'), since: new Date(since), buckets });
      const timeline = buildDiffReport([record('x', 'r', since, 'match', 1, 1)], { generatedAt: new Date('2026-03-31T13:20:00Z'), since: new Date(since), buckets }).routes[0]!.timeline;
      expect(timeline).toHaveLength(Math.ceil((Date.parse(report.window.to!) - Date.parse(timeline[1]?.start ?? report.window.to!)) / report.window.bucketMs) + 1);
      return [report.window.bucketMs / 3_600_000, timeline[0]!.start, timeline[1]?.start ?? '-'];
    };
    expect(widthFor('2026-03-31T12:20:00Z')).toEqual([5 / 60, '2026-03-31T12:20:00.000Z', '2026-03-31T12:25:00.000Z']);
    // A day off the clock: 24 hours, in 25 buckets (both ends cut).
    expect(widthFor('2026-03-30T13:20:00Z')).toEqual([1, '2026-03-30T13:20:00.000Z', '2026-03-30T14:00:00.000Z']);
    // 7 days: 6 hours would take 28, 8 hours take 21 (on 00:00, 08:00, 16:00 UTC).
    expect(widthFor('2026-03-24T13:20:00Z')).toEqual([8, '2026-03-24T13:20:00.000Z', '2026-03-24T16:00:00.000Z']);
    expect(widthFor('2026-03-01T13:20:00Z')).toEqual([48, '2026-03-01T13:20:00.000Z', '2026-03-02T00:00:00.000Z']);
    // A year: whole weeks, starting on Mondays (2025-04-07 is one).
    expect(widthFor('2025-03-31T13:20:00Z')).toEqual([3 * 168, '2025-03-31T13:20:00.000Z', '2025-04-07T00:00:00.000Z']);
    // One bucket wanted: the whole window.
    expect(widthFor('2026-03-31T12:20:00Z', 1)).toEqual([1, '2026-03-31T12:20:00.000Z', '-']);
  });

  test('comparisons inside one minute count together, at that minute', () => {
    const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();
    const report = buildDiffReport(
      [record('a', 'r', at(1), 'match', 1, 1), record('b', 'r', at(59.999), 'mismatch', 1, 1), record('c', 'r', at(60), 'match', 1, 1)],
      { generatedAt: GENERATED_AT, buckets: 2 },
    );
    expect(report.window).toEqual({ from: minutes(0), to: minutes(2), bucketMs: 60_000, omittedThrough: null });
    expect(report.routes[0]?.timeline.map((bucket) => [bucket.start, bucket.comparisons, bucket.mismatches])).toEqual([
      [minutes(0), 2, 1],
      [minutes(1), 1, 0],
    ]);
  });

  test('since: only comparisons from its minute on, buckets from that minute to generatedAt', () => {
    const report = build({ since: new Date(minutes(30)) });
    expect(report.filter.since).toBe(minutes(30));
    expect(report.window).toEqual({ from: minutes(30), to: minutes(120), bucketMs: 30 * 60_000, omittedThrough: null });
    const orders = route(report, 'orders');
    expect(orders.counts).toEqual({ comparisons: 7, match: 3, mismatch: 0, noise: 1, error: 3 });
    expect(orders.timeline.map((bucket) => [bucket.start, bucket.comparisons])).toEqual([
      [minutes(30), 3],
      [minutes(60), 3],
      [minutes(90), 1],
    ]);
    expect(route(report, 'users').counts.comparisons).toBe(1);

    // Inside a minute, the whole minute counts, and the window says where it starts.
    const inside = build({ since: new Date(T0 + 30 * 60_000 + 25_000) });
    expect(inside.filter.since).toBe(new Date(T0 + 30 * 60_000 + 25_000).toISOString());
    expect(inside.window.from).toBe(minutes(30));
    expect(route(inside, 'orders').counts.comparisons).toBe(7);
  });

  test('route filter: only that route, and present even without comparisons', () => {
    const users = build({ route: 'users' });
    expect(users.filter.route).toBe('users');
    expect(users.routes.map((entry) => entry.route)).toEqual(['users']);
    expect(users.totals.counts.comparisons).toBe(2);
    expect(users.window).toEqual({ from: minutes(5), to: minutes(56), bucketMs: 15 * 60_000, omittedThrough: null });

    const none = build({ route: 'nope' });
    expect(none.routes).toEqual([
      {
        route: 'nope',
        configured: true,
        noiseThresholds: { relative: 0.2, absolute: 3 },
        counts: { comparisons: 0, match: 0, mismatch: 0, noise: 0, error: 0 },
        rates: { match: 0, mismatch: 0, noise: 0, error: 0 },
        fields: [],
        omittedFields: null,
        latency: { legacy: { samples: 0, p50: null, p99: null }, candidate: { samples: 0, p50: null, p99: null } },
        timeline: [],
        errors: [],
      },
    ]);
    expect(none.window).toEqual({ from: null, to: null, bucketMs: 0, omittedThrough: null });
  });

  test('empty input: no routes, zero totals, no window', () => {
    const report = buildDiffReport([], { generatedAt: GENERATED_AT });
    expect(report).toEqual({
      generatedAt: GENERATED_AT.toISOString(),
      filter: { route: null, since: null },
      window: { from: null, to: null, bucketMs: 0, omittedThrough: null },
      totals: {
        counts: { comparisons: 0, match: 0, mismatch: 0, noise: 0, error: 0 },
        rates: { match: 0, mismatch: 0, noise: 0, error: 0 },
      },
      routes: [],
    });
  });

  test('all comparisons at one instant: a single bucket of that minute', () => {
    const report = buildDiffReport([record('a', 'r', minutes(0), 'mismatch', 1, 1)], { generatedAt: GENERATED_AT });
    expect(report.window).toEqual({ from: minutes(0), to: minutes(1), bucketMs: 60_000, omittedThrough: null });
    expect(report.routes[0]?.timeline).toEqual([
      { start: minutes(0), end: minutes(1), comparisons: 1, mismatches: 1, mismatchRate: 1 },
    ]);
    expect(renderText(report)).toContain(`Window ${minutes(0)} → ${minutes(1)}, 1 bucket of 1m`);
    expect(renderHtml(report)).toContain(', 1 bucket of 1m</text>');
  });

  test('is pure: the same input gives an equal report and the input is untouched', () => {
    const input = fixture();
    const copy = JSON.parse(JSON.stringify(input));
    expect(buildDiffReport(input, { generatedAt: GENERATED_AT })).toEqual(
      buildDiffReport([...input].reverse(), { generatedAt: GENERATED_AT }),
    );
    expect(JSON.parse(JSON.stringify(input))).toEqual(copy);
  });
});

describe('buildDiffReport: comparisons missing from its window', () => {
  const NOTE = `Not counted: comparisons before ${minutes(20)} (their counts are older than state.keepCountsDays)`;

  test('without since, pruned comparisons are always missing from the report', () => {
    expect(build({ omittedThrough: new Date(minutes(20)) }).window.omittedThrough).toBe(minutes(20));
  });

  test('with since, only when the missing minutes fall inside its window', () => {
    expect(build({ since: new Date(minutes(10)), omittedThrough: new Date(minutes(20)) }).window.omittedThrough).toBe(minutes(20));
    expect(build({ since: new Date(T0 + 19 * 60_000 + 30_000), omittedThrough: new Date(minutes(20)) }).window.omittedThrough).toBe(minutes(20));
    expect(build({ since: new Date(minutes(20)), omittedThrough: new Date(minutes(20)) }).window.omittedThrough).toBeNull();
  });

  test('an invalid date is ignored rather than printed', () => {
    expect(build({ omittedThrough: new Date(Number.NaN) }).window.omittedThrough).toBeNull();
  });

  test('every format says so, next to the window; none does when nothing is missing', () => {
    const report = build({ omittedThrough: new Date(minutes(20)) });
    expect(renderText(report).split('\n').slice(0, 3)).toContain(NOTE);
    expect(renderMarkdown(report)).toContain(`\n> ⚠️ ${NOTE}\n`);
    expect(renderHtml(report)).toContain(`<p class="omitted">${NOTE}</p>`);
    expect(JSON.parse(renderJson(report)).window.omittedThrough).toBe(minutes(20));
    for (const rendered of [renderText(build()), renderMarkdown(build()), renderHtml(build())]) expect(rendered).not.toContain('Not counted');
  });
});

describe('verdicts', () => {
  const verdicts = (records: ComparisonRecord[]): string[] => buildDiffReport(records, { generatedAt: GENERATED_AT }).routes.map((route) => `${route.route}: ${routeVerdict(route).kind} ${routeVerdict(route).text}`);

  test('a route where every comparison failed compared nothing: a failure, not "no mismatches"', () => {
    const down = [0, 1, 2].map((n) => record(`d${n}`, 'down', minutes(n), 'error', 1, undefined, { error: 'new service timed out' }));
    const flaky = [record('f0', 'flaky', minutes(0), 'error', 1, undefined, { error: 'reset' }), ...[1, 2, 3].map((n) => record(`f${n}`, 'flaky', minutes(n), 'match', 1, 1))];
    expect(verdicts([...down, ...flaky])).toEqual(['down: fail nothing compared: 3 errors', 'flaky: warn no mismatches, 1 error (25.0 %)']);
  });

  test('without --since the window ends at the report, not at the end of the minute under way', () => {
    const now = new Date(Date.parse(minutes(3)) + 20_000);
    const report = buildDiffReport([record('w0', 'orders', minutes(0), 'match', 1, 1), record('w3', 'orders', new Date(Date.parse(minutes(3)) + 5_000).toISOString(), 'match', 1, 1)], { generatedAt: now });
    expect(report.window).toMatchObject({ from: minutes(0), to: now.toISOString() });
    expect(renderText(buildDiffReport([], { generatedAt: now }))).not.toContain('0 buckets');
  });

  test('one comparison is said in the singular', () => {
    const report = buildDiffReport([record('o1', 'one', minutes(0), 'match', 1, 1)], { generatedAt: GENERATED_AT });
    expect(renderText(report)).toContain('  1 comparison: 1 match,');
    expect(renderMarkdown(report)).toContain('· 1 comparison');
  });
});

describe('buildDiffReport: noise decided over the whole report (Diffy)', () => {
  const clock = (n: number): FieldDifference => ({ path: '$.generatedAt', kind: 'changed', legacy: `"t${n}"`, candidate: `"t${n + 1}"` });
  const total: FieldDifference = { path: '$.total', kind: 'type', legacy: '42.5', candidate: '"42.50"' };
  // c0, c1: before the proxy had learned $.generatedAt (or without a second legacy answer): raw differences.
  // c2–c6: explained as noise at compare time. $.total differs for real in c1 and c6.
  function learning(): ComparisonRecord[] {
    return [
      record('c0', 'clock', minutes(0), 'mismatch', 1, 1, { differences: [clock(0)] }),
      record('c1', 'clock', minutes(1), 'mismatch', 1, 1, { differences: [clock(1), total] }),
      ...[2, 3, 4, 5].map((n) => record(`c${n}`, 'clock', minutes(n), 'noise', 1, 1, { noise: [clock(n)] })),
      record('c6', 'clock', minutes(6), 'mismatch', 1, 1, { differences: [total], noise: [clock(6)] }),
    ];
  }

  test('a path mostly explained as noise is noisy: its earlier raw differences count as noise, and so do mismatches left without differences', () => {
    const route = buildDiffReport(learning(), { generatedAt: GENERATED_AT }).routes[0]!;
    expect(route.noiseThresholds).toEqual({ relative: 0.2, absolute: 3 });
    expect(route.counts).toEqual({ comparisons: 7, match: 0, mismatch: 2, noise: 5, error: 0 });
    expect(route.fields.map(({ path, count, noise, noisy }) => ({ path, count, noise, noisy }))).toEqual([
      { path: '$.total', count: 2, noise: 0, noisy: false },
      { path: '$.generatedAt', count: 0, noise: 7, noisy: true },
    ]);
    expect(route.fields[1]!.examples.map((e) => [e.requestId, e.noise])).toEqual([['c6', true], ['c5', true], ['c4', true]]);
    expect(route.timeline.reduce((sum, bucket) => sum + bucket.mismatches, 0)).toBe(2);
  });

  test('below either threshold the raw differences stay real', () => {
    const counts = (relative: number, absolute: number): unknown =>
      buildDiffReport(learning(), { generatedAt: GENERATED_AT, noiseThresholds: { clock: { relative, absolute } } }).routes[0]!.counts;
    expect(counts(0.2, 6)).toMatchObject({ mismatch: 3, noise: 4 }); // explained as noise 5 times, fewer than 6
    expect(counts(0.8, 3)).toMatchObject({ mismatch: 3, noise: 4 }); // 5 of the 7 comparisons where it differed: 71 % < 80 %
    expect(counts(0.7, 5)).toMatchObject({ mismatch: 2, noise: 5 });
    const other = buildDiffReport(learning(), { generatedAt: GENERATED_AT, noiseThresholds: { orders: { relative: 0, absolute: 0 } } });
    expect(other.routes[0]!.noiseThresholds).toEqual({ relative: 0.2, absolute: 3 }); // another route's thresholds
  });

  test("a noisy ancestor explains nothing below it, a varying value no dropped field; totals add up the routes' reclassified outcomes", () => {
    const meta = (n: number): FieldDifference => ({ path: '$.meta', kind: 'type', legacy: `{"v":${n}}`, candidate: 'null' });
    const records = [
      ...[0, 1, 2].map((n) => record(`m${n}`, 'meta', minutes(n), 'noise', 1, 1, { noise: [meta(n)] })),
      record('m3', 'meta', minutes(3), 'mismatch', 1, 1, { differences: [{ path: '$.meta.at', kind: 'changed', legacy: '1', candidate: '2' }] }),
      record('m4', 'meta', minutes(4), 'mismatch', 1, 1, { differences: [{ path: '$.meta', kind: 'type', legacy: '{}', candidate: 'null' }] }),
      // $.generatedAt is noisy by its changed values (learning()): the new service leaving it out is not.
      record('c7', 'clock', minutes(7), 'mismatch', 1, 1, { differences: [{ path: '$.generatedAt', kind: 'removed', legacy: '"t7"' }] }),
      ...learning(),
    ];
    const report = buildDiffReport(records, { generatedAt: GENERATED_AT });
    const route = report.routes.find((r) => r.route === 'meta')!;
    expect(route.counts).toMatchObject({ comparisons: 5, mismatch: 1, noise: 4 });
    expect(route.fields.find((f) => f.path === '$.meta.at')).toMatchObject({ count: 1, noise: 0, noisy: false });
    expect(route.fields.find((f) => f.path === '$.meta')).toMatchObject({ count: 0, noise: 4, noisy: true });
    const clockRoute = report.routes.find((r) => r.route === 'clock')!;
    expect(clockRoute.counts).toMatchObject({ comparisons: 8, mismatch: 3, noise: 5 });
    expect(clockRoute.fields.find((f) => f.path === '$.generatedAt')).toMatchObject({ count: 1, noise: 7, noisy: true, kinds: ['removed'] });
    expect(report.totals.counts).toEqual({ comparisons: 13, match: 0, mismatch: 4, noise: 9, error: 0 });
  });

  test('bad thresholds are refused, naming the route', () => {
    expect(() => buildDiffReport(learning(), { generatedAt: GENERATED_AT, noiseThresholds: { clock: { relative: 2, absolute: 3 } } })).toThrow(
      'buildDiffReport: noiseThresholds of route "clock" must be { relative: 0…1, absolute: integer ≥ 0 }, got {"relative":2,"absolute":3}',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Renderers

/** A report whose values carry the characters each format must escape. */
function hostileReport(): DiffReport {
  return buildDiffReport(
    [
      record('h1', 'orders', minutes(0), 'mismatch', 1, 2, {
        differences: [
          { path: '$.note', kind: 'changed', legacy: '"a|b"', candidate: '"``x`"' },
          { path: '$.html', kind: 'changed', legacy: '"<script>alert(1)</script>"', candidate: '"<img src=x onerror=alert(1)>"' },
          { path: 'header.x-evil', kind: 'changed', legacy: '"\u001b[31mred\u001b[0m"', candidate: '"line1\nline2"' },
        ],
      }),
      record('h2', 'orders', minutes(1), 'match', 1, 2),
    ],
    { generatedAt: GENERATED_AT },
  );
}

describe('renderText', () => {
  const text = renderText(build());
  const lines = text.split('\n');

  test('a summary table with aligned columns, then a section per route', () => {
    const header = lines.find((line) => line.startsWith('ROUTE'));
    expect(header).toBeDefined();
    const at = lines.indexOf(header!);
    const rows = lines.slice(at + 1, at + 4);
    expect(rows.map((row) => row.split(/\s{2,}/)[0])).toEqual(['orders', 'users', '(all routes)']);
    // right-aligned numbers end where their heading ends; the verdict column starts at one place
    const comparisonsEnd = header!.indexOf('COMPARISONS') + 'COMPARISONS'.length;
    expect(rows.map((row) => row.slice(0, comparisonsEnd).trimStart().split(/\s+/).pop())).toEqual(['10', '2', '12']);
    const verdictAt = header!.indexOf('VERDICT');
    expect(rows.map((row) => row.slice(verdictAt))).toEqual([
      'FAIL 20.0 % mismatches',
      'PASS no mismatches',
      'FAIL 16.7 % mismatches',
    ]);
    expect(rows.every((row) => row[verdictAt - 1] === ' ' && row[verdictAt - 2] === ' ')).toBe(true);
    expect(text).toContain('orders  FAIL 20.0 % mismatches');
    expect(text).toContain('10 comparisons: 4 match, 2 mismatch, 1 noise, 3 error');
  });

  test('the fields table lines up under its headings, in model order', () => {
    const header = lines.find((line) => line.trimStart().startsWith('FIELD'))!;
    const at = lines.indexOf(header);
    const rows = lines.slice(at + 1, at + 5);
    const countEnd = header.indexOf('COUNT') + 'COUNT'.length;
    const kindsAt = header.indexOf('KINDS');
    expect(rows.map((row) => row.slice(2, countEnd).split(/\s{2,}/)[0])).toEqual([
      PRICE,
      'header.content-type',
      'status',
      '$.meta.ts',
    ]);
    expect(rows.map((row) => row.slice(0, countEnd).trim().split(/\s+/).pop())).toEqual(['2', '1', '1', '0']);
    expect(rows.map((row) => row.slice(kindsAt).split(/\s{2,}/)[0])).toEqual(['changed,type', 'added', 'changed', 'changed']);
    expect(rows[0]).toContain('5 → "6"  (o2)');
    expect(rows[1]).toContain('(absent) → "text/plain"');
    expect(rows[3]).toContain('(o3, noise)');
  });

  test('latency and errors', () => {
    const { legacy, candidate } = route(build(), 'orders').latency;
    expect(formatMs(legacy.p50)).toBe('49.9'); // 50 within the sketch's 1 %, one decimal
    expect(text).toContain(`  legacy      ${formatMs(legacy.p50)}  ${formatMs(legacy.p99)}       10\n`);
    expect(text).toContain(`  new         ${formatMs(candidate.p50)}  ${formatMs(candidate.p99)}        7\n`);
    expect(text).toMatch(/^ {2}timeout +2$/m);
    expect(text).toMatch(/^ {2}\(no reason given\) +1$/m);
  });

  test('no colour codes unless asked; control characters from traffic are shown escaped', () => {
    const hostile = renderText(hostileReport());
    expect(hostile).not.toMatch(/\u001b/);
    expect(hostile).toContain('"\\u001b[31mred\\u001b[0m" → "line1\\u000aline2"');
    const colored = renderText(build(), { color: true });
    expect(colored).toContain('\u001b[31mFAIL 20.0 % mismatches\u001b[0m');
    expect(colored).toContain('\u001b[32mPASS no mismatches\u001b[0m');
    // colour never shifts a column: stripped of escapes it is the plain text
    expect(colored.replace(/\u001b\[\d+m/g, '')).toBe(text);
  });

  test('maxFields lists the top fields and counts the rest', () => {
    const short = renderText(build(), { maxFields: 2 });
    expect(short).toContain('… 2 more fields not shown');
    expect(short).not.toMatch(/^ {2}status /m);
  });

  test('an empty report says so', () => {
    expect(renderText(buildDiffReport([], { generatedAt: GENERATED_AT }))).toContain('No comparisons.');
  });
});

describe('buildDiffReport: maxFields and routes no longer configured', () => {
  test('maxFields keeps the most differing fields; the others are summed up, and every format says what they hold as the full report does', () => {
    const full = build();
    const capped = build({ maxFields: 1 });
    const [fullOrders, cappedOrders] = [route(full, 'orders'), route(capped, 'orders')];
    expect(fullOrders.fields.map((field) => field.path)).toEqual([PRICE, 'header.content-type', 'status', '$.meta.ts']);
    expect(fullOrders.omittedFields).toBeNull();
    expect(cappedOrders.fields).toEqual(fullOrders.fields.slice(0, 1));
    const rest = fullOrders.fields.slice(1);
    expect(cappedOrders.omittedFields).toEqual({
      fields: 3,
      firstIn: rest.reduce((sum, field) => sum + field.firstIn, 0),
      lastIn: rest.reduce((sum, field) => sum + field.lastIn, 0),
    });
    // o1 differs at price and status, o2 at price and header.content-type: both at a hidden field, neither only there
    expect(hiddenFields(cappedOrders, 1)).toEqual({ fields: 3, comparisons: 2, only: 0, share: 0.2 });
    expect(hiddenFields(cappedOrders, 1)).toEqual(hiddenFields(fullOrders, 1));
    expect(hiddenFields(cappedOrders, 0)).toEqual(hiddenFields(fullOrders, 0));
    const hiddenLine = '… 3 more fields not shown, differing in 2 comparisons (20.0 %)';
    expect(renderText(capped, { maxFields: 10 })).toContain(hiddenLine);
    expect(renderText(capped, { maxFields: 10 })).toBe(renderText(full, { maxFields: 1 }));
    expect(renderMarkdown(capped, { maxFields: 10 })).toBe(renderMarkdown(full, { maxFields: 1 }));
    expect(renderHtml(capped, { maxFields: 10 })).toBe(renderHtml(full, { maxFields: 1 }));
    expect(() => build({ maxFields: 0 })).toThrow('buildDiffReport: maxFields must be an integer ≥ 1, got 0');
  });

  test('a route counted but not configured is marked in every format, with the default noise thresholds said', () => {
    const report = build({ configuredRoutes: ['orders'], noiseThresholds: { orders: { relative: 0.5, absolute: 1 } } });
    expect(report.routes.map((entry) => [entry.route, entry.configured, entry.noiseThresholds])).toEqual([
      ['orders', true, { relative: 0.5, absolute: 1 }],
      ['users', false, { relative: 0.2, absolute: 3 }],
    ]);
    expect(build().routes.every((entry) => entry.configured)).toBe(true);
    const note = '(not in the configuration): default noise thresholds (20.0 %, 3 times)';
    const text = renderText(report);
    expect(text).toMatch(/^users \(not in the configuration\) +2 +100 % /m);
    expect(text.split('\n')).toContain(note);
    expect(text).not.toMatch(/^orders \(not/m);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('| `users` (not in the configuration) | 2 |');
    expect(markdown).toContain('### `users` (not in the configuration)');
    expect(markdown).toContain(`${note}.`);
    const html = renderHtml(report);
    expect(html).toContain('<h2><code>users</code> (not in the configuration) ');
    expect(html).toContain('<a href="#route-2"><code>users</code> (not in the configuration)</a>');
    expect(html).toContain(`<p class="note">${note}.</p>`);
    expect(JSON.parse(renderJson(report)).routes[1].configured).toBe(false);
  });
});

describe('renderMarkdown', () => {
  test('summary table, then per route a verdict line and a top differences table', () => {
    const markdown = renderMarkdown(build());
    expect(markdown).toContain(
      [
        '| Route | Comparisons | Match | Mismatch | Noise | Error | Verdict |',
        '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
        '| `orders` | 10 | 40.0 % | 20.0 % | 10.0 % | 30.0 % | ❌ 20.0 % mismatches |',
        '| `users` | 2 | 100 % | 0 % | 0 % | 0 % | ✅ no mismatches |',
        '| **all routes** | 12 | 50.0 % | 16.7 % | 8.3 % | 25.0 % | ❌ 16.7 % mismatches |',
      ].join('\n'),
    );
    expect(markdown).toContain('### `orders`\n\n❌ 20.0 % mismatches · 10 comparisons');
    expect(markdown).toContain('### `users`\n\n✅ no mismatches · 2 comparisons');
    const { legacy, candidate } = route(build(), 'orders').latency;
    expect(markdown).toContain(`Latency p50 / p99: legacy ${formatMs(legacy.p50)} / ${formatMs(legacy.p99)} ms, new ${formatMs(candidate.p50)} / ${formatMs(candidate.p99)} ms`);
    expect(markdown).toContain(
      [
        '| Field | Count | Share | Noise | Example legacy → new | Request |',
        '| --- | ---: | ---: | ---: | --- | --- |',
        '| `$.items[*].price` | 2 | 20.0 % | 1 | `5` → `"6"` | `o2` |',
        '| `header.content-type` | 1 | 10.0 % | 0 | *(absent)* → `"text/plain"` | `o2` |',
        '| `status` | 1 | 10.0 % | 0 | `200` → `500` | `o1` |',
        '| `$.meta.ts` | 0 | 0 % | 2 | `"c"` → `"d"` _(noise)_ | `o3` |',
      ].join('\n'),
    );
    expect(markdown).toContain('Errors: `timeout` ×2, `(no reason given)` ×1');
    expect(markdown.length).toBeLessThan(2000);
  });

  test('escapes pipes in table cells and fences backticks in code spans', () => {
    const markdown = renderMarkdown(hostileReport());
    const row = markdown.split('\n').find((line) => line.startsWith('| `$.note`'))!;
    expect(row).toBe('| `$.note` | 1 | 50.0 % | 0 | `"a\\|b"` → ```"``x`"``` | `h1` |');
    // GFM splits a row on unescaped pipes only: still six cells
    expect(row.split(/(?<!\\)\|/).length).toBe(8);
    expect(markdown).toContain('`"\\u001b[31mred\\u001b[0m"` → `"line1\\u000aline2"`');
    expect(markdown).not.toMatch(/\u001b/);
    // HTML from traffic only ever appears inside code spans
    expect(markdown).toContain('`"<script>alert(1)</script>"` → `"<img src=x onerror=alert(1)>"`');
  });

  test('codeSpan', () => {
    expect(codeSpan('a', false)).toBe('`a`');
    expect(codeSpan('a|b', false)).toBe('`a|b`');
    expect(codeSpan('a|b', true)).toBe('`a\\|b`');
    expect(codeSpan('`x`', false)).toBe('`` `x` ``');
    expect(codeSpan('a``b', false)).toBe('```a``b```');
    expect(codeSpan('', false)).toBe('*(empty)*');
  });

  test('stays under the limit and says it was truncated', () => {
    const many: ComparisonRecord[] = [];
    for (let routeIndex = 0; routeIndex < 400; routeIndex++) {
      for (let index = 0; index < 12; index++) {
        many.push(
          record(`r${routeIndex}-${index}`, `route-${String(routeIndex).padStart(3, '0')}`, minutes(index), 'mismatch', 1, 1, {
            differences: [{ path: `$.field${index}`, kind: 'changed', legacy: '"x".repeat'.repeat(6), candidate: '"y"' }],
          }),
        );
      }
    }
    const report = buildDiffReport(many, { generatedAt: GENERATED_AT });
    const full = renderMarkdown(report, { maxChars: Number.MAX_SAFE_INTEGER });
    expect(full.length).toBeGreaterThan(65_536);

    const markdown = renderMarkdown(report);
    expect(markdown.length).toBeLessThanOrEqual(65_536);
    expect(markdown).toMatch(/> ✂️ Report truncated to fit 65,536 characters: \d+ of 400 routes shown in full\./);
    const small = renderMarkdown(report, { maxChars: 3000 });
    expect(small.length).toBeLessThanOrEqual(3000);
    expect(small).toContain('0 of 400 routes shown in full');
    expect(renderMarkdown(build())).not.toContain('truncated');
  });
});

describe('renderHtml', () => {
  test('one self-contained page: no external URL, no script, inline style and SVG, a CSP that forbids fetching', () => {
    const html = renderHtml(build());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).toContain('<style>');
    expect(html.match(/<svg class="timeline"/g)).toHaveLength(2);
    expect(html.match(/<svg class="fields"/g)).toHaveLength(1); // users has no differing fields
  });

  test('key numbers carry data attributes', () => {
    const html = renderHtml(build());
    expect(html).toContain('<span data-route="orders" data-metric="mismatch-rate" data-value="0.2">20.0 %</span>');
    expect(html).toContain('<span data-route="orders" data-metric="comparisons" data-value="10">10</span>');
    const p99 = route(build(), 'orders').latency.candidate.p99!;
    expect(Math.abs(p99 - 200)).toBeLessThanOrEqual(2);
    expect(html).toContain(`<span data-route="orders" data-metric="latency-new-p99" data-value="${p99}">${formatMs(p99)}</span>`);
    expect(html).toContain('<span data-scope="total" data-metric="mismatch" data-value="2">2</span>');
    expect(html).toContain(
      `<span data-route="orders" data-metric="field-count" data-field="${PRICE}" data-value="2">2</span>`,
    );
    expect(html).toContain('data-metric="bucket-mismatch-rate" data-bucket="2" data-value="0"');
    expect(html).toMatch(/data-route="users" data-metric="bucket-mismatch-rate" data-bucket="2" data-value=""/);
  });

  test('the timeline draws buckets on a time axis, labelled at the clock\'s round marks', () => {
    // 91 minutes from 10:00 in buckets of 30 minutes: the last (1 minute) is a thirtieth as wide as the others.
    const html = renderHtml(build());
    const widths = [...html.matchAll(/data-route="orders" data-metric="bucket-mismatch-rate" data-bucket="\d" [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(4);
    expect(widths[0]).toBeCloseTo(widths[1]!, 0);
    expect(widths[3]! * 30).toBeCloseTo(widths[0]!, -1);
    // Both routes' charts share the window, so the same four labels twice.
    const ticks = [...html.matchAll(/<text class="tick"[^>]*text-anchor="(\w+)">([^<]*)</g)].map((m) => `${m[2]} ${m[1]}`);
    expect(ticks).toEqual(['10:00 start', '10:30 middle', '11:00 middle', '11:30 end', '10:00 start', '10:30 middle', '11:00 middle', '11:30 end']);
  });

  test('time-axis ticks: up to 5 round marks, dates on windows over 2 days, the ends when no two marks fit', () => {
    const at = (iso: string): number => Date.parse(iso);
    const labels = (from: string, to: string) => timeTicks(at(from), at(to) - at(from)).map(([, anchor, label]) => `${label} ${anchor}`);
    expect(labels('2026-03-31T10:07:00Z', '2026-03-31T17:47:00Z')).toEqual(['12:00 middle', '14:00 middle', '16:00 middle']);
    expect(labels('2026-03-24T13:20:00Z', '2026-03-31T13:20:00Z')).toEqual(['03-26 00:00 middle', '03-28 00:00 middle', '03-30 00:00 middle']);
    expect(labels('2026-03-31T10:07:00Z', '2026-03-31T10:08:00Z')).toEqual(['10:07 start', '10:08 end']);
  });

  test('escapes every text from traffic, in text and in attributes', () => {
    const report = hostileReport();
    report.routes[0]!.route = 'orders"><script>x</script>';
    const html = renderHtml(report);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('<code>&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;</code>');
    expect(html).toContain('data-route="orders&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('renderJson and renderDiffReport', () => {
  test('JSON is the model under a format tag, byte-stable', () => {
    const report = build();
    const json = renderJson(report);
    expect(JSON.parse(json)).toEqual({ format: DIFF_REPORT_FORMAT, ...report });
    expect(Object.keys(JSON.parse(json))).toEqual(['format', 'generatedAt', 'filter', 'window', 'totals', 'routes']);
    expect(renderJson(build())).toBe(json);
    expect(json.endsWith('}\n')).toBe(true);
    // absent values are kept as null
    expect(JSON.parse(renderJson(build({ route: 'nope' }))).routes[0].latency.legacy).toEqual({
      samples: 0,
      p50: null,
      p99: null,
    });
  });

  test('dispatches on the format', () => {
    const report = build();
    expect(renderDiffReport(report, 'text')).toBe(renderText(report));
    expect(renderDiffReport(report, 'markdown')).toBe(renderMarkdown(report));
    expect(renderDiffReport(report, 'html')).toBe(renderHtml(report));
    expect(renderDiffReport(report, 'json')).toBe(renderJson(report));
    expect(renderDiffReport(report, 'text', { color: true })).toContain('\u001b[');
    expect(() => renderDiffReport(report, 'pdf' as DiffReportFormat)).toThrow(/unknown diff report format "pdf"/);
  });
});

describe('formatDuration', () => {
  test('sub-second buckets are shown in ms, longer ones in s, m, h and d', () => {
    const { formatDuration } = jest.requireActual<typeof import('../../diff-reader/report/format')>('../../diff-reader/report/format');
    expect([0.4, 2, 250, 999, 1000, 45000, 300000, 5400000, 3 * 86400000].map(formatDuration)).toEqual(['1ms', '2ms', '250ms', '999ms', '1s', '45s', '5m', '1h30m', '3d']);
  });
});

describe('long error reasons and values from production traffic', () => {
  const reason = 'neither body could be decoded (legacy: content-encoding "zstd" needs Node 22.15 or later (this is v20.20.2); new service: content-encoding "zstd" needs Node 22.15 or later (this is v20.20.2))';
  const records = [record('e1', 'orders', minutes(0), 'error', 10, undefined, { error: reason })];

  test('the text and markdown reports show an error reason of both sides whole (up to 200 characters)', () => {
    const report = buildDiffReport(records, { generatedAt: GENERATED_AT });
    expect(renderText(report, { color: false })).toContain(reason);
    expect(renderMarkdown(report)).toContain(reason);
  });

  test('diff show escapes control characters and bidi overrides in paths, values and reasons', () => {
    const hostile = 'x\u009b31mRED\u202eevil\u001b[32m';
    const lines = describeComparison({
      ...record('c1', 'orders', minutes(0), 'mismatch', 1, 2),
      differences: [{ path: '$.name', kind: 'changed', legacy: '"x"', candidate: JSON.stringify(hostile) }],
    }).join('\n');
    expect(lines).toContain('new:    "x\\u009b31mRED\\u202eevil\\u001b[32m"');
    expect(lines).not.toMatch(/[\u0080-\u009f\u202e\u001b]/);
  });
});
