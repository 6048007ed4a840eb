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
import { adminPortRefusal, dataPortRefusal, type StartEnd } from './start-refusal';
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

export interface StartOptions {
  /** Aborted (a SIGTERM) while the store opens: the start stops, see `StartStopped`. */
  signal?: AbortSignal;
}

/**
 * A start stopped by its signal before it served: the requests that waited were answered 503, and what was
 * opened of the state store and the flags was closed.
 */
export class StartStopped extends Error {
  constructor() {
    super('stopped while starting');
    this.name = 'StartStopped';
  }
}

/**
 * Binds both ports, then opens the state store and the flag provider, then serves. A port that cannot be had
 * is reported before the store is created, migrated or seeded with the configured initial state; requests
 * arriving meanwhile wait for the route state (but the probes: alive, not ready). A start that fails, or
 * that `options.signal` stops, answers those requests 503 before it throws.
 */
export async function startProxy(config: StranglerConfig, logger: Logger = createLogger('strangler'), options: StartOptions = {}): Promise<RunningProxy> {
  const ports = await bindPorts(config);
  const { store, database, registry, flags } = await openOrRefuse(ports, config, logger, options.signal);
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
    await refuseWaiting(ports, config, 'failed');
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

type StateAndFlags = Awaited<ReturnType<typeof openStateAndFlags>>;

/**
 * The state store and the flags, opened while the ports hold what arrives. When that fails, the waiting
 * requests are answered 503 and the ports closed before the failure is thrown. When `signal` stops it, they
 * are answered at once, what was opened so far is closed (given STORE_STOP_MS, as a stop gives the store),
 * and `StartStopped` is thrown.
 */
async function openOrRefuse(ports: BoundPorts, config: StranglerConfig, logger: Logger, signal: AbortSignal | undefined): Promise<StateAndFlags> {
  let refused: Promise<void> | undefined;
  const refuse = (end: StartEnd): Promise<void> => (refused ??= refuseWaiting(ports, config, end));
  let closeTimer: NodeJS.Timeout | undefined;
  let onStop = (): void => undefined;
  const closingTooLong = new Promise<'too long'>((resolve) => {
    onStop = () => {
      logger.info('stopping while starting: answering the waiting requests 503 and closing what was opened of the state store');
      void refuse('stopped');
      closeTimer = setTimeout(() => resolve('too long'), STORE_STOP_MS);
    };
  });
  signal?.addEventListener('abort', onStop, { once: true });
  const opening = openStateAndFlags(config, logger, signal);
  try {
    const opened = await Promise.race([opening, closingTooLong]);
    if (opened === 'too long') {
      logger.warn({ waitedMs: STORE_STOP_MS }, 'the state store did not close while stopping: its connections end with the process');
      void opening.then(closeStateAndFlags, () => undefined);
      throw new StartStopped();
    }
    if (signal?.aborted) {
      // It finished opening as the signal came: closed again, as a start that had not.
      await closeStateAndFlags(opened);
      throw new StartStopped();
    }
    return opened;
  } catch (err) {
    const stopped = signal?.aborted === true;
    await refuse(stopped ? 'stopped' : 'failed');
    throw stopped ? new StartStopped() : err;
  } finally {
    clearTimeout(closeTimer);
    signal?.removeEventListener('abort', onStop);
  }
}

async function closeStateAndFlags(opened: StateAndFlags): Promise<void> {
  await opened.flags.stop().catch(() => undefined);
  await opened.store.close().catch(() => undefined);
}

/** Answers what waits on both ports 503 (see start-refusal) and closes them. */
function refuseWaiting(ports: BoundPorts, config: StranglerConfig, end: StartEnd): Promise<void> {
  return Promise.all([ports.admin.refuse(adminPortRefusal(end)), ports.data.refuse(dataPortRefusal(config.routes, end))]).then(() => undefined);
}

/**
 * The state store (created, migrated and seeded as needed) and the flag provider over it, started. `signal`
 * stops the store's opening (see openStateStore); flags being started finish starting, then stop.
 */
async function openStateAndFlags(config: StranglerConfig, logger: Logger, signal?: AbortSignal) {
  const { store, database, notifications } = await openStateStore(config, logger, signal);
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
