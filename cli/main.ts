#!/usr/bin/env node
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, StranglerError } from '../core/errors';
import { choiceWithoutValue, CliError, jsonRequested, oneLine, printFailure, withoutCamelCaseTwins } from './output';

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * Each top-level command, loaded on demand: `strangler proxy` then carries neither the contract engines
 * (ajv, yaml specs, pact) nor the diff reports in its memory. In help order.
 */
export const COMMAND_LOADERS: Record<string, () => CommandModule> = {
  proxy: () => (require('./commands/proxy') as typeof import('./commands/proxy')).proxyCommand,
  config: () => (require('./commands/config') as typeof import('./commands/config')).configCommand,
  status: () => (require('./commands/status') as typeof import('./commands/status')).statusCommand,
  rollout: () => (require('./commands/rollout') as typeof import('./commands/rollout')).rolloutCommand,
  flags: () => (require('./commands/flags') as typeof import('./commands/flags')).flagsCommand,
  diff: () => (require('./commands/diff') as typeof import('./commands/diff')).diffCommand,
  contracts: () => (require('./commands/contracts') as typeof import('./commands/contracts')).contractsCommand,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The command named on the command line when it is one of ours; otherwise (help, typos) all of them. */
function commandsFor(argv: string[]): CommandModule[] {
  const first = argv.find((arg) => !arg.startsWith('-'));
  const only = first !== undefined && Object.hasOwn(COMMAND_LOADERS, first) ? COMMAND_LOADERS[first] : undefined;
  return only ? [only()] : Object.values(COMMAND_LOADERS).map((load) => load());
}

/**
 * `--since -5m`, `--window -1`: yargs takes a value starting with "-" and a digit for short flags (`-5`, `-m`)
 * and says "Unknown arguments: 5, m". Joined as `--since=-5m`, the flag's own check names it and says what it wants.
 */
export function joinDashValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (/^--[a-z][a-z-]*$/.test(arg) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * A flag given twice (`--stage canary --stage live`, or an alias that already carries `--config`): which value
 * was meant is unknown, and yargs would hand the command an array. Repeatable flags (`array: true`) may repeat.
 */
export function refuseRepeatedFlags(argv: Record<string, unknown>, parserOptions: unknown): true {
  // yargs' typings call the second argument "aliases"; at run time check() passes getOptions().
  const options = parserOptions as { array?: string[]; alias?: Record<string, string[]> };
  const repeatable = new Set((options.array ?? []).flatMap((name) => [name, ...(options.alias?.[name] ?? [])]));
  for (const [name, value] of Object.entries(argv)) {
    // camelCase twins of dashed flags carry the same value: the dashed name is reported.
    if (name === '_' || name === '$0' || !Array.isArray(value) || repeatable.has(name) || /[A-Z]/.test(name)) continue;
    const flag = name.length === 1 ? `-${name}` : `--${name}`;
    const values = value.map((v) => JSON.stringify(String(v))).join(', ');
    throw new CliError(`${flag}: given ${value.length} times (${values}); give it once`, 2);
  }
  return true;
}

/**
 * `--create=maybe`, `--json=nah`: yargs reads any value of a boolean flag but "true" as false, and goes on.
 * A boolean flag takes no value, or true or false.
 */
export function refuseBooleanValues(argv: readonly string[], parserOptions: unknown): true {
  // As in refuseRepeatedFlags: at run time check() passes getOptions().
  const booleans = new Set((parserOptions as { boolean?: string[] }).boolean ?? []);
  for (const arg of argv) {
    if (arg === '--') break;
    const match = /^--(?:no-)?([^=]+)=(.*)$/s.exec(arg);
    if (!match || !booleans.has(match[1]!) || match[2] === 'true' || match[2] === 'false') continue;
    throw new CliError(`--${match[1]}: takes no value, or true or false; got ${JSON.stringify(match[2])}`, 2);
  }
  return true;
}

export async function main(rawArgv: string[]): Promise<void> {
  const argv = joinDashValues(rawArgv);
  await yargs(argv)
    .scriptName('strangler')
    .usage('$0 <command> [options]\n\nMove a live monolith to new services one route at a time.')
    .command(commandsFor(argv))
    .demandCommand(1, 'give a command: proxy, config, status, rollout, flags, diff or contracts')
    .example('$0 proxy --config strangler.yaml', 'run the proxy in front of the monolith')
    .example('$0 rollout set orders 25 --stage canary --reason "error rate flat for 24h"', 'send a quarter of the orders users to the new service')
    .example('$0 status --window 5', 'each route: stage, percent, requests/s and errors per side')
    .example('$0 diff report --since 1h --format html --out diff.html', 'what shadow traffic found, as a page with charts')
    .example('$0 contracts openapi-diff main.yaml pr.yaml --fail-on ERR', 'the CI gate for breaking API changes')
    .strict()
    .check(refuseRepeatedFlags, true)
    .check((_, options) => refuseBooleanValues(argv, options), true)
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .fail((message, err) => {
      // yargs' own errors (a flag without its value, a coerce that refused one) are usage errors too.
      if (err && err.name !== 'YError') throw err;
      printFailure({ message: `${oneLine(choiceWithoutValue(withoutCamelCaseTwins(message)))} (see --help)`, exitCode: 2 }, jsonRequested(argv));
      process.exit(2);
    })
    .parseAsync();
}

if (require.main === module) {
  const argv = hideBin(process.argv);
  main(argv).catch((err: unknown) => {
    const json = jsonRequested(argv);
    if (err instanceof ConfigError) {
      // One line per problem, each naming file, line and field.
      printFailure({ message: err.message, exitCode: 1, issues: err.issues }, json);
      process.exit(1);
    }
    const message = err instanceof CliError || err instanceof StranglerError ? err.message : String((err as Error)?.message ?? err);
    const exitCode = err instanceof CliError ? err.exitCode : 1;
    printFailure({ message: oneLine(message), exitCode }, json);
    process.exit(exitCode);
  });
}
