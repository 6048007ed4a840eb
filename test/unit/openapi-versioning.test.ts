/**
 * oasdiff's versioning policy (a breaking change needs a major version) and `--severity-levels`, on specs
 * written to a temp dir: each case is a version pair, with or without a breaking change.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDiffCommand, type OpenApiDiffArgs } from '../../cli/commands/contracts/openapi-diff';
import { CliError } from '../../cli/output';
import { diffOpenApi, parseSeverityLevels, SeverityLevelsError, type DiffOptions } from '../../contracts/openapi';
import { parseSemver, versioningViolation } from '../../contracts/openapi/versioning';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'openapi-versioning-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A one-endpoint spec; `maximum` 100 → 50 on a query parameter is request-parameter-max-decreased (ERR). */
function spec(version: string, maximum: number): string {
  return [
    'openapi: 3.0.3',
    'info:',
    '  title: Pets',
    `  version: ${JSON.stringify(version)}`,
    'paths:',
    '  /pets:',
    '    get:',
    '      parameters:',
    '        - { name: limit, in: query, schema: { type: integer, maximum: ' + maximum + ' } }',
    '      responses:',
    "        '200': { description: ok }",
    '',
  ].join('\n');
}

let n = 0;
function pair(baseVersion: string, revisionVersion: string, breaking: boolean): { base: string; revision: string } {
  n++;
  const base = join(dir, `base-${n}.yaml`);
  const revision = join(dir, `revision-${n}.yaml`);
  writeFileSync(base, spec(baseVersion, 100));
  writeFileSync(revision, spec(revisionVersion, breaking ? 50 : 100));
  return { base, revision };
}

function ids(baseVersion: string, revisionVersion: string, breaking = true, options: DiffOptions = {}): string[] {
  const { base, revision } = pair(baseVersion, revisionVersion, breaking);
  return diffOpenApi(base, revision, options).map((c) => c.id);
}

describe('versioning policy: a breaking change requires a major version increase', () => {
  test.each([
    ['1.0.0', '1.0.0', 'api-version-not-bumped'],
    ['v1.2.3', 'v1.2.3', 'api-version-not-bumped'],
    ['2.0.0', '1.9.9', 'api-version-decreased'],
    ['1.2.3', '1.2.3-rc.1', 'api-version-decreased'],
    ['1.0.0-rc.2', '1.0.0-rc.1', 'api-version-decreased'],
    ['1.0.0-rc.1', '0.9.0', 'api-version-decreased'],
    ['1.0.0-beta.11', '1.0.0-beta.2', 'api-version-decreased'],
    ['1.0.0', 'v1.0.0', 'api-version-not-bumped'],
    ['1.0.0+build.1', '1.0.0+build.2', 'api-version-not-bumped'],
    ['1.0.0', '1.1.0', 'api-major-version-not-bumped'],
    ['1.0.0', '1.0.1', 'api-major-version-not-bumped'],
    ['0.1.0', '0.1.1', 'api-major-version-not-bumped'],
  ])('%s → %s with a breaking change: %s', (from, to, id) => {
    expect(ids(from, to)).toEqual(['request-parameter-max-decreased', id]);
  });

  test.each([
    ['1.0.0', '2.0.0', 'a major bump'],
    ['1.4.2', '2.0.0-rc.1+build.7', 'a major bump to a prerelease'],
    ['0.1.0', '0.2.0', 'below 1.0.0, a minor bump'],
    ['0.9.0', '1.0.0', '0.x to 1.0.0'],
    ['1.0.0-rc.1', '1.0.0', 'a release after its prerelease (which promised nothing)'],
    ['1.0.0-alpha', '1.0.0-beta', 'a later prerelease'],
    ['1.0.0-beta.2', '1.0.0-beta.11', 'prerelease numbers compare as numbers'],
    ['2026-06-01', '2026-06-01', 'a date is not a semantic version'],
    ['v1', 'v1', 'a bare v1 is not a semantic version'],
    ['1.0', '1.0', 'two numbers are not a semantic version'],
    ['1.0.0', 'next', 'one side is not a semantic version'],
  ])('%s → %s (%s): nothing to say', (from, to) => {
    expect(ids(from, to)).toEqual(['request-parameter-max-decreased']);
  });

  test('no breaking change, same version: nothing to say', () => {
    expect(ids('1.0.0', '1.0.0', false)).toEqual([]);
  });

  test('the notice points at info in the revision, outside any operation', () => {
    const { base, revision } = pair('1.0.0', '1.1.0', true);
    const notice = diffOpenApi(base, revision).find((c) => c.id === 'api-major-version-not-bumped');
    expect(notice).toEqual({
      id: 'api-major-version-not-bumped',
      level: 'INFO',
      operation: '',
      path: '',
      source: `${revision}:3`, // where the info mapping starts
      text: "a breaking change was detected but the major version did not increase, from '1.0.0' to '1.1.0'",
    });
  });

  test('semantic versions: semver.org grammar with an optional v; build metadata ignored', () => {
    expect(parseSemver('v10.20.30-alpha.1+exp.sha.5114f85')).toEqual({ major: 10, minor: 20, patch: 30, prerelease: ['alpha', '1'] });
    for (const bad of ['01.0.0', '1.0', '1.0.0-', '1.0.0+', ' 1.0.0', '1.0.0-01', 'vv1.0.0', 1, undefined]) expect(parseSemver(bad)).toBeUndefined();
    expect(versioningViolation([{ level: 'WARN' }], '1.0.0', '1.0.0')).toBeUndefined();
  });
});

