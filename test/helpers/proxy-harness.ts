import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { StranglerConfig } from '../../core/config/types';
import { ProxyMetrics } from '../../proxy/metrics';
import { ProxyServer } from '../../proxy/server';
import type { ShadowExchange } from '../../proxy/shadow';
import { ShadowMetrics } from '../../proxy/shadow-metrics';
import { capturedLogs } from './log-capture';
import { FixedRouteState } from '../../rollout/fixed-state';

export interface ProxyHarness {
  url: string;
  port: number;
  state: FixedRouteState;
  registry: Registry;
  server: ProxyServer;
  /** The proxy's log lines, parsed (warn and above). */
  logs: Array<Record<string, unknown>>;
  /** The value of the series `name{labels}` as /metrics renders it, 0 while it does not exist. */
  metricValue(name: string, labels: string): Promise<number>;
  close(): Promise<void>;
}

/** The data path in-process, with route state set directly by the test. */
export async function startProxyHarness(config: StranglerConfig, onShadowExchange?: (exchange: ShadowExchange) => void): Promise<ProxyHarness> {
  const state = new FixedRouteState();
  for (const route of config.routes) state.set(route.name, route.stage, route.percent);
  const registry = new Registry();
  const metrics = new ProxyMetrics(registry, config.routes, state);
  const shadow = onShadowExchange ? { metrics: new ShadowMetrics(registry), onExchange: onShadowExchange } : undefined;
  const { logger, lines: logs } = capturedLogs('warn');
  const server = new ProxyServer({ config, state, metrics, logger, shadow });
  const address: AddressInfo = await server.listen();
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    state,
    registry,
    server,
    logs,
    metricValue: async (name, labels) => {
      const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
      return line ? Number(line.split(' ').pop()) : 0;
    },
    close: () => server.close(),
  };
}
