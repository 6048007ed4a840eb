import type { FieldDifference } from '../../core/comparison';
import { compileDiffOptions, DiffBudgetExceededError, diffJson, jsonEqual, renderPath, renderValue, truncate, type DiffOptions } from '../../diff-reader/engine';

const diff = (legacy: unknown, candidate: unknown, options: DiffOptions = {}): FieldDifference[] => diffJson(legacy, candidate, compileDiffOptions(options));
const paths = (ds: FieldDifference[]): string[] => ds.map((d) => d.path);

describe('difference kinds', () => {
  test('equal documents: no differences', () => {
    const doc = { id: 7, name: 'x', tags: ['a', 'b'], meta: { n: null, ok: true, f: 1.5 } };
    expect(diff(doc, JSON.parse(JSON.stringify(doc)))).toEqual([]);
    expect(jsonEqual(doc, JSON.parse(JSON.stringify(doc)), compileDiffOptions())).toBe(true);
  });

  test('key order does not matter', () => {
    expect(diff({ a: 1, b: 2 }, { b: 2, a: 1 })).toEqual([]);
  });

  test('added: only in the candidate, value JSON text, no legacy', () => {
    expect(diff({ a: 1 }, { a: 1, b: { c: [1, 2] } })).toEqual([{ path: '$.b', kind: 'added', candidate: '{"c":[1,2]}' }]);
  });

  test('removed: only in legacy, no candidate', () => {
    expect(diff({ a: 1, gone: 'x' }, { a: 1 })).toEqual([{ path: '$.gone', kind: 'removed', legacy: '"x"' }]);
  });

  test('changed: same type, other value, for each primitive type', () => {
    expect(diff({ n: 1, s: 'a', b: true }, { n: 2, s: 'b', b: false })).toEqual([
      { path: '$.n', kind: 'changed', legacy: '1', candidate: '2' },
      { path: '$.s', kind: 'changed', legacy: '"a"', candidate: '"b"' },
      { path: '$.b', kind: 'changed', legacy: 'true', candidate: 'false' },
    ]);
  });

  test('type: different JSON types, null counting as one', () => {
    expect(diff({ a: null, b: 0, c: '1', d: [], e: {}, f: true }, { a: 0, b: null, c: 1, d: {}, e: [], f: 'true' })).toEqual([
      { path: '$.a', kind: 'type', legacy: 'null', candidate: '0' },
      { path: '$.b', kind: 'type', legacy: '0', candidate: 'null' },
      { path: '$.c', kind: 'type', legacy: '"1"', candidate: '1' },
      { path: '$.d', kind: 'type', legacy: '[]', candidate: '{}' },
      { path: '$.e', kind: 'type', legacy: '{}', candidate: '[]' },
      { path: '$.f', kind: 'type', legacy: 'true', candidate: '"true"' },
    ]);
  });

  test('root-level values', () => {
    expect(diff(1, 2)).toEqual([{ path: '$', kind: 'changed', legacy: '1', candidate: '2' }]);
    expect(diff({}, [])).toEqual([{ path: '$', kind: 'type', legacy: '{}', candidate: '[]' }]);
    expect(diff(null, null)).toEqual([]);
  });

  test('differences come in legacy key order, then added keys in candidate order', () => {
    expect(paths(diff({ z: 1, a: 1, m: 1 }, { y: 2, a: 2, x: 2 }))).toEqual(['$.z', '$.a', '$.m', '$.y', '$.x']);
  });

  test('keys named like Object.prototype members are ordinary keys', () => {
    const legacy = JSON.parse('{"constructor": 1, "__proto__": {"x": 1}, "toString": "a"}');
    const candidate = JSON.parse('{"constructor": 2, "__proto__": {"x": 1}, "hasOwnProperty": true}');
    expect(diff(legacy, candidate)).toEqual([
      { path: '$.constructor', kind: 'changed', legacy: '1', candidate: '2' },
      { path: '$.toString', kind: 'removed', legacy: '"a"' },
      { path: '$.hasOwnProperty', kind: 'added', candidate: 'true' },
    ]);
    expect(diff({}, JSON.parse('{"__proto__": 1}'))).toEqual([{ path: '$.__proto__', kind: 'added', candidate: '1' }]);
    expect(diff({ a: 1 }, { a: 1, constructor: 5 })).toEqual([{ path: '$.constructor', kind: 'added', candidate: '5' }]);
  });
});

