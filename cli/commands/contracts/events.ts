/**
 * `strangler contracts events-diff BASE REVISION` and `strangler contracts events-validate SCHEMAS EVENTS`:
 * JSON Schema event contracts. Exit codes: 0 fine, 1 a change at or above --fail-on (diff) or any failure
 * (validate), 2 input that cannot be read (one line on stderr naming the file) or a bad flag value.
 */
import {
  COMPATIBILITY_MODES,
  DEFAULT_COMPATIBILITY,
  EVENT_CHANGE_LEVELS,
  EVENT_OUTPUT_FORMATS,
  EventContractError,
  diffEventSchemaSets,
  hasChangeAtOrAbove,
  loadEventSchemas,
  parseCompatibility,
  readSampleEvents,
  renderEventChanges,
  renderEventFailures,
  validateEvents,
  type CompatibilityMode,
  type EventChangeLevel,
  type EventOutputFormat,
} from '../../../contracts/events';
import { CliError } from '../../output';
import { leafCommand } from '../common';

/** Unreadable input: exit 2 with the one-line message. */
function readInput<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof EventContractError) throw new CliError(err.message, 2);
    throw err;
  }
}

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

const FAIL_ON_LEVELS = EVENT_CHANGE_LEVELS.filter((level) => level !== 'INFO');

/** `--compatibility`, any case; anything else is exit 2 naming the flag. */
export function readCompatibilityFlag(value: unknown): CompatibilityMode {
  const mode = typeof value === 'string' ? parseCompatibility(value) : undefined;
  if (mode === undefined) throw new CliError(`--compatibility: must be one of ${COMPATIBILITY_MODES.join(', ')} (any case), got ${JSON.stringify(value)}`, 2);
  return mode;
}

export const eventsDiffCommand = leafCommand('contracts', {
  command: 'events-diff <base> <revision>',
  describe: 'Breaking changes between two versions of JSON Schema event contracts (a schema file or a directory of them each)',
  builder: (yargs) =>
    yargs
      .positional('base', { type: 'string', demandOption: true, describe: 'The schemas before: a .json/.yaml schema file or a directory of them' })
      .positional('revision', { type: 'string', demandOption: true, describe: 'The schemas after: a file or a directory, like BASE' })
      .option('format', { choices: EVENT_OUTPUT_FORMATS, default: 'text' as EventOutputFormat, describe: 'text, json or markdown (pull-request comment)' })
      .option('json', { type: 'boolean', describe: 'Same as --format json' })
      .option('fail-on', {
        choices: FAIL_ON_LEVELS,
        default: 'ERR' as EventChangeLevel,
        coerce: (value: string) => String(value).toUpperCase() as EventChangeLevel,
        describe: 'Exit 1 when a change is at or above this level',
      })
      // Not given: FULL, and the output names no mode (as before modes).
      .option('compatibility', {
        type: 'string',
        requiresArg: true,
        coerce: readCompatibilityFlag,
        describe: `What must hold, as Confluent's schema registry names it: ${COMPATIBILITY_MODES.join(', ')} (default ${DEFAULT_COMPATIBILITY}). Changes that break only what the mode does not check are INFO`,
      })
      .option('compare-versions', {
        type: 'boolean',
        describe: 'Also check each new version of an event against the earlier ones (the latest; all under a _TRANSITIVE mode), as a schema registry subject. Off: a new version is the way to make a breaking change',
      })
      .example('$0 contracts events-diff main/schemas/events pr/schemas/events', 'every event and version, matched by name and version')
      .example('$0 contracts events-diff old/order-placed.json order-placed.json --format markdown', 'one schema against its revision, as a PR comment')
      .example('$0 contracts events-diff main/schemas/events pr/schemas/events --compatibility backward_transitive --compare-versions', 'new versions read every older event, as a registry subject'),
  handler: (args) => {
    const base = readInput(() => loadEventSchemas(args.base));
    const revision = readInput(() => loadEventSchemas(args.revision));
    const { compatibility } = args;
    const changes = readInput(() => diffEventSchemaSets(base, revision, { compatibility, compareVersions: args.compareVersions === true }));
    write(renderEventChanges(changes, args.json ? 'json' : args.format, { compatibility }));
    if (hasChangeAtOrAbove(changes, args.failOn)) process.exitCode = 1;
  },
});

export const eventsValidateCommand = leafCommand('contracts', {
  command: 'events-validate <schemas> <events>',
  describe: 'Validate sample events (JSON lines or a JSON array of {"event", "version"?, "data"}) against their JSON Schemas',
  builder: (yargs) =>
    yargs
      .positional('schemas', { type: 'string', demandOption: true, describe: 'A schema file or a directory of them' })
      .positional('events', { type: 'string', demandOption: true, describe: 'The sample events file' })
      .option('format', { choices: EVENT_OUTPUT_FORMATS, default: 'text' as EventOutputFormat, describe: 'text, json or markdown (pull-request comment)' })
      .option('json', { type: 'boolean', describe: 'Same as --format json' })
      .example('$0 contracts events-validate schemas/events samples.jsonl', ''),
  handler: (args) => {
    const schemas = readInput(() => loadEventSchemas(args.schemas));
    const samples = readInput(() => readSampleEvents(args.events));
    const result = readInput(() => validateEvents(schemas, samples));
    write(renderEventFailures(result, args.json ? 'json' : args.format));
    if (result.failures.length > 0) process.exitCode = 1;
  },
});
