/**
 * Bound keywords (maximum, maxLength, maxItems, maxProperties, multipleOf, uniqueItems, exclusive bounds in
 * both the 3.0 boolean and the 3.1 number form): each change is diffed through real spec files and must come
 * out with oasdiff's id and level; a bound change that breaks callers can never vanish silently.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffOpenApi, isCheckId, levelOf, parseSeverityLevels, type Change } from '../../contracts/openapi';
import { DiffContext } from '../../contracts/openapi/context';
import { loadSpec } from '../../contracts/openapi/model';

type Schema = Record<string, unknown>;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'openapi-bounds-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A spec whose POST /orders takes `{field: request}` and returns `{field: response}`. */
function spec(version: string, request: Schema, response: Schema): Schema {
  const body = (field: Schema): Schema => ({ type: 'object', properties: { field } });
  return {
    openapi: version,
    info: { title: 't', version: '1.0.0' },
    paths: {
      '/orders': {
        post: {
          requestBody: { required: true, content: { 'application/json': { schema: body(request) } } },
          responses: { '200': { description: 'ok', content: { 'application/json': { schema: body(response) } } } },
        },
      },
    },
  };
}

let n = 0;
function diff(base: Schema, revision: Schema): Change[] {
  const b = join(dir, `base-${++n}.json`);
  const r = join(dir, `revision-${n}.json`);
  writeFileSync(b, JSON.stringify(base));
  writeFileSync(r, JSON.stringify(revision));
  // The versioning policy adds `api-version-not-bumped` beside any breaking change; not the subject here.
  return diffOpenApi(b, r).filter((c) => c.id !== 'api-version-not-bumped');
}

/** The change in the request property, or the response property, when `before` becomes `after`. */
function requestChange(before: Schema, after: Schema, version = '3.1.0'): Array<[string, string]> {
  return diff(spec(version, before, {}), spec(version, after, {})).map((c) => [c.id, c.level]);
}
function responseChange(before: Schema, after: Schema, version = '3.1.0'): Array<[string, string]> {
  return diff(spec(version, {}, before), spec(version, {}, after)).map((c) => [c.id, c.level]);
}

const arr = { type: 'array', items: { type: 'string' } };
const obj = { type: 'object' };
const str = { type: 'string' };
const num = { type: 'number' };

describe('request property bounds (tightening breaks clients)', () => {
  it.each<[string, Schema, Schema, string, string]>([
    ['maxItems decreased', { ...arr, maxItems: 10 }, { ...arr, maxItems: 5 }, 'request-property-max-items-decreased', 'ERR'],
    ['maxItems increased', { ...arr, maxItems: 5 }, { ...arr, maxItems: 10 }, 'request-property-max-items-increased', 'INFO'],
    ['maxItems set', arr, { ...arr, maxItems: 5 }, 'request-property-max-items-set', 'ERR'],
    ['maxItems unset', { ...arr, maxItems: 5 }, arr, 'request-property-max-items-unset', 'INFO'],
    ['minLength set', str, { ...str, minLength: 3 }, 'request-property-min-length-set', 'ERR'],
    ['minLength unset', { ...str, minLength: 3 }, str, 'request-property-min-length-unset', 'INFO'],
    ['maxProperties decreased', { ...obj, maxProperties: 9 }, { ...obj, maxProperties: 3 }, 'request-property-max-properties-decreased', 'ERR'],
    ['maxProperties set', obj, { ...obj, maxProperties: 3 }, 'request-property-max-properties-set', 'ERR'],
    ['minProperties increased', { ...obj, minProperties: 1 }, { ...obj, minProperties: 2 }, 'request-property-min-properties-increased', 'ERR'],
    ['minProperties set', obj, { ...obj, minProperties: 1 }, 'request-property-min-properties-set', 'ERR'],
    ['maximum unset', { ...num, maximum: 9 }, num, 'request-property-max-unset', 'INFO'],
    ['multipleOf set', num, { ...num, multipleOf: 5 }, 'request-property-multiple-of-set', 'ERR'],
    ['multipleOf to a multiple', { ...num, multipleOf: 5 }, { ...num, multipleOf: 10 }, 'request-property-multiple-of-changed', 'ERR'],
    ['multipleOf to a divisor', { ...num, multipleOf: 10 }, { ...num, multipleOf: 5 }, 'request-property-multiple-of-generalized', 'INFO'],
    ['uniqueItems set', arr, { ...arr, uniqueItems: true }, 'request-property-unique-items-set', 'ERR'],
    ['exclusiveMinimum (3.1) set', num, { ...num, exclusiveMinimum: 0 }, 'request-property-exclusive-min-set', levelOf('request-property-exclusive-min-set')],
  ])('%s', (_name, before, after, id, level) => {
    expect(requestChange(before, after)).toEqual([[id, level]]);
  });
});