describe('templated paths', () => {
  test('array indices become [*], through nested arrays', () => {
    const legacy = { orders: [{ lines: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }] }, { lines: [{ sku: 'c', qty: 3 }] }] };
    const candidate = { orders: [{ lines: [{ sku: 'a', qty: 1 }, { sku: 'B', qty: 2 }] }, { lines: [{ sku: 'c', qty: 4 }] }] };
    expect(diff(legacy, candidate)).toEqual([
      { path: '$.orders[*].lines[*].sku', kind: 'changed', legacy: '"b"', candidate: '"B"' },
      { path: '$.orders[*].lines[*].qty', kind: 'changed', legacy: '3', candidate: '4' },
    ]);
  });

  test('matrix: arrays of arrays', () => {
    expect(diff([[1, 2], [3, 4]], [[1, 2], [3, 5]])).toEqual([{ path: '$[*][*]', kind: 'changed', legacy: '4', candidate: '5' }]);
  });

  test('extra elements are removed/added at path[*]', () => {
    expect(diff({ tags: ['a', 'b', 'c'] }, { tags: ['a'] })).toEqual([
      { path: '$.tags[*]', kind: 'removed', legacy: '"b"' },
      { path: '$.tags[*]', kind: 'removed', legacy: '"c"' },
    ]);
    expect(diff({ tags: [] }, { tags: [{ x: 1 }] })).toEqual([{ path: '$.tags[*]', kind: 'added', candidate: '{"x":1}' }]);
  });

  test('keys that are not identifiers are bracket-quoted', () => {
    expect(paths(diff({ 'a b': 1, 'x.y': 1, '1st': 1, "it's": 1, '': 1, 'é': 1, 'back\\slash': 1, 'new\nline': 1, _ok$: 1 }, {}))).toEqual([
      "$['a b']",
      "$['x.y']",
      "$['1st']",
      "$['it\\'s']",
      "$['']",
      "$['é']",
      "$['back\\\\slash']",
      "$['new\\nline']",
      '$._ok$',
    ]);
  });

  test('renderPath', () => {
    expect(renderPath([])).toBe('$');
    expect(renderPath(['items', 0, 'price'])).toBe('$.items[*].price');
    expect(renderPath(['a-b', 0])).toBe("$['a-b'][*]");
  });
});

