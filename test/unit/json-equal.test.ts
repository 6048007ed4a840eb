/** Equality of parsed JSON/YAML values, shared by the OpenAPI and event-schema diffs. */
import { jsonKey, sameJson } from '../../contracts/json-equal';

describe('sameJson', () => {
  it('ignores object key order at any depth and keeps array order', () => {
    expect(sameJson({ x: 1, y: { a: [1, { p: 1, q: 2 }], b: null } }, { y: { b: null, a: [1, { q: 2, p: 1 }] }, x: 1 })).toBe(true);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ x: { y: 1 } }, { x: { y: 2 } })).toBe(false);
    expect(sameJson({ x: 1 }, { x: 1, y: 2 })).toBe(false);
  });

  it('tells apart values JSON tells apart', () => {
    expect(sameJson('1', 1)).toBe(false);
    expect(sameJson(null, undefined)).toBe(false);
    expect(sameJson({}, [])).toBe(false);
    expect(sameJson({ a: '1' }, { a: 1 })).toBe(false);
  });

  it('compares values nested in themselves (YAML aliases) without overflowing', () => {
    const a: Record<string, unknown> = { n: 1 };
    a.self = a;
    const b: Record<string, unknown> = { n: 1 };
    b.self = b;
    const c: Record<string, unknown> = { n: 2 };
    c.self = c;
    expect(sameJson(a, b)).toBe(true);
    expect(sameJson(a, c)).toBe(false);
    expect(jsonKey(a)).toBe('{"n":1,"self":<cycle:1>}');
  });
});
