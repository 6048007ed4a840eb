/**
 * Child-process entry for bench/proxy.ts: each contender runs in its own process so its CPU and RSS can be
 * read from /proc. Usage:
 *
 *   node dist/bench/proxy-worker.js strangler         <legacyOrigin> <newOrigin>   # orders: canary 50 %
 *   node dist/bench/proxy-worker.js strangler-legacy  <legacyOrigin> <newOrigin>   # orders: legacy, shadow off
 *   node dist/bench/proxy-worker.js strangler-shadow  <legacyOrigin> <newOrigin> [sample]  # orders: shadow, GET (sample 1)
 *   node dist/bench/proxy-worker.js strangler-copy    <legacyOrigin> <newOrigin> [sample]  # the same copies, not compared
 *   node dist/bench/proxy-worker.js http-proxy <upstreamOrigin>
 *   node dist/bench/proxy-worker.js reply-from <upstreamOrigin>
 *   node dist/bench/proxy-worker.js guard      <tempDir>
 * strangler-shadow takes a 4th argument, the comparison store: `none` (default, DiscardingComparisonStore),
 * or a state URL (`embedded:<folder>` for PGlite, `postgres://…`) whose real SqlComparisonStore is written;
 * the strangler modes a 5th, the upstreams' shadowPipelining (default 1).
 *
 * A proxy prints one JSON line `{"port":N,"pid":P}` once it listens on 127.0.0.1, answers a `stats` line on
 * stdin with one JSON line, and exits on stdin EOF (so it never outlives the bench). Each mode loads only
 * its own libraries, so a peer's RSS is not inflated by the others'.
 *
 * `guard` is the bench's safety net for processes that do not read stdin (nginx): it reads PIDs, one a line,
 * and on stdin EOF — the bench exited, however it exited — sends them SIGTERM (SIGKILL a second later) and
 * removes the bench's temp dir.
 */
import { rmSync } from 'node:fs';
import { createServer, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Duplex } from 'node:stream';
import { DEFAULT_NOISE_THRESHOLDS, type ComparisonQuery, type ComparisonRecord, type ComparisonStore, type ComparisonTally, type ReportCountsRead, type RequestComparisons } from '../core/comparison';
import type { RouteConfig, ShadowConfig, StranglerConfig, UpstreamConfig } from '../core/config/types';
import { FixedRouteState } from '../rollout/fixed-state';

/** Prefix of the temp dir bench/proxy.ts creates; `guard` removes nothing else. */
export const TEMP_PREFIX = 'strangler-bench-';

type Stats = () => Promise<unknown>;
type Close = () => Promise<void>;

interface Running {
  port: number;
  stats: Stats;
  close: Close;
}

function fail(message: string): never {
  process.stderr.write(`proxy-worker: ${message}\n`);
  process.exit(2);
}

function origin(arg: string | undefined): string {
  if (!arg) fail('missing upstream origin');
  const url = new URL(arg);
  if (url.hostname !== '127.0.0.1') fail(`upstream must be on 127.0.0.1, got ${arg}`);
  return url.origin;
}

// ---------------------------------------------------------------------------------------------------------
// strangler: ProxyServer with a static route state (as test/helpers/proxy-harness.ts does), metrics on.

function upstream(name: string, url: string, shadowPipelining: number): UpstreamConfig {
  // The config loader's defaults (core/config/schema.ts): 30 s timeout, 128 pooled connections.
  return { name, url, timeoutMs: 30000, connections: 128, preserveHost: false, shadowPipelining };
}

function route(name: string, path: string, extra: Partial<RouteConfig>): RouteConfig {
  return {
    name,
    match: { path },
    legacy: 'legacy',
    stage: 'legacy',
    percent: 0,
    stickiness: { kind: 'random' },
    stickyFallback: 'random',
    flag: `strangler.${name}`,
    ...extra,
  };
}

/**
 * How `/api/orders` (the route every bench request hits) is set:
 *   canary  canary 50 %, sticky on x-user-id (the `strangler` contender; no shadow block)
 *   legacy  stage legacy: every request to legacy, shadow block present but the stage does not copy
 *   shadow  stage shadow: every request to legacy AND every GET copied to the new service and diffed
 * `legacy` and `shadow` differ in the route's stage only, so their CPU ratio is the cost of shadowing.
 */