describe('ignore', () => {
  test('exact paths: $.meta.generatedAt', () => {
    const legacy = { meta: { generatedAt: '2024-01-01T00:00:00Z', version: 1 }, data: 1 };
    const candidate = { meta: { generatedAt: '2025-01-01T00:00:00Z', version: 2 }, data: 1 };
    expect(diff(legacy, candidate, { ignore: ['$.meta.generatedAt'] })).toEqual([{ path: '$.meta.version', kind: 'changed', legacy: '1', candidate: '2' }]);
  });

  test('wildcard through arrays: $.items[*].etag, including added/removed members', () => {
    const legacy = { items: [{ id: 1, etag: 'a' }, { id: 2, etag: 'b' }] };
    const candidate = { items: [{ id: 1, etag: 'x' }, { id: 3 }] };
    expect(diff(legacy, candidate, { ignore: ['$.items[*].etag'] })).toEqual([{ path: '$.items[*].id', kind: 'changed', legacy: '2', candidate: '3' }]);
    expect(diff({ items: [{ id: 1 }] }, { items: [{ id: 1, etag: 'new' }] }, { ignore: ['$.items[*].etag'] })).toEqual([]);
  });

  test('.* matches any key, [*] any element or member', () => {
    const legacy = { a: { id: 1, v: 1 }, b: { id: 2, v: 1 } };
    const candidate = { a: { id: 9, v: 1 }, b: { id: 8, v: 2 } };
    expect(diff(legacy, candidate, { ignore: ['$.*.id'] })).toEqual([{ path: '$.b.v', kind: 'changed', legacy: '1', candidate: '2' }]);
    expect(diff(legacy, candidate, { ignore: ['$[*].id'] })).toEqual([{ path: '$.b.v', kind: 'changed', legacy: '1', candidate: '2' }]);
    expect(diff([{ id: 1 }, { id: 2 }], [{ id: 3 }, { id: 4 }], { ignore: ['$.*.id'] })).toEqual([]);
  });

  test('an index ignores that element only', () => {
    expect(diff({ xs: [1, 2, 3] }, { xs: [9, 9, 3] }, { ignore: ['$.xs[0]'] })).toEqual([{ path: '$.xs[*]', kind: 'changed', legacy: '2', candidate: '9' }]);
    expect(diff({ xs: [1] }, { xs: [1, 2, 3] }, { ignore: ['$.xs[1]'] })).toEqual([{ path: '$.xs[*]', kind: 'added', candidate: '3' }]);
  });

  test('bracket-quoted keys', () => {
    expect(diff({ 'x y': 1, z: 1 }, { 'x y': 2, z: 1 }, { ignore: ["$['x y']"] })).toEqual([]);
  });

  test('a pattern and a wildcard over the same place, and overlapping patterns', () => {
    const legacy = { a: { b: 1, c: 1, d: 1 } };
    const candidate = { a: { b: 2, c: 2, d: 2 } };
    expect(paths(diff(legacy, candidate, { ignore: ['$.a.b', '$.*.c'] }))).toEqual(['$.a.d']);
    expect(paths(diff(legacy, candidate, { ignore: ['$.a', '$.a.b'] }))).toEqual([]);
  });

  test('patterns that do not match change nothing', () => {
    expect(paths(diff({ a: 1, b: [1] }, { a: 2, b: [2] }, { ignore: ['$.c', '$.b.x', '$.a.y'] }))).toEqual(['$.a', '$.b[*]']);
  });

  test('$ ignores everything', () => {
    expect(diff({ a: 1 }, [2], { ignore: ['$'] })).toEqual([]);
  });
});

