import type { ComparisonRecord, FieldDifference } from '../../core/comparison';
import { classify, compileDiffOptions, diffJson, NoiseModel, renderPath, type DiffOptions } from '../../diff-reader/engine';
import { isIdentifierKey, templatedPath } from '../../diff-reader/engine/map-keys';
import { buildDiffReport, renderHtml, renderMarkdown, renderText } from '../../diff-reader/report';
import { comparisonJson, describeComparison } from '../../cli/commands/diff';

const diff = (a: unknown, b: unknown, options: DiffOptions = {}): FieldDifference[] => diffJson(a, b, compileDiffOptions(options));

describe('identifier keys', () => {
  test.each([
    '0', '42', '100431', '2024-05-01', '10.0.0.1', '1.2.3', '2024/05/01',
    '3f2c9a7e-1b2d-4c5e-9f01-8a7b6c5d4e3f', '3F2C9A7E-1B2D-4C5E-9F01-8A7B6C5D4E3F',
    '5f2b9c0e8d7a6b1c', '507f1f77bcf86cd799439011', 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    'u100431', 'order_12345', 'SKU-00042', 'user:99999', 'user_3f2c9a7e-1b2d-4c5e-9f01-8a7b6c5d4e3f', 'obj_507f1f77bcf86cd799439011',
  ])('%s is an identifier', (key) => expect(isIdentifierKey(key)).toBe(true));

  test.each([
    'id', 'name', 'userId', 'user_id', 'createdAt', 'address2', 'line1', 'sha256', 'utf8', 'v2', 'ipv4', 'x509', 'x86_64', 'int64',
    'base64', 'iso8601', 'rfc3339', 'iso3166_1', 'sha3_256', 'order_1234', 'deadbeefcafebabe', 'abcdefabcdefabcdef', '名前', '$ref',
    '', '-1', '1-', '1e5', '0x1f', '42px', 'TOTAL_2024', 'theQuickBrownFox12', 'http://x/1',
  ])('%s is a field name', (key) => expect(isIdentifierKey(key)).toBe(false));
});

describe('map keys in reported paths', () => {
  const scores = (overrides: Record<string, number>): unknown => ({ scores: { u100430: 1, u100431: 5, u100432: 7, ...overrides }, name: 'x' });

  test('an id-keyed map differs at $.scores.*, each difference keeping where it was', () => {
    expect(diff(scores({}), scores({ u100431: 6, u100432: 8 }))).toEqual([
      { path: '$.scores.*', location: '$.scores.u100431', kind: 'changed', legacy: '5', candidate: '6' },
      { path: '$.scores.*', location: '$.scores.u100432', kind: 'changed', legacy: '7', candidate: '8' },
    ]);
    expect(diff({ byId: { '42': { n: 1 } } }, { byId: { '42': { n: 2 }, '43': { n: 3 } } })).toEqual([
      { path: '$.byId.*.n', location: "$.byId['42'].n", kind: 'changed', legacy: '1', candidate: '2' },
      { path: '$.byId.*', location: "$.byId['43']", kind: 'added', candidate: '{"n":3}' },
    ]);
  });

  test('the location names array indices (ordered arrays) and [*] inside a multiset; paths without a templated key have none', () => {
    const a = { users: [{ s: { u100001: 1 } }, { s: { u100002: 2 } }], list: [1, 2] };
    const b = { users: [{ s: { u100001: 1 } }, { s: { u100002: 3 } }], list: [1, 3] };
    expect(diff(a, b)).toEqual([
      { path: '$.users[*].s.*', location: '$.users[1].s.u100002', kind: 'changed', legacy: '2', candidate: '3' },
      { path: '$.list[*]', kind: 'changed', legacy: '2', candidate: '3' },
    ]);
    expect(diff({ u: [{ id: 1, m: { '7': 1 } }] }, { u: [{ id: 1, m: { '7': 2 } }] }, { unordered: ['$.u'] })).toEqual([
      { path: '$.u[*].m.*', location: "$.u[*].m['7']", kind: 'changed', legacy: '1', candidate: '2' },
    ]);
  });

  test('mapKeys: every key directly under the path is *, words too; below it keys are kept; other objects unchanged', () => {
    const a = { byRegion: { emea: { total: 1, live: true }, apac: { total: 2 } }, meta: { emea: 1 } };
    const b = { byRegion: { emea: { total: 3, live: true }, apac: { total: 2 }, 'north america': { total: 4 } }, meta: { emea: 2 } };
    expect(diff(a, b, { mapKeys: ['$.byRegion'] })).toEqual([
      { path: '$.byRegion.*.total', location: '$.byRegion.emea.total', kind: 'changed', legacy: '1', candidate: '3' },
      { path: '$.byRegion.*', location: "$.byRegion['north america']", kind: 'added', candidate: '{"total":4}' },
      { path: '$.meta.emea', kind: 'changed', legacy: '1', candidate: '2' },
    ]);
    // With a wildcard in the pattern, and with ignore below the map.
    const nested = { u: [{ tags: { red: 1, blue: 2 } }] };
    expect(diff(nested, { u: [{ tags: { red: 2, blue: 3 } }] }, { mapKeys: ['$.u[*].tags'], ignore: ['$.u[*].tags.blue'] })).toEqual([
      { path: '$.u[*].tags.*', location: '$.u[0].tags.red', kind: 'changed', legacy: '1', candidate: '2' },
    ]);
  });

  test('a reported path is a valid ignore pattern meaning that field: $.scores.* hides the map, $[\'名前\'] its key', () => {
    const a = { scores: { u100431: 5 }, 名前: '大谷', name: 'a' };
    const b = { scores: { u100431: 6, u100432: 1 }, 名前: '翔平', name: 'b' };
    const reported = diff(a, b).map((d) => d.path);
    expect(reported).toEqual(['$.scores.*', '$.scores.*', "$['名前']", '$.name']);
    expect(diff(a, b, { ignore: ['$.scores.*', "$['名前']"] }).map((d) => d.path)).toEqual(['$.name']);
    // A key that is `*` itself stays quoted, so it never reads as the wildcard.
    expect(renderPath(['*'])).toBe("$['*']");
    expect(diff({ '*': 1, a: 1 }, { '*': 2, a: 2 }, { ignore: ["$['*']"] }).map((d) => d.path)).toEqual(['$.a']);
  });

  test('mapKeys is validated like ignore, naming the entry', () => {
    expect(() => compileDiffOptions({ mapKeys: ['$..scores'] })).toThrow(/^diff option mapKeys\[0\] "\$\.\.scores": recursive descent/);
    expect(() => compileDiffOptions({ mapKeys: '$.scores' as unknown as string[] })).toThrow('diff option mapKeys: expected a list of strings, got "$.scores"');
    expect(compileDiffOptions({ mapKeys: ['$.scores'] }).mapKeyPatterns).toEqual(['$.scores']);
  });

  test('paths stored before keys were templated read as the templated path', () => {
    expect(templatedPath('$.scores.u100431')).toBe('$.scores.*');
    expect(templatedPath("$.byId['42'].items[*].n")).toBe('$.byId.*.items[*].n');
    expect(templatedPath("$['名前']")).toBe("$['名前']");
    for (const same of ['$.name', '$.items[*].price', 'status', 'header.x-id', 'body[3]', 'body', '$.scores.*', "$['*']", '$[bad']) expect(templatedPath(same)).toBe(same);
  });
});

