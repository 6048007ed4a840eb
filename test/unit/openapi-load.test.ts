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