describe('unordered arrays', () => {
  test('globally: same multiset in another order is equal, at any depth', () => {
    expect(diff({ a: [3, 1, 2], b: [{ x: [1, 2] }, { y: 1 }] }, { a: [1, 2, 3], b: [{ y: 1 }, { x: [2, 1] }] }, { unordered: true })).toEqual([]);
    expect(paths(diff({ a: [3, 1, 2] }, { a: [1, 2, 3] }))).toEqual(['$.a[*]', '$.a[*]', '$.a[*]']);
  });

  test('objects as elements match whatever their key order', () => {
    expect(diff([{ a: 1, b: 2 }, { c: 3 }], [{ c: 3 }, { b: 2, a: 1 }], { unordered: true })).toEqual([]);
  });

  test('duplicates count: [1,1,2] vs [1,2,2] is one 1 removed and one 2 added', () => {
    expect(diff([1, 1, 2], [1, 2, 2], { unordered: true })).toEqual([
      { path: '$[*]', kind: 'removed', legacy: '1' },
      { path: '$[*]', kind: 'added', candidate: '2' },
    ]);
    expect(diff(['a', 'a'], ['a'], { unordered: true })).toEqual([{ path: '$[*]', kind: 'removed', legacy: '"a"' }]);
    expect(diff(['a', 'a', 'b'], ['b', 'a', 'a'], { unordered: true })).toEqual([]);
  });

  test('the rest is reported as removed (legacy order) then added (candidate order)', () => {
    expect(diff({ ids: [1, 2, 3, 4] }, { ids: [4, 5, 1, 6] }, { unordered: true })).toEqual([
      { path: '$.ids[*]', kind: 'removed', legacy: '2' },
      { path: '$.ids[*]', kind: 'removed', legacy: '3' },
      { path: '$.ids[*]', kind: 'added', candidate: '5' },
      { path: '$.ids[*]', kind: 'added', candidate: '6' },
    ]);
  });

  test('per path: only the arrays named are multisets', () => {
    const legacy = { tags: ['a', 'b'], steps: ['a', 'b'], items: [{ roles: ['x', 'y'] }] };
    const candidate = { tags: ['b', 'a'], steps: ['b', 'a'], items: [{ roles: ['y', 'x'] }] };
    expect(paths(diff(legacy, candidate, { unordered: ['$.tags', '$.items[*].roles'] }))).toEqual(['$.steps[*]', '$.steps[*]']);
  });

  test('nested unordered arrays inside unordered elements still match', () => {
    const legacy = { groups: [{ name: 'a', members: [1, 2, 3] }, { name: 'b', members: [4, 5] }] };
    const candidate = { groups: [{ name: 'b', members: [5, 4] }, { name: 'a', members: [3, 1, 2] }] };
    expect(diff(legacy, candidate, { unordered: ['$.groups', '$.groups[*].members'] })).toEqual([]);
    // Groups pair up by name; their members, ordered here, differ in place.
    expect(diff(legacy, candidate, { unordered: ['$.groups'] }).map((x) => `${x.path} ${x.kind}`)).toEqual(Array(5).fill('$.groups[*].members[*] changed'));
  });

  test('a change deep inside nested unordered arrays is found without re-walking each level (40 levels; it doubled per level)', () => {
    const tree = (levels: number, leaf: unknown): unknown => {
      let value = leaf;
      for (let i = 0; i < levels; i++) value = [{ id: 1, c: value }, { id: 2 }];
      return value;
    };
    const path = '$' + '[*].c'.repeat(40) + '[*]';
    expect(diff(tree(40, [1]), tree(40, [2]), { unordered: true })).toEqual([
      { path, kind: 'removed', legacy: '1' },
      { path, kind: 'added', candidate: '2' },
    ]);
    expect(diff(tree(40, [1, 2]), tree(40, [2, 1]), { unordered: true })).toEqual([]);
    // With a tolerance, leftovers are paired by probing too: the same answers, as fast.
    expect(diff(tree(40, [1.0]), tree(40, [1.004]), { unordered: true, numericTolerance: { absolute: 0.01 } })).toEqual([]);
  });

  test('the string "1" and the number 1 are different elements', () => {
    expect(diff([1, '1'], ['1', '1'], { unordered: true })).toEqual([
      { path: '$[*]', kind: 'removed', legacy: '1' },
      { path: '$[*]', kind: 'added', candidate: '"1"' },
    ]);
  });

  test('ignored members do not stop elements from matching', () => {
    const legacy = { items: [{ id: 1, etag: 'a' }, { id: 2, etag: 'b' }] };
    const candidate = { items: [{ id: 2, etag: 'y' }, { id: 1, etag: 'x' }] };
    expect(diff(legacy, candidate, { unordered: ['$.items'], ignore: ['$.items[*].etag'] })).toEqual([]);
    expect(diff(legacy, candidate, { unordered: ['$.items'] })).toEqual([
      { path: '$.items[*].etag', kind: 'changed', legacy: '"a"', candidate: '"x"' },
      { path: '$.items[*].etag', kind: 'changed', legacy: '"b"', candidate: '"y"' },
    ]);
  });

  test('ignoring all elements of an unordered array', () => {
    expect(diff({ xs: [1, 2] }, { xs: [3] }, { unordered: true, ignore: ['$.xs[*]'] })).toEqual([]);
  });

  test('with a tolerance, leftovers pair up when near-equal', () => {
    const legacy = { prices: [{ id: 'a', p: 1.0 }, { id: 'b', p: 2.0 }] };
    const candidate = { prices: [{ id: 'b', p: 2.001 }, { id: 'a', p: 1.0 }] };
    expect(diff(legacy, candidate, { unordered: true, numericTolerance: 0.01 })).toEqual([]);
    expect(diff(legacy, candidate, { unordered: true })).toEqual([{ path: '$.prices[*].p', kind: 'changed', legacy: '2', candidate: '2.001' }]);
  });

  test('leftovers that are the same element changed pair up by id (or uuid, key, sku, code, name), or as the only ones left', () => {
    const legacy = { items: [{ id: 1, price: 10 }, { id: 2, price: 20 }, { id: 3, price: 30 }] };
    const candidate = { items: [{ id: 2, price: 20 }, { id: 1, price: 11 }, { id: 4, price: 40 }] };
    expect(diff(legacy, candidate, { unordered: ['$.items'] })).toEqual([
      { path: '$.items[*].price', kind: 'changed', legacy: '10', candidate: '11' },
      { path: '$.items[*]', kind: 'removed', legacy: '{"id":3,"price":30}' },
      { path: '$.items[*]', kind: 'added', candidate: '{"id":4,"price":40}' },
    ]);
    expect(diff({ xs: [{ sku: 'a', n: 1 }, { v: 1 }] }, { xs: [{ v: 2 }, { sku: 'a', n: 1 }] }, { unordered: true })).toEqual([{ path: '$.xs[*].v', kind: 'changed', legacy: '1', candidate: '2' }]);
    // Ids of another type do not pair by id; two leftovers on a side do not pair at all; scalars never pair.
    expect(diff({ xs: [{ id: 1, n: 1 }, { id: 5 }] }, { xs: [{ id: '1', n: 1 }, { id: 6 }] }, { unordered: true }).map((x) => x.kind)).toEqual(['removed', 'removed', 'added', 'added']);
    expect(diff({ xs: [{ id: 1, n: 1 }] }, { xs: [{ id: '1', n: 1 }] }, { unordered: true })).toEqual([{ path: '$.xs[*].id', kind: 'type', legacy: '1', candidate: '"1"' }]);
    expect(diff({ xs: [1, 2] }, { xs: [1, 3] }, { unordered: true }).map((x) => x.kind)).toEqual(['removed', 'added']);
  });

  test('same order takes the fast path and still applies tolerance', () => {
    expect(diff([1, 2, 3], [1, 2, 3.001], { unordered: true, numericTolerance: 0.01 })).toEqual([]);
  });
});

