import { join } from 'node:path';
import { diffEventSchemaSets, diffEventSchemas } from '../../contracts/events/compat';
import { COMPATIBILITY_MODES, checkedDirections, isTransitive, parseCompatibility, type CompatibilityMode } from '../../contracts/events/compatibility';
import { loadEventSchemas, type EventSchema } from '../../contracts/events/load';
import { EVENT_RULES, hasChangeAtOrAbove, type EventChange } from '../../contracts/events/rules';
import { compileEventSchema } from '../../contracts/events/validate';

const FIXTURES = join(__dirname, '../fixtures/events');
const rule = (name: string, side: 'base' | 'revision'): string => join(FIXTURES, 'rules', name, `${side}.json`);
const versions = (name: string, side: 'base' | 'revision'): string => join(FIXTURES, 'versions', name, side);

/** With new versions compared to earlier ones (`--compare-versions`), as these tests are about. */
function diff(base: string, revision: string, compatibility?: CompatibilityMode): EventChange[] {
  return diffEventSchemaSets(loadEventSchemas(base), loadEventSchemas(revision), { compatibility, compareVersions: true });
}

function schema(body: Record<string, unknown>): EventSchema {
  return { event: 'order-placed', version: 1, file: 'order-placed.json', schema: body };
}

const levels = (changes: EventChange[]): string[] => changes.map((c) => `${c.level} ${c.id} ${c.path}`);
const valid = (file: string, data: unknown): boolean => compileEventSchema(loadEventSchemas(file).schemas[0]!)(data) as boolean;

describe('parsing a mode', () => {
  test('any case, the seven Confluent names', () => {
    expect(parseCompatibility('backward')).toBe('BACKWARD');
    expect(parseCompatibility(' Full_Transitive ')).toBe('FULL_TRANSITIVE');
    expect(COMPATIBILITY_MODES.map((m) => parseCompatibility(m.toLowerCase()))).toEqual([...COMPATIBILITY_MODES]);
    expect(parseCompatibility('FULLY')).toBeUndefined();
    expect(parseCompatibility('')).toBeUndefined();
  });

  test('directions and transitivity', () => {
    expect(COMPATIBILITY_MODES.map((m) => `${m}:${checkedDirections(m).join('+')}:${isTransitive(m)}`)).toEqual([
      'BACKWARD:backward:false',
      'FORWARD:forward:false',
      'FULL:backward+forward:false',
      'BACKWARD_TRANSITIVE:backward:true',
      'FORWARD_TRANSITIVE:forward:true',
      'FULL_TRANSITIVE:backward+forward:true',
      'NONE::false',
    ]);
  });
});

describe('the mode decides what is breaking', () => {
  test('FULL, given or not, rates every change at its rule level, with nothing added', () => {
    for (const name of ['property-removed', 'property-became-required', 'enum-value-added', 'unchecked-keyword-changed']) {
      const plain = diff(rule(name, 'base'), rule(name, 'revision'));
      expect(diff(rule(name, 'base'), rule(name, 'revision'), 'FULL')).toEqual(plain);
      for (const c of plain) {
        expect(c.level).toBe(EVENT_RULES[c.id].level);
        expect(Object.keys(c)).toEqual(['id', 'level', 'event', 'version', 'path', 'text']);
      }
    }
  });

  test('a property removed breaks only old consumers: ERR under FORWARD, INFO with a note under BACKWARD', () => {
    const [base, revision] = [rule('property-removed', 'base'), rule('property-removed', 'revision')];
    // The outcomes behind it: old events still validate under the revision; a new event may carry "email"
    // with a value consumers on the old schema reject.
    const old = { id: '1', customer: { name: 'Ann', email: 'ann@example.test' } };
    const fresh = { id: '2', customer: { name: 'Bob', email: 42 } };
    expect([valid(revision, old), valid(revision, fresh), valid(base, fresh)]).toEqual([true, true, false]);

    expect(levels(diff(base, revision, 'FORWARD'))).toEqual(['ERR event-property-removed $.customer.email']);
    const [backward] = diff(base, revision, 'BACKWARD');
    expect(backward).toEqual({
      id: 'event-property-removed',
      level: 'INFO',
      event: 'order-placed',
      version: 1,
      path: '$.customer.email',
      text: 'property "email" was removed (not checked under BACKWARD: breaks forward compatibility only)',
      ruleLevel: 'ERR',
      breaks: ['forward'],
    });
  });

  test('a property that became required breaks only replay: ERR under BACKWARD, INFO under FORWARD', () => {
    const [base, revision] = [rule('property-became-required', 'base'), rule('property-became-required', 'revision')];
    expect(hasChangeAtOrAbove(diff(base, revision, 'BACKWARD'), 'ERR')).toBe(true);
    const forward = diff(base, revision, 'FORWARD_TRANSITIVE');
    expect(forward.map((c) => [c.level, c.ruleLevel, c.breaks])).toEqual([['INFO', 'ERR', ['backward']]]);
    expect(forward[0]!.text).toMatch(/\(not checked under FORWARD_TRANSITIVE: breaks backward compatibility only\)$/);
  });

  test('widening (a new enum value) is a WARN under FORWARD and FULL, INFO under BACKWARD, so --fail-on WARN passes', () => {
    const [base, revision] = [rule('enum-value-added', 'base'), rule('enum-value-added', 'revision')];
    expect(hasChangeAtOrAbove(diff(base, revision, 'FORWARD'), 'WARN')).toBe(true);
    expect(hasChangeAtOrAbove(diff(base, revision, 'FULL'), 'WARN')).toBe(true);
    const backward = diff(base, revision, 'BACKWARD');
    expect(hasChangeAtOrAbove(backward, 'WARN')).toBe(false);
    expect(backward.every((c) => c.ruleLevel === 'WARN')).toBe(true);
  });

  test('a change that breaks both directions stays ERR under either one', () => {
    for (const name of ['unchecked-keyword-changed', 'const-changed']) {
      for (const mode of ['BACKWARD', 'FORWARD'] as const) {
        const changes = diff(rule(name, 'base'), rule(name, 'revision'), mode);
        expect(hasChangeAtOrAbove(changes, 'ERR')).toBe(true);
      }
    }
  });

  test('NONE lists every change at INFO, naming what it breaks', () => {
    for (const name of ['property-removed', 'property-type-changed', 'required-property-added', 'enum-value-added']) {
      const full = diff(rule(name, 'base'), rule(name, 'revision'));
      const none = diff(rule(name, 'base'), rule(name, 'revision'), 'NONE');
      expect(none.map((c) => c.id)).toEqual(full.map((c) => c.id));
      expect(none.every((c) => c.level === 'INFO')).toBe(true);
      expect(none.map((c) => c.ruleLevel)).toEqual(full.map((c) => c.level));
      for (const c of none) expect(c.text).toMatch(/\(not checked under NONE: breaks (backward|forward|backward and forward) compatibility\)$/);
    }
  });
});

