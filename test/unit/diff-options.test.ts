import { StranglerError } from '../../core/errors';
import { compileDiffOptions, DIFF_OPTIONS_ERROR, parsePathPattern, type DiffOptions } from '../../diff-reader/engine';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('compileDiffOptions defaults', () => {
  test('no options: content-type compared, 200-character values, no patterns, no tolerance', () => {
    const c = compileDiffOptions();
    expect(c.headers).toEqual(['content-type']);
    expect(c.maxValueLength).toBe(200);
    expect(c.maxDepth).toBe(100);
    expect(c.maxDifferences).toBe(1000);
    expect(c.maxDecodedBytes).toBe(16 * 1024 * 1024);
    expect(c.root).toBeUndefined();
    expect(c.ignoreRoot).toBe(false);
    expect(c.unorderedAll).toBe(false);
    expect(c.absoluteTolerance).toBe(0);
    expect(c.relativeTolerance).toBe(0);
    expect(c.timestampToleranceMs).toBe(-1);
    expect(c.tolerant).toBe(false);
  });

  test('numericTolerance as a number is absolute; as an object both bounds', () => {
    expect(compileDiffOptions({ numericTolerance: 0.5 })).toMatchObject({ absoluteTolerance: 0.5, relativeTolerance: 0, tolerant: true });
    expect(compileDiffOptions({ numericTolerance: { relative: 0.01 } })).toMatchObject({ absoluteTolerance: 0, relativeTolerance: 0.01 });
    expect(compileDiffOptions({ numericTolerance: { absolute: 2, relative: 0.1 } })).toMatchObject({ absoluteTolerance: 2, relativeTolerance: 0.1 });
  });

  test('timestampToleranceMs 0 turns instant comparison on', () => {
    expect(compileDiffOptions({ timestampToleranceMs: 0 })).toMatchObject({ timestampToleranceMs: 0, tolerant: true });
  });

  test('header names are lower-cased', () => {
    expect(compileDiffOptions({ headers: ['Content-Type', ' ETag', 'x-api-version'] }).headers).toEqual(['content-type', 'etag', 'x-api-version']);
    expect(compileDiffOptions({ headers: [] }).headers).toEqual([]);
  });

  test('unordered: true, false or paths', () => {
    expect(compileDiffOptions({ unordered: true }).unorderedAll).toBe(true);
    expect(compileDiffOptions({ unordered: false }).unorderedAll).toBe(false);
    const c = compileDiffOptions({ unordered: ['$.tags'] });
    expect(c.unorderedAll).toBe(false);
    expect(c.unorderedPatterns).toEqual(['$.tags']);
    expect(c.root).toBeDefined();
  });

  test('ignoring $ ignores the whole body', () => {
    expect(compileDiffOptions({ ignore: ['$'] }).ignoreRoot).toBe(true);
    expect(compileDiffOptions({ ignore: ['$.a'] }).ignoreRoot).toBe(false);
  });
});

describe('parsePathPattern', () => {
  test.each([
    ['$', []],
    ['$.meta.generatedAt', [{ kind: 'key', key: 'meta' }, { kind: 'key', key: 'generatedAt' }]],
    ['$.items[*].etag', [{ kind: 'key', key: 'items' }, { kind: 'wildcard' }, { kind: 'key', key: 'etag' }]],
    ['$.*.id', [{ kind: 'wildcard' }, { kind: 'key', key: 'id' }]],
    ['$[3]', [{ kind: 'index', index: 3 }]],
    ['$[0][10]', [{ kind: 'index', index: 0 }, { kind: 'index', index: 10 }]],
    ["$['a b']", [{ kind: 'key', key: 'a b' }]],
    ['$["a.b"]', [{ kind: 'key', key: 'a.b' }]],
    ["$['it\\'s']", [{ kind: 'key', key: "it's" }]],
    ["$['back\\\\slash']", [{ kind: 'key', key: 'back\\slash' }]],
    ["$['caf\\u00e9']", [{ kind: 'key', key: 'café' }]],
    ["$['*']", [{ kind: 'key', key: '*' }]],
    ['$.x-request-id', [{ kind: 'key', key: 'x-request-id' }]],
    ["$.a['b'][*].c", [{ kind: 'key', key: 'a' }, { kind: 'key', key: 'b' }, { kind: 'wildcard' }, { kind: 'key', key: 'c' }]],
  ])('%s', (pattern, steps) => {
    expect(parsePathPattern(pattern)).toEqual(steps);
  });

  test.each([
    ['$..id', /recursive descent \(".."\) is not supported/],
    ['$.items..id', /recursive descent/],
    ['items.id', /must start with \$/],
    ['', /must start with \$/],
    ['$.', /empty member name/],
    ['$.a.', /empty member name/],
    ['$[?(@.price > 1)]', /filter expressions/],
    ['$[1:3]', /slices/],
    ['$[1,2]', /unions/],
    ['$[-1]', /unsupported selector \[-1\]/],
    ['$[01]', /unsupported selector/],
    ["$['open", /unterminated/],
    ['$[3', /unterminated/],
    ['$x', /unexpected "x"/],
    ['$.a b', /needs brackets/],
    ["$['\\q']", /bad escape/],
  ])('%s is rejected', (pattern, message) => {
    const error = errorOf(() => parsePathPattern(pattern, 'ignore[0]'));
    expect(error).toBeInstanceOf(StranglerError);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`ignore[0] ${JSON.stringify(pattern)}`);
  });
});