describe('numeric tolerance', () => {
  test('no tolerance: exact, even for floating-point sums', () => {
    expect(diff({ x: 0.1 + 0.2 }, { x: 0.3 })).toEqual([{ path: '$.x', kind: 'changed', legacy: '0.30000000000000004', candidate: '0.3' }]);
  });

  test('absolute: the bound itself is within (with float slack), just beyond is not', () => {
    const o = { numericTolerance: 0.01 };
    expect(diff({ x: 1.0 }, { x: 1.01 }, o)).toEqual([]);
    expect(diff({ x: 1.01 }, { x: 1.0 }, o)).toEqual([]);
    expect(diff({ x: 100.0 }, { x: 100.01 }, o)).toEqual([]);
    expect(diff({ x: 1.0 }, { x: 1.0101 }, o)).toEqual([{ path: '$.x', kind: 'changed', legacy: '1', candidate: '1.0101' }]);
    expect(diff({ x: -0.005 }, { x: 0.005 }, o)).toEqual([]);
    expect(diff({ x: 2 }, { x: 3 }, { numericTolerance: 1 })).toEqual([]);
    expect(diff({ x: 2 }, { x: 3.000001 }, { numericTolerance: 1 })).toHaveLength(1);
  });

  test('relative: a fraction of the larger magnitude', () => {
    const o = { numericTolerance: { relative: 0.01 } };
    expect(diff({ x: 100 }, { x: 101 }, o)).toEqual([]);
    expect(diff({ x: 100 }, { x: 101.5 }, o)).toHaveLength(1);
    expect(diff({ x: 0 }, { x: 1e-9 }, o)).toHaveLength(1);
    expect(diff({ x: 1e12 }, { x: 1.005e12 }, o)).toEqual([]);
  });

  test('either bound suffices', () => {
    const o = { numericTolerance: { absolute: 0.5, relative: 0.01 } };
    expect(diff({ x: 0 }, { x: 0.5 }, o)).toEqual([]);
    expect(diff({ x: 1000 }, { x: 1009 }, o)).toEqual([]);
    expect(diff({ x: 10 }, { x: 10.6 }, o)).toHaveLength(1);
  });

  test('tolerance never crosses types', () => {
    expect(diff({ x: 1 }, { x: '1' }, { numericTolerance: 10 })).toEqual([{ path: '$.x', kind: 'type', legacy: '1', candidate: '"1"' }]);
  });
});

