/**
 * What a long diff report costs the proxy that serves it: reading a route's comparison counts from the
 * state store (the embedded PGlite, or PostgreSQL with --store postgres://…) and building the report, for windows of 1 day, 7 days and --days, with counts kept
 * per minute (as written) and kept by the hour once a day old (compactCounts, as the proxy's writer does),
 * side by side in one run.
 *
 *   npm run build && node dist/bench/diff-report.js                  # 30 days, 2 proxies, 1 route: ~2 min
 *   node dist/bench/diff-report.js --days 7 --proxies 1 --routes 3
 *   node dist/bench/diff-report.js --store postgres://user@host/db   # a fleet's store: a fresh database is
 *                                                   # created beside db on that server, and dropped after
 *
 * Seeded like a busy route: every minute, each proxy wrote a match, a mismatch and a noise count per route
 * and a latency sketch per side (~230 buckets, latencies over 1–100 ms); the proxies' writes of a minute add
 * up in one row per outcome and side, as in production (the seeding time shows what those upserts cost). Each report runs in its own fresh
 * node process with bin/strangler's memory settings, which opens the store (openDatabase, as the proxy does), then reads, builds and
 * serialises the report as the admin API's /diff/report does (readDiffReport, 100 fields a route); RSS growth = RSS after the report −
 * RSS after opening the store; peak = the process's highest RSS − RSS after opening; stall = the longest the
 * event loop went without a turn while the report was made (a 5 ms timer: what a request the proxy serves meanwhile can wait).
 * Each report is made twice: as the proxy makes it (ReportPool: the model built on a worker thread for large
 * windows) and with the model built inline, on the event loop, for comparison. The compaction is timed too
 * (all the hours due, 6 per call). Ends with one JSON line. Bad usage: one-line error, exit 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { ComparisonCount, LatencyCount } from '../core/comparison';
import { EMBEDDED_PREFIX, openDatabase } from '../core/db/open';
import { withLibpqSslModes } from '../core/db/postgres-url';
import { quoteIdent, settleSslFallback } from '../core/db/postgres';
import { LatencySketch } from '../core/latency-sketch';
import { SqlComparisonStore } from '../diff-reader/store/sql-comparison-store';
import { redactUrl } from '../core/config/redact';
import { migrate } from '../rollout/migrations';
import { nodeLaunch } from './node-launch';

const USAGE = 'usage: node dist/bench/diff-report.js [--days 2-90] [--proxies 1-8] [--routes 1-20] [--store embedded|postgres://…]';
const DAY_MS = 86_400_000;

interface Sizes {
  days: number;
  proxies: number;
  routes: number;
}

interface Options extends Sizes {
  /** `embedded` (PGlite in a temp folder) or the URL of a PostgreSQL server to create the bench's database on. */
  store: string;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  const options: Options = { days: 30, proxies: 2, routes: 1, store: 'embedded' };
  const limits: Record<keyof Sizes, [number, number]> = { days: [2, 90], proxies: [1, 8], routes: [1, 20] };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const text = argv[i + 1] ?? '';
    if (flag === '--store') {
      if (text !== 'embedded' && !/^postgres(ql)?:\/\/./.test(text)) throw new UsageError(`--store expects embedded or a postgres:// URL, got ${JSON.stringify(text)}`);
      options.store = text;
      continue;
    }
    const name = flag.replace(/^--/, '') as keyof Sizes;
    if (!flag.startsWith('--') || !(name in limits)) throw new UsageError(`unknown option ${JSON.stringify(flag)}; ${USAGE}`);
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    const [min, max] = limits[name];
    if (!(value >= min && value <= max)) throw new UsageError(`${flag} expects an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
    options[name] = value;
  }
  return options;
}

/** Writes `days` of counts ending at the current minute, a day per write per proxy, as the writers would. */
async function seed(store: SqlComparisonStore, options: Options, now: number): Promise<number> {
  const sketch = new LatencySketch();
  for (let i = 0; i < 2000; i++) sketch.add(Math.exp((i / 2000) * Math.log(100)) * (1 + ((i * 7919) % 13) / 100));
  const buckets = sketch.buckets();
  const first = Math.floor(now / 60_000) * 60_000 - options.days * DAY_MS;
  let rows = 0;
  for (let day = 0; day < options.days; day++) {
    for (let proxy = 0; proxy < options.proxies; proxy++) {
      const counts: ComparisonCount[] = [];
      const latency: LatencyCount[] = [];
      for (let m = 0; m < 1440; m++) {
        const minute = new Date(first + (day * 1440 + m) * 60_000).toISOString();
        for (let r = 0; r < options.routes; r++) {
          const route = `route-${r}`;
          counts.push(
            { route, minute, result: 'match', differences: [], noise: [], error: null, comparisons: 900 },
            { route, minute, result: 'mismatch', differences: [{ path: '$.items[*].price', kinds: ['changed'] }], noise: [], error: null, comparisons: 30 },
            { route, minute, result: 'noise', differences: [], noise: [{ path: '$.meta.generatedAt', kinds: ['changed'] }], error: null, comparisons: 70 },
          );
          latency.push({ route, minute, side: 'legacy', buckets }, { route, minute, side: 'candidate', buckets });
        }
      }
      await store.writeCounts({ counts, latency });
      rows += counts.length + latency.length;
    }
  }
  return rows;
}

interface ReportRun {
  from: string;
  ms: number;
  rows: number;
  rssGrowthMb: number;
  peakGrowthMb: number;
  stallMs: number;
  jsonKb: number;
  comparisons: number;
}

/** How the report's model is built: on the event loop, or as the proxy builds it (ReportPool: a worker thread past OFF_LOOP_REPORT_ROWS). */
type BuildMode = 'inline' | 'pool';

/** One report in a fresh process: open, read the counts of `route` since `since`, build, measure. */
function reportRun(url: string, since: Date, mode: BuildMode): ReportRun {
  const dist = join(__dirname, '..');
  const program = `(async () => {
    const { openDatabase } = require(${JSON.stringify(join(dist, 'core/db/open'))});
    const { SqlComparisonStore } = require(${JSON.stringify(join(dist, 'diff-reader/store/sql-comparison-store'))});
    const { readDiffReport, ReportPool } = require(${JSON.stringify(join(dist, 'diff-reader/report'))});
    const pool = ${JSON.stringify(mode)} === 'pool' ? new ReportPool() : undefined;
    const db = await openDatabase(${JSON.stringify(url)});
    const store = new SqlComparisonStore(db);
    await store.compactedThrough();
    const opened = process.memoryUsage().rss;
    let lastTurn = performance.now();
    let stallMs = 0;
    const turns = setInterval(() => { const now = performance.now(); stallMs = Math.max(stallMs, now - lastTurn); lastTurn = now; }, 5);
    const started = performance.now();
    const since = new Date(${since.getTime()});
    const report = await readDiffReport(store, { route: 'route-0', since }, { generatedAt: new Date(), maxFields: 100 }, pool && ((input, options) => pool.build(input, options)));
    const jsonKb = JSON.stringify(report).length / 1e3;
    const ms = performance.now() - started;
    stallMs = Math.max(stallMs, performance.now() - lastTurn);
    clearInterval(turns);
    await pool?.stop();
    const rss = process.memoryUsage().rss;
    const peak = process.resourceUsage().maxRSS * 1024;
    // Rows the report read: latency comes back merged per side, so both tables are counted here, after timing.
    const counted = (table) => db.query('SELECT count(*) AS n FROM ' + table + " WHERE route = 'route-0' AND minute >= $1", [report.window.from]).then((r) => Number(r.rows[0].n));
    const rows = (await counted('strangler_comparison_counts')) + (await counted('strangler_comparison_latency'));
    await db.close();
    console.log(JSON.stringify({ from: report.window.from, ms, rows, rssGrowthMb: (rss - opened) / 1e6, peakGrowthMb: (peak - opened) / 1e6, stallMs, jsonKb, comparisons: report.totals.counts.comparisons }));
  })().catch((err) => { console.error(err.message); process.exit(1); });`;
  const launch = nodeLaunch(false);
  const child = spawnSync(process.execPath, [...launch.nodeArgs, '-e', program], { env: launch.env, encoding: 'utf8', timeout: 600_000 });
  if (child.status !== 0) throw new Error(`bench/diff-report: a report failed: ${child.stderr.trim() || child.error?.message || `exit ${child.status}`}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as ReportRun;
}