describe('severity levels (oasdiff --severity-levels)', () => {
  const levels = (text: string): DiffOptions => ({ severityLevels: parseSeverityLevels(text, 'levels.txt') });

  test('raising the policy ids to err makes an unbumped breaking release fail on them too', () => {
    const { base, revision } = pair('1.0.0', '1.0.0', true);
    const changes = diffOpenApi(base, revision, levels('# versioning policy\napi-version-not-bumped err\n\napi-major-version-not-bumped   ERR  # trailing comment\n'));
    // Most severe first, then by path: the notice (no path) leads.
    expect(changes.map((c) => [c.id, c.level])).toEqual([
      ['api-version-not-bumped', 'ERR'],
      ['request-parameter-max-decreased', 'ERR'],
    ]);
  });

  test('a check lowered below err no longer counts as breaking, for the policy too; none drops it', () => {
    expect(ids('1.0.0', '1.0.0', true, levels('request-parameter-max-decreased warn'))).toEqual(['request-parameter-max-decreased']);
    expect(ids('1.0.0', '1.0.0', true, levels('request-parameter-max-decreased none'))).toEqual([]);
    expect(ids('1.0.0', '1.0.0', true, levels('api-version-not-bumped none'))).toEqual(['request-parameter-max-decreased']);
  });

  test.each([
    ['api-version-not-bumped', 'levels.txt:1: expected "<check-id> <level>", got "api-version-not-bumped"'],
    ['\n\nno-such-check err', 'levels.txt:3: "no-such-check" is not an oasdiff check id'],
    ['api-version-not-bumped fatal', 'levels.txt:1: level must be err, warn, info or none, got "fatal"'],
    ['api-version-not-bumped err extra', 'levels.txt:1: expected "<check-id> <level>", got "api-version-not-bumped err extra"'],
  ])('bad line %j: %s', (text, message) => {
    expect(() => parseSeverityLevels(text, 'levels.txt')).toThrow(new SeverityLevelsError(message));
  });

  test('the command: --severity-levels with --fail-on ERR exits 1 on the policy; a bad file is exit 2 naming file and line', () => {
    const { base, revision } = pair('1.0.0', '1.0.1', false);
    const run = (extra: Partial<OpenApiDiffArgs>): number => {
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
      const before = process.exitCode;
      try {
        const args = { base, revision, format: 'text', engine: 'native', deprecationDaysBeta: 0, deprecationDaysStable: 0, failOn: 'ERR', ...extra } as OpenApiDiffArgs;
        (openApiDiffCommand.handler as (a: OpenApiDiffArgs) => void)(args);
        return Number(process.exitCode ?? 0);
      } finally {
        spy.mockRestore();
        process.exitCode = before;
      }
    };
    const good = join(dir, 'levels.txt');
    writeFileSync(good, 'api-major-version-not-bumped err\napi-version-not-bumped err\n');
    const breaking = pair('1.0.0', '1.0.1', true);
    expect(run({ severityLevels: good })).toBe(0);
    expect(run({ ...breaking, severityLevels: good })).toBe(1);

    const bad = join(dir, 'bad-levels.txt');
    writeFileSync(bad, 'api-version-not-bumped err\napi-version-decreased loud\n');
    expect(() => run({ severityLevels: bad })).toThrow(new CliError(`${bad}:2: level must be err, warn, info or none, got "loud"`, 2));
    expect(() => run({ severityLevels: '' })).toThrow(new CliError('--severity-levels expects a file', 2));
    expect(() => run({ severityLevels: join(dir, 'missing.txt') })).toThrow(new CliError(`${join(dir, 'missing.txt')}: cannot read severity levels: ENOENT`, 2));
  });
});