describe('the work budget of tolerant pairing', () => {
  /** A binary tree `depth` deep whose leaves are 98 numbers; another seed shifts every leaf. */
  const tree = (depth: number, seed: number): unknown =>
    depth === 0 ? Array.from({ length: 98 }, (_, i) => (i * 7919 + seed) % 100003) : [tree(depth - 1, seed), tree(depth - 1, seed + 1)];

  test('nested unordered arrays paired within a tolerance stop with DiffBudgetExceededError instead of running for seconds', () => {
    const options = compileDiffOptions({ unordered: true, numericTolerance: 0.5 });
    expect(() => diffJson(tree(10, 0), tree(10, 1), options)).toThrow(DiffBudgetExceededError);
    expect(() => diffJson(tree(10, 0), tree(10, 1), options)).toThrow(/^comparison stopped after 1000000 element comparisons: unordered arrays paired within a tolerance/);
  });

  test('the same trees a few levels deep, without tolerance, or in order: compared in full', () => {
    expect(diffJson(tree(5, 0), tree(5, 1), compileDiffOptions({ unordered: true, numericTolerance: 0.5 })).length).toBeGreaterThan(0);
    expect(diffJson(tree(10, 0), tree(10, 1), compileDiffOptions({ unordered: true })).length).toBeGreaterThan(0);
    expect(diffJson(tree(10, 0), tree(10, 1), compileDiffOptions({ numericTolerance: 0.5 })).length).toBeGreaterThan(0);
  });
});

