import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { eventsDiffCommand, eventsValidateCommand, readCompatibilityFlag } from '../../cli/commands/contracts/events';
import { CliError } from '../../cli/output';
import { tempDir } from '../helpers/proxy-process';

const FIXTURES = join(__dirname, '../fixtures/events');
const rule = (name: string, side: 'base' | 'revision'): string => join(FIXTURES, 'rules', name, `${side}.json`);

interface Run {
  exitCode: number;
  stdout: string;
  error?: CliError;
}

/** Parses argv with the two commands (as `strangler contracts` will) and runs the handler. */
async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await yargs(argv)
      .command(eventsDiffCommand)
      .command(eventsValidateCommand)
      .strict()
      .fail((message, err) => {
        // As cli/main.ts does: a coerce that refused a value (yargs wraps it in a YError) is a usage error, exit 2.
        if (err?.name === 'YError') throw new CliError(message, 2);
        throw err ?? new Error(message);
      })
      .parseAsync();
    return { exitCode: Number(process.exitCode ?? 0), stdout };
  } catch (err) {
    if (err instanceof CliError) return { exitCode: err.exitCode, stdout, error: err };
    throw err;
  } finally {
    write.mockRestore();
    process.exitCode = undefined;
  }
}

describe('strangler contracts events-diff', () => {
  test('a breaking change exits 1', async () => {
    const result = await run('events-diff', rule('property-removed', 'base'), rule('property-removed', 'revision'));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('ERR    event-property-removed  order-placed v1  $.customer.email  property "email" was removed');
  });

  test('a warning exits 0, or 1 with --fail-on WARN (any case)', async () => {
    const args = ['events-diff', rule('enum-value-added', 'base'), rule('enum-value-added', 'revision')];
    expect((await run(...args)).exitCode).toBe(0);
    expect((await run(...args, '--fail-on', 'WARN')).exitCode).toBe(1);
    expect((await run(...args, '--fail-on', 'warn')).exitCode).toBe(1);
  });

  test('only additions exit 0, also with --fail-on WARN', async () => {
    const dir = join(FIXTURES, 'compatible/optional-property-added');
    const result = await run('events-diff', join(dir, 'base.json'), join(dir, 'revision.json'), '--fail-on', 'WARN', '--format', 'json');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).changes.map((c: { id: string }) => c.id)).toEqual(['event-optional-property-added', 'event-optional-property-added']);
  });

  test('directories, as markdown', async () => {
    const result = await run('events-diff', join(FIXTURES, 'dirs/base'), join(FIXTURES, 'dirs/revision'), '--format', 'markdown');
    expect(result.exitCode).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe('### Event contracts: ❌ 2 breaking changes');
    expect(result.stdout).toContain('| ❌ ERR | `payment-captured` v1 | `$` |');
    expect(result.stdout).toContain('| ❌ ERR | `order-placed` v2 | `$.channel` |');
    // A new version is its own contract unless --compare-versions: v3 dropping fields is no breaking change here...
    expect(result.stdout).not.toContain('v2 → v3');
    // ...and is one as a registry subject would see it.
    const compared = await run('events-diff', join(FIXTURES, 'dirs/base'), join(FIXTURES, 'dirs/revision'), '--format', 'markdown', '--compare-versions');
    expect(compared.stdout.split('\n')[0]).toBe('### Event contracts: ❌ 4 breaking changes');
    expect(compared.stdout).toContain('| ❌ ERR | `order-placed` v2 → v3 | `$.total` | property "total" was removed |');
  });

  test('--json is --format json', async () => {
    const result = await run('events-diff', rule('const-removed', 'base'), rule('const-removed', 'revision'), '--json');
    expect(JSON.parse(result.stdout)).toEqual({
      changes: [{ id: 'event-const-removed', level: 'WARN', event: 'order-placed', version: 1, path: '$.type', text: 'const "order.placed" was removed: any value may appear now' }],
    });
  });

  test('unreadable input exits 2 with a one-line error naming the file and line', async () => {
    const broken = join(FIXTURES, 'bad/trailing-comma.json');
    const result = await run('events-diff', broken, rule('property-removed', 'revision'));
    expect(result.exitCode).toBe(2);
    expect(result.error!.message).toBe(`${broken}:5:3: invalid JSON: expected a double-quoted property name, got '}'`);
    expect(result.stdout).toBe('');

    const remote = join(FIXTURES, 'bad/remote-ref.json');
    expect((await run('events-diff', remote, remote)).exitCode).toBe(2);
    expect((await run('events-diff', join(FIXTURES, 'nope'), remote)).error!.message).toBe(`${join(FIXTURES, 'nope')}: cannot read: no such file or directory`);
  });

  test('a schema that is not valid is an input error on either side, even where nothing changed, not a change', async () => {
    const good = rule('property-removed', 'base');
    const invalid = join(FIXTURES, 'bad/invalid-schema.json');
    const draft04 = join(FIXTURES, 'bad/unknown-dialect.json');
    const cases: Array<[string, string, string]> = [
      [good, invalid, `${invalid}: invalid schema at #/properties/id/type: must be equal to one of the allowed values`],
      [invalid, good, `${invalid}: invalid schema at #/properties/id/type: must be equal to one of the allowed values`],
      [draft04, draft04, `${draft04}: $schema "http://json-schema.org/draft-04/schema#" is not supported: use draft-07 or 2020-12 (also draft-06, 2019-09)`],
    ];
    for (const [base, revision, message] of cases) {
      const result = await run('events-diff', base, revision);
      expect([result.exitCode, result.error?.message, result.stdout]).toEqual([2, message, '']);
    }
    // A dangling $ref in a property the revision adds: the walk meets it while checking the addition.
    const dir = tempDir('strangler-events-');
    try {
      const body = (extra: Record<string, unknown>) => JSON.stringify({ title: 'order-placed', type: 'object', properties: { id: { type: 'string' }, ...extra } });
      writeFileSync(join(dir.path, 'base.json'), body({}));
      writeFileSync(join(dir.path, 'revision.json'), body({ note: { $ref: '#/definitions/Nope' } }));
      const result = await run('events-diff', join(dir.path, 'base.json'), join(dir.path, 'revision.json'));
      expect(result.exitCode).toBe(2);
      expect(result.error!.message).toBe(`${join(dir.path, 'revision.json')}: $ref "#/definitions/Nope" at $.note does not resolve to a schema`);
      expect(result.stdout).toBe('');
    } finally {
      dir.remove();
    }
  });

  test('a bad --fail-on or --format is refused by the parser', async () => {
    const args = ['events-diff', rule('property-removed', 'base'), rule('property-removed', 'revision')];
    await expect(run(...args, '--fail-on', 'INFO')).rejects.toThrow(/Invalid values/);
    await expect(run(...args, '--format', 'html')).rejects.toThrow(/Invalid values/);
  });

  test('--compatibility (any case) decides what fails the gate, and the output names it', async () => {
    const args = ['events-diff', rule('property-removed', 'base'), rule('property-removed', 'revision')];
    // A removed property breaks consumers on the old schema (forward), not replay (backward).
    const backward = await run(...args, '--compatibility', 'backward', '--json');
    expect(backward.exitCode).toBe(0);
    expect(JSON.parse(backward.stdout)).toEqual({
      compatibility: 'BACKWARD',
      changes: [
        {
          id: 'event-property-removed',
          level: 'INFO',
          event: 'order-placed',
          version: 1,
          path: '$.customer.email',
          text: 'property "email" was removed (not checked under BACKWARD: breaks forward compatibility only)',
          ruleLevel: 'ERR',
          breaks: ['forward'],
        },
      ],
    });
    const forward = await run(...args, '--compatibility', 'Forward');
    expect(forward.exitCode).toBe(1);
    expect(forward.stdout.trimEnd().split('\n').pop()).toBe('1 change: 1 ERR, 0 WARN, 0 INFO (compatibility: FORWARD)');
    expect((await run(...args, '--compatibility', 'NONE', '--fail-on', 'WARN')).exitCode).toBe(0);
    expect((await run(...args, '--compatibility', 'full_transitive')).exitCode).toBe(1);
    const markdown = await run(...args, '--compatibility', 'BACKWARD', '--format', 'markdown');
    expect(markdown.stdout.split('\n')[0]).toBe('### Event contracts (BACKWARD): ✅ no breaking changes');
    // Named explicitly, the default is shown too; JSON readers can rely on the key that way.
    expect(JSON.parse((await run(...args, '--compatibility', 'FULL', '--json')).stdout).compatibility).toBe('FULL');
  });

  test('--compare-versions: a new version is checked against the previous one, exit 1, and the location names both versions', async () => {
    const versions = (name: string, side: string): string => join(FIXTURES, 'versions', name, side);
    // Without it a new version is its own contract: breaking it is how a breaking change is made.
    expect((await run('events-diff', versions('new-version-breaks', 'base'), versions('new-version-breaks', 'revision'))).exitCode).toBe(0);
    const result = await run('events-diff', versions('new-version-breaks', 'base'), versions('new-version-breaks', 'revision'), '--compare-versions');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('ERR    event-property-type-changed  order-placed v1 → v2  $.orderId');
    expect(result.stdout).toContain('ERR    event-property-removed       order-placed v1 → v2  $.amount   property "amount" was removed');
    const json = JSON.parse((await run('events-diff', versions('new-version-breaks', 'base'), versions('new-version-breaks', 'revision'), '--json', '--compare-versions')).stdout);
    expect(json.changes[2]).toMatchObject({ id: 'event-property-removed', event: 'order-placed', version: 2, previousVersion: 1, path: '$.amount' });

    // v3 passes against v2, fails against v1: only the _TRANSITIVE modes compare it with v1.
    const transitive = [versions('transitive', 'base'), versions('transitive', 'revision'), '--compare-versions'];
    expect((await run('events-diff', ...transitive)).exitCode).toBe(0);
    expect((await run('events-diff', ...transitive, '--compatibility', 'BACKWARD')).exitCode).toBe(0);
    const all = await run('events-diff', ...transitive, '--compatibility', 'BACKWARD_TRANSITIVE', '--format', 'markdown');
    expect(all.exitCode).toBe(1);
    expect(all.stdout).toContain('| ❌ ERR | `order-placed` v1 → v3 | `$.amount` | minimum 0 was added: old events may no longer validate | `event-constraint-tightened` |');
  });

  test('making a property nullable with anyOf passes a BACKWARD gate and fails a FORWARD one, as a type list does', async () => {
    const dir = tempDir('strangler-events-');
    try {
      const write = (name: string, amount: unknown): string => {
        const file = join(dir.path, name);
        writeFileSync(file, JSON.stringify({ title: 'order-placed', type: 'object', required: ['amount'], properties: { amount } }));
        return file;
      };
      const base = write('base.json', { type: 'number', minimum: 0 });
      const revision = write('revision.json', { anyOf: [{ type: 'number', minimum: 0 }, { type: 'null' }] });
      const backward = await run('events-diff', base, revision, '--compatibility', 'BACKWARD');
      expect([backward.exitCode, backward.stdout.trimEnd().split('\n').pop()]).toEqual([0, '2 changes: 0 ERR, 0 WARN, 2 INFO (compatibility: BACKWARD)']);
      expect(backward.stdout).not.toContain('anyOf was added');
      expect((await run('events-diff', base, revision, '--compatibility', 'FORWARD')).exitCode).toBe(1);
    } finally {
      dir.remove();
    }
  });

  test('a bad --compatibility is exit 2 with one line naming the flag and the choices', async () => {
    const args = ['events-diff', rule('property-removed', 'base'), rule('property-removed', 'revision')];
    const choices = 'BACKWARD, FORWARD, FULL, BACKWARD_TRANSITIVE, FORWARD_TRANSITIVE, FULL_TRANSITIVE, NONE (any case)';
    for (const [given, shown] of [
      ['fully', '"fully"'],
      ['', '""'],
    ]) {
      const result = await run(...args, '--compatibility', given!);
      expect([result.exitCode, result.error?.message, result.stdout]).toEqual([2, `--compatibility: must be one of ${choices}, got ${shown}`, '']);
    }
    // Given twice, yargs hands over both.
    const twice = await run(...args, '--compatibility', 'FULL', '--compatibility', 'NONE');
    expect([twice.exitCode, twice.error?.message]).toEqual([2, `--compatibility: must be one of ${choices}, got ["FULL","NONE"]`]);
    // What the coerce throws for cli/main.ts to print: a CliError with exit code 2.
    expect(() => readCompatibilityFlag('fully')).toThrow(expect.objectContaining({ exitCode: 2, message: `--compatibility: must be one of ${choices}, got "fully"` }));
  });

  test('the handler can be called directly', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await eventsDiffCommand.handler({ base: rule('const-changed', 'base'), revision: rule('const-changed', 'revision'), format: 'text', json: undefined, failOn: 'ERR', compatibility: undefined, compareVersions: undefined });
      expect(process.exitCode).toBe(1);
    } finally {
      write.mockRestore();
      process.exitCode = undefined;
    }
  });
});

