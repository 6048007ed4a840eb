import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_ANSWER_TIMEOUT_S } from '../admin-client';
import { CliError } from '../output';

/**
 * The arguments a handler gets: the options and positionals its builder declares, camelCased (`--fail-on` is
 * `failOn`). yargs' own `ArgumentsCamelCase` adds an index signature, so a handler reading an option no builder
 * declares would still compile (as unknown); this type has none, so it does not.
 */
export type ArgsOf<U> = { [K in keyof U as CamelCase<K>]: U[K] };

type CamelCase<K> = K extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : K;

/** A command without subcommands: its handler's arguments are what its builder declares (see `ArgsOf`). */
export interface LeafCommand<U> {
  command: string;
  describe: string;
  builder: (yargs: Argv) => Argv<U>;
  handler: (args: ArgsOf<U>) => void | Promise<void>;
}

/**
 * A leaf command under `parent` (`rollout` for `rollout set`), typed from its builder. When a positional is
 * missing it says which, by name, instead of yargs' "Not enough non-option arguments: got 1, need at least 2".
 */
export function leafCommand<U>(parent: string, module: LeafCommand<U>): LeafCommand<U> {
  const [name, ...words] = module.command.split(' ');
  const required = words.filter((word) => word.startsWith('<')).map(positionalName);
  if (required.length === 0) return module;
  const usage = parent === '' ? name! : `${parent} ${name}`;
  return {
    ...module,
    builder: (yargs) =>
      module.builder(yargs).fail((message) => {
        const given = /^Not enough non-option arguments: got (\d+)/.exec(message ?? '')?.[1];
        // Any other failure goes on to the CLI's own handler.
        if (given === undefined) return;
        const missing = required.slice(Number(given));
        throw new CliError(`${usage}: give ${listed(missing)} (strangler ${usage} ${required.join(' ')})`, 2);
      }),
  };
}

/**
 * A command without subcommands at the CLI's top level (`status`, `proxy`). The top-level commands are listed
 * together whatever arguments each takes. yargs calls a handler with what its own builder declared, so its
 * narrower parameter type is safe; TypeScript cannot follow that through a list of commands of different
 * argument types, hence this one cast.
 */
export function topLevelCommand<U>(command: LeafCommand<U>): CommandModule {
  return leafCommand('', command) as unknown as CommandModule;
}

/** `<requestId>` → `REQUEST_ID`, as the help and the messages name positionals. */
function positionalName(word: string): string {
  return word
    .replace(/^<|>$/g, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toUpperCase();
}

function listed(names: string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
}

/** A positional that names something (a route, a file) given as "" or blanks: exit 2 naming it. */
export function requireName(positional: string, value: string, what: string): void {
  if (value.trim() === '') throw new CliError(`${positional}: must be ${what}, got ${JSON.stringify(value)}`, 2);
}

/** The flags every command that talks to a running proxy shares (read by `resolveAdminTarget`). */
export function withAdminFlags<T>(yargs: Argv<T>) {
  return yargs
    .option('admin', { type: 'string', requiresArg: true, describe: 'Admin API URL (default: STRANGLER_ADMIN_URL or the config file)' })
    .option('token', { type: 'string', requiresArg: true, describe: 'Admin token (default: STRANGLER_ADMIN_TOKEN or the config file)' })
    .option('config', { type: 'string', requiresArg: true, describe: 'strangler.yaml with the admin address and token (default: ./strangler.yaml when it exists)' })
    .option('timeout', numberFlag('--timeout', 'Seconds to wait for each answer of the admin API', DEFAULT_ANSWER_TIMEOUT_S, { what: 'a number of seconds', min: 0.1, max: 3600 }))
    .option('json', { type: 'boolean', default: false, describe: 'Print JSON' });
}

/** What a number flag takes: `what` reads "must be <what> from <min> to <max>". */
export interface NumberRule {
  what: string;
  min: number;
  max?: number;
  integer?: boolean;
}

/**
 * yargs settings for a number flag read as typed, so that a bad value is echoed as given (with type
 * number, yargs turns "abc" into NaN) and refused with exit 2.
 */
export function numberFlag(flag: string, describe: string, defaultValue: number, rule: NumberRule) {
  return { type: 'string' as const, requiresArg: true, default: defaultValue, describe, coerce: (text: unknown): number => readNumberFlag(flag, text, rule) };
}

export function readNumberFlag(flag: string, text: unknown, rule: NumberRule): number {
  const raw = typeof text === 'number' ? String(text) : typeof text === 'string' ? text.trim() : JSON.stringify(text);
  const value = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isFinite(value) && (!rule.integer || Number.isInteger(value)) && value >= rule.min && (rule.max === undefined || value <= rule.max)) return value;
  const range = rule.max === undefined ? `, ${rule.min} or more` : ` from ${rule.min} to ${rule.max}`;
  throw new CliError(`${flag}: must be ${rule.what}${range}, got ${typeof text === 'string' ? JSON.stringify(text) : raw}`, 2);
}