describe('directions the walk knows better than the rule', () => {
  const rate = (base: Record<string, unknown>, revision: Record<string, unknown>, mode: CompatibilityMode): string[] =>
    diffEventSchemas(schema(base), schema(revision), { compatibility: mode }).map((c) => `${c.level} ${c.id}`);
  const typed = (type: unknown): Record<string, unknown> => ({ type: 'object', properties: { amount: { type } } });

  test('a type narrowed breaks replay only, widened breaks old consumers only, changed breaks both', () => {
    expect(rate(typed('number'), typed('integer'), 'BACKWARD')).toEqual(['ERR event-property-type-changed']);
    expect(rate(typed('number'), typed('integer'), 'FORWARD')).toEqual(['INFO event-property-type-changed']);
    expect(rate(typed('integer'), typed(['integer', 'null']), 'BACKWARD')).toEqual(['INFO event-property-type-changed']);
    expect(rate(typed('integer'), typed(['integer', 'null']), 'FORWARD')).toEqual(['ERR event-property-type-changed']);
    expect(rate(typed('string'), typed('integer'), 'BACKWARD')).toEqual(['ERR event-property-type-changed']);
    expect(rate(typed('string'), typed('integer'), 'FORWARD')).toEqual(['ERR event-property-type-changed']);
  });

  test('a property removed from an object the revision closes also breaks replay: old events carrying it fail', () => {
    const base = { type: 'object', additionalProperties: false, properties: { id: { type: 'string' }, note: { type: 'string' } } };
    const revision = { type: 'object', additionalProperties: false, properties: { id: { type: 'string' } } };
    expect(compileEventSchema(schema(revision))({ id: '1', note: 'x' })).toBe(false);
    expect(rate(base, revision, 'BACKWARD')).toEqual(['ERR event-property-removed']);
  });

  test('a required property added to a closed object also breaks old consumers, who reject the new name', () => {
    const base = { type: 'object', additionalProperties: false, properties: { id: { type: 'string' } } };
    const revision = { ...base, properties: { id: { type: 'string' }, channel: { type: 'string' } }, required: ['channel'] };
    expect(compileEventSchema(schema(base))({ channel: 'web' })).toBe(false);
    expect(rate(base, revision, 'FORWARD')).toEqual(['ERR event-required-property-added']);
    // Open, the old schema takes it: forward compatible.
    const open = { type: 'object', properties: { id: { type: 'string' } } };
    expect(rate(open, { ...open, properties: { ...open.properties, channel: { type: 'string' } }, required: ['channel'] }, 'FORWARD')).toEqual([
      'INFO event-required-property-added',
    ]);
  });
});

