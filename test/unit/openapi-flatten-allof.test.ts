/**
 * `--flatten-allof`: allOf parts are merged before the diff, as oasdiff's flag does. Equivalent rewrites
 * (`$ref` → `allOf: [$ref]`, a schema split into parts, parts in another file) report nothing; a tightened
 * part is reported with the id the same change has without allOf; what cannot be merged (conflicting types)
 * stays as written and is still reported; recursive schemas and allOfs that contain themselves terminate.
 * Every case is real spec files in a temp dir, diffed through `diffOpenApi` as the CLI does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffOpenApi, type Change } from '../../contracts/openapi';

type Schema = Record<string, unknown>;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'openapi-flatten-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 3.0 spec whose POST /pets takes and returns `#/components/schemas/Pet` (or `body` when given). */
function spec(schemas: Schema, body: Schema = { $ref: '#/components/schemas/Pet' }, version = '3.0.3'): Schema {
  return {
    openapi: version,
    info: { title: 'pets', version: '1.0.0' },
    paths: {
      '/pets': {
        post: {
          requestBody: { required: true, content: { 'application/json': { schema: body } } },
          responses: { '200': { description: 'ok', content: { 'application/json': { schema: body } } } },
        },
      },
    },
    components: { schemas },
  };
}

let n = 0;
function write(name: string, value: Schema): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

function diff(base: Schema, revision: Schema, flattenAllOf: boolean): Change[] {
  const b = write(`base-${++n}.json`, base);
  const r = write(`revision-${n}.json`, revision);
  // The versioning policy adds `api-version-not-bumped` beside any breaking change; not the subject here.
  return diffOpenApi(b, r, { flattenAllOf }).filter((c) => c.id !== 'api-version-not-bumped');
}

const ids = (changes: Change[]): string[] => [...new Set(changes.map((c) => c.id))].sort();

const pet: Schema = {
  type: 'object',
  required: ['id', 'name'],
  properties: {
    id: { type: 'integer', format: 'int64', minimum: 1 },
    name: { type: 'string', maxLength: 50 },
    tag: { type: 'string', enum: ['cat', 'dog', 'fish'] },
  },
};