describe('response property bounds (loosening breaks clients)', () => {
  it.each<[string, Schema, Schema, string, string]>([
    ['minimum unset', { ...num, minimum: 0 }, num, 'response-property-min-unset', 'ERR'],
    ['maximum unset', { ...num, maximum: 100 }, num, 'response-property-max-unset', 'ERR'],
    ['maxItems unset', { ...arr, maxItems: 10 }, arr, 'response-property-max-items-unset', 'ERR'],
    ['maxItems increased', { ...arr, maxItems: 5 }, { ...arr, maxItems: 10 }, 'response-property-max-items-increased', 'ERR'],
    ['maxProperties increased', { ...obj, maxProperties: 3 }, { ...obj, maxProperties: 9 }, 'response-property-max-properties-increased', 'ERR'],
    ['minProperties decreased', { ...obj, minProperties: 2 }, { ...obj, minProperties: 1 }, 'response-property-min-properties-decreased', 'ERR'],
    ['minLength set', str, { ...str, minLength: 3 }, 'response-property-min-length-set', 'INFO'],
    ['uniqueItems unset', { ...arr, uniqueItems: true }, arr, 'response-property-unique-items-unset', 'ERR'],
    ['multipleOf to a multiple', { ...num, multipleOf: 5 }, { ...num, multipleOf: 10 }, 'response-property-multiple-of-specialized', 'INFO'],
    ['multipleOf to a divisor', { ...num, multipleOf: 10 }, { ...num, multipleOf: 5 }, 'response-property-multiple-of-changed', 'ERR'],
  ])('%s', (_name, before, after, id, level) => {
    expect(responseChange(before, after)).toEqual([[id, level]]);
  });

  it('a response bound tightened (safe, and not an oasdiff check) is not reported', () => {
    expect(responseChange({ ...num, maximum: 100 }, { ...num, maximum: 50 })).toEqual([]);
    expect(responseChange({ ...arr, maxItems: 10 }, { ...arr, maxItems: 5 })).toEqual([]);
  });
});

describe('OpenAPI 3.0 boolean exclusive bounds', () => {
  it('exclusiveMinimum: true added beside minimum is an exclusive minimum set', () => {
    const changes = requestChange({ type: 'integer', minimum: 1 }, { type: 'integer', minimum: 1, exclusiveMinimum: true }, '3.0.3');
    expect(changes).toEqual([['request-property-exclusive-min-set', levelOf('request-property-exclusive-min-set')]]);
    const [change] = diff(spec('3.0.3', { type: 'integer', minimum: 1 }, {}), spec('3.0.3', { type: 'integer', minimum: 1, exclusiveMinimum: true }, {}));
    expect(change?.text).toBe("the property 'field' of the request body got exclusiveMinimum: true (1 itself is no longer allowed)");
  });

  it('minimum raised under exclusiveMinimum: true on both sides is reported once, as the minimum', () => {
    const changes = requestChange({ type: 'integer', minimum: 1, exclusiveMinimum: true }, { type: 'integer', minimum: 2, exclusiveMinimum: true }, '3.0.3');
    expect(changes).toEqual([['request-property-min-increased', 'ERR']]);
  });

  it('exclusiveMaximum: true added beside maximum is an exclusive maximum set; removing it is unset', () => {
    const plain = { type: 'integer', maximum: 9 };
    const exclusive = { ...plain, exclusiveMaximum: true };
    expect(requestChange(plain, exclusive, '3.0.3')).toEqual([['request-property-exclusive-max-set', levelOf('request-property-exclusive-max-set')]]);
    expect(requestChange(exclusive, plain, '3.0.3')).toEqual([['request-property-exclusive-max-unset', 'INFO']]);
    expect(responseChange(exclusive, plain, '3.0.3')).toEqual([['response-property-exclusive-max-unset', 'ERR']]);
  });

  it('exclusiveMinimum: false, or true without minimum, is no bound', () => {
    expect(requestChange({ type: 'integer', minimum: 1 }, { type: 'integer', minimum: 1, exclusiveMinimum: false }, '3.0.3')).toEqual([]);
    expect(requestChange({ type: 'integer' }, { type: 'integer', exclusiveMinimum: true }, '3.0.3')).toEqual([]);
  });
});

