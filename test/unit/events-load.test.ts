import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventContractError } from '../../contracts/events/errors';
import { findJsonSyntaxError, parseJsonText } from '../../contracts/events/json-text';
import { diffEventSchemaSets } from '../../contracts/events/compat';
import { eventIdentity, identityFromId, loadEventSchemaFile, loadEventSchemas, splitNameAndVersion } from '../../contracts/events/load';
import { compileEventSchema } from '../../contracts/events/validate';

const FIXTURES = join(__dirname, '../fixtures/events');
const bad = (name: string): string => join(FIXTURES, 'bad', name);

function errorOf(fn: () => unknown): EventContractError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EventContractError);
    expect((err as Error).message).not.toContain('\n');
    return err as EventContractError;
  }
  throw new Error('expected an EventContractError');
}

describe('event name and version', () => {
  test.each([
    ['order-placed.json', 'order-placed', undefined],
    ['order-placed.schema.json', 'order-placed', undefined],
    ['order-placed.v2.schema.json', 'order-placed', 2],
    ['order-placed.v12.json', 'order-placed', 12],
    ['order-placed.V3.yaml', 'order-placed', 3],
    ['order.placed.yml', 'order.placed', undefined],
  ])('file name %s', (file, name, version) => {
    expect(splitNameAndVersion(file)).toEqual(version === undefined ? { name } : { name, version });
  });

  test.each([
    ['https://acme.test/events/order-placed.json', 'order-placed', undefined],
    ['https://acme.test/events/order-placed.v2.schema.json', 'order-placed', 2],
    ['https://acme.test/events/order-placed/v2', 'order-placed', 2],
    ['https://acme.test/events/order-placed/3#', 'order-placed', 3],
    ['urn:acme:events:order-placed:v2', 'order-placed', 2],
    ['urn:acme:events:order-placed', 'order-placed', undefined],
    ['order-placed', 'order-placed', undefined],
  ])('$id %s', (id, name, version) => {
    expect(identityFromId(id)).toEqual({ name, version });
  });

  test('$id, then title, then the file name; x-version, then $id, then the file name, then 1', () => {
    expect(eventIdentity({ $id: 'urn:acme:order-placed:v2', title: 'Order placed' }, 'x/other.v5.json')).toEqual({ event: 'order-placed', version: 2 });
    expect(eventIdentity({ title: ' payment-captured ', 'x-version': 4 }, 'x/other.v5.json')).toEqual({ event: 'payment-captured', version: 4 });
    expect(eventIdentity({ title: 'payment-captured', 'x-version': '7' }, 'x/other.json')).toEqual({ event: 'payment-captured', version: 7 });
    expect(eventIdentity({ title: 'payment-captured' }, 'x/other.v5.json')).toEqual({ event: 'payment-captured', version: 5 });
    expect(eventIdentity({ $id: 'https://acme.test/events/order-placed.json', 'x-version': 3 }, 'a.v2.json')).toEqual({ event: 'order-placed', version: 3 });
    expect(eventIdentity({ type: 'object' }, 'schemas/shipment-sent.v2.schema.yaml')).toEqual({ event: 'shipment-sent', version: 2 });
    expect(eventIdentity({ type: 'object' }, 'schemas/shipment-sent.json')).toEqual({ event: 'shipment-sent', version: 1 });
  });

  test('a bad x-version names the file', () => {
    expect(errorOf(() => loadEventSchemaFile(bad('bad-version.json'))).message).toBe(`${bad('bad-version.json')}: x-version must be a positive integer, got "two"`);
    expect(errorOf(() => eventIdentity({ 'x-version': 0 }, 'a.json')).message).toBe('a.json: x-version must be a positive integer, got 0');
  });
});