describe('--flatten-allof', () => {
  it('`$ref: Pet` rewritten as `allOf: [$ref: Pet]` is no change with the flag, and is reported without it', () => {
    const base = spec({ Pet: pet, Owner: { type: 'object', properties: { pet: { $ref: '#/components/schemas/Pet' } } } }, { $ref: '#/components/schemas/Owner' });
    const revision = spec(
      { Pet: pet, Owner: { type: 'object', properties: { pet: { description: 'the pet this owner has', allOf: [{ $ref: '#/components/schemas/Pet' }] } } } },
      { description: 'an owner', allOf: [{ $ref: '#/components/schemas/Owner' }] },
    );
    expect(diff(base, revision, false).some((c) => c.level === 'ERR')).toBe(true);
    expect(diff(base, revision, true)).toEqual([]);
  });

  it('a schema split into allOf parts (a $ref, nested allOf, a property in several parts) that say what it said is no change', () => {
    const named = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 80 } } };
    const split = {
      allOf: [
        { $ref: '#/components/schemas/Named' },
        { allOf: [{ required: ['id'], properties: { id: { type: 'number', format: 'int64' } } }, { properties: { id: { type: 'integer', minimum: 1 } } }] },
        { type: 'object', properties: { name: { maxLength: 50 }, tag: { type: 'string', enum: ['cat', 'dog', 'fish', 'bird'] } } },
        { properties: { tag: { enum: ['fish', 'dog', 'cat'] } } },
      ],
    };
    const base = spec({ Pet: pet });
    const revision = spec({ Pet: split, Named: named });
    expect(diff(base, revision, false).length).toBeGreaterThan(0);
    expect(diff(base, revision, true)).toEqual([]);
  });

  it('a part that tightens is reported with the id the same change has without allOf; a looser part breaks nothing', () => {
    const base = spec({ Pet: pet });
    const tightenedParts = spec({
      Pet: { allOf: [{ $ref: '#/components/schemas/Base' }, { required: ['tag'] }, { properties: { name: { maxLength: 40 } } }] },
      Base: pet,
    });
    const tightenedFlat = spec({ Pet: { ...pet, required: ['id', 'name', 'tag'], properties: { ...(pet.properties as Schema), name: { type: 'string', maxLength: 40 } } } });
    const viaParts = diff(base, tightenedParts, true);
    expect(ids(viaParts)).toEqual(ids(diff(base, tightenedFlat, false)));
    expect(ids(viaParts)).toEqual(expect.arrayContaining(['request-property-became-required', 'request-property-max-length-decreased']));
    expect(viaParts.find((c) => c.id === 'request-property-max-length-decreased')!.text).toContain("'name'");

    const loosenedParts = spec({ Pet: { allOf: [{ $ref: '#/components/schemas/Base' }, { properties: { name: { maxLength: 50 } } }] }, Base: { ...pet, properties: { ...(pet.properties as Schema), name: { type: 'string', maxLength: 100 } } } });
    const loosenedFlat = spec({ Pet: { ...pet, properties: { ...(pet.properties as Schema), name: { type: 'string', maxLength: 100 } } } });
    // The stricter bound of the parts wins: 50, as before.
    expect(diff(base, loosenedParts, true)).toEqual([]);
    const request = spec({ Pet: pet }, { allOf: [{ $ref: '#/components/schemas/Pet' }, { properties: { name: { maxLength: 100 } } }] });
    expect(diff(base, request, true)).toEqual([]);
    expect(ids(diff(base, loosenedFlat, true))).toEqual(ids(diff(base, loosenedFlat, false)));
  });

  it("OpenAPI 3.0's nullable reference (`nullable: true` beside `allOf: [$ref]`) stays nullable", () => {
    const base = spec({ Pet: pet });
    const revision = spec({ Pet: pet }, { nullable: true, allOf: [{ $ref: '#/components/schemas/Pet' }] });
    expect(ids(diff(base, revision, true))).toContain('response-body-became-nullable');
    expect(ids(diff(base, revision, true))).toEqual(ids(diff(base, spec({ Pet: pet }, { ...pet, nullable: true }), false)));
  });

  it('parts with conflicting types keep the allOf as written: reported, never passed as unchanged', () => {
    const base = spec({ Pet: pet });
    const conflicting = spec({ Pet: { ...pet, properties: { ...(pet.properties as Schema), name: { allOf: [{ type: 'string', maxLength: 50 }, { type: 'integer' }] } } } });
    const flattened = diff(base, conflicting, true);
    expect(flattened.some((c) => c.level === 'ERR')).toBe(true);
    expect(ids(flattened)).toEqual(ids(diff(base, conflicting, false)));
  });

  it('`additionalProperties: false` in one part still forbids what only the other parts declare', () => {
    const base = spec({ Pet: { type: 'object', properties: { name: { type: 'string' }, tag: { type: 'string' } } } });
    const revision = spec({ Pet: { allOf: [{ type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false }, { properties: { tag: { type: 'string' } } }] } });
    const flat = spec({ Pet: { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false } });
    expect(ids(diff(base, revision, true))).toEqual(ids(diff(base, flat, false)));
    expect(ids(diff(base, revision, true))).toContain('request-property-removed');
  });

  it('a recursive schema under allOf, and an allOf that contains itself, terminate; a change inside is reported', () => {
    const node = (maxLength: number): Schema => ({ type: 'object', properties: { id: { type: 'string', maxLength }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } } });
    const nodeParts = (maxLength: number): Schema => ({
      Node: { allOf: [{ $ref: '#/components/schemas/Base' }, { properties: { children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } } }] },
      Base: { type: 'object', properties: { id: { type: 'string', maxLength } } },
      Loop: { allOf: [{ $ref: '#/components/schemas/Back' }, { properties: { next: { $ref: '#/components/schemas/Loop' } } }] },
      Back: { allOf: [{ $ref: '#/components/schemas/Loop' }] },
    });
    const body = { type: 'object', properties: { tree: { $ref: '#/components/schemas/Node' }, loop: { $ref: '#/components/schemas/Loop' } } };
    const flat = { Node: node(20), Loop: nodeParts(20).Loop, Back: nodeParts(20).Back };
    expect(diff(spec(flat, body), spec(nodeParts(20), body), true)).toEqual([]);
    const tightened = diff(spec(flat, body), spec(nodeParts(10), body), true);
    expect(ids(tightened)).toEqual(ids(diff(spec(flat, body), spec({ ...flat, Node: node(10) }, body), false)));
    expect(ids(tightened)).toContain('request-property-max-length-decreased');
  });

  it('a recursive property declared in two parts terminates (each merge of the same parts is one schema)', () => {
    const twice = (maxLength: number): Schema => ({
      Twice: { allOf: [{ properties: { next: { $ref: '#/components/schemas/Twice' } } }, { type: 'object', properties: { next: { $ref: '#/components/schemas/Twice' }, id: { type: 'string', maxLength } } }] },
    });
    const flat = (maxLength: number): Schema => ({ Twice: { type: 'object', properties: { next: { $ref: '#/components/schemas/Twice' }, id: { type: 'string', maxLength } } } });
    const body = { $ref: '#/components/schemas/Twice' };
    expect(diff(spec(flat(20), body), spec(twice(20), body), true)).toEqual([]);
    expect(ids(diff(spec(flat(20), body), spec(twice(10), body), true))).toEqual(ids(diff(spec(flat(20), body), spec(flat(10), body), false)));
  });

  it('parts in another file resolve their own $refs against that file', () => {
    write('common.json', {
      components: {
        schemas: {
          Named: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, owner: { $ref: '#/components/schemas/Person' }, vet: { $ref: '#/components/schemas/Person' } } },
          Person: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } },
        },
      },
    });
    const base = spec({}, { type: 'object', required: ['name'], properties: { name: { type: 'string' }, owner: { $ref: 'common.json#/components/schemas/Person' }, vet: { $ref: 'common.json#/components/schemas/Person' }, age: { type: 'integer' } } });
    const revision = spec({}, { allOf: [{ $ref: 'common.json#/components/schemas/Named' }, { properties: { age: { type: 'integer' }, owner: { description: 'who feeds it' } } }] });
    expect(diff(base, revision, true)).toEqual([]);
    const shorterVetEmail = { allOf: [{ $ref: 'common.json#/components/schemas/Named' }, { properties: { age: { type: 'integer' }, vet: { properties: { email: { maxLength: 100 } } } } }] };
    expect(ids(diff(base, spec({}, shorterVetEmail), true))).toContain('request-property-max-length-set');
  });

  it('in OpenAPI 3.1, type lists intersect and keywords beside $ref are one more part', () => {
    const base = spec({ Pet: pet }, { $ref: '#/components/schemas/Pet' }, '3.1.0');
    const revision = spec({ Pet: pet }, { allOf: [{ $ref: '#/components/schemas/Pet' }, { type: ['object', 'null'] }] }, '3.1.0');
    expect(diff(base, revision, true)).toEqual([]);
  });
});