describe('timestamp tolerance', () => {
  test('off by default: timestamps are strings like any other', () => {
    expect(diff({ at: '2024-05-01T10:00:00Z' }, { at: '2024-05-01T10:00:00.001Z' })).toHaveLength(1);
  });

  test('ISO-8601 strings within the tolerance are equal, anywhere', () => {
    const o = { timestampToleranceMs: 1000 };
    expect(diff({ a: '2024-05-01T10:00:00Z' }, { a: '2024-05-01T10:00:00.999Z' }, o)).toEqual([]);
    expect(diff({ a: '2024-05-01T10:00:00Z' }, { a: '2024-05-01T10:00:01Z' }, o)).toEqual([]);
    expect(diff(['2024-05-01T10:00:00Z'], ['2024-05-01T10:00:01.5Z'], o)).toEqual([{ path: '$[*]', kind: 'changed', legacy: '"2024-05-01T10:00:00Z"', candidate: '"2024-05-01T10:00:01.5Z"' }]);
  });

  test('time zones are honoured; 0 compares instants', () => {
    const o = { timestampToleranceMs: 0 };
    expect(diff({ a: '2024-05-01T10:00:00Z' }, { a: '2024-05-01T12:00:00+02:00' }, o)).toEqual([]);
    expect(diff({ a: '2024-05-01T10:00:00Z' }, { a: '2024-05-01T10:00:00.000000Z' }, o)).toEqual([]);
    expect(diff({ a: '2024-05-01T10:00:00Z' }, { a: '2024-05-01 05:30:00-0430' }, o)).toEqual([]);
    expect(diff({ a: '2024-05-01T10:00:00Z' }, { a: '2024-05-01T10:00:00+01:00' }, o)).toHaveLength(1);
  });

  test('years 0000–0099 are those years, not 1900–1999 (the two-digit-year bug is a difference)', () => {
    const o = { timestampToleranceMs: 1000 };
    expect(diff({ a: '1950-06-01T00:00:00Z' }, { a: '0050-06-01T00:00:00Z' }, o)).toHaveLength(1);
    expect(diff({ a: '0050-06-01T00:00:00Z' }, { a: '0050-06-01T00:00:00.5Z' }, o)).toEqual([]);
    expect(diff({ a: '0000-02-29T00:00:00Z' }, { a: '0000-02-29T00:00:00.2Z' }, o)).toEqual([]); // year 0 is a leap year
    expect(diff({ a: '0001-02-29T00:00:00Z' }, { a: '0001-02-29T00:00:00Z' }, { timestampToleranceMs: 0 })).toEqual([]);
    expect(diff({ a: '0001-02-29T00:00:00Z' }, { a: '0001-03-01T00:00:00Z' }, o)).toHaveLength(1); // no such day: not a timestamp
  });

  test('conservative: no zone, date only or invalid dates are not timestamps', () => {
    const o = { timestampToleranceMs: 86_400_000 };
    expect(diff({ a: '2024-05-01T10:00:00' }, { a: '2024-05-01T10:00:01' }, o)).toHaveLength(1);
    expect(diff({ a: '2024-05-01' }, { a: '2024-05-02' }, o)).toHaveLength(1);
    expect(diff({ a: '2024-02-30T10:00:00Z' }, { a: '2024-02-29T10:00:00Z' }, o)).toHaveLength(1);
    expect(diff({ a: 'x2024-05-01T10:00:00Z' }, { a: '2024-05-01T10:00:00Z' }, o)).toHaveLength(1);
  });

  test('epoch ms only under time-like keys and only in 2000…2100', () => {
    const o = { timestampToleranceMs: 5000 };
    const t = 1_714_557_600_000;
    expect(diff({ createdAt: t, updated_at: t, ts: t, expiryTimeMs: t }, { createdAt: t + 5000, updated_at: t - 10, ts: t + 1, expiryTimeMs: t + 2 }, o)).toEqual([]);
    expect(diff({ createdAt: t }, { createdAt: t + 5001 }, o)).toHaveLength(1);
    expect(diff({ count: t }, { count: t + 1 }, o)).toHaveLength(1);
    expect(diff({ format: t }, { format: t + 1 }, o)).toHaveLength(1);
    expect(diff({ responseTime: 120 }, { responseTime: 125 }, o)).toHaveLength(1);
    expect(diff({ createdAt: t + 0.5 }, { createdAt: t }, o)).toHaveLength(1);
    expect(diff({ events: { createdAt: [t, t] } }, { events: { createdAt: [t + 1, t + 2] } }, o)).toEqual([]);
  });

  test('an ISO string against epoch ms is a type difference', () => {
    expect(diff({ createdAt: '2024-05-01T10:00:00Z' }, { createdAt: 1_714_557_600_000 }, { timestampToleranceMs: 1000 })[0]?.kind).toBe('type');
  });
});

