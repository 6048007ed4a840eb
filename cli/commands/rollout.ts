import { userInfo } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { STAGES } from '../../core/config/types';
import type { RouteHistoryEntry } from '../../core/state';
import { reasonProblem, type RouteChangeAnswer, type RouteSummary } from '../../core/admin-api';
import { adminRequest, resolveAdminTarget } from '../admin-client';
import { CliError, printJson, printLines, table } from '../output';
import { shareText } from '../route-share';
import { leafCommand, numberFlag, requireName, withAdminFlags } from './common';

const ROUTE_NAME = 'a route name (routes[].name in strangler.yaml)';

const setCommand = leafCommand('rollout', {
  command: 'set <route> <percent>',
  describe: 'Change the share of a route sent to the new service (and optionally its stage)',
  builder: (yargs) =>
    withAdminFlags(yargs)
      .positional('route', { type: 'string', demandOption: true, describe: 'Route name' })
      .positional('percent', { type: 'string', demandOption: true, describe: 'Integer 0..100' })
      .option('stage', { choices: STAGES, describe: 'Also move the route to this stage' })
      .option('reason', { type: 'string', requiresArg: true, describe: 'Why (recorded in the history; required; one line of at most 1000 characters)' })
      .option('create', { type: 'boolean', default: false, describe: 'With flags from Unleash: create the flag and its flexibleRollout strategy when missing' })
      .example('$0 rollout set orders 25 --stage canary --reason "error rate flat for 24h"', 'send 25% of orders users to the new service (from legacy or shadow)')
      .example('$0 rollout set orders 50 --reason "no errors at 25%"', 'a canary already: only the percent changes')
      .example('$0 rollout set orders 100 --stage live --reason "cut-over"', 'all traffic to the new service'),
  handler: async (args) => {
    requireName('ROUTE', args.route, ROUTE_NAME);
    const percent = parsePercent(args.percent);
    if (!args.reason || args.reason.trim() === '') throw new CliError('--reason: required, say why the route changes (it is recorded in the history)', 2);
    const problem = reasonProblem(args.reason);
    if (problem) throw new CliError(`--reason: ${problem}`, 2);
    const target = resolveAdminTarget(args);
    const body = {
      percent,
      reason: args.reason,
      actor: `cli:${currentUser()}`,
      ...(args.stage ? { stage: args.stage } : {}),
      ...(args.create ? { create: true } : {}),
    };
    const updated = await adminRequest<RouteChangeAnswer>(target, 'PUT', `/routes/${encodeURIComponent(args.route)}`, body);
    if (updated.warning) process.stderr.write(`strangler: warning: ${updated.warning}\n`);
    if (args.json) return printJson(updated);
    const state = `${updated.stage} ${shareText(updated)} (version ${updated.version})`;
    // An answer from before `changed` existed counts as a change.
    printLines([updated.changed === false ? `${updated.name}: already ${state}; nothing changed, nothing recorded` : `${updated.name}: ${state}`]);
  },
});

const getCommand = leafCommand('rollout', {
  command: 'get <route>',
  describe: 'Show the current stage and percent of a route',
  builder: (yargs) =>
    withAdminFlags(yargs)
      .positional('route', { type: 'string', demandOption: true, describe: 'Route name (routes[].name in strangler.yaml)' })
      .example('$0 rollout get orders', ''),
  handler: async (args) => {
    requireName('ROUTE', args.route, ROUTE_NAME);
    const target = resolveAdminTarget(args);
    const route = await adminRequest<RouteSummary>(target, 'GET', `/routes/${encodeURIComponent(args.route)}`);
    if (args.json) return printJson(route);
    printLines([
      `route:      ${route.name}`,
      `stage:      ${route.stage}`,
      `percent:    ${shareText(route)}${route.flagRule ? ` (unleash-client decides each request: ${route.flagRule})` : ''}`,
      `match:      ${route.match.path}${route.match.methods ? ` [${route.match.methods.join(', ')}]` : ''}`,
      `service:    ${route.service ?? '-'} (legacy: ${route.legacy})`,
      `stickiness: ${route.stickiness}`,
      `flag:       ${route.flag}`,
      `version:    ${route.version}, updated ${route.updatedAt || '-'}`,
    ]);
  },
});

const historyCommand = leafCommand('rollout', {
  command: 'history <route>',
  describe: 'Every change of a route: time, actor, reason, from → to',
  builder: (yargs) =>
    withAdminFlags(yargs)
      .positional('route', { type: 'string', demandOption: true, describe: 'Route name (routes[].name in strangler.yaml)' })
      .option('limit', numberFlag('--limit', 'Newest N changes', 50, { what: 'an integer', min: 1, max: 10000, integer: true }))
      .example('$0 rollout history orders --limit 10', ''),
  handler: async (args) => {
    requireName('ROUTE', args.route, ROUTE_NAME);
    const target = resolveAdminTarget(args);
    const result = await adminRequest<{ route: string; history: RouteHistoryEntry[] }>(
      target,
      'GET',
      `/routes/${encodeURIComponent(args.route)}/history?limit=${args.limit}`,
    );
    if (args.json) return printJson(result);
    printLines(
      table(
        ['TIME', 'ACTOR', 'FROM', 'TO', 'REASON'],
        result.history.map((h) => [h.at, h.actor, h.from ? `${h.from.stage} ${h.from.percent}%` : '-', `${h.to.stage} ${h.to.percent}%`, h.reason]),
      ),
    );
  },
});

export const rolloutCommand: CommandModule = {
  command: 'rollout',
  describe: 'Read and change the migration state of a route',
  builder: (yargs: Argv) =>
    yargs
      .command(setCommand)
      .command(getCommand)
      .command(historyCommand)
      .demandCommand(1, 'rollout: give a subcommand: set, get or history')
      .example('$0 rollout set orders 25 --stage canary --reason "error rate flat for 24h"', 'a quarter of the users to the new service')
      .example('$0 rollout get orders', 'where the route is now')
      .example('$0 rollout history orders', 'who moved it, when and why'),
  handler: () => undefined,
};

function parsePercent(text: string): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) > 100) throw new CliError(`PERCENT: must be an integer from 0 to 100, got "${text}"`, 2);
  return Number(text);
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