export type OrdersVariant = 'canary' | 'legacy' | 'shadow';

/** The shadow block of `/api/orders` in the legacy and shadow variants: copy every GET, diff status, content-type and body. */
export const BENCH_SHADOW: ShadowConfig = {
  sample: 1,
  methods: ['GET', 'HEAD'],
  noiseSample: 0,
  noiseThresholds: { ...DEFAULT_NOISE_THRESHOLDS },
  ignore: [],
  maxBodyBytes: 1024 * 1024,
  maxDecodedBytes: 16 * 1024 * 1024,
  maxInFlight: 1024,
  unordered: false,
  mapKeys: [],
  numericTolerance: 0,
  headers: ['content-type'],
  onCanary: false,
};

/** The bench's strangler.yaml: the measured route is `orders` (see OrdersVariant). */
export function benchConfig(legacyOrigin: string, newOrigin: string, variant: OrdersVariant = 'canary', shadowSample = 1, shadowPipelining = 1): StranglerConfig {
  const ordersMatch = { path: '/api/orders', methods: ['GET', 'POST', 'PUT'] };
  const orders =
    variant === 'canary'
      ? route('orders', '/api/orders', { service: 'orders', stage: 'canary', percent: 50, stickiness: { kind: 'header', name: 'x-user-id' }, match: ordersMatch })
      : route('orders', '/api/orders', {
          service: 'orders',
          stage: variant,
          percent: 0,
          stickiness: { kind: 'header', name: 'x-user-id' },
          match: ordersMatch,
          shadow: { ...BENCH_SHADOW, sample: shadowSample },
        });
  return {
    file: 'bench.yaml',
    listen: { host: '127.0.0.1', port: 0, maxHeaderBytes: 16384, drainTimeoutMs: 1000, keepAliveTimeoutMs: 75000, shutdownDelayMs: 0, sendTimeoutMs: 60000, trustedProxies: [] },
    admin: { host: '127.0.0.1', port: 0, token: 'bench-admin-token' },
    state: { url: 'embedded:./.strangler-bench', pollMs: 1000, keepComparisons: 100000, keepCountsDays: 30, keepMatches: false },
    flags: { provider: 'embedded' },
    upstreams: {
      legacy: upstream('legacy', legacyOrigin, shadowPipelining),
      orders: upstream('orders', newOrigin, shadowPipelining),
      users: upstream('users', newOrigin, shadowPipelining),
    },
    routes: [
      route('users', '/api/users', { service: 'users', stage: 'live', percent: 100, match: { path: '/api/users', methods: ['GET'] } }),
      orders,
      route('order-exports', '/api/orders/exports', { service: 'orders', stage: 'shadow' }),
      route('catalog', '/api/catalog/items', { service: 'users', stage: 'canary', percent: 10 }),
      route('reports-v1', '/v1/reports', { deprecated: { sunset: '2027-06-01T00:00:00Z', link: '/v2/reports' } }),
    ],
  };
}

/**
 * Stands in for the database (PGlite/PostgreSQL) behind the comparison writer: accepts every batch and
 * throws it away, counting it, so the bench measures the proxy's shadow path (copy, capture, diff,
 * batching), not a database's inserts.
 */
class DiscardingComparisonStore implements ComparisonStore {
  records = 0;
  batches = 0;
  prunes = 0;
  counted = 0;
  countWrites = 0;

  constructor(readonly kind = 'no-op') {}

  async write(batch: ComparisonRecord[]): Promise<void> {
    this.records += batch.length;
    this.batches++;
  }

  async query(_query: ComparisonQuery): Promise<ComparisonRecord[]> {
    return [];
  }

  async get(_requestId: string): Promise<ComparisonRecord | undefined> {
    return undefined;
  }

  async startingWith(_prefix: string, _limit: number): Promise<ComparisonRecord[]> {
    return [];
  }

  async withRequestId(_requestId: string, _options: { route?: string; limit: number }): Promise<RequestComparisons> {
    return { newest: [], kept: [] };
  }