describe('truncation', () => {
  test('long strings: at most maxValueLength characters, the last one …', () => {
    const long = 'x'.repeat(1000);
    const [d] = diff({ s: long }, { s: 'short' }, { maxValueLength: 20 });
    expect(d?.legacy).toBe('"' + 'x'.repeat(18) + '…');
    expect(d?.legacy).toHaveLength(20);
    expect(d?.candidate).toBe('"short"');
  });

  test('large containers are cut too, and the default is 200', () => {
    const big = Array.from({ length: 500 }, (_, i) => ({ id: i }));
    const [d] = diff({ a: big }, { a: 1 });
    expect(d?.legacy).toHaveLength(200);
    expect(d?.legacy!.startsWith('[{"id":0},{"id":1},')).toBe(true);
    expect(d?.legacy!.endsWith('…')).toBe(true);
    expect(d?.candidate).toBe('1');
  });

  test('a value exactly maxValueLength long is kept whole', () => {
    expect(diff({ s: 'abc' }, { s: 'abd' }, { maxValueLength: 5 })[0]).toMatchObject({ legacy: '"abc"', candidate: '"abd"' });
  });

  test('never splits a surrogate pair', () => {
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('ab😀cd', 5)).toBe('ab😀…');
    expect(renderValue('😀😀😀', 3)).toBe('"…');
  });
});

describe('deep nesting', () => {
  const nest = (depth: number, leaf: unknown): unknown => JSON.parse('['.repeat(depth) + JSON.stringify(leaf) + ']'.repeat(depth));

  test('100,000 levels: no stack overflow, one changed at the cut', () => {
    const ds = diff(nest(100_000, 1), nest(100_000, 2));
    expect(ds).toHaveLength(1);
    expect(ds[0]?.kind).toBe('changed');
    expect(ds[0]?.path).toBe('$' + '[*]'.repeat(100));
    expect(ds[0]?.legacy!.startsWith('[[[[')).toBe(true);
    expect(ds[0]?.legacy!.length).toBeLessThanOrEqual(200);
  });

  test('equal deep documents are equal', () => {
    expect(diff(nest(50_000, 'x'), nest(50_000, 'x'))).toEqual([]);
    expect(diff(nest(50_000, 'x'), nest(50_000, 'x'), { unordered: true })).toEqual([]);
  });

  test('maxDepth sets the cut', () => {
    expect(diff(nest(10, 1), nest(10, 2), { maxDepth: 3 })).toEqual([{ path: '$[*][*][*]', kind: 'changed', legacy: '[[[[[[[1]]]]]]]', candidate: '[[[[[[[2]]]]]]]' }]);
    expect(diff(nest(3, 1), nest(3, 2), { maxDepth: 3 })).toEqual([{ path: '$[*][*][*]', kind: 'changed', legacy: '1', candidate: '2' }]);
  });

  test('deep objects too', () => {
    let a: unknown = 1;
    let b: unknown = 2;
    for (let i = 0; i < 5000; i++) {
      a = { k: a };
      b = { k: b };
    }
    const ds = diff(a, b);
    expect(ds).toHaveLength(1);
    expect(ds[0]?.path).toBe('$' + '.k'.repeat(100));
  });
});

describe('limits', () => {
  test('maxDifferences stops the walk', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const b = a.map((x) => x + 1);
    expect(diff(a, b, { maxDifferences: 7 })).toHaveLength(7);
    expect(diff({ x: a, y: 1 }, { x: b, y: 2 }, { maxDifferences: 3 })).toHaveLength(3);
  });

  test('appends to a given array and stops at the limit counting what is there', () => {
    const out: FieldDifference[] = [{ path: 'status', kind: 'changed', legacy: '200', candidate: '500' }];
    diffJson({ a: 1, b: 1 }, { a: 2, b: 2 }, compileDiffOptions({ maxDifferences: 2 }), out);
    expect(paths(out)).toEqual(['status', '$.a']);
  });
});