/** The bench's own state store: a URL openDatabase takes, what to call it, and how to remove it after. */
interface BenchStore {
  url: string;
  label: string;
  remove(): Promise<void>;
}

async function onServer<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withLibpqSslModes(await settleSslFallback(serverUrl)), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new UsageError(`--store: cannot connect to ${redactUrl(serverUrl)}: ${(err as Error).message}`);
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `embedded`: PGlite in a temp folder. A postgres:// URL: a fresh database on that server (never the one named). */
async function createStore(option: string): Promise<BenchStore> {
  if (option === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'strangler-bench-report-'));
    return { url: `${EMBEDDED_PREFIX}${join(dir, 'state')}`, label: 'embedded store (PGlite)', remove: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `strangler_bench_report_${process.pid}_${randomBytes(4).toString('hex')}`;
  const version = await onServer(option, async (client) => {
    const row = await client.query<{ server_version: string }>('SHOW server_version');
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    return row.rows[0]!.server_version;
  });
  const url = new URL(option);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    label: `PostgreSQL ${version.split(' ')[0]} at ${url.hostname}:${url.port || '5432'}`,
    remove: () => onServer(option, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withStore<T>(url: string, fn: (store: SqlComparisonStore) => Promise<T>): Promise<T> {
  const db = await openDatabase(url);
  try {
    await migrate(db);
    return await fn(new SqlComparisonStore(db));
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const target = await createStore(options.store);
  try {
    const now = Date.now();
    const seedStarted = performance.now();
    const rows = await withStore(target.url, (store) => seed(store, options, now));
    const seedMs = performance.now() - seedStarted;
    const windows = [...new Set([1, 7, options.days])].filter((days) => days <= options.days);
    const sinceOf = (days: number): Date => new Date(now - days * DAY_MS);
    const perMinute = windows.map((days) => reportRun(target.url, sinceOf(days), 'pool'));
    const perMinuteInline = windows.map((days) => reportRun(target.url, sinceOf(days), 'inline'));
    const compaction = await withStore(target.url, async (store) => {
      const started = performance.now();
      let hours = 0;
      let calls = 0;
      let slowestMs = 0;
      for (;;) {
        const callStarted = performance.now();
        const merged = await store.compactCounts(new Date(Date.now() - DAY_MS), 6);
        slowestMs = Math.max(slowestMs, performance.now() - callStarted);
        calls++;
        if (merged === 0) break;
        hours += merged;
      }
      return { hours, calls, ms: performance.now() - started, slowestMs };
    });
    const byHour = windows.map((days) => reportRun(target.url, sinceOf(days), 'pool'));
    const byHourInline = windows.map((days) => reportRun(target.url, sinceOf(days), 'inline'));

    console.log(
      `bench:diff-report — node ${process.version}, ${target.label}, ${nodeLaunch(false).label}; ${options.days} days × ${options.proxies} proxies × ${options.routes} route(s): ` +
        `${rows.toLocaleString('en-US')} count and latency rows written in ${(seedMs / 1000).toFixed(1)} s (the proxies' rows of a minute add up to one per outcome and side); one report of route-0 per fresh process`,
    );
    console.log(`compacted ${compaction.hours} hours in ${compaction.calls - 1} calls of ≤ 6: ${(compaction.ms / 1000).toFixed(1)} s in all, slowest call ${compaction.slowestMs.toFixed(0)} ms`);
    const header = ['window', 'rows per minute', 'rows by hour', 'ms per minute', 'ms by hour', 'time ÷', 'RSS+ MB per minute', 'RSS+ MB by hour', 'RSS ÷', 'peak+ MB per minute', 'peak+ MB by hour', 'stall ms per minute', 'stall ms by hour'];
    console.log(header.map((h, i) => (i === 0 ? h.padEnd(7) : h.padStart(h.length + 1))).join(''));
    windows.forEach((days, i) => {
      const before = perMinute[i]!;
      const after = byHour[i]!;
      const cells = [
        `${days}d`.padEnd(7),
        before.rows.toLocaleString('en-US'),
        after.rows.toLocaleString('en-US'),
        before.ms.toFixed(0),
        after.ms.toFixed(0),
        `${(before.ms / after.ms).toFixed(1)}×`,
        before.rssGrowthMb.toFixed(0),
        after.rssGrowthMb.toFixed(0),
        `${(before.rssGrowthMb / Math.max(1, after.rssGrowthMb)).toFixed(1)}×`,
        before.peakGrowthMb.toFixed(0),
        after.peakGrowthMb.toFixed(0),
        before.stallMs.toFixed(0),
        after.stallMs.toFixed(0),
      ];
      console.log(cells.map((cell, c) => (c === 0 ? cell : cell.padStart(header[c]!.length + 1))).join(''));
    });
    // What building the model on the worker saves the event loop (and costs in time), against building it inline.
    console.log('built inline → as the proxy builds it (on a worker thread from 2,000 rows): ms and the longest event-loop stall');
    windows.forEach((days, i) => {
      const cell = (inline: ReportRun, pool: ReportRun): string => `${inline.ms.toFixed(0)} → ${pool.ms.toFixed(0)} ms, stall ${inline.stallMs.toFixed(0)} → ${pool.stallMs.toFixed(0)} ms`;
      console.log(`${`${days}d`.padEnd(7)} per minute: ${cell(perMinuteInline[i]!, perMinute[i]!)}; by hour: ${cell(byHourInline[i]!, byHour[i]!)}`);
    });
    // By the hour, a window that starts inside a merged hour counts that hour whole (and says so in window.from).
    windows.forEach((days, i) => {
      const before = perMinute[i]!;
      const after = byHour[i]!;
      const same = before.comparisons === after.comparisons;
      console.log(
        `${days}d counted ${before.comparisons.toLocaleString('en-US')} comparisons from ${before.from} per minute, ` +
          `${after.comparisons.toLocaleString('en-US')} from ${after.from} by the hour${same ? '' : ' (the whole first hour)'}`,
      );
    });
    console.log(
      JSON.stringify({
        bench: 'diff-report',
        node: process.version,
        options: { ...options, store: redactUrl(options.store) },
        storeKind: options.store === 'embedded' ? 'embedded' : 'postgres',
        seededRows: rows,
        compaction,
        reports: windows.map((days, i) => ({ days, perMinute: perMinute[i], byHour: byHour[i], inline: { perMinute: perMinuteInline[i], byHour: byHourInline[i] } })),
      }),
    );
  } finally {
    await target.remove();
  }
}

main().catch((err: Error) => {
  if (err instanceof UsageError) {
    console.error(`bench/diff-report: ${err.message}`);
    process.exit(2);
  }
  console.error(err.message);
  process.exit(1);
});
