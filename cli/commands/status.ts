import type { CommandModule } from 'yargs';
import type { RouteSummary } from '../../proxy/admin';
import { adminRequest, resolveAdminTarget, type AdminTarget } from '../admin-client';
import { printJson, printLines, table } from '../output';
import { trafficBetween, type RouteTraffic } from '../traffic';
import { numberFlag, withAdminFlags, type AdminArgs } from './common';

interface StatusArgs extends AdminArgs {
  window: number;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: 'Each route: stage, percent, requests/s and error rate per target, and requests/s a retired route still gets',
  builder: (yargs) =>
    withAdminFlags(yargs)
      .option('window', numberFlag('--window', 'Seconds between the two metric scrapes rates are computed over; 0: stage and percent only', 1, { what: 'a number of seconds', min: 0, max: 300 }))
      .example('$0 status', 'stage, percent and live traffic of every route')
      .example('$0 status --json --window 5', 'the same as JSON, rates over 5 s') as never,
  handler: async (args) => {
    const target = resolveAdminTarget(args);
    const traffic = args.window > 0 ? await measureTraffic(target, args.window) : undefined;
    const routes = await adminRequest<{ routes: RouteSummary[] }>(target, 'GET', '/routes');
    // Without a window nothing was measured: traffic is null, not zero.
    const rows = routes.routes.map((route) => ({ ...route, traffic: traffic ? traffic.get(route.name) ?? {} : null }));
    if (args.json) return printJson({ windowSeconds: args.window, routes: rows, unmatched: traffic ? traffic.get('_unmatched') ?? {} : null });
    printLines(statusTable(rows));
  },
};

export interface StatusRow {
  name: string;
  stage: string;
  percent: number;
  /** null: not measured (`--window 0`). */
  traffic: RouteTraffic | null;
}

/** The text table; RETIRED REQ/S is what the proxy answered itself (metric target `none`): a retired route's 410s and redirects. */
export function statusTable(rows: StatusRow[]): string[] {
  return table(
    ['ROUTE', 'STAGE', 'PERCENT', 'LEGACY REQ/S', 'LEGACY ERR', 'NEW REQ/S', 'NEW ERR', 'RETIRED REQ/S'],
    rows.map((r) => [r.name, r.stage, `${r.percent}%`, ...sideCells(r.traffic, 'legacy'), ...sideCells(r.traffic, 'new'), sideCells(r.traffic, 'none')[0]]),
  );
}

async function measureTraffic(target: AdminTarget, seconds: number): Promise<Map<string, RouteTraffic>> {
  const before = await adminRequest<string>(target, 'GET', '/metrics');
  // Progress goes to stderr, so --json output stays clean.
  process.stderr.write(`measuring traffic for ${seconds} s…\n`);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return trafficBetween(before, await adminRequest<string>(target, 'GET', '/metrics'), seconds);
}

function sideCells(traffic: RouteTraffic | null, side: string): [string, string] {
  if (!traffic) return ['-', '-'];
  const t = traffic[side];
  if (!t) return ['0.0', '-'];
  return [t.requestsPerSecond.toFixed(1), t.requests > 0 ? `${(t.errorRate * 100).toFixed(1)}%` : '-'];
}