describe('noise on a map keyed by ids', () => {
  test('legacy varying at a different key in every request is learned as noise at $.sessions.*', () => {
    const model = new NoiseModel({ relativeThreshold: 0.2, absoluteThreshold: 3 });
    const body = (id: number, seen: number): unknown => ({ sessions: { [`sess_${100000 + id}`]: seen }, total: 1 });
    for (let i = 0; i < 3; i++) model.observe(diff(body(i, 1), body(i, 2)), diff(body(i, 1), body(i, 3)));
    expect(model.isPathNoisy('$.sessions.*')).toBe(true);
    // A later request without a second legacy answer, at a key never seen: noise, not a mismatch.
    expect(classify(diff(body(50, 1), body(50, 2)), undefined, model).result).toBe('noise');
    // A field the new service drops from the map is not excused by legacy's values varying.
    expect(classify(diff(body(51, 1), { sessions: {}, total: 1 }), undefined, model).result).toBe('mismatch');
  });
});

describe('report: one field for a map', () => {
  const at = (minute: number): string => new Date(Date.UTC(2025, 5, 1, 10, minute)).toISOString();
  const record = (n: number, differences: FieldDifference[]): ComparisonRecord => ({
    requestId: `r${n}`, route: 'users', method: 'GET', target: `/users/${n}`, at: at(n), result: differences.length > 0 ? 'mismatch' : 'match',
    legacyStatus: 200, candidateStatus: 200, legacyMs: 1, candidateMs: 1, differences, noise: [],
  });
  const score = (id: number, legacy: number): FieldDifference => ({ path: '$.scores.*', location: `$.scores.u${id}`, kind: 'changed', legacy: String(legacy), candidate: String(legacy + 1) });
  // 10 comparisons: 4 differ in the map (one at 5 keys), 2 at $.name, 1 at $.a and $.b, 3 match.
  const records = [
    record(0, [score(100000, 1), score(100001, 2), score(100002, 3), score(100003, 4), score(100004, 5)]),
    record(1, [score(100011, 1)]),
    record(2, [score(100021, 1), { path: '$.name', kind: 'changed', legacy: '"a"', candidate: '"b"' }]),
    record(3, [score(100031, 1)]),
    record(4, [{ path: '$.name', kind: 'changed', legacy: '"a"', candidate: '"c"' }]),
    record(5, [{ path: '$.a', kind: 'added', candidate: '1' }, { path: '$.b', kind: 'added', candidate: '1' }]),
    record(6, []), record(7, []), record(8, []),
    // Kept by an earlier version, before keys were templated: the same field.
    record(9, [{ path: '$.scores.u100091', kind: 'changed', legacy: '1', candidate: '2' }, { path: '$.scores.u100092', kind: 'changed', legacy: '1', candidate: '2' }]),
  ];
  const report = buildDiffReport(records, { generatedAt: new Date(at(30)) });
  const route = report.routes[0]!;

  test('counted once per comparison, share of the route; old paths add up; examples list the keys', () => {
    expect(route.fields.map((f) => [f.path, f.count, f.share])).toEqual([
      ['$.scores.*', 5, 0.5],
      ['$.name', 2, 0.2],
      ['$.a', 1, 0.1],
      ['$.b', 1, 0.1],
    ]);
    const examples = route.fields[0]!.examples;
    expect(examples.map((e) => [e.requestId, e.locations, e.moreLocations])).toEqual([
      ['r9', ['$.scores.u100091', '$.scores.u100092'], 0],
      ['r3', ['$.scores.u100031'], 0],
      ['r2', ['$.scores.u100021'], 0],
    ]);
    const all = buildDiffReport(records, { generatedAt: new Date(at(30)), examplesPerField: 10 }).routes[0]!.fields[0]!.examples.at(-1)!;
    expect(all).toMatchObject({ requestId: 'r0', legacy: '1', locations: ['$.scores.u100000', '$.scores.u100001', '$.scores.u100002'], moreLocations: 2 });
    expect(route.fields[1]!.examples[0]!.locations).toEqual([]);
  });

  test('firstIn and lastIn: which comparisons the fields past a position account for', () => {
    expect(route.fields.map((f) => [f.path, f.firstIn, f.lastIn])).toEqual([
      ['$.scores.*', 5, 4],
      ['$.name', 1, 2],
      ['$.a', 1, 0],
      ['$.b', 0, 1],
    ]);
  });

  test('text, markdown and html say how many comparisons the fields not shown differ in', () => {
    const text = renderText(report, { maxFields: 1 });
    expect(text).toContain('$.scores.*');
    expect(text).toMatch(/\$\.scores\.\*\s+5\s+50\.0 %.*\(r9, at \$\.scores\.u100091 \+1 more\)/);
    expect(text).toContain('… 3 more fields not shown, differing in 3 comparisons (30.0 %), 2 of them at no field shown');
    expect(renderText(report, { maxFields: 2 })).toContain('… 2 more fields not shown, differing in 1 comparison (10.0 %), 1 of them at no field shown');
    expect(renderText(report, { maxFields: 3 })).toContain('… 1 more field not shown, differing in 1 comparison (10.0 %)\n');
    const markdown = renderMarkdown(report, { maxFields: 1 });
    expect(markdown).toContain('at `$.scores.u100091` +1 more');
    expect(markdown).toContain('_… 3 more fields not shown, differing in 3 comparisons (30.0 %), 2 of them at no field shown._');
    const html = renderHtml(report, { maxFields: 1 });
    expect(html).toContain('at <code title="$.scores.u100091\n$.scores.u100092">$.scores.u100091</code> +1 more');
    expect(html).toContain('<p class="note">… 3 more fields not shown, differing in 3 comparisons (30.0 %), 2 of them at no field shown.</p>');
  });

  test('a report from a proxy that predates these numbers still renders, saying only how many fields are hidden', () => {
    const older = JSON.parse(JSON.stringify(report)) as typeof report;
    for (const field of older.routes[0]!.fields) {
      delete (field as Partial<typeof field>).firstIn;
      delete (field as Partial<typeof field>).lastIn;
      for (const example of field.examples) delete (example as Partial<typeof example>).locations;
    }
    const text = renderText(older, { maxFields: 1 });
    expect(text).toContain('  … 3 more fields not shown\n');
    expect(text).toMatch(/\(r9\)/);
    expect(renderMarkdown(older, { maxFields: 1 })).toContain('_… 3 more fields not shown._');
    expect(renderHtml(older, { maxFields: 1 })).toContain('… 3 more fields not shown.</p>');
  });
});

describe('diff show', () => {
  test('names the location of a difference at a templated field, in text and JSON', () => {
    const record: ComparisonRecord = {
      requestId: 'r1', route: 'users', method: 'GET', target: '/users/1', at: '2025-06-01T10:00:00.000Z', result: 'mismatch',
      legacyStatus: 200, candidateStatus: 200, legacyMs: 1, candidateMs: 1,
      differences: [{ path: '$.scores.*', location: '$.scores.u100431', kind: 'changed', legacy: '5', candidate: '6' }, { path: '$.name', kind: 'changed', legacy: '"a"', candidate: '"b"' }],
      noise: [],
    };
    expect(describeComparison(record)).toEqual(expect.arrayContaining(['  $.scores.*  changed  at $.scores.u100431', '  $.name  changed']));
    expect(comparisonJson(record).differences).toEqual([
      { path: '$.scores.*', location: '$.scores.u100431', kind: 'changed', legacy: '5', candidate: '6' },
      { path: '$.name', location: null, kind: 'changed', legacy: '"a"', candidate: '"b"' },
    ]);
  });
});