  async oldestKept(): Promise<Date | undefined> {
    return undefined;
  }

  async prune(_keep: number): Promise<number> {
    this.prunes++;
    return 0;
  }

  async reclaimSpace(): Promise<void> {}

  async writeCounts(tally: ComparisonTally): Promise<void> {
    this.counted += tally.counts.reduce((sum, count) => sum + count.comparisons, 0);
    this.countWrites++;
  }

  async readCounts(): Promise<ComparisonTally> {
    return { counts: [], latency: [] };
  }

  async readReportCounts(): Promise<ReportCountsRead> {
    return { counts: [], latency: [], span: null };
  }

  async pruneCounts(_before: Date): Promise<number> {
    return 0;
  }

  async prunedThrough(): Promise<Date | undefined> {
    return undefined;
  }

  async compactCounts(_before: Date, _maxHours: number): Promise<number> {
    return 0;
  }

  async compactedThrough(): Promise<Date | undefined> {
    return undefined;
  }
}

/** The real store (PGlite or PostgreSQL) behind the writer, counted like the discarding one. */
class CountingComparisonStore extends DiscardingComparisonStore {
  constructor(
    private readonly inner: ComparisonStore,
    kind: string,
  ) {
    super(kind);
  }

  override async write(batch: ComparisonRecord[]): Promise<void> {
    await this.inner.write(batch);
    await super.write(batch);
  }

  override async prune(keep: number): Promise<number> {
    const deleted = await this.inner.prune(keep);
    await super.prune(keep);
    return deleted;
  }

  override async writeCounts(tally: ComparisonTally, writeId?: string): Promise<void> {
    await this.inner.writeCounts(tally, writeId);
    await super.writeCounts(tally);
  }

  override async pruneCounts(before: Date): Promise<number> {
    return this.inner.pruneCounts(before);
  }

  override async compactCounts(before: Date, maxHours: number): Promise<number> {
    return this.inner.compactCounts(before, maxHours);
  }
}

/** `none`: the discarding store; otherwise the SqlComparisonStore of that state URL, and how to close it. */
async function comparisonStore(url: string, config: StranglerConfig): Promise<{ store: DiscardingComparisonStore; close: () => Promise<void> }> {
  if (url === 'none') return { store: new DiscardingComparisonStore(), close: async () => undefined };
  const { openStateStore } = require('../rollout/open-store') as typeof import('../rollout/open-store');
  const { SqlComparisonStore } = require('../diff-reader/store/sql-comparison-store') as typeof import('../diff-reader/store/sql-comparison-store');
  const { store: state, database } = await openStateStore({ ...config, state: { ...config.state, url } });
  const kind = url.startsWith('embedded:') ? 'PGlite' : 'PostgreSQL';
  return { store: new CountingComparisonStore(new SqlComparisonStore(database), kind), close: () => state.close() };
}

/** Sums a prom-client counter's values by one label. */
async function countsBy(registry: import('prom-client').Registry, metric: string, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const found = registry.getSingleMetric(metric);
  if (!found) return out;
  for (const item of (await found.get()).values) {
    const key = String(item.labels[label]);
    out[key] = (out[key] ?? 0) + item.value;
  }
  return out;
}

/**
 * `compare: false` (strangler-copy) sends and reads the copies exactly as strangler-shadow does, then drops
 * each finished exchange uncompared: the difference between the two is what the comparison costs.
 */
