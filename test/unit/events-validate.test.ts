import { join } from 'node:path';
import { EventContractError } from '../../contracts/events/errors';
import { instancePathToJsonPath, propertyPath } from '../../contracts/events/json-path';
import { loadEventSchemas, type EventSchemaSet } from '../../contracts/events/load';
import { parseSampleEvents, readSampleEvents } from '../../contracts/events/samples';
import { compileEventSchema, validateEvents } from '../../contracts/events/validate';

const FIXTURES = join(__dirname, '../fixtures/events');
const SCHEMAS = join(FIXTURES, 'validate/schemas');

let schemas: EventSchemaSet;
beforeAll(() => {
  schemas = loadEventSchemas(SCHEMAS);
});

describe('validating sample events', () => {
  test('good events, JSON array: draft-07, 2020-12 (with $defs) and YAML schemas, version picked or latest', () => {
    const samples = readSampleEvents(join(FIXTURES, 'validate/good.json'));
    expect(samples.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(validateEvents(schemas, samples)).toEqual({ events: 3, failures: [] });
  });

  test('bad events, JSON lines: every failure with its JSON path and message', () => {
    const result = validateEvents(schemas, readSampleEvents(join(FIXTURES, 'validate/events.jsonl')));
    expect(result.events).toBe(9);
    const v1 = { event: 'order-placed', version: 1 };
    const v2 = { event: 'order-placed', version: 2 };
    const customer = { event: 'customer-registered', version: 1 };
    expect(result.failures).toEqual([
      { index: 1, line: 2, ...v1, path: '$.orderId', message: 'must NOT have fewer than 1 characters' },
      { index: 1, line: 2, ...v1, path: '$.placedAt', message: 'must be a valid date-time, got "yesterday"' },
      { index: 1, line: 2, ...v1, path: '$.status', message: 'must be one of "placed", "paid", got "lost"' },
      { index: 1, line: 2, ...v1, path: '$.items[1].extra', message: 'is not allowed (additionalProperties: false)' },
      { index: 1, line: 2, ...v1, path: '$.items[1].price', message: 'must be number, got string' },
      { index: 3, line: 4, ...v2, path: '$.orderId', message: 'must be string, got integer' },
      { index: 3, line: 4, ...v2, path: '$.type', message: 'must be "order.placed", got "order.created"' },
      { index: 3, line: 4, ...v2, path: '$.customer.id', message: 'is required' },
      { index: 3, line: 4, ...v2, path: '$.customer.email', message: 'must be a valid email, got "nope"' },
      { index: 3, line: 4, ...v2, path: '$.note', message: 'is not allowed (unevaluatedProperties: false)' },
      { index: 4, line: 6, event: 'order-shipped', path: '$', message: `unknown event "order-shipped": no schema for it in ${SCHEMAS}` },
      { index: 6, line: 8, ...customer, path: "$['display name']", message: 'is required' },
      { index: 6, line: 8, ...customer, path: '$.customerId', message: 'must match pattern "^C[0-9]+$"' },
      { index: 6, line: 8, ...customer, path: '$.tags[1]', message: 'must be string, got integer' },
      { index: 7, line: 9, event: 'order-placed', version: 9, path: '$', message: `no schema for order-placed v9 in ${SCHEMAS} (known versions: 1, 2)` },
      { index: 8, line: 10, event: 'order-placed', path: '$', message: 'the entry has no "data" (the event itself)' },
    ]);
  });

  test('entries of the wrong shape are failures, not errors', () => {
    const result = validateEvents(schemas, readSampleEvents(join(FIXTURES, 'validate/not-entries.json')));
    expect(result.failures).toEqual([
      { index: 0, event: '', path: '$', message: 'the entry must be an object {"event": name, "version"?: n, "data": {...}}' },
      { index: 1, event: '', path: '$', message: 'the entry has no "event" (the event name, a string)' },
      { index: 2, event: 'order-placed', path: '$', message: '"version" must be a positive integer, got "1"' },
    ]);
  });

  test('a single schema file; one pretty-printed object is one event', () => {
    const one = loadEventSchemas(join(SCHEMAS, 'customer-registered.yaml'));
    const samples = parseSampleEvents('{\n  "event": "customer-registered",\n  "data": {"customerId": "C1", "display name": 5}\n}\n', 'one.json');
    expect(validateEvents(one, samples).failures).toEqual([
      { index: 0, line: 1, event: 'customer-registered', version: 1, path: "$['display name']", message: 'must be string, got integer' },
    ]);
  });

  test('data that is not an object is validated too', () => {
    const samples = parseSampleEvents('{"event": "order-placed", "version": 1, "data": [1]}\n', 'x.jsonl');
    expect(validateEvents(schemas, samples).failures).toEqual([{ index: 0, line: 1, event: 'order-placed', version: 1, path: '$', message: 'must be object, got array' }]);
  });
});

describe('unreadable inputs are one-line errors naming the file', () => {
  test('a syntax error in JSON lines names the line', () => {
    const file = join(FIXTURES, 'validate/bad-syntax.jsonl');
    expect(() => readSampleEvents(file)).toThrow(new EventContractError(file, "invalid JSON: expected a double-quoted property name, got '}'", 2, 53));
    expect(() => readSampleEvents(file)).toThrow(`${file}:2:53: invalid JSON: expected a double-quoted property name, got '}'`);
  });

  test('empty and missing files', () => {
    expect(() => parseSampleEvents('\n  \n', 'e.jsonl')).toThrow('e.jsonl: no events: expected JSON lines or a JSON array of {"event", "version"?, "data"}');
    expect(() => parseSampleEvents('[]', 'e.json')).toThrow('e.json: no events: the array is empty');
    expect(() => readSampleEvents(join(FIXTURES, 'missing.jsonl'))).toThrow(`${join(FIXTURES, 'missing.jsonl')}: cannot read: no such file or directory`);
  });

  test('a schema ajv refuses, or a dialect it does not speak', () => {
    const invalid = join(FIXTURES, 'bad/invalid-schema.json');
    expect(() => validateEvents(loadEventSchemas(invalid), [])).toThrow(`${invalid}: invalid schema at #/properties/id/type: must be equal to one of the allowed values`);
    const draft04 = join(FIXTURES, 'bad/unknown-dialect.json');
    expect(() => validateEvents(loadEventSchemas(draft04), [])).toThrow(
      `${draft04}: $schema "http://json-schema.org/draft-04/schema#" is not supported: use draft-07 or 2020-12 (also draft-06, 2019-09)`,
    );
    const remote = join(FIXTURES, 'bad/remote-ref.json');
    expect(() => validateEvents(loadEventSchemas(remote), [])).toThrow(/^\S+remote-ref\.json: invalid schema: can't resolve reference customer\.json/);
  });

  test('draft-06 and 2019-09 schemas compile', () => {
    for (const $schema of ['http://json-schema.org/draft-06/schema#', 'https://json-schema.org/draft/2019-09/schema']) {
      const validate = compileEventSchema({ event: 'e', version: 1, file: 'e.json', schema: { $schema, type: 'object', required: ['a'] } });
      expect(validate({})).toBe(false);
      expect(validate({ a: 1 })).toBe(true);
    }
  });
});

describe('JSON paths', () => {
  test('instance paths', () => {
    expect(instancePathToJsonPath('')).toBe('$');
    expect(instancePathToJsonPath('/payload/items/0/price')).toBe('$.payload.items[0].price');
    expect(instancePathToJsonPath('/a~1b/c~0d/x y')).toBe("$['a/b']['c~d']['x y']");
    // With the data, a property named "0" is a property, not an index.
    expect(instancePathToJsonPath('/m/0', { m: { '0': 1 } })).toBe("$.m['0']");
    expect(instancePathToJsonPath('/m/0', { m: [1] })).toBe('$.m[0]');
  });

  test('property names', () => {
    expect(propertyPath('$', 'price')).toBe('$.price');
    expect(propertyPath('$', '$meta')).toBe('$.$meta');
    expect(propertyPath('$', "it's")).toBe("$['it\\'s']");
    expect(propertyPath('$', '2x')).toBe("$['2x']");
  });
});
