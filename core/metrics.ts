import { Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, shared by every module that exports metrics. */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'strangler_process_' });
  return registry;
}