async function startStrangler(args: string[], variant: OrdersVariant, compare = true): Promise<Running> {
  const { ProxyServer } = require('../proxy/server') as typeof import('../proxy/server');
  const { ProxyMetrics } = require('../proxy/metrics') as typeof import('../proxy/metrics');
  const { Registry } = require('prom-client') as typeof import('prom-client');
  const pino = require('pino') as typeof import('pino');
  const sample = args[2] === undefined ? 1 : Number(args[2]);
  if (!(sample > 0 && sample <= 1)) fail(`shadow sample must be above 0 and at most 1, got ${JSON.stringify(args[2])}`);
  const pipelining = args[4] === undefined ? 1 : Number(args[4]);
  if (!(Number.isInteger(pipelining) && pipelining >= 1 && pipelining <= 128)) fail(`shadow pipelining must be a whole number from 1 to 128, got ${JSON.stringify(args[4])}`);
  const config = benchConfig(origin(args[0]), origin(args[1]), variant, sample, pipelining);
  const state = new FixedRouteState();
  for (const r of config.routes) state.set(r.name, r.stage, r.percent);
  const registry = new Registry();
  const metrics = new ProxyMetrics(registry, config.routes, state);
  const logger = pino({ level: 'silent' });

  // Shadow: wired exactly as proxy/start.ts does (startShadowComparisons → ProxyServer's `shadow`), with
  // the database replaced by DiscardingComparisonStore. Only the variants whose route has a shadow block;
  // `legacy` gets it too, so it differs from `shadow` in the route's stage alone.
  let shadow: { stats: () => Promise<unknown> } | undefined;
  let closeStore = async (): Promise<void> => undefined;
  let options: ConstructorParameters<typeof ProxyServer>[0] = { config, state, metrics, logger };
  if (variant !== 'canary') {
    const { startShadowComparisons } = require('../proxy/shadow-comparisons') as typeof import('../proxy/shadow-comparisons');
    const { ShadowMetrics } = require('../proxy/shadow-metrics') as typeof import('../proxy/shadow-metrics');
    const opened = await comparisonStore(compare && variant === 'shadow' ? (args[3] ?? 'none') : 'none', config);
    const store = opened.store;
    closeStore = opened.close;
    // Comparison failures are logged at warn and nothing else: count those lines.
    let failed = 0;
    let lastFailure: string | undefined;
    const failures = pino(
      { level: 'warn' },
      {
        write: (line: string) => {
          failed++;
          lastFailure = line.slice(0, 300);
        },
      },
    );
    const comparisons = startShadowComparisons(config, store, new ShadowMetrics(registry), failures);
    let exchanges = 0;
    options = {
      ...options,
      shadow: {
        metrics: comparisons.metrics,
        onExchange: (exchange) => {
          exchanges++;
          if (compare) comparisons.onExchange(exchange);
        },
      },
    };
    shadow = {
      async stats() {
        await comparisons.flush();
        const compared = await countsBy(registry, 'strangler_shadow_comparisons_total', 'result');
        return {
          /** Copies finished (legacy and new both answered); handed to the comparator unless `compare` is false. */
          exchanges,
          comparisons: Object.values(compared).reduce((a, b) => a + b, 0),
          byResult: compared,
          dropped: await countsBy(registry, 'strangler_shadow_dropped_total', 'reason'),
          failed,
          ...(lastFailure ? { lastFailure } : {}),
          stored: { kind: store.kind, records: store.records, batches: store.batches, prunes: store.prunes, counted: store.counted, countWrites: store.countWrites },
        };
      },
    };
  }
  const server = new ProxyServer(options);
  const address = await server.listen();
  return {
    port: address.port,
    close: () => server.close().finally(closeStore),
    async stats() {
      const byTarget: Record<string, number> = {};
      const byCode: Record<string, number> = {};
      for (const item of (await metrics.requests.get()).values) {
        const target = String(item.labels.target);
        const code = String(item.labels.code);
        byTarget[target] = (byTarget[target] ?? 0) + item.value;
        byCode[code] = (byCode[code] ?? 0) + item.value;
      }
      return { byTarget, byCode, ...(shadow ? { shadow: await shadow.stats() } : {}) };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Peers. Both count answers by status so the bench can tell a broken peer from a fast one.

function counter(): { count: (status: number) => void; stats: Stats } {
  const byCode: Record<string, number> = {};
  return {
    count: (status) => {
      byCode[status] = (byCode[status] ?? 0) + 1;
    },
    stats: async () => ({ byCode }),
  };
}

/** Plain node:http + http-proxy, keep-alive agent to the upstream, an 'error' listener (else it crashes). */
async function startHttpProxy(args: string[]): Promise<Running> {
  const httpProxy = require('http-proxy') as typeof import('http-proxy');
  const target = origin(args[0]);
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const proxy = httpProxy.createProxyServer({ target, agent });
  const { count, stats } = counter();
  proxy.on('error', (_err: Error, _req: IncomingMessage, res: ServerResponse | Duplex) => {
    count(502);
    if (!('writeHead' in res)) return void res.destroy();
    if (res.headersSent) return void res.destroy();
    res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway\n');
  });
  proxy.on('proxyRes', (proxyRes: IncomingMessage) => count(proxyRes.statusCode ?? 0));
  const server = createServer((req, res) => proxy.web(req, res));
  await new Promise<void>((done, reject) => server.once('error', reject).listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    stats,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      agent.destroy();
    },
  };
}

/** fastify + @fastify/reply-from (undici) with a pass-through content-type parser (else 0-byte bodies). */
async function startReplyFrom(args: string[]): Promise<Running> {
  const fastify = require('fastify') as typeof import('fastify');
  const replyFrom = require('@fastify/reply-from') as typeof import('@fastify/reply-from');
  const base = origin(args[0]);
  const { count, stats } = counter();
  const app = fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, body, done) => done(null, body));
  await app.register(replyFrom, { base, undici: { connections: 128, pipelining: 1 } });
  app.addHook('onResponse', (_req, reply, done) => {
    count(reply.statusCode);
    done();
  });
  app.all('/*', (request, reply) => {
    reply.from(request.url);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (app.server.address() as AddressInfo).port, stats, close: () => app.close() };
}

// ---------------------------------------------------------------------------------------------------------

function guard(args: string[]): void {
  const dir = args[0] ? resolve(args[0]) : undefined;
  if (dir && (dirname(dir) !== resolve(tmpdir()) || !basename(dir).startsWith(TEMP_PREFIX))) fail(`refusing to guard ${dir}`);
  const pids = new Set<number>();
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const pid = Number(line.trim());
    if (Number.isInteger(pid) && pid > 1) pids.add(pid);
  });
  lines.on('close', () => {
    const signal = (name: NodeJS.Signals): number => {
      let alive = 0;
      for (const pid of pids) {
        try {
          process.kill(pid, name);
          alive++;
        } catch {
          pids.delete(pid);
        }
      }
      return alive;
    };
    const cleanDir = (): void => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    };
    if (signal('SIGTERM') === 0) return cleanDir();
    setTimeout(() => {
      signal('SIGKILL');
      setTimeout(cleanDir, 100);
    }, 1000);
  });
}

