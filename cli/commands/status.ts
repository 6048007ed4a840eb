import type { CommandModule } from 'yargs';
import type { RouteSummary } from '../../proxy/admin';
import { adminRequest, resolveAdminTarget } from '../admin-client';
import { CliError, printJson, printLines, table } from '../output';
import { trafficBetween, type RouteTraffic } from '../traffic';
import { withAdminFlags, type AdminArgs } from './common';

interface StatusArgs extends AdminArgs {
  window: number;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: 'Each route: stage, percent, requests/s and error rate per target',
  builder: (yargs) =>
    withAdminFlags(yargs)
      .option('window', { type: 'number', default: 1, describe: 'Seconds between the two metric scrapes rates are computed over' })
      .example('$0 status', 'stage, percent and live traffic of every route')
      .example('$0 status --json --window 5', 'the same as JSON, rates over 5 s') as never,
  handler: async (args) => {
    if (!(args.window >= 0 && args.window <= 300)) throw new CliError(`--window: must be a number of seconds from 0 to 300, got ${args.window}`);
    const target = resolveAdminTarget(args);
    const before = await adminRequest<string>(target, 'GET', '/metrics');
    // Progress goes to stderr, so --json output stays clean.
    if (args.window > 0) process.stderr.write(`measuring traffic for ${args.window} s…\n`);
    await new Promise((resolve) => setTimeout(resolve, args.window * 1000));
    const [after, routes] = await Promise.all([
      adminRequest<string>(target, 'GET', '/metrics'),
      adminRequest<{ routes: RouteSummary[] }>(target, 'GET', '/routes'),
    ]);
    const traffic = trafficBetween(before, after, args.window);
    const rows = routes.routes.map((route) => ({ ...route, traffic: traffic.get(route.name) ?? {} }));
    if (args.json) return printJson({ windowSeconds: args.window, routes: rows, unmatched: traffic.get('_unmatched') ?? {} });
    printLines(
      table(
        ['ROUTE', 'STAGE', 'PERCENT', 'LEGACY REQ/S', 'LEGACY ERR', 'NEW REQ/S', 'NEW ERR'],
        rows.map((r) => [r.name, r.stage, `${r.percent}%`, ...sideCells(r.traffic, 'legacy'), ...sideCells(r.traffic, 'new')]),
      ),
    );
  },
};

function sideCells(traffic: RouteTraffic, side: string): [string, string] {
  const t = traffic[side];
  if (!t) return ['0.0', '-'];
  return [t.requestsPerSecond.toFixed(1), t.requests > 0 ? `${(t.errorRate * 100).toFixed(1)}%` : '-'];
}
