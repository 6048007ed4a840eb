import type { AddressInfo } from 'node:net';
import { Gauge } from 'prom-client';
import type { StranglerConfig } from '../core/config/types';
import { StranglerError } from '../core/errors';
import { createLogger, type Logger } from '../core/logging';
import { createMetricsRegistry } from '../core/metrics';
import { createFlagProvider } from '../rollout/flags/open';
import { openStateStore } from '../rollout/open-store';
import { answerProbeWhileStarting, buildAdminApi, createAdminServer } from './admin';
import { BoundServer } from './bound-server';
import { ProxyMetrics } from './metrics';
import { createDataServer, ProxyServer } from './server';
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

/** The two ports, bound before anything else is opened: the admin API's and the data path's. */
interface BoundPorts {
  admin: BoundServer;
  data: BoundServer;
  adminAddress: AddressInfo;
  proxyAddress: AddressInfo;
}

/**
 * Binds both ports, then opens the state store and the flag provider, then serves. A port that cannot be had
 * is reported before the store is created, migrated or seeded with the configured initial state; requests
 * arriving meanwhile wait for the route state (but the probes: alive, not ready).
 */
export async function startProxy(config: StranglerConfig, logger: Logger = createLogger('strangler')): Promise<RunningProxy> {
  const ports = await bindPorts(config);
  let opened: Awaited<ReturnType<typeof openStateAndFlags>>;
  try {
    opened = await openStateAndFlags(config, logger);
  } catch (err) {
    await Promise.all([ports.admin.abandon(), ports.data.abandon()]);
    throw err;
  }
  const { store, database, registry, flags } = opened;
  const metrics = new ProxyMetrics(registry, config.routes, flags.view);
  const comparisons = new SqlComparisonStore(database);
  const shadow = startShadowComparisons(config, comparisons, new ShadowMetrics(registry), logger);
  const proxy = new ProxyServer({ config, state: flags.view, metrics, logger, shadow, server: ports.data.server });
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
  const admin = buildAdminApi(
    {
      token: config.admin.token,
      routes: config.routes,
      flags,
      registry,
      isDraining: () => draining,
      setFlagsClientToken: flags.setClientToken?.bind(flags),
      comparisons: { store: comparisons, flush: () => shadow.flush(), keepsMatches: config.state.keepMatches },
    },
    ports.admin.server,
  );
  try {
    await admin.ready();
  } catch (err) {
    await Promise.all([ports.admin.abandon(), ports.data.abandon()]);
    await shadow.stop();
    await flags.stop();
    await store.close();
    throw err;
  }
  ports.admin.serve({ request: admin.routing });
  ports.data.serve(proxy.handlers);
  const { proxyAddress, adminAddress } = ports;
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
        await ports.admin.close();
        await flags.stop();
        await store.close();
      });
      if (!closed) logger.warn({ waitedMs: STORE_STOP_MS }, 'the state store did not answer while stopping: comparisons and counts not yet written are lost');
    },
  };
}

/** The admin port first, then the data path's; a port that cannot be had is a config problem naming its field. */
async function bindPorts(config: StranglerConfig): Promise<BoundPorts> {
  const admin = new BoundServer(createAdminServer(), { upgrades: false, answerEarly: answerProbeWhileStarting });
  const data = new BoundServer(createDataServer(config.listen), { upgrades: true });
  let block: 'admin' | 'listen' = 'admin';
  try {
    const adminAddress = await admin.listen(config.admin.host, config.admin.port);
    block = 'listen';
    const proxyAddress = await data.listen(config.listen.host, config.listen.port);
    return { admin, data, adminAddress, proxyAddress };
  } catch (err) {
    await Promise.all([admin.abandon(), data.abandon()]);
    throw listenFailure(err as NodeJS.ErrnoException, config, block);
  }
}

/** The state store (created, migrated and seeded as needed) and the flag provider over it, started. */
async function openStateAndFlags(config: StranglerConfig, logger: Logger) {
  const { store, database, notifications } = await openStateStore(config, logger);
  const registry = createMetricsRegistry();
  const flags = createFlagProvider(config, store, registry, logger, notifications);
  try {
    await flags.start();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return { store, database, registry, flags };
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
    case 'ENOTFOUND':
      return new StranglerError('STRANGLER_ERR_LISTEN', `${config.file} ${block}.host: ${host} is not a known host name (no address found for it)`);
    case 'EAI_AGAIN':
      return new StranglerError('STRANGLER_ERR_LISTEN', `${config.file} ${block}.host: ${host} could not be resolved: the name server did not answer (EAI_AGAIN)`);
    default:
      return err;
  }
}