describe('the reviewer case: a tightened request and a loosened response in one diff', () => {
  it('reports all three with their levels', () => {
    const order = (sku: Schema, tags: Schema, total: Schema): Schema => {
      const s = spec('3.0.3', {}, {});
      const op = (s.paths as Schema)['/orders'] as { post: { requestBody: Schema; responses: Schema } };
      op.post.requestBody = { required: true, content: { 'application/json': { schema: { type: 'object', properties: { sku, tags } } } } };
      op.post.responses = { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', properties: { total } } } } } };
      return s;
    };
    const changes = diff(order({ type: 'string', maxLength: 20 }, { ...arr, maxItems: 10 }, { ...num, minimum: 0 }), order({ type: 'string', maxLength: 20, minLength: 3 }, { ...arr, maxItems: 5 }, num));
    expect(changes.map((c) => [c.id, c.level]).sort()).toEqual([
      ['request-property-max-items-decreased', 'ERR'],
      ['request-property-min-length-set', 'ERR'],
      ['response-property-min-unset', 'ERR'],
    ]);
  });
});

describe('the id catalogue', () => {
  const places = ['request-body-', 'request-property-', 'response-body-', 'response-property-'];
  const upper = ['max', 'max-length', 'max-items', 'max-properties', 'exclusive-max', 'max-contains'];
  const lower = ['min', 'min-length', 'min-items', 'min-properties', 'exclusive-min', 'min-contains'];

  it('has an id for every bound change that breaks callers in a body or property', () => {
    const breaking: string[] = [];
    for (const p of places) {
      const request = p.startsWith('request');
      for (const name of [...upper, ...lower, 'multiple-of']) breaking.push(`${p}${name}-${request ? 'set' : 'unset'}`);
      for (const name of upper) breaking.push(`${p}${name}-${request ? 'decreased' : 'increased'}`);
      for (const name of lower) breaking.push(`${p}${name}-${request ? 'increased' : 'decreased'}`);
      breaking.push(`${p}multiple-of-changed`, `${p}unique-items-${request ? 'set' : 'unset'}`);
    }
    expect(breaking.filter((id) => !isCheckId(id))).toEqual([]);
    expect(breaking.filter((id) => levelOf(id) === 'INFO')).toEqual([]);
  });

  it('--severity-levels accepts the bound ids', () => {
    const levels = parseSeverityLevels('request-property-max-items-decreased warn\nresponse-property-max-items-unset none\n', 'levels.txt');
    expect([...levels]).toEqual([
      ['request-property-max-items-decreased', 'WARN'],
      ['response-property-max-items-unset', 'none'],
    ]);
  });

  it('emitting an id that is not in the catalogue throws instead of dropping the change', () => {
    const file = join(dir, 'ctx.json');
    writeFileSync(file, JSON.stringify(spec('3.1.0', {}, {})));
    const s = loadSpec(file);
    const ctx = new DiffContext(s, s);
    expect(() => ctx.emit('request-property-made-up', 'text', { file })).toThrow('unknown oasdiff check id: request-property-made-up');
    ctx.emit('request-property-max-items-decreased', 'text', { file });
    expect(ctx.changes.map((c) => c.id)).toEqual(['request-property-max-items-decreased']);
  });
});