describe('a new version is checked against earlier versions of its event', () => {
  const base = versions('new-version-breaks', 'base');
  const revision = versions('new-version-breaks', 'revision');

  test('v2 dropping the required amount and retyping orderId is no longer just "added"', () => {
    const changes = diff(base, revision);
    expect(changes).toEqual([
      { id: 'event-schema-added', level: 'INFO', event: 'order-placed', version: 2, path: '$', text: 'new version 2 of order-placed (base has v1)' },
      {
        id: 'event-property-type-changed',
        level: 'ERR',
        event: 'order-placed',
        version: 2,
        previousVersion: 1,
        path: '$.orderId',
        text: 'type changed from string to integer (old events no longer validate, and consumers built on the old schema get types they do not expect)',
      },
      { id: 'event-property-removed', level: 'ERR', event: 'order-placed', version: 2, previousVersion: 1, path: '$.amount', text: 'property "amount" was removed' },
    ]);
    // What a registry would refuse: a v1 event fails v2, and a v2 event fails v1.
    const v1 = join(revision, 'order-placed.json');
    const v2 = join(revision, 'order-placed.v2.json');
    expect([valid(v1, { orderId: 'o-1', amount: 5 }), valid(v2, { orderId: 'o-1', amount: 5 })]).toEqual([true, false]);
    expect([valid(v2, { orderId: 7 }), valid(v1, { orderId: 7 })]).toEqual([true, false]);
  });

  test('rated by the mode like any other change', () => {
    expect(levels(diff(base, revision, 'BACKWARD'))).toEqual(['INFO event-schema-added $', 'ERR event-property-type-changed $.orderId', 'INFO event-property-removed $.amount']);
    expect(levels(diff(base, revision, 'FORWARD'))).toEqual(['INFO event-schema-added $', 'ERR event-property-type-changed $.orderId', 'ERR event-property-removed $.amount']);
    expect(hasChangeAtOrAbove(diff(base, revision, 'NONE'), 'WARN')).toBe(false);
  });

  test('an earlier version only the base has (removed in the revision) is still the one compared', () => {
    const changes = diff(base, join(revision, 'order-placed.v2.json'));
    // A single revision file against a base directory: v1 is gone, v2 is new and checked against base's v1.
    expect(changes.map((c) => [c.id, c.version, c.previousVersion])).toEqual([
      ['event-schema-removed', 1, undefined],
      ['event-schema-added', 2, undefined],
      ['event-property-type-changed', 2, 1],
      ['event-property-removed', 2, 1],
    ]);
  });

  test('without a _TRANSITIVE mode only the latest earlier version counts; with one, every earlier version', () => {
    const [tb, tr] = [versions('transitive', 'base'), versions('transitive', 'revision')];
    // v3 = v2 + a free-form "note": fine against v2. v2 raised amount's minimum over v1, so v3 fails against v1.
    expect(valid(join(tr, 'order-placed.v1.json'), { orderId: 'o-1', amount: -5 })).toBe(true);
    expect(valid(join(tr, 'order-placed.v3.json'), { orderId: 'o-1', amount: -5 })).toBe(false);

    for (const mode of ['BACKWARD', 'FULL'] as const) {
      const changes = diff(tb, tr, mode);
      expect(changes.map((c) => `${c.level} ${c.id} v${c.previousVersion ?? '-'}→v${c.version} ${c.path}`)).toEqual([
        'INFO event-schema-added v-→v3 $',
        'INFO event-optional-property-added v2→v3 $.note',
      ]);
    }
    for (const mode of ['BACKWARD_TRANSITIVE', 'FULL_TRANSITIVE'] as const) {
      const changes = diff(tb, tr, mode);
      expect(changes.map((c) => `${c.level} ${c.id} v${c.previousVersion ?? '-'}→v${c.version} ${c.path}`)).toEqual([
        'INFO event-schema-added v-→v3 $',
        'ERR event-constraint-tightened v1→v3 $.amount',
        'INFO event-optional-property-added v1→v3 $.note',
        'INFO event-optional-property-added v2→v3 $.note',
      ]);
    }
    // A tightened constraint breaks replay only: FORWARD_TRANSITIVE compares v1 too, and lets it pass.
    const forward = diff(tb, tr, 'FORWARD_TRANSITIVE');
    expect(forward.filter((c) => c.previousVersion === 1).map((c) => `${c.level} ${c.id}`)).toEqual(['INFO event-constraint-tightened', 'INFO event-optional-property-added']);
    expect(hasChangeAtOrAbove(forward, 'WARN')).toBe(false);
  });

  test('two single files are still compared with each other, whatever their versions', () => {
    const changes = diff(join(base, 'order-placed.json'), join(revision, 'order-placed.v2.json'));
    expect(changes.map((c) => [c.id, c.version, c.previousVersion])).toEqual([
      ['event-property-type-changed', 2, undefined],
      ['event-property-removed', 2, undefined],
    ]);
  });
});