describe('strangler contracts events-validate', () => {
  const schemas = join(FIXTURES, 'validate/schemas');

  test('all valid exits 0', async () => {
    const result = await run('events-validate', schemas, join(FIXTURES, 'validate/good.json'));
    expect(result).toEqual({ exitCode: 0, stdout: '3 events: all valid\n' });
  });

  test('any failure exits 1', async () => {
    const result = await run('events-validate', schemas, join(FIXTURES, 'validate/events.jsonl'), '--format', 'json');
    expect(result.exitCode).toBe(1);
    const failures = JSON.parse(result.stdout).failures as Array<{ path: string }>;
    expect(failures).toHaveLength(16);
    expect(failures[0]).toEqual({ index: 1, line: 2, event: 'order-placed', version: 1, path: '$.orderId', message: 'must NOT have fewer than 1 characters' });
  });

  test('an unreadable events file or schema exits 2', async () => {
    const broken = join(FIXTURES, 'validate/bad-syntax.jsonl');
    const result = await run('events-validate', schemas, broken);
    expect(result.exitCode).toBe(2);
    expect(result.error!.message).toBe(`${broken}:2:53: invalid JSON: expected a double-quoted property name, got '}'`);

    const invalid = join(FIXTURES, 'bad/invalid-schema.json');
    const bad = await run('events-validate', invalid, join(FIXTURES, 'validate/good.json'));
    expect(bad.exitCode).toBe(2);
    expect(bad.error!.message).toBe(`${invalid}: invalid schema at #/properties/id/type: must be equal to one of the allowed values`);
  });
});
