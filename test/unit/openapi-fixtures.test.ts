/**
 * Every pair in test/fixtures/openapi/<case>/: {base,revision}.{yaml,json} + expected.json
 * (`{"ids": [...], "noErr"?: true, "options"?: {...}}`). The set of reported ids must be exactly the expected
 * set; `noErr` pairs must report nothing at ERR level.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffOpenApi, type DiffOptions } from '../../contracts/openapi';

const ROOT = join(__dirname, '..', 'fixtures', 'openapi');

interface Expected {
  ids: string[];
  noErr?: boolean;
  options?: DiffOptions;
}

const cases = readdirSync(ROOT)
  .filter((name) => existsSync(join(ROOT, name, 'expected.json')))
  .sort();

describe('openapi-diff fixture pairs', () => {
  it('has at least 80 pairs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
  });

  it.each(cases)('%s', (name) => {
    const dir = join(ROOT, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const ext = existsSync(join(dir, 'base.json')) ? 'json' : 'yaml';
    const changes = diffOpenApi(join(dir, `base.${ext}`), join(dir, `revision.${ext}`), expected.options ?? {});
    const ids = [...new Set(changes.map((c) => c.id))].sort();
    expect(ids).toEqual([...expected.ids].sort());
    if (expected.noErr) expect(changes.filter((c) => c.level === 'ERR')).toEqual([]);
  });
});
