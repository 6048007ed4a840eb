/** The command module: output per format, exit codes for --fail-on, exit 2 for unreadable input, the oasdiff engine. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { openApiDiffCommand, type OpenApiDiffArgs } from '../../cli/commands/contracts/openapi-diff';
import { CliError } from '../../cli/output';
import { mapOasdiffJson, findOasdiff, diffWithOasdiff, OasdiffNotFoundError } from '../../contracts/openapi/oasdiff-engine';

const FIX = join(__dirname, '..', 'fixtures', 'openapi');
const pair = (name: string): Pick<OpenApiDiffArgs, 'base' | 'revision'> => ({ base: join(FIX, name, 'base.yaml'), revision: join(FIX, name, 'revision.yaml') });

function run(args: Partial<OpenApiDiffArgs>): { out: string; code: number } {
  const writes: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  const before = process.exitCode;
  try {
    const full = { format: 'text', engine: 'native', deprecationDaysBeta: 0, deprecationDaysStable: 0, ...args } as OpenApiDiffArgs;
    (openApiDiffCommand.handler as (a: OpenApiDiffArgs) => void)(full);
    return { out: writes.join(''), code: Number(process.exitCode ?? 0) };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

describe('openapi-diff command', () => {
  it('is the yargs command `openapi-diff <base> <revision>`', () => {
    expect(openApiDiffCommand.command).toBe('openapi-diff <base> <revision>');
  });

  it('--fail-on ERR exits 1 on a breaking change, 0 without --fail-on', () => {
    expect(run({ ...pair('response-property-became-optional'), failOn: 'ERR' }).code).toBe(1);
    expect(run({ ...pair('response-property-became-optional') }).code).toBe(0);
  });

  it('--fail-on takes the level in any case, as events-diff and oasdiff do', async () => {
    const before = process.exitCode;
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const { base, revision } = pair('response-property-became-optional');
      await yargs(['openapi-diff', base, revision, '--fail-on', 'err'])
        .command(openApiDiffCommand)
        .strict()
        .fail((message, err) => {
          throw err ?? new Error(message);
        })
        .parseAsync();
      expect(process.exitCode).toBe(1);
    } finally {
      write.mockRestore();
      process.exitCode = before;
    }
  });

  it('--fail-on ERR exits 0 when only warnings; --fail-on WARN exits 1 then', () => {
    expect(run({ ...pair('param-pattern-changed'), failOn: 'ERR' }).code).toBe(0);
    expect(run({ ...pair('param-pattern-changed'), failOn: 'WARN' }).code).toBe(1);
    expect(run({ ...pair('no-changes'), failOn: 'WARN' }).code).toBe(0);
  });

  it('prints JSON as {"changes": [...]}; --json is --format json', () => {
    const { out } = run({ ...pair('param-max-decreased'), format: 'json' });
    expect(run({ ...pair('param-max-decreased'), json: true }).out).toBe(out);
    const parsed = JSON.parse(out) as { changes: Array<Record<string, string>> };
    expect(parsed.changes).toHaveLength(2);
    expect(parsed.changes[0]).toMatchObject({ id: 'request-parameter-max-decreased', level: 'ERR', operation: 'GET', path: '/pets' });
    expect(parsed.changes[0]!.source).toMatch(/param-max-decreased\/revision\.yaml:\d+$/);
    // Both specs say 1.0.0: the versioning policy's notice, outside any operation, pointing at `info`.
    expect(parsed.changes[1]).toEqual({
      id: 'api-version-not-bumped',
      level: 'INFO',
      operation: '',
      path: '',
      source: expect.stringMatching(/param-max-decreased\/revision\.yaml:\d+$/),
      text: "a breaking change was detected but the version was not bumped, still '1.0.0'",
    });
  });

  it('object keys written in another order are no change: const, default, enum, x-extensible-enum, example, allOf parts', () => {
    for (const flattenAllof of [false, true]) {
      const { out, code } = run({ ...pair('key-order-only'), failOn: 'ERR', json: true, flattenAllof });
      expect(JSON.parse(out)).toEqual({ changes: [] });
      expect(code).toBe(0);
    }
  });

  it('a value changed deep inside a reordered object is reported, once per value, with the rule oasdiff names', () => {
    const { out, code } = run({ ...pair('nested-value-changed'), failOn: 'ERR', json: true });
    expect(code).toBe(1);
    const changes = (JSON.parse(out) as { changes: Array<{ id: string; level: string; text: string }> }).changes;
    expect(changes.map((c) => [c.id, c.level]).sort()).toEqual(
      [
        ['api-version-not-bumped', 'INFO'],
        ['request-property-const-changed', 'ERR'],
        ['request-property-default-value-changed', 'INFO'],
        ['response-property-enum-value-added', 'WARN'],
        ['response-property-enum-value-removed', 'INFO'],
      ].sort(),
    );
    // The enum member only reordered ({color: blue, …}) is neither added nor removed.
    expect(changes.filter((c) => c.text.includes('blue'))).toEqual([]);
    expect(changes.find((c) => c.id === 'response-property-enum-value-removed')?.text).toContain('\'{"color":"red","stroke":{"width":1}}\'');
  });

  it('prints GitHub annotations', () => {
    const { out } = run({ ...pair('param-max-decreased'), format: 'githubactions' });
    expect(out).toMatch(/^::error file=.*revision\.yaml,line=\d+,title=request-parameter-max-decreased::GET \/pets: /);
  });

  it('--flatten-allof merges allOf parts first: `$ref: Pet` → `allOf: [$ref: Pet]` is no change; --help lists it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-cmd-'));
    const parse = async (argv: string[]): Promise<{ out: string; code: number }> => {
      const before = process.exitCode;
      const writes: string[] = [];
      const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk));
        return true;
      });
      try {
        await yargs(argv).command(openApiDiffCommand).strict().fail((message, err) => {
          throw err ?? new Error(message);
        }).parseAsync();
        return { out: writes.join(''), code: Number(process.exitCode ?? 0) };
      } finally {
        write.mockRestore();
        process.exitCode = before;
      }
    };
    try {
      const doc = (schema: string): string =>
        ['openapi: 3.0.3', 'info: {title: t, version: 1.0.0}', 'paths:', '  /pets:', '    post:', '      requestBody:', '        content:', '          application/json:', `            schema: ${schema}`, '      responses:', "        '200': {description: ok}", 'components:', '  schemas:', '    Pet: {type: object, required: [name], properties: {name: {type: string}}}', ''].join('\n');
      const base = join(dir, 'base.yaml');
      const revision = join(dir, 'revision.yaml');
      writeFileSync(base, doc("{$ref: '#/components/schemas/Pet'}"));
      writeFileSync(revision, doc("{description: a pet, allOf: [{$ref: '#/components/schemas/Pet'}]}"));
      expect((await parse(['openapi-diff', base, revision, '--fail-on', 'ERR'])).code).toBe(1);
      const flattened = await parse(['openapi-diff', base, revision, '--flatten-allof', '--fail-on', 'ERR', '--json']);
      expect(flattened.code).toBe(0);
      expect(JSON.parse(flattened.out)).toEqual({ changes: [] });
      const help = await new Promise<string>((resolve) => {
        void yargs().command(openApiDiffCommand).exitProcess(false).parse(['openapi-diff', '--help'], {}, (_err, _argv, output) => resolve(output));
      });
      expect(help).toMatch(/--flatten-allof\s+Merge subschemas under allOf before diff/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unreadable input is a CliError with exit code 2 naming file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-cmd-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'openapi: 3.0.3\npaths:\n  /a: [\n');
      let caught: unknown;
      try {
        run({ base: bad, revision: bad });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CliError);
      expect((caught as CliError).exitCode).toBe(2);
      expect((caught as CliError).message).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: invalid YAML`));
      let missing: unknown;
      try {
        run({ base: join(dir, 'absent.yaml'), revision: bad });
      } catch (err) {
        missing = err;
      }
      expect((missing as CliError).exitCode).toBe(2);
      expect((missing as CliError).message).toBe(`${join(dir, 'absent.yaml')}: no such file`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('oasdiff engine', () => {
  it('maps oasdiff JSON (numeric levels) to our changes', () => {
    const mapped = mapOasdiffJson(
      [
        { id: 'response-property-became-optional', text: 'the `name` response property became optional for the status `200`', level: 3, operation: 'GET', operationId: 'getPet', path: '/pets/{petId}', source: 'rev.yaml', section: 'paths' },
        { id: 'endpoint-added', text: 'endpoint added', level: 1, operation: 'POST', path: '/x' },
      ],
      'base.yaml',
      'rev.yaml',
    );
    expect(mapped).toEqual([
      { id: 'response-property-became-optional', level: 'ERR', operation: 'GET', path: '/pets/{petId}', source: 'rev.yaml', text: 'the `name` response property became optional for the status `200`' },
      { id: 'endpoint-added', level: 'INFO', operation: 'POST', path: '/x', source: 'rev.yaml', text: 'endpoint added' },
    ]);
  });

  it('finds oasdiff on PATH and runs `changelog --format json`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-oasdiff-'));
    try {
      const fake = join(dir, 'oasdiff');
      writeFileSync(fake, `#!/bin/sh\necho "$@" > "${dir}/args"\necho '[{"id":"api-path-removed-without-deprecation","text":"api path removed without deprecation","level":3,"operation":"GET","path":"/a","source":"b.yaml"}]'\n`);
      chmodSync(fake, 0o755);
      const env = { ...process.env, PATH: `${dir}` };
      expect(findOasdiff(env)).toEqual({ command: fake, prefix: [] });
      const changes = diffWithOasdiff('b.yaml', 'r.yaml', {}, env);
      expect(changes).toEqual([{ id: 'api-path-removed-without-deprecation', level: 'ERR', operation: 'GET', path: '/a', source: 'b.yaml', text: 'api path removed without deprecation' }]);
      expect(readFileSync(join(dir, 'args'), 'utf8').trim()).toBe('changelog b.yaml r.yaml --format json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes --flatten-allof on to oasdiff', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-oasdiff-'));
    try {
      const fake = join(dir, 'oasdiff');
      writeFileSync(fake, `#!/bin/sh\necho "$@" > "${dir}/args"\necho '[]'\n`);
      chmodSync(fake, 0o755);
      expect(diffWithOasdiff('b.yaml', 'r.yaml', { flattenAllOf: true }, { ...process.env, PATH: dir })).toEqual([]);
      expect(readFileSync(join(dir, 'args'), 'utf8').trim()).toBe('changelog b.yaml r.yaml --format json --flatten-allof');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without oasdiff, a one-line error says how to get it', () => {
    const env = { ...process.env, PATH: join(tmpdir(), 'definitely-not-a-bin-dir') };
    expect(() => diffWithOasdiff('b.yaml', 'r.yaml', {}, env)).toThrow(OasdiffNotFoundError);
    try {
      diffWithOasdiff('b.yaml', 'r.yaml', {}, env);
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
      expect((err as Error).message).toMatch(/oasdiff not found on PATH or through npx; install it/);
    }
  });
});