describe('compileDiffOptions rejects bad options with a one-line message naming the option', () => {
  test('$.. in ignore is rejected, naming the pattern and its position', () => {
    const error = errorOf(() => compileDiffOptions({ ignore: ['$.meta.generatedAt', '$..etag'] }));
    expect(error).toBeInstanceOf(Error);
    expect((error as StranglerError).code).toBe(DIFF_OPTIONS_ERROR);
    expect(error.message).toBe('diff option ignore[1] "$..etag": recursive descent ("..") is not supported; write the full path, e.g. $.items[*].id');
  });

  test('$.. in unordered is rejected too', () => {
    expect(() => compileDiffOptions({ unordered: ['$..tags'] })).toThrow('diff option unordered[0] "$..tags": recursive descent');
  });

  test.each<[string, unknown, RegExp]>([
    ['negative tolerance', { numericTolerance: -0.1 }, /^diff option numericTolerance: expected a finite number ≥ 0, got -0\.1$/],
    ['NaN tolerance', { numericTolerance: NaN }, /^diff option numericTolerance: .* got NaN$/],
    ['infinite tolerance', { numericTolerance: Infinity }, /^diff option numericTolerance: .* got Infinity$/],
    ['string tolerance', { numericTolerance: '1' }, /^diff option numericTolerance: expected a number ≥ 0 or \{ absolute, relative \}, got "1"$/],
    ['negative absolute', { numericTolerance: { absolute: -1 } }, /^diff option numericTolerance\.absolute: expected a finite number ≥ 0, got -1$/],
    ['negative relative', { numericTolerance: { relative: -0.5 } }, /^diff option numericTolerance\.relative: /],
    ['relative above 1', { numericTolerance: { relative: 2 } }, /^diff option numericTolerance\.relative: expected a fraction between 0 and 1, got 2$/],
    ['unknown tolerance key', { numericTolerance: { abs: 1 } }, /^diff option numericTolerance\.abs: unknown/],
    ['negative timestamp tolerance', { timestampToleranceMs: -5 }, /^diff option timestampToleranceMs: expected a finite number ≥ 0, got -5$/],
    ['zero maxValueLength', { maxValueLength: 0 }, /^diff option maxValueLength: expected an integer ≥ 1, got 0$/],
    ['fractional maxValueLength', { maxValueLength: 2.5 }, /^diff option maxValueLength: expected an integer ≥ 1, got 2\.5$/],
    ['zero maxDepth', { maxDepth: 0 }, /^diff option maxDepth: /],
    ['huge maxDepth', { maxDepth: 100000 }, /^diff option maxDepth: at most 1000, got 100000$/],
    ['zero maxDifferences', { maxDifferences: 0 }, /^diff option maxDifferences: /],
    ['zero maxDecodedBytes', { maxDecodedBytes: 0 }, /^diff option maxDecodedBytes: /],
    ['ignore not a list', { ignore: '$.a' }, /^diff option ignore: expected a list of strings, got "\$\.a"$/],
    ['ignore with a number', { ignore: ['$.a', 3] }, /^diff option ignore\[1\]: expected a string, got 3$/],
    ['unordered as a string', { unordered: 'yes' }, /^diff option unordered: expected true, false or a list of paths, got "yes"$/],
    ['header with a space', { headers: ['content type'] }, /^diff option headers\[0\] "content type": not a header name$/],
    ['unknown option', { ignores: [] }, /^diff option ignores: unknown option$/],
  ])('%s', (_name, options, message) => {
    const error = errorOf(() => compileDiffOptions(options as DiffOptions));
    expect(error).toBeInstanceOf(Error);
    expect((error as StranglerError).code).toBe(DIFF_OPTIONS_ERROR);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });
});
