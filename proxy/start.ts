import type { AddressInfo } from 'node:net';
import type { StranglerConfig } from '../core/config/types';
import { createLogger, type Logger } from '../core/logging';
import { createMetricsRegistry } from '../core/metrics';
import { LiveRouteState } from '../rollout/live-state';
import { openStateStore } from '../rollout/open-store';
import { buildAdminApi } from './admin';
import { ProxyMetrics } from './metrics';
import { ProxyServer } from './server';

export interface RunningProxy {
  proxyAddress: AddressInfo;
  adminAddress: AddressInfo;
  /** Graceful stop: stop accepting, finish in-flight requests, close the store. */
  stop(): Promise<void>;
}

/** Opens the state store, starts the data path and the admin API. */
export async function startProxy(config: StranglerConfig, logger: Logger = createLogger('strangler')): Promise<RunningProxy> {
  const store = await openStateStore(config);
  let lastStoreError = '';
  const view = new LiveRouteState({
    store,
    pollMs: config.state.pollMs,
    onError: (err) => {
      if (err.message !== lastStoreError) logger.error({ err: err.message }, 'state store unreachable; serving the last known state');
      lastStoreError = err.message;
    },
    onChange: (before, after) => {
      if (before) {
        lastStoreError = '';
        logger.info({ route: after.route, from: `${before.stage} ${before.percent}%`, to: `${after.stage} ${after.percent}%` }, 'route state changed');
      }
    },
  });
  await view.start();
  const registry = createMetricsRegistry();
  const metrics = new ProxyMetrics(registry, config.routes.map((r) => r.name), view);
  const proxy = new ProxyServer({ config, state: view, metrics, logger });
  let draining = false;
  const admin = buildAdminApi({ token: config.admin.token, routes: config.routes, store, view, registry, isDraining: () => draining });
  let proxyAddress: AddressInfo;
  try {
    await admin.listen({ host: config.admin.host, port: config.admin.port });
    proxyAddress = await proxy.listen();
  } catch (err) {
    await admin.close();
    await view.stop();
    await store.close();
    throw err;
  }
  const adminAddress = admin.server.address() as AddressInfo;
  logger.info({ proxy: `${proxyAddress.address}:${proxyAddress.port}`, admin: `${adminAddress.address}:${adminAddress.port}`, state: store.kind }, 'strangler proxy listening');
  return {
    proxyAddress,
    adminAddress,
    async stop() {
      draining = true;
      await proxy.close();
      await admin.close();
      await view.stop();
      await store.close();
    },
  };
}
