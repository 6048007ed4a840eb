/**
 * `strangler contracts openapi-diff BASE REVISION`: breaking changes between two OpenAPI specs, with
 * oasdiff's check ids and levels. Exit code: 1 when `--fail-on` is given and a change at or above that
 * level exists, 0 otherwise; 2 when a spec cannot be read (the one-line error names the file and line).
 */
import { diffOpenApi, levelRank, OpenApiLoadError, readSeverityLevels, SeverityLevelsError, type Change, type DiffOptions, type Level } from '../../../contracts/openapi';
import { formatChanges, OPENAPI_DIFF_FORMATS, type OpenApiDiffFormat } from '../../../contracts/openapi/format';
import { diffWithOasdiff, OasdiffFailedError, OasdiffNotFoundError } from '../../../contracts/openapi/oasdiff-engine';
import { CliError } from '../../output';
import { leafCommand, numberFlag, type NumberRule } from '../common';

const DAYS: NumberRule = { what: 'a whole number of days', min: 0, integer: true };

export const OPENAPI_DIFF_ENGINES = ['native', 'oasdiff'] as const;
export type OpenApiDiffEngine = (typeof OPENAPI_DIFF_ENGINES)[number];

/** Exit code for a set of changes: 1 when one is at or above `failOn`, else 0. */
export function exitCodeFor(changes: Change[], failOn: Level | undefined): number {
  if (!failOn) return 0;
  return changes.some((c) => levelRank(c.level) >= levelRank(failOn)) ? 1 : 0;
}

/** What `openapi-diff`'s handler reads, as its builder declares it. */
export type OpenApiDiffArgs = Parameters<typeof openApiDiffCommand.handler>[0];

export const openApiDiffCommand = leafCommand('contracts', {
  command: 'openapi-diff <base> <revision>',
  describe: 'Changes between two OpenAPI 3.0/3.1 specs (YAML or JSON), with oasdiff check ids and levels',
  builder: (yargs) =>
    yargs
      .positional('base', { type: 'string', demandOption: true, describe: 'The spec clients use today' })
      .positional('revision', { type: 'string', demandOption: true, describe: 'The spec about to ship' })
      .option('format', { choices: OPENAPI_DIFF_FORMATS, default: 'text' as OpenApiDiffFormat, describe: 'text, markdown (PR comment), json, githubactions (annotations), junit (XML)' })
      .option('json', { type: 'boolean', describe: 'Same as --format json' })
      .option('fail-on', {
        choices: ['ERR', 'WARN'] as const,
        // As events-diff and oasdiff itself: err and ERR are the same level.
        coerce: (value: string) => String(value).toUpperCase() as 'ERR' | 'WARN',
        describe: 'Exit 1 when a change at or above this level exists',
      })
      .option('engine', { choices: OPENAPI_DIFF_ENGINES, default: 'native' as OpenApiDiffEngine, describe: 'native, or oasdiff (a binary on PATH or through npx)' })
      .option('deprecation-days-beta', numberFlag('--deprecation-days-beta', 'Sunset grace period for beta operations in days; above 0, x-sunset is mandatory when deprecating', 0, DAYS))
      .option('deprecation-days-stable', numberFlag('--deprecation-days-stable', 'Sunset grace period for stable operations in days; above 0, x-sunset is mandatory when deprecating', 0, DAYS))
      .option('severity-levels', { type: 'string', describe: 'oasdiff severity-levels file: "<check-id> err|warn|info|none" per line' })
      .option('flatten-allof', { type: 'boolean', describe: 'Merge subschemas under allOf before diff (as oasdiff --flatten-allof): equivalent allOf rewrites report nothing' })
      .example('$0 contracts openapi-diff main.yaml pr.yaml --fail-on ERR', 'fail the build on breaking changes')
      .example('$0 contracts openapi-diff main.yaml pr.yaml --format markdown', 'a pull-request comment')
      .example('$0 contracts openapi-diff main.yaml pr.yaml --flatten-allof --fail-on ERR', 'allOf parts merged first: `$ref: Pet` → `allOf: [$ref: Pet]` is no change')
      .example('$0 contracts openapi-diff main.yaml pr.yaml --severity-levels levels.txt --fail-on ERR', 'with api-major-version-not-bumped raised to err: breaking changes need a major version'),
  handler: (args) => {
    const options: DiffOptions = { deprecationDaysBeta: args.deprecationDaysBeta, deprecationDaysStable: args.deprecationDaysStable };
    if (args.flattenAllof) options.flattenAllOf = true;
    if (args.severityLevels !== undefined) {
      if (args.severityLevels === '') throw new CliError('--severity-levels expects a file', 2);
      try {
        options.severityLevels = readSeverityLevels(args.severityLevels);
      } catch (err) {
        if (err instanceof SeverityLevelsError) throw new CliError(err.message, 2);
        throw err;
      }
      options.severityLevelsFile = args.severityLevels;
    }
    let changes: Change[];
    try {
      changes = args.engine === 'oasdiff' ? diffWithOasdiff(args.base, args.revision, options) : diffOpenApi(args.base, args.revision, options);
    } catch (err) {
      if (err instanceof OpenApiLoadError) throw new CliError(err.message, 2);
      if (err instanceof OasdiffNotFoundError || err instanceof OasdiffFailedError) throw new CliError(err.message, 2);
      throw err;
    }
    process.stdout.write(formatChanges(changes, args.json ? 'json' : args.format, args.failOn));
    process.exitCode = exitCodeFor(changes, args.failOn);
  },
});
