import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('with --json a failure is one JSON line on stderr, and stdout stays empty', () => {
  const failureOf = (result: CliResult): unknown => {
    expect(result.stdout).toBe('');
    expect(result.stderr.endsWith('\n') && result.stderr.indexOf('\n') === result.stderr.length - 1).toBe(true);
    return JSON.parse(result.stderr);
  };

  test('a usage error: its message and exit 2', () => {
    const result = runCli(['rollout', 'set', 'orders', '--reason', 'x', '--json', ...NOWHERE]);
    expect(result.status).toBe(2);
    expect(failureOf(result)).toEqual({ error: { message: 'rollout set: give PERCENT (strangler rollout set ROUTE PERCENT)', exitCode: 2 } });
  });

  test('a failed call to the proxy: exit 1; --json=false (or none) keeps the text line', () => {
    const result = runCli(['rollout', 'get', 'orders', '--json=true', ...NOWHERE]);
    expect(result.status).toBe(1);
    expect(failureOf(result)).toEqual({ error: { message: expect.stringContaining('cannot reach the admin API at http://127.0.0.1:1'), exitCode: 1 } });
    const text = runCli(['rollout', 'get', 'orders', '--json=false', ...NOWHERE]);
    expect([text.status, text.stderr]).toEqual([1, expect.stringMatching(/^strangler: cannot reach the admin API at http:\/\/127\.0\.0\.1:1.*\n$/)]);
  });

  test('a configuration the proxy cannot start with: each problem in `issues`, with its file, line and field', () => {
    const folder = mkdtempSync(join(tmpdir(), 'strangler-json-errors-'));
    try {
      const file = join(folder, 'strangler.yaml');
      writeFileSync(file, 'admin: { port: 9090, token: json-errors-token }\nupstreams:\n  legacy: { url: http://127.0.0.1:3000, timeoutMs: 0 }\n');
      const result = runCli(['proxy', '--config', file, '--json']);
      expect(result.status).toBe(1);
      expect(failureOf(result)).toEqual({
        error: {
          message: `${file}:3 upstreams.legacy.timeoutMs: must be an integer from 1 to 600000, got 0`,
          exitCode: 1,
          issues: [{ file, line: 3, path: 'upstreams.legacy.timeoutMs', message: 'must be an integer from 1 to 600000, got 0' }],
        },
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
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
