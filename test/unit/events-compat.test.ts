import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffEventSchemaSets, diffEventSchemas } from '../../contracts/events/compat';
import { EventContractError } from '../../contracts/events/errors';
import { loadEventSchemas, type EventSchema } from '../../contracts/events/load';
import { EVENT_RULES, hasChangeAtOrAbove, type EventChange } from '../../contracts/events/rules';

const FIXTURES = join(__dirname, '../fixtures/events');

interface Expected {
  id: string;
  path: string;
}

function cases(kind: string): Array<[string, string, string, Expected[]]> {
  const root = join(FIXTURES, kind);
  return readdirSync(root)
    .sort()
    .map((name) => {
      const dir = join(root, name);
      const ext = existsSync(join(dir, 'base.yaml')) ? 'yaml' : 'json';
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected[];
      return [name, join(dir, `base.${ext}`), join(dir, `revision.${ext}`), expected];
    });
}

function diffFiles(base: string, revision: string): EventChange[] {
  return diffEventSchemaSets(loadEventSchemas(base), loadEventSchemas(revision));
}

function schema(body: Record<string, unknown>, event = 'order-placed', version = 1): EventSchema {
  return { event, version, file: `${event}.json`, schema: body };
}

describe('one fixture per rule: base/revision pairs with the expected ids and paths', () => {
  test.each(cases('rules'))('%s', (_name, base, revision, expected) => {
    const changes = diffFiles(base, revision);
    expect(changes.map(({ id, path }) => ({ id, path }))).toEqual(expected);
    for (const change of changes) {
      expect(change.level).toBe(EVENT_RULES[change.id].level);
      expect(change.event).toBe('order-placed');
      expect(change.text).not.toBe('');
    }
  });

  test('every rule that compares two schemas has a fixture', () => {
    const covered = new Set(cases('rules').flatMap(([, , , expected]) => expected.map((e) => e.id)));
    const tested = Object.keys(EVENT_RULES).filter((id) => id !== 'event-schema-added' && id !== 'event-schema-removed');
    expect(tested.filter((id) => !covered.has(id))).toEqual([]);
  });
});

describe('compatible revisions yield no ERR', () => {
  test.each(cases('compatible'))('%s', (_name, base, revision, expected) => {
    const changes = diffFiles(base, revision);
    expect(changes.map(({ id, path }) => ({ id, path }))).toEqual(expected);
    expect(hasChangeAtOrAbove(changes, 'ERR')).toBe(false);
  });

  test('a schema against itself has no changes, in every fixture', () => {
    for (const [, base, revision] of [...cases('rules'), ...cases('compatible')]) {
      expect(diffFiles(base, base)).toEqual([]);
      expect(diffFiles(revision, revision)).toEqual([]);
    }
  });
});

describe('directory mode: events matched by name and version', () => {
  test('an added event, an added version, a removed event, a changed version', () => {
    const changes = diffFiles(join(FIXTURES, 'dirs/base'), join(FIXTURES, 'dirs/revision'));
    expect(changes).toEqual([
      { id: 'event-optional-property-added', level: 'INFO', event: 'order-placed', version: 2, path: '$.channel', text: 'new optional property "channel"' },
      { id: 'event-schema-added', level: 'INFO', event: 'order-placed', version: 3, path: '$', text: 'new version 3 of order-placed (base has v1, v2)' },
      {
        id: 'event-schema-removed',
        level: 'ERR',
        event: 'payment-captured',
        version: 1,
        path: '$',
        text: 'payment-captured v1 was removed (payment-captured.yaml): its events can no longer be validated or replayed',
      },
      { id: 'event-schema-added', level: 'INFO', event: 'shipment-sent', version: 1, path: '$', text: 'new event shipment-sent v1' },
    ]);
  });

  test('a file against a directory is matched by name and version too', () => {
    const changes = diffFiles(join(FIXTURES, 'dirs/base/order-placed.v2.schema.json'), join(FIXTURES, 'dirs/revision'));
    expect(changes.map((c) => [c.id, c.event, c.version])).toEqual([
      ['event-schema-added', 'order-placed', 1],
      ['event-optional-property-added', 'order-placed', 2],
      ['event-schema-added', 'order-placed', 3],
      ['event-schema-added', 'shipment-sent', 1],
    ]);
  });

  test('two files are compared with each other whatever their names', () => {
    const changes = diffFiles(join(FIXTURES, 'dirs/base/order-placed.json'), join(FIXTURES, 'dirs/revision/shipment-sent.json'));
    expect(changes.map((c) => [c.id, c.event, c.path])).toEqual([
      ['event-property-removed', 'shipment-sent', '$.orderId'],
      ['event-property-removed', 'shipment-sent', '$.total'],
      ['event-required-property-added', 'shipment-sent', '$.shipmentId'],
    ]);
  });
});

