import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process, shared by every module that exports metrics. Process metrics keep the names
 * every Node dashboard expects (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, …): the
 * `job`/`instance` labels a scrape adds tell them apart from other processes'.
 */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
