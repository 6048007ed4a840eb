import type { Argv } from 'yargs';
import { leafCommand, withAdminFlags } from '../../cli/commands/common';
import { runCli, type CliResult } from '../helpers/proxy-process';

/**
 * Usage errors of the CLI (dist): exit 2 and one line naming the flag or positional, before anything is sent.
 * The admin address is a port nothing listens on: a command that went on to call it would exit 1.
 */
const NOWHERE = ['--admin', 'http://127.0.0.1:1', '--token', 'usage-errors-token'];

function expectUsageError(result: CliResult, message: string): void {
  expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 2, stdout: '', stderr: `strangler: ${message}\n` });
}

describe('usage errors name what is wrong', () => {
  test.each([
    [['rollout', 'set', 'orders', '10', '--reason', 'x', '--create=maybe'], '--create: takes no value, or true or false; got "maybe"'],
    [['rollout', 'get', 'orders', '--json=nah'], '--json: takes no value, or true or false; got "nah"'],
    [['diff', 'report', '--json=TRUE'], '--json: takes no value, or true or false; got "TRUE"'],
  ])('a boolean flag with another value than true or false: %j', (args, message) => {
    expectUsageError(runCli([...args, ...NOWHERE]), message);
  });

  test('a boolean flag alone, =true or =false is taken (the command goes on to the admin API)', () => {
    for (const flag of ['--create', '--create=true', '--create=false']) {
      const result = runCli(['rollout', 'set', 'orders', '10', '--reason', 'x', flag, ...NOWHERE]);
      expect([result.status, result.stderr]).toEqual([1, expect.stringContaining('cannot reach the admin API at http://127.0.0.1:1')]);
    }
  });

  test.each([
    [['rollout', 'set', 'orders', '--reason', 'x'], 'rollout set: give PERCENT (strangler rollout set ROUTE PERCENT)'],
    [['rollout', 'set'], 'rollout set: give ROUTE and PERCENT (strangler rollout set ROUTE PERCENT)'],
    [['rollout', 'history'], 'rollout history: give ROUTE (strangler rollout history ROUTE)'],
    [['diff', 'show'], 'diff show: give REQUEST_ID (strangler diff show REQUEST_ID)'],
    [['config', 'validate'], 'config validate: give FILE (strangler config validate FILE)'],
    [['contracts', 'events-diff', 'base.json'], 'contracts events-diff: give REVISION (strangler contracts events-diff BASE REVISION)'],
  ])('a missing positional is named: %j', (args, message) => {
    expectUsageError(runCli([...args, ...NOWHERE]), message);
  });

  test.each([
    [['rollout', 'set', '', '10', '--reason', 'x'], 'ROUTE: must be a route name (routes[].name in strangler.yaml), got ""'],
    [['rollout', 'get', ' '], 'ROUTE: must be a route name (routes[].name in strangler.yaml), got " "'],
    [['rollout', 'history', ''], 'ROUTE: must be a route name (routes[].name in strangler.yaml), got ""'],
  ])('an empty route name is not sent to the admin API: %j', (args, message) => {
    expectUsageError(runCli([...args, ...NOWHERE]), message);
  });

  test.each(['0.0001', '1.5', '301'])('status --window %s: whole seconds from 0 to 300', (window) => {
    expectUsageError(runCli(['status', '--window', window, ...NOWHERE]), `--window: must be a whole number of seconds from 0 to 300, got "${window}" (see --help)`);
  });
});

describe('a handler gets the arguments its builder declares', () => {
  test('reading an option no builder declares does not compile', () => {
    const command = leafCommand('test', {
      command: 'typed <name>',
      describe: 'typed arguments',
      builder: (yargs: Argv) => withAdminFlags(yargs).positional('name', { type: 'string', demandOption: true }),
      handler: (args) => {
        const declared: [string, number, boolean] = [args.name, args.timeout, args.json];
        // @ts-expect-error: no option dryRun is declared, so the handler cannot read one.
        const undeclared: unknown = args.dryRun;
        return void [declared, undeclared];
      },
    });
    expect(command.command).toBe('typed <name>');
  });
});