describe('the walk', () => {
  test('texts say what changed and why', () => {
    const texts = diffFiles(join(FIXTURES, 'rules/property-type-array-form/base.json'), join(FIXTURES, 'rules/property-type-array-form/revision.json')).map((c) => c.text);
    expect(texts).toEqual([
      'type changed from null | string to string (narrowed: old events of the other types no longer validate)',
      'type changed from integer to integer | null (widened: consumers built on the old schema get types they do not expect)',
    ]);
  });

  test('recursive schemas terminate and report each change once', () => {
    const node = (extra: Record<string, unknown>): Record<string, unknown> => ({
      type: 'object',
      properties: { value: extra, left: { $ref: '#/$defs/node' }, right: { $ref: '#/$defs/node' }, kids: { type: 'array', items: { $ref: '#' } } },
    });
    const base = schema({ $ref: '#/$defs/node', $defs: { node: node({ type: 'integer' }) } });
    const revision = schema({ $ref: '#/$defs/node', $defs: { node: node({ type: 'string' }) } });
    const changes = diffEventSchemas(base, revision);
    expect(changes.map((c) => `${c.id} ${c.path}`)).toEqual(['event-property-type-changed $.value']);
  });

  test('a $ref loop with no schema in it is harmless', () => {
    const loop = { $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } }, type: 'object', properties: { x: { $ref: '#/$defs/a' } } };
    expect(diffEventSchemas(schema(loop), schema(loop))).toEqual([]);
  });

  test('a type change to something else entirely does not list the lost properties', () => {
    const base = schema({ type: 'object', properties: { customer: { type: 'object', properties: { id: { type: 'string' } } } } });
    const revision = schema({ type: 'object', properties: { customer: { type: 'string' } } });
    expect(diffEventSchemas(base, revision).map((c) => `${c.id} ${c.path}`)).toEqual(['event-property-type-changed $.customer']);
  });

  test('enum values and consts compare by value, not by order or key order', () => {
    const base = schema({ properties: { a: { enum: [{ x: 1, y: 2 }, 'b'] }, c: { const: { k: [1, 2] } } } });
    const revision = schema({ properties: { a: { enum: ['b', { y: 2, x: 1 }] }, c: { const: { k: [1, 2] } } } });
    expect(diffEventSchemas(base, revision)).toEqual([]);
  });

  test('a non-local or dangling $ref is an error naming the file and the path', () => {
    const remote = join(FIXTURES, 'bad/remote-ref.json');
    expect(() => diffFiles(remote, remote)).toThrow(
      new EventContractError(remote, '$ref "customer.json#/definitions/customer" at $.customer: only local references are supported (#/definitions/…, #/$defs/…)'),
    );
    const dangling = join(FIXTURES, 'bad/dangling-ref.json');
    expect(() => diffFiles(dangling, dangling)).toThrow(`${dangling}: $ref "#/$defs/customer" at $.customer does not resolve to a schema`);
  });

  test('escaped JSON Pointers resolve', () => {
    const body = { type: 'object', properties: { a: { $ref: '#/$defs/a~1b%20c' } }, $defs: { 'a/b c': { type: 'string' } } };
    const changed = { ...body, $defs: { 'a/b c': { type: 'number' } } };
    expect(diffEventSchemas(schema(body), schema(changed)).map((c) => c.path)).toEqual(['$.a']);
  });
});