/** process.memoryUsage() in MB, one decimal. */
function memoryMb(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, bytes] of Object.entries(process.memoryUsage())) out[key] = Math.round(bytes / 104857.6) / 10;
  for (const space of getHeapSpaceStatistics()) out[space.space_name] = Math.round(space.space_size / 104857.6) / 10;
  return out;
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'guard') return guard(args);
  const starters: Record<string, (a: string[]) => Promise<Running>> = {
    strangler: (a) => startStrangler(a, 'canary'),
    'strangler-legacy': (a) => startStrangler(a, 'legacy'),
    'strangler-shadow': (a) => startStrangler(a, 'shadow'),
    'strangler-copy': (a) => startStrangler(a, 'shadow', false),
    'http-proxy': startHttpProxy,
    'reply-from': startReplyFrom,
  };
  const start = mode ? starters[mode] : undefined;
  if (!start) fail(`unknown mode ${JSON.stringify(mode)}; expected ${Object.keys(starters).join(', ')} or guard`);
  const running = await start(args);
  let exiting = false;
  const exit = (): void => {
    if (exiting) return;
    exiting = true;
    setTimeout(() => process.exit(0), 2000).unref();
    running.close().finally(() => process.exit(0));
  };
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() !== 'stats') return;
    running.stats().then(
      (stats) => process.stdout.write(`${JSON.stringify({ ...(stats as object), memory: memoryMb() })}\n`),
      (err: Error) => process.stdout.write(`${JSON.stringify({ error: err.message })}\n`),
    );
  });
  lines.on('close', exit);
  process.on('SIGTERM', exit);
  process.stdout.write(`${JSON.stringify({ port: running.port, pid: process.pid })}\n`);
}

if (require.main === module) main().catch((err: Error) => fail(err.stack ?? err.message));