describe('loading schemas', () => {
  test('one file (JSON or YAML)', () => {
    const json = loadEventSchemas(join(FIXTURES, 'dirs/base/order-placed.v2.schema.json'));
    expect(json.kind).toBe('file');
    expect(json.schemas.map((s) => [s.event, s.version])).toEqual([['order-placed', 2]]);
    const yaml = loadEventSchemas(join(FIXTURES, 'dirs/base/payment-captured.yaml'));
    expect(yaml.schemas[0]).toMatchObject({ event: 'payment-captured', version: 1, schema: { type: 'object', required: ['paymentId'] } });
  });

  test('a directory: *.json, *.yaml, *.yml only, sorted by event and version', () => {
    const set = loadEventSchemas(join(FIXTURES, 'dirs/revision'));
    expect(set.kind).toBe('directory');
    expect(set.schemas.map((s) => [s.event, s.version])).toEqual([
      ['order-placed', 1],
      ['order-placed', 2],
      ['order-placed', 3],
      ['shipment-sent', 1],
    ]);
    expect(loadEventSchemas(join(FIXTURES, 'dirs/base')).schemas.map((s) => s.event)).toEqual(['order-placed', 'order-placed', 'payment-captured']);
  });

  test('two files for one event and version', () => {
    const dir = join(FIXTURES, 'bad/duplicate');
    expect(errorOf(() => loadEventSchemas(dir)).message).toBe(
      `${join(dir, 'b.json')}: order-placed v1 is already defined by ${join(dir, 'a.json')}: one schema per event and version`,
    );
  });

  test('an empty directory and a missing path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-empty-'));
    try {
      writeFileSync(join(dir, 'notes.txt'), 'no schemas here');
      expect(errorOf(() => loadEventSchemas(dir)).message).toBe(`${dir}: no event schemas in this directory (*.json, *.yaml, *.yml)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(errorOf(() => loadEventSchemas(join(FIXTURES, 'nope.json'))).message).toBe(`${join(FIXTURES, 'nope.json')}: cannot read: no such file or directory`);
  });

  test.each([
    ['trailing-comma.json', 5, 3, "invalid JSON: expected a double-quoted property name, got '}'"],
    ['unquoted.json', 3, 19, "invalid JSON: expected a double-quoted property name, got 'i'"],
    ['truncated.json', 4, 1, 'invalid JSON: expected a double-quoted property name, got end of input'],
    ['bad-indent.yaml', 5, 1, 'invalid YAML: All mapping items must start at the same column'],
  ])('syntax error in %s → file:line:column', (name, line, column, detail) => {
    const error = errorOf(() => loadEventSchemas(bad(name)));
    expect(error.message).toBe(`${bad(name)}:${line}:${column}: ${detail}`);
    expect([error.file, error.line, error.column]).toEqual([bad(name), line, column]);
  });

  test('other bad files', () => {
    expect(errorOf(() => loadEventSchemas(bad('not-object.json'))).message).toBe(`${bad('not-object.json')}: not a JSON Schema: expected an object at the top level, got an array`);
    expect(errorOf(() => loadEventSchemas(bad('empty.json'))).message).toBe(`${bad('empty.json')}: the file is empty`);
    expect(errorOf(() => loadEventSchemas(bad('tab.yaml'))).message).toMatch(new RegExp(`^${bad('tab.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: invalid YAML: `));
  });
});

describe('YAML merge keys', () => {
  test('`<<: *anchor` merges the anchored mapping, so a constraint set there is diffed and validated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-merge-'));
    try {
      const schemaText = (maxLength: number): string =>
        `title: e\nx-str: &str {type: string, maxLength: ${maxLength}}\ntype: object\nproperties:\n  a:\n    <<: *str\n    description: x\n`;
      const base = join(dir, 'base.yaml');
      const revision = join(dir, 'revision.yaml');
      writeFileSync(base, schemaText(10));
      writeFileSync(revision, schemaText(5));
      const loaded = loadEventSchemas(revision).schemas[0]!;
      expect((loaded.schema as { properties: Record<string, unknown> }).properties['a']).toEqual({ type: 'string', maxLength: 5, description: 'x' });
      const changes = diffEventSchemaSets(loadEventSchemas(base), loadEventSchemas(revision), { compatibility: 'BACKWARD' });
      expect(changes.map((c) => `${c.level} ${c.id} ${c.path}`)).toEqual(['ERR event-constraint-tightened $.a']);
      expect(compileEventSchema(loaded)({ a: 'longer than five' })).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('JSON syntax locator', () => {
  test.each([
    ['{"a": 1,}', 8, "expected a double-quoted property name, got '}'"],
    ['{"a" 1}', 5, "expected ':' after a property name, got '1'"],
    ['{"a": tru}', 6, "expected a value, got 't'"],
    ['[1, 2', 5, "expected ',' or ']' after an array item, got end of input"],
    ['{"a": "x\ny"}', 8, 'unescaped control character in a string'],
    ['{"a": "\\q"}', 7, 'bad escape in a string'],
    ['{"a": 01}', 7, "expected ',' or '}' after a property value, got '1'"],
    ['{} {}', 3, "unexpected '{' after the JSON value"],
    ['"abc', 0, 'unterminated string'],
  ])('%j', (text, offset, message) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(findJsonSyntaxError(text)).toEqual({ offset, message });
  });

  test('valid JSON has no error; lines count from firstLine', () => {
    expect(findJsonSyntaxError('{"a": [1, -2.5e3, true, null, "\\u00e9"]}')).toBeUndefined();
    expect(errorOf(() => parseJsonText('{"a":\n x}', 'f.jsonl', { firstLine: 10 })).message).toBe("f.jsonl:11:2: invalid JSON: expected a value, got 'x'");
  });
});
