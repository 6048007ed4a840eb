/** Loader and $ref resolver: YAML/JSON with line numbers, cross-file refs, pointer escapes, cycles, one-line errors. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffOpenApi, OpenApiLoadError } from '../../contracts/openapi';
import { locationOf, parseSpecText } from '../../contracts/openapi/load';
import { loadSpec } from '../../contracts/openapi/model';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'openapi-load-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function loadError(fn: () => unknown): OpenApiLoadError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OpenApiLoadError) return err;
    throw err;
  }
  throw new Error('expected an OpenApiLoadError');
}

const MINIMAL = (extra = ''): string => `openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n${extra}`;

describe('load', () => {
  it('records the line each YAML mapping starts on', () => {
    const root = parseSpecText('a: 1\nb:\n  c:\n    d: 2\n', 'x.yaml') as { b: { c: object } };
    expect(locationOf(root.b.c)).toEqual({ file: 'x.yaml', line: 4 });
  });

  it('records lines in JSON too', () => {
    const root = parseSpecText('{\n  "a": {\n    "b": [\n      {"c": 1}\n    ]\n  }\n}\n', 'x.json') as { a: { b: object[] } };
    expect(locationOf(root.a)).toEqual({ file: 'x.json', line: 2 });
    expect(locationOf(root.a.b[0]!)).toEqual({ file: 'x.json', line: 4 });
  });

  it('keeps YAML dates as strings (x-sunset: 2025-01-01)', () => {
    const root = parseSpecText('x-sunset: 2025-01-01\n', 'x.yaml') as Record<string, unknown>;
    expect(root['x-sunset']).toBe('2025-01-01');
  });

  it('YAML merge keys (<<: *anchor) merge, keys written beside them win, and a quoted "<<" is an ordinary key', () => {
    const root = parseSpecText('base: &b {in: query, required: false, name: x}\np:\n  <<: *b\n  name: customer\nq: {"<<": 1}\n', 'x.yaml') as Record<string, unknown>;
    expect(root['p']).toEqual({ in: 'query', required: false, name: 'customer' });
    expect(root['q']).toEqual({ '<<': 1 });
  });

  it('a parameter written with a merge key is diffed like the same parameter written out (a real breaking change is found)', () => {
    const spec = (required: boolean): string =>
      `openapi: 3.0.3\ninfo: {title: t, version: '1'}\nx-defs:\n  idParam: &idParam\n    in: query\n    required: ${required}\n    schema: {type: string}\n` +
      `paths:\n  /orders:\n    get:\n      parameters:\n        - <<: *idParam\n          name: customer\n      responses:\n        '200': {description: ok}\n`;
    const changes = diffOpenApi(write('merge-base.yaml', spec(false)), write('merge-revision.yaml', spec(true)));
    expect(changes.map((c) => [c.id, c.level])).toEqual([['request-parameter-became-required', 'ERR']]);
  });

  it('bad YAML is one line naming file and line', () => {
    const file = write('bad.yaml', 'openapi: 3.0.3\ninfo:\n  title: [unclosed\n  version: 1\npaths: {}\n');
    const err = loadError(() => loadSpec(file));
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: invalid YAML`));
    expect(err.message).not.toContain('\n');
  });

  it('bad JSON names the line', () => {
    const file = write('bad.json', '{\n  "openapi": "3.0.3",\n  "info": {"title": "t" "version": "1"}\n}\n');
    const err = loadError(() => loadSpec(file));
    expect(err.message).toBe(`${file}:3: invalid JSON: expected ',' or '}', found character "\\""`);
  });

  it('a missing file, and a document that is not OpenAPI 3', () => {
    expect(loadError(() => loadSpec(join(dir, 'nope.yaml'))).message).toBe(`${join(dir, 'nope.yaml')}: no such file`);
    const swagger = write('swagger.yaml', 'swagger: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n');
    expect(loadError(() => loadSpec(swagger)).message).toBe(`${swagger}:1: Swagger 2.0 is not supported, only OpenAPI 3.0 and 3.1`);
  });

  it('a $ref that goes nowhere is an error at the line of the reference', () => {
    const file = write(
      'dangling.yaml',
      MINIMAL().replace(
        'paths: {}\n',
        "paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Missing'\n",
      ),
    );
    const err = loadError(() => diffOpenApi(file, file));
    expect(err.message).toBe(`${file}:12: cannot resolve $ref "#/components/schemas/Missing": no "components" there`);
  });
});

describe('every $ref is checked up front, as oasdiff loads a spec', () => {
  const empty = (): string => write('empty.yaml', MINIMAL());

  it('a dangling $ref in an endpoint only the revision has, or in a component nothing uses, is an input error', () => {
    const added = write(
      'added-endpoint.yaml',
      MINIMAL().replace('paths: {}\n', "paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Nope'}\n"),
    );
    expect(loadError(() => diffOpenApi(empty(), added)).message).toBe(`${added}:11: cannot resolve $ref "#/components/schemas/Nope": no "components" there`);
    const unused = write('unused-component.yaml', MINIMAL('components:\n  schemas:\n    Pet:\n      type: object\n      properties:\n        owner: {$ref: "#/components/schemas/Owner"}\n'));
    expect(loadError(() => diffOpenApi(unused, empty())).message).toBe(`${unused}:9: cannot resolve $ref "#/components/schemas/Owner": no "Owner" there`);
    const otherFile = write('other-file.yaml', MINIMAL('components:\n  schemas:\n    Pet: {$ref: "./missing.yaml#/Pet"}\n'));
    expect(loadError(() => diffOpenApi(empty(), otherFile)).message).toMatch(new RegExp(`^${otherFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: cannot resolve \\$ref "\\./missing\\.yaml#/Pet": .*missing\\.yaml: no such file$`));
  });

  it('a $ref key in data (examples, defaults, enums, extensions) or a property named $ref is not a reference', () => {
    const data = write(
      'data.yaml',
      MINIMAL(
        [
          'components:',
          '  schemas:',
          '    Doc:',
          '      type: object',
          '      properties:',
          '        $ref: {type: string}',
          '      example: {$ref: "#/nowhere"}',
          '      default: {$ref: "#/nowhere"}',
          '      enum: [{$ref: "#/nowhere"}]',
          '      x-note: {$ref: "#/nowhere"}',
          '  examples:',
          '    Sample:',
          '      value: {$ref: "#/nowhere"}',
          '',
        ].join('\n'),
      ),
    );
    expect(diffOpenApi(data, data)).toEqual([]);
  });

  it('a YAML alias that makes the document cyclic is walked without looping', () => {
    const cyclic = write('cyclic.yaml', MINIMAL('components:\n  schemas:\n    A: &a\n      type: object\n      properties:\n        self: *a\n'));
    expect(diffOpenApi(cyclic, cyclic)).toEqual([]);
  });

  it('an unquoted openapi version says to quote it', () => {
    const number = write('number.yaml', "openapi: 3.0\ninfo: {title: t, version: '1'}\npaths: {}\n");
    expect(loadError(() => loadSpec(number)).message).toBe(`${number}:1: "openapi" must be a string such as "3.0.3", got a number: quote it (YAML reads an unquoted 3.0 as a number)`);
  });
});

describe('resolve', () => {
  const pathSpec = (schemaRef: string, extra = ''): string =>
    `openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: '${schemaRef}'\n${extra}`;

  it('follows cross-file references relative to the file that holds them', () => {
    write('x/base.yaml', pathSpec('schemas/pet.yaml#/Pet'));
    write('x/schemas/pet.yaml', 'Pet:\n  type: object\n  required: [name]\n  properties:\n    name: {type: string}\n    owner: {$ref: "owner.yaml"}\n');
    write('x/schemas/owner.yaml', 'type: object\nrequired: [email]\nproperties:\n  email: {type: string}\n');
    write('y/revision.yaml', pathSpec('../x/schemas/pet2.yaml#/Pet'));
    write('x/schemas/pet2.yaml', 'Pet:\n  type: object\n  required: [name]\n  properties:\n    name: {type: string}\n    owner: {$ref: "owner2.yaml"}\n');
    write('x/schemas/owner2.yaml', 'type: object\nproperties:\n  email: {type: string}\n');
    const changes = diffOpenApi(join(dir, 'x/base.yaml'), join(dir, 'y/revision.yaml'));
    expect(changes.map((c) => c.id)).toEqual(['response-property-became-optional']);
    expect(changes[0]!.text).toContain("'owner/email'");
  });

  it('decodes JSON-pointer escapes and percent-encoding', () => {
    const extra = "components:\n  schemas:\n    'a/b~c': {type: string}\n    'x y': {type: integer}\n";
    const base = write('esc-base.yaml', pathSpec('#/components/schemas/a~1b~0c', extra));
    const rev = write('esc-rev.yaml', pathSpec('#/components/schemas/x%20y', extra));
    expect(diffOpenApi(base, rev).map((c) => c.id)).toEqual(['response-body-type-changed']);
  });

  it('survives circular schemas, direct and through other files', () => {
    const extra = "components:\n  schemas:\n    Node:\n      type: object\n      properties:\n        next: {$ref: '#/components/schemas/Node'}\n        other: {$ref: 'cycle-other.yaml#/Other'}\n";
    write('cycle-other.yaml', "Other:\n  type: object\n  properties:\n    back: {$ref: 'cycle.yaml#/components/schemas/Node'}\n");
    const file = write('cycle.yaml', pathSpec('#/components/schemas/Node', extra));
    expect(diffOpenApi(file, file)).toEqual([]);
  });

  it('a reference chain that only points at itself is an error, not a hang', () => {
    const extra = "components:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n";
    const file = write('selfref.yaml', pathSpec('#/components/schemas/A', extra));
    expect(loadError(() => diffOpenApi(file, file)).message).toMatch(/circular \$ref/);
  });
});

describe('recursive schemas: every operation that reaches a change reports it', () => {
  const ordersAndCustomers = (emailType: string, pathOrder: 'customers first' | 'orders first'): string => {
    const customers = "  /customers/{id}:\n    get:\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Customer'}}}}}\n";
    const orders = "  /orders:\n    get:\n      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/OrderPage'}}}}}\n";
    const paths = pathOrder === 'customers first' ? customers + orders : orders + customers;
    return `openapi: 3.0.3\ninfo: {title: shop, version: 1.0.0}\npaths:\n${paths}components:\n  schemas:\n    OrderPage: {type: object, properties: {items: {type: array, items: {$ref: '#/components/schemas/Order'}}}}\n    Order: {type: object, properties: {id: {type: string}, customer: {$ref: '#/components/schemas/Customer'}}}\n    Customer: {type: object, properties: {email: {type: ${emailType}}, orders: {type: array, items: {$ref: '#/components/schemas/Order'}}}}\n`;
  };
  const typeChanges = (base: string, revision: string): string[] =>
    diffOpenApi(base, revision)
      .filter((c) => c.id === 'response-property-type-changed')
      .map((c) => `${c.operation} ${c.path}: ${c.text}`)
      .sort();

  it('Order -> Customer -> orders[] -> Order: a Customer change is reported for GET /customers/{id} and GET /orders', () => {
    const base = write('shop/base.yaml', ordersAndCustomers('string', 'customers first'));
    const revision = write('shop/revision.yaml', ordersAndCustomers('integer', 'customers first'));
    expect(typeChanges(base, revision)).toEqual([
      "GET /customers/{id}: the type of the property 'email' of the response body (200) changed from 'string' to 'integer'",
      "GET /orders: the type of the property 'items/items/customer/email' of the response body (200) changed from 'string' to 'integer'",
    ]);
  });

  it('the paths in another order give the same changes', () => {
    const changes = (order: 'customers first' | 'orders first'): string[] =>
      typeChanges(write(`shop/${order}/base.yaml`, ordersAndCustomers('string', order)), write(`shop/${order}/revision.yaml`, ordersAndCustomers('integer', order)));
    expect(changes('orders first')).toEqual(changes('customers first'));
    expect(changes('orders first')).toHaveLength(2);
  });

  it('a ring of schemas, one per operation: every operation within reach reports the change, in either path order', () => {
    const size = 120;
    const changed = 60;
    const ring = (nType: (i: number) => string, reversed: boolean): string => {
      const indexes = [...Array(size).keys()];
      const schemas = indexes.map((i) => ({ type: 'object', properties: { n: { type: nType(i) }, next: { $ref: `#/components/schemas/S${(i + 1) % size}` } } }));
      const paths = (reversed ? [...indexes].reverse() : indexes).map((i) => [
        `/r${i}`,
        { get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: `#/components/schemas/S${i}` } } } } } } },
      ]);
      return JSON.stringify({ openapi: '3.0.3', info: { title: 't', version: '1.0.0' }, paths: Object.fromEntries(paths), components: { schemas: Object.fromEntries(schemas.map((s, i) => [`S${i}`, s])) } });
    };
    const reportedPaths = (reversed: boolean): string[] => {
      const base = write(`ring-${reversed}/base.json`, ring(() => 'integer', reversed));
      const revision = write(`ring-${reversed}/revision.json`, ring((i) => (i === changed ? 'string' : 'integer'), reversed));
      return typeChanges(base, revision).map((line) => line.split(':')[0]!);
    };
    const forward = reportedPaths(false);
    expect(reportedPaths(true)).toEqual(forward);
    // Each operation walks the ring from its own schema; those within 90 levels of S60 certainly reach it.
    const near = [...Array(size).keys()].filter((i) => (changed - i + size) % size <= 90).map((i) => `GET /r${i}`);
    expect(near.filter((op) => !forward.includes(op))).toEqual([]);
  });
});

describe('OpenAPI 3.1: keywords beside a schema $ref apply (3.0 ignores them)', () => {
  const coupons = (version: string, coupon: Record<string, unknown>): string =>
    JSON.stringify({
      openapi: version,
      info: { title: 't', version: '1.0.0' },
      paths: { '/orders': { post: { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { coupon } } } } }, responses: { '200': { description: 'ok' } } } } },
      components: { schemas: { Id: { type: 'string', maxLength: 10 } } },
    });
  const ref = { $ref: '#/components/schemas/Id' };
  let n = 0;
  const couponChange = (version: string, before: Record<string, unknown>, after: Record<string, unknown>): Array<[string, string]> => {
    n++;
    const changes = diffOpenApi(write(`siblings-${n}/base.json`, coupons(version, before)), write(`siblings-${n}/revision.json`, coupons(version, after)));
    return changes.filter((c) => c.id !== 'api-version-not-bumped').map((c) => [c.id, c.level]);
  };

  it.each<[string, Record<string, unknown>, string, string]>([
    ['enum', { ...ref, enum: ['A'] }, 'request-property-became-enum', 'ERR'],
    ['a tighter maxLength', { ...ref, maxLength: 5 }, 'request-property-max-length-decreased', 'ERR'],
    ['minLength', { ...ref, minLength: 2 }, 'request-property-min-length-set', 'ERR'],
    ['a format', { ...ref, format: 'uuid' }, 'request-property-type-changed', 'ERR'],
  ])('3.1: %s added beside $ref is reported', (_name, after, id, level) => {
    expect(couponChange('3.1.0', ref, after)).toEqual([[id, level]]);
  });

  it('3.1: removing a sibling is reported too, and a description beside $ref is no change', () => {
    const removed = couponChange('3.1.0', { ...ref, maxLength: 5 }, ref);
    expect(removed).not.toEqual([]);
    expect(removed).toEqual(couponChange('3.1.0', { type: 'string', maxLength: 5 }, { type: 'string', maxLength: 10 }));
    expect(couponChange('3.1.0', ref, { ...ref, description: 'a coupon code' })).toEqual([]);
  });

  it('3.1: a sibling compares like the same keyword written into the target', () => {
    expect(couponChange('3.1.0', ref, { ...ref, enum: ['A'], maxLength: 5 })).toEqual(couponChange('3.1.0', { type: 'string', maxLength: 10 }, { type: 'string', maxLength: 5, enum: ['A'] }));
  });

  it('3.0: keywords beside $ref are ignored, as the 3.0 specification says', () => {
    expect(couponChange('3.0.3', ref, { ...ref, enum: ['A'] })).toEqual([]);
    expect(couponChange('3.0.3', ref, { ...ref, maxLength: 5 })).toEqual([]);
  });

  it('3.1: properties beside an object $ref are added to it; additionalProperties with properties stay an allOf', () => {
    const objects = (version: string, coupon: Record<string, unknown>): string =>
      JSON.stringify({
        openapi: version,
        info: { title: 't', version: '1.0.0' },
        paths: { '/orders': { post: { requestBody: { required: true, content: { 'application/json': { schema: coupon } } }, responses: { '200': { description: 'ok' } } } } },
        components: { schemas: { Base: { type: 'object', properties: { code: { type: 'string' } } } } },
      });
    const base = write('siblings-obj/base.json', objects('3.1.0', { $ref: '#/components/schemas/Base' }));
    const added = write('siblings-obj/added.json', objects('3.1.0', { $ref: '#/components/schemas/Base', required: ['extra'], properties: { extra: { type: 'string' } } }));
    expect(diffOpenApi(base, added).map((c) => c.id).filter((id) => id !== 'api-version-not-bumped')).toEqual(['new-required-request-property']);
    const closed = write('siblings-obj/closed.json', objects('3.1.0', { $ref: '#/components/schemas/Base', additionalProperties: false }));
    expect(diffOpenApi(base, closed).map((c) => c.id)).toContain('request-body-all-of-added');
  });
});
