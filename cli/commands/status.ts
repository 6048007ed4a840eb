import type { RouteSummary } from '../../core/admin-api';
import { UNMATCHED_ROUTE } from '../../core/metric-names';
import { adminRequest, resolveAdminTarget, type AdminTarget } from '../admin-client';
import { printJson, printLines, table } from '../output';
import { flagRuleLine, shareText } from '../route-share';
import { restartedBetween, trafficBetween, type RouteTraffic, type TargetTraffic } from '../traffic';
import { topLevelCommand, numberFlag, withAdminFlags } from './common';

export const statusCommand = topLevelCommand({
  command: 'status',
  describe: 'Each route: stage, percent, requests/s and error rate per target, and requests/s a retired route still gets',
  builder: (yargs) =>
    withAdminFlags(yargs)
      .option('window', numberFlag('--window', 'Whole seconds between the two metric scrapes rates are computed over; 0: stage and percent only', 1, { what: 'a whole number of seconds', min: 0, max: 300, integer: true }))
      .example('$0 status', 'stage, percent and live traffic of every route')
      .example('$0 status --json --window 5', 'the same as JSON, rates over 5 s'),
  handler: async (args) => {
    const target = resolveAdminTarget(args);
    const measured = args.window > 0 ? await measureTraffic(target, args.window) : undefined;
    const traffic = measured?.traffic;
    const routes = await adminRequest<{ routes: RouteSummary[] }>(target, 'GET', '/routes');
    // A replica that cannot read its state store shows its last known state: it must say so.
    const readiness = await adminRequest<Readiness>(target, 'GET', '/readyz', undefined, [503]);
    // Without a window nothing was measured: traffic is null, not zero. Measured, every target is there, quiet ones at 0.
    const rows = routes.routes.map((route) => ({ ...route, traffic: traffic ? everyTarget(traffic.get(route.name)) : null }));
    const unmatched = traffic ? everyTarget(traffic.get(UNMATCHED_ROUTE)) : null;
    // null: not measured; true: the counters were reset in the window, so the requests before it are missing.
    const restarted = measured?.restarted ?? null;
    // A script asking "is this replica fine?" gets the answer in the exit code too; the table or JSON still prints.
    if (!readiness.ready) process.exitCode = NOT_READY_EXIT;
    if (args.json) return printJson({ windowSeconds: args.window, ready: readiness.ready, ...readinessNote(readiness), restarted, routes: rows, unmatched });
    const note = readinessNote(readiness);
    printLines([
      ...statusTable(rows, unmatched),
      ...(restarted ? ['', RESTARTED_NOTE] : []),
      ...(note.reason ? ['', `this proxy is not ready: ${note.reason}`] : note.degraded ? ['', `degraded: ${note.degraded}`] : []),
    ]);
  },
});

export interface StatusRow {
  name: string;
  stage: string;
  percent: number;
  flagRule?: string | null;
  /** null: not measured (`--window 0`). */
  traffic: RouteTraffic | null;
}

/** The exit code of `status` when the proxy says it is not ready (1 and 2 are errors and usage errors). */
export const NOT_READY_EXIT = 3;

const RESTARTED_NOTE = 'the proxy restarted during the window: only the requests since its restart are counted';

/** Stands for the requests no route matched (they go to legacy); parentheses, which no route name may contain. */
export const UNMATCHED_ROW = '(no route)';

/**
 * The text table; RETIRED REQ/S is what the proxy answered itself (metric target `none`): a retired route's
 * 410s and redirects. When traffic was measured, a last row shows the requests no route matched. Routes whose
 * Unleash flag decides each request show their least share (`≥10%`), and a line under the table says why.
 */
export function statusTable(rows: StatusRow[], unmatched: RouteTraffic | null = null): string[] {
  const cells = rows.map((r) => [r.name, r.stage, shareText(r), ...trafficCells(r.traffic)]);
  if (unmatched) cells.push([UNMATCHED_ROW, '-', '-', ...trafficCells(unmatched)]);
  const lines = table(['ROUTE', 'STAGE', 'PERCENT', 'LEGACY REQ/S', 'LEGACY ERR', 'NEW REQ/S', 'NEW ERR', 'RETIRED REQ/S'], cells, NUMERIC_COLUMNS);
  const rules = rows.map(flagRuleLine).filter((line): line is string => line !== undefined);
  return rules.length > 0 ? [...lines, '', ...rules] : lines;
}

const NUMERIC_COLUMNS = new Set([2, 3, 4, 5, 6, 7]);

function trafficCells(traffic: RouteTraffic | null): string[] {
  return [...sideCells(traffic, 'legacy'), ...sideCells(traffic, 'new'), sideCells(traffic, 'none')[0]];
}

async function measureTraffic(target: AdminTarget, seconds: number): Promise<{ traffic: Map<string, RouteTraffic>; restarted: boolean }> {
  const before = await adminRequest<string>(target, 'GET', '/metrics');
  // Progress goes to stderr, so --json output stays clean.
  process.stderr.write(`measuring traffic for ${seconds} s…\n`);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = await adminRequest<string>(target, 'GET', '/metrics');
  return { traffic: trafficBetween(before, after, seconds), restarted: restartedBetween(before, after) };
}

function sideCells(traffic: RouteTraffic | null, side: string): [string, string] {
  if (!traffic) return ['-', '-'];
  const t = traffic[side];
  if (!t) return ['0.0', '-'];
  return [t.requestsPerSecond.toFixed(1), t.requests > 0 ? `${(t.errorRate * 100).toFixed(1)}%` : '-'];
}

/** `legacy`, `new` and `none` always (a stable --json shape), plus any other target the metrics name. */
function everyTarget(traffic: RouteTraffic | undefined): RouteTraffic {
  const quiet = (): TargetTraffic => ({ requestsPerSecond: 0, errorRate: 0, requests: 0, errors: 0 });
  return { legacy: quiet(), new: quiet(), none: quiet(), ...traffic };
}

/** What /readyz answers. */
interface Readiness {
  ready: boolean;
  reason?: string;
  degraded?: string;
}

function readinessNote(readiness: Readiness): { reason?: string; degraded?: string } {
  if (!readiness.ready) return { reason: readiness.reason ?? 'not ready' };
  return readiness.degraded ? { degraded: readiness.degraded } : {};
}
