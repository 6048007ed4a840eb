import type { AddressInfo } from 'node:net';
import { Gauge } from 'prom-client';
import type { StranglerConfig } from '../core/config/types';
import { StranglerError } from '../core/errors';
import { createLogger, type Logger } from '../core/logging';
import { createMetricsRegistry } from '../core/metrics';
import { createFlagProvider } from '../rollout/flags/open';
import { openStateStore } from '../rollout/open-store';
import { buildAdminApi } from './admin';
import { ProxyMetrics } from './metrics';
import { ProxyServer } from './server';
import { startShadowComparisons } from './shadow-comparisons';
import { ShadowMetrics } from './shadow-metrics';
import { SqlComparisonStore } from '../diff-reader/store/sql-comparison-store';

export interface RunningProxy {
  proxyAddress: AddressInfo;
  adminAddress: AddressInfo;
  /** The state store in use (`embedded` or `postgres`) and the flag provider (`embedded` or `unleash`). */
  state: string;
  flags: string;
  /** Graceful stop: stop accepting, finish in-flight requests, close the store. */
  stop(): Promise<void>;
}

/** Opens the state store and the flag provider, starts the data path and the admin API. */
export async function startProxy(config: StranglerConfig, logger: Logger = createLogger('strangler')): Promise<RunningProxy> {
  const { store, database, notifications } = await openStateStore(config, logger);
  const registry = createMetricsRegistry();
  const flags = createFlagProvider(config, store, registry, logger, notifications);
  try {
    await flags.start();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  const metrics = new ProxyMetrics(registry, config.routes, flags.view);
  const comparisons = new SqlComparisonStore(database);
  const shadow = startShadowComparisons(config, comparisons, new ShadowMetrics(registry), logger);
  const proxy = new ProxyServer({ config, state: flags.view, metrics, logger, shadow });
  new Gauge({
    name: 'strangler_requests_in_flight',
    help: 'Requests being forwarded now (both sides): what a drain waits for.',
    registers: [registry],
    collect() {
      this.set(proxy.activeRequests);
    },
  });
  new Gauge({
    name: 'strangler_websocket_tunnels',
    help: 'WebSocket (and other Upgrade) tunnels open now; their handshakes are counted in strangler_requests_total (101).',
    registers: [registry],
    collect() {
      this.set(proxy.openTunnels);
    },
  });
  let draining = false;
  const admin = buildAdminApi({
    token: config.admin.token,
    routes: config.routes,
    flags,
    registry,
    isDraining: () => draining,
    setFlagsClientToken: flags.setClientToken?.bind(flags),
    comparisons: { store: comparisons, flush: () => shadow.flush(), keepsMatches: config.state.keepMatches },
  });
  let proxyAddress: AddressInfo;
  let listening: 'admin' | 'listen' = 'admin';
  try {
    await admin.listen({ host: config.admin.host, port: config.admin.port });
    listening = 'listen';
    proxyAddress = await proxy.listen();
  } catch (err) {
    await admin.close();
    await flags.stop();
    await store.close();
    throw listenFailure(err as NodeJS.ErrnoException, config, listening);
  }
  const adminAddress = admin.server.address() as AddressInfo;
  logger.info(
    { proxy: `${proxyAddress.address}:${proxyAddress.port}`, admin: `${adminAddress.address}:${adminAddress.port}`, state: store.kind, flags: flags.kind },
    'strangler proxy listening',
  );
  return {
    proxyAddress,
    adminAddress,
    state: store.kind,
    flags: flags.kind,
    async stop() {
      draining = true;
      // /readyz answers 503 now; new connections are still served until the load balancer has noticed.
      if (config.listen.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.listen.shutdownDelayMs));
      await proxy.close();
      const closed = await settlesWithin(STORE_STOP_MS, async () => {
        await shadow.stop();
        await admin.close();
        await flags.stop();
        await store.close();
      });
      if (!closed) logger.warn({ waitedMs: STORE_STOP_MS }, 'the state store did not answer while stopping: comparisons and counts not yet written are lost');
    },
  };
}

/**
 * How long a stop waits, once requests are done, for the state store to take what is held and close: a
 * store that stops answering must not keep a replica from stopping.
 */
export const STORE_STOP_MS = 5000;

/** Runs `work`; false when it has not settled within `ms` (it goes on in the background, its failure ignored). */
async function settlesWithin(ms: number, work: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = work().then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port that cannot be had, said as a config problem: the file, the block and what is wrong. */
function listenFailure(err: NodeJS.ErrnoException, config: StranglerConfig, block: 'admin' | 'listen'): Error {
  const { host, port } = config[block];
  switch (err.code) {
    case 'EADDRINUSE':
      return new StranglerError('STRANGLER_ERR_LISTEN', `${config.file} ${block}.port: ${host}:${port} is in use by another process`);
    case 'EACCES':
      return new StranglerError('STRANGLER_ERR_LISTEN', `${config.file} ${block}.port: ${port} needs privileges this process lacks (ports below 1024)`);
    case 'EADDRNOTAVAIL':
      return new StranglerError('STRANGLER_ERR_LISTEN', `${config.file} ${block}.host: ${host} is not an address of this machine`);
    default:
      return err;
  }
}
