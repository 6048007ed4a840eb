import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffEventSchemaSets, diffEventSchemas } from '../../contracts/events/compat';
import { EventContractError } from '../../contracts/events/errors';
import { loadEventSchemas, type EventSchema } from '../../contracts/events/load';
import { EVENT_RULES, hasChangeAtOrAbove, type EventChange } from '../../contracts/events/rules';
import { compileEventSchema } from '../../contracts/events/validate';

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
  test('an added event, an added version (its own contract: not compared with earlier versions unless asked), a removed event, a changed version', () => {
    const changes = diffFiles(join(FIXTURES, 'dirs/base'), join(FIXTURES, 'dirs/revision'));
    expect(changes).toEqual([
      {
        id: 'event-property-added-to-open-object',
        level: 'ERR',
        event: 'order-placed',
        version: 2,
        path: '$.channel',
        text: 'new property "channel" in an open object: old events may already carry it with any value, and its schema does not accept them all',
      },
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
    expect(changes.map((c) => [c.id, c.event, c.version, c.previousVersion])).toEqual([
      ['event-schema-added', 'order-placed', 1, undefined],
      ['event-property-added-to-open-object', 'order-placed', 2, undefined],
      ['event-schema-added', 'order-placed', 3, undefined],
      ['event-schema-added', 'shipment-sent', 1, undefined],
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

describe('a property added to an open object (BACKWARD: the new schema must read old events)', () => {
  const ids = (base: Record<string, unknown>, revision: Record<string, unknown>): string[] => diffEventSchemas(schema(base), schema(revision)).map((c) => `${c.id} ${c.path}`);
  const valid = (body: Record<string, unknown>, data: unknown): boolean => compileEventSchema(schema(body))(data) as boolean;

  test('is ERR when an old event may carry the name with a value the new schema rejects', () => {
    const base = { title: 'order-placed', type: 'object', properties: { id: { type: 'string' } } };
    const revision = { ...base, properties: { ...base.properties, amount: { type: 'integer' } } };
    const old = { id: '1', amount: '12.50' };
    // The outcome the rule is about: an event valid under BASE no longer validates under REVISION.
    expect([valid(base, old), valid(revision, old)]).toEqual([true, false]);
    expect(ids(base, revision)).toEqual(['event-property-added-to-open-object $.amount']);
    expect(hasChangeAtOrAbove(diffEventSchemas(schema(base), schema(revision)), 'ERR')).toBe(true);
  });

  test('is INFO when its schema accepts anything (Confluent: PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL)', () => {
    const base = { type: 'object', properties: { id: { type: 'string' } } };
    for (const added of [{}, true, { description: 'free text' }]) {
      expect(ids(base, { ...base, properties: { ...base.properties, note: added } })).toEqual(['event-optional-property-added $.note']);
    }
  });

  test('is INFO when additionalProperties already constrained it the same way or tighter, ERR when not', () => {
    const base = { type: 'object', additionalProperties: { type: 'string', maxLength: 10 } };
    const add = (note: Record<string, unknown>): Record<string, unknown> => ({ ...base, properties: { note } });
    expect(ids(base, add({ type: 'string' }))).toEqual(['event-optional-property-added $.note']);
    expect(ids(base, add({ type: 'string', maxLength: 10 }))).toEqual(['event-optional-property-added $.note']);
    expect(ids(base, add({ type: 'string', maxLength: 5 }))).toEqual(['event-property-added-to-open-object $.note']);
    expect(ids(base, add({ type: 'integer' }))).toEqual(['event-property-added-to-open-object $.note']);
    // Checked against real validation: a 10-character note passes BASE, and fails the tighter revision.
    expect([valid(base, { note: 'abcdefghij' }), valid(add({ type: 'string', maxLength: 5 }), { note: 'abcdefghij' })]).toEqual([true, false]);
  });

  test('a closed object keeps its own rule', () => {
    const base = { type: 'object', additionalProperties: false, properties: { id: { type: 'string' } } };
    expect(ids(base, { ...base, properties: { ...base.properties, note: {} } })).toEqual(['event-property-added-to-closed-object $.note']);
  });

  test('a tuple position past the old ones follows the same rule', () => {
    const base = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { point: { type: 'array', prefixItems: [{ type: 'number' }] } } };
    const withThird = (third: Record<string, unknown>, items?: Record<string, unknown>): Record<string, unknown> => ({
      ...base,
      properties: { point: { type: 'array', prefixItems: [{ type: 'number' }, third], ...(items ? { items } : {}) } },
    });
    expect(ids(base, withThird({ type: 'string' }))).toEqual(['event-property-added-to-open-object $.point[1]']);
    expect(ids(base, withThird({}))).toEqual(['event-optional-property-added $.point[1]']);
  });

  test('a recursive schema added to an open object terminates', () => {
    const base = { type: 'object', properties: { id: { type: 'string' } }, $defs: { node: { type: 'object', properties: { next: { $ref: '#/$defs/node' } } } } };
    const revision = { ...base, properties: { ...base.properties, head: { $ref: '#/$defs/node' } } };
    expect(ids(base, revision)).toEqual(['event-property-added-to-open-object $.head']);
  });
});

describe('anyOf / oneOf members', () => {
  const diff = (base: Record<string, unknown>, revision: Record<string, unknown>): EventChange[] => diffEventSchemas(schema(base), schema(revision));
  const ids = (base: Record<string, unknown>, revision: Record<string, unknown>): string[] => diff(base, revision).map((c) => `${c.level} ${c.id}`);
  const valid = (body: Record<string, unknown>, data: unknown): boolean => compileEventSchema(schema(body))(data) as boolean;
  const coupon = (members: unknown[]): Record<string, unknown> => ({ type: 'object', properties: { couponCode: { anyOf: members } } });

  test('a member removed fails the default gate: old events with a null coupon no longer validate', () => {
    const base = coupon([{ type: 'string' }, { type: 'null' }]);
    const revision = coupon([{ type: 'string' }]);
    expect([valid(base, { couponCode: null }), valid(revision, { couponCode: null })]).toEqual([true, false]);
    // The union admits its members' types: null is gone from them, as from a `type` list.
    expect(ids(base, revision)).toEqual(['ERR event-property-type-changed', 'ERR event-composition-member-removed']);
    expect(hasChangeAtOrAbove(diff(base, revision), 'ERR')).toBe(true);
  });

  test('a member added is a warning; one of a new type also widens the types, as a type list does; members reordered are no change', () => {
    const short = { type: 'string', maxLength: 5 };
    expect(ids(coupon([short]), coupon([short, { type: 'string', pattern: '^X' }]))).toEqual(['WARN event-composition-member-added']);
    expect(ids(coupon([{ type: 'string' }]), coupon([{ type: 'string' }, { type: 'null' }]))).toEqual(['ERR event-property-type-changed', 'WARN event-composition-member-added']);
    const asList = { type: 'object', properties: { couponCode: { type: ['string', 'null'] } } };
    expect(ids(coupon([{ type: 'string' }]), asList)).toEqual(['ERR event-property-type-changed']);
    expect(ids(coupon([{ type: 'string' }, { type: 'null' }]), coupon([{ type: 'null' }, { type: 'string' }]))).toEqual([]);
  });

  test('members paired by type are compared in depth', () => {
    expect(ids(coupon([{ type: 'string', maxLength: 20 }, { type: 'null' }]), coupon([{ type: 'string', maxLength: 10 }, { type: 'null' }]))).toEqual(['ERR event-constraint-tightened']);
    expect(ids(coupon([{ type: 'string', enum: ['a'] }]), coupon([{ type: 'string', enum: ['a', 'b'] }]))).toEqual(['WARN event-enum-value-added']);
  });

  test('a oneOf member added that overlaps another is ERR: an old event may now match two', () => {
    const pay = (members: unknown[]): Record<string, unknown> => ({ type: 'object', properties: { payment: { oneOf: members } } });
    const card = { type: 'object', properties: { card: { type: 'string' } }, required: ['card'] };
    const anyObject = { type: 'object' };
    expect(valid(pay([card, anyObject]), { payment: { card: 'x' } })).toBe(false);
    expect(ids(pay([card]), pay([card, anyObject]))).toEqual(['ERR event-unchecked-keyword-changed']);
    expect(ids(pay([card]), pay([card, { type: 'string' }]))).toEqual(['ERR event-property-type-changed', 'WARN event-composition-member-added']);
  });

  test('anyOf added restricts values (ERR), removed loosens them (WARN)', () => {
    const plain = { type: 'object', properties: { couponCode: { type: 'string' } } };
    const restricted = { type: 'object', properties: { couponCode: { type: 'string', anyOf: [{ maxLength: 5 }, { pattern: '^X' }] } } };
    expect(ids(plain, restricted)).toEqual(['ERR event-constraint-tightened']);
    expect(ids(restricted, plain)).toEqual(['WARN event-constraint-loosened']);
  });

  test('members that cannot be paired are reported at ERR as not compared', () => {
    const a = coupon([{ type: 'object', properties: { x: { type: 'string' } } }, { type: 'object', properties: { y: { type: 'string' } } }]);
    const b = coupon([{ type: 'object', properties: { x: { type: 'integer' } } }, { type: 'object', properties: { y: { type: 'string' } } }]);
    // One member unchanged, the other the only object left on each side: paired and compared in depth.
    expect(diff(a, b).map((c) => `${c.id} ${c.path}`)).toEqual(['event-property-type-changed $.couponCode.x']);
    // Both object members changed: nothing pairs them, so each old one counts as removed.
    const c = coupon([{ type: 'object', properties: { x: { type: 'integer' } } }, { type: 'object', properties: { y: { type: 'integer' } } }]);
    expect(ids(a, c)).toEqual(['ERR event-composition-member-removed', 'ERR event-composition-member-removed', 'WARN event-composition-member-added', 'WARN event-composition-member-added']);
    const not = (s: unknown): Record<string, unknown> => ({ type: 'object', properties: { p: { not: s } } });
    expect(ids(not({ type: 'null' }), not({ type: 'string' }))).toEqual(['ERR event-unchecked-keyword-changed']);
  });
});

describe('a union on one side only: anyOf / oneOf added or removed', () => {
  type Mode = 'BACKWARD' | 'FORWARD' | 'FULL';
  const event = (property: unknown): Record<string, unknown> => ({ type: 'object', properties: { amount: property } });
  const diff = (base: unknown, revision: unknown, compatibility: Mode = 'FULL'): EventChange[] => diffEventSchemas(schema(event(base)), schema(event(revision)), { compatibility });
  const ids = (base: unknown, revision: unknown, mode?: Mode): string[] => diff(base, revision, mode).map((c) => `${c.level} ${c.id}`);
  const fails = (base: unknown, revision: unknown, mode: Mode): boolean => hasChangeAtOrAbove(diff(base, revision, mode), 'ERR');
  const valid = (property: unknown, amount: unknown): boolean => compileEventSchema(schema(event(property)))({ amount }) as boolean;
  const amount = { type: 'number', minimum: 0 };

  test('nullable through anyOf is backward compatible, and rated as the same change written as a type list in every mode', () => {
    const nullable = { anyOf: [{ type: 'number', minimum: 0 }, { type: 'null' }] };
    const asList = { type: ['number', 'null'], minimum: 0 };
    expect([12.5, 0].map((old) => valid(nullable, old))).toEqual([true, true]);
    expect(fails(amount, nullable, 'BACKWARD')).toBe(false);
    expect(ids(amount, nullable, 'BACKWARD')).toEqual(['INFO event-property-type-changed', 'INFO event-composition-member-added']);
    for (const mode of ['BACKWARD', 'FORWARD', 'FULL'] as const) expect([mode, fails(amount, nullable, mode)]).toEqual([mode, fails(amount, asList, mode)]);
    // Under FORWARD old consumers get null: the type widened, as with the list.
    expect(ids(amount, nullable, 'FORWARD')).toEqual(['ERR event-property-type-changed', 'WARN event-composition-member-added']);
  });

  test('a oneOf that adds a string member to a number is backward compatible; FORWARD and FULL fail on the new type', () => {
    const numberOrString = { oneOf: [{ type: 'number', minimum: 0 }, { type: 'string' }] };
    expect(fails(amount, numberOrString, 'BACKWARD')).toBe(false);
    expect(fails(amount, numberOrString, 'FORWARD')).toBe(true);
    expect(diff(amount, numberOrString, 'FULL').filter((c) => c.level === 'ERR').map((c) => c.text)).toEqual([
      'type changed from number to number | string (widened: consumers built on the old schema get types they do not expect)',
    ]);
  });

  test('a member that takes in less than the old schema still tightens, reported in depth', () => {
    const stricter = { anyOf: [{ type: 'number', minimum: 1 }, { type: 'null' }] };
    expect(valid(stricter, 0.5)).toBe(false);
    const errors = diff(amount, stricter, 'BACKWARD').filter((c) => c.level === 'ERR');
    expect(errors.map((c) => `${c.id}: ${c.text}`)).toEqual(['event-constraint-tightened: minimum raised from 0 to 1: old events may no longer validate']);
  });

  test('one member equal to the old schema, or a union written as a type list, is no change in either direction', () => {
    const note = { type: 'string' };
    const wrapped = { anyOf: [{ type: 'string' }] };
    const nullableNote = { anyOf: [{ type: 'string' }, { type: 'null' }] };
    const asList = { type: ['string', 'null'] };
    expect([ids(note, wrapped), ids(wrapped, note), ids(nullableNote, asList), ids(asList, nullableNote)]).toEqual([[], [], [], []]);
  });

  test('removing a union is judged the other way round: a member gone breaks replay, a member the revision loosens breaks old consumers', () => {
    const nullableNote = { anyOf: [{ type: 'string' }, { type: 'null' }] };
    expect(fails(nullableNote, { type: 'string' }, 'BACKWARD')).toBe(true);
    expect(fails(nullableNote, { type: 'string' }, 'FORWARD')).toBe(false);
    expect(ids(nullableNote, { type: 'string' }, 'BACKWARD')).toEqual(['ERR event-property-type-changed', 'ERR event-composition-member-removed']);

    const shortOrNull = { anyOf: [{ type: 'string', maxLength: 5 }, { type: 'null' }] };
    const anyStringOrNull = { type: ['string', 'null'] };
    expect(valid(shortOrNull, 'longer than five')).toBe(false);
    expect(ids(shortOrNull, anyStringOrNull, 'FORWARD')).toEqual(['WARN event-constraint-loosened']);
    expect(ids(shortOrNull, anyStringOrNull, 'BACKWARD')).toEqual(['INFO event-constraint-loosened']);
    expect(ids(anyStringOrNull, shortOrNull, 'BACKWARD')).toEqual(['ERR event-constraint-tightened']);
  });

  test('a oneOf added whose members overlap still needs a review: an old integer matches both members and fails', () => {
    const overlapping = { oneOf: [{ type: 'number' }, { type: 'integer' }] };
    expect(valid(overlapping, 3)).toBe(false);
    expect(ids({ type: 'number' }, overlapping, 'BACKWARD')).toEqual(['ERR event-unchecked-keyword-changed']);
    expect(ids({ type: 'number' }, overlapping, 'FORWARD')).toEqual(['INFO event-unchecked-keyword-changed']);
  });

  test('properties next to the union count for every member', () => {
    const base = { type: 'object', properties: { id: { type: 'string' } } };
    const revision = { type: 'object', properties: { id: { type: 'integer' } }, anyOf: [{ required: ['id'] }, { properties: { id: { minimum: 0 } } }] };
    expect(diff(base, revision, 'BACKWARD').map((c) => `${c.level} ${c.id} ${c.path}`)).toContain('ERR event-property-type-changed $.amount.id');
  });
});
