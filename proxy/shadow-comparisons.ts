import type { ComparisonStore } from '../core/comparison';
import type { StranglerConfig } from '../core/config/types';
import { StranglerError } from '../core/errors';
import type { Logger } from '../core/logging';
import { Comparator } from '../diff-reader/comparator';
import { ComparisonWriter } from '../diff-reader/store/comparison-writer';
import type { ShadowExchange } from './shadow';
import type { ShadowMetrics } from './shadow-metrics';

export interface ShadowComparisons {
  metrics: ShadowMetrics;
  onExchange: (exchange: ShadowExchange) => void;
  writer: ComparisonWriter;
  comparator: Comparator;
}

/** Where finished shadow exchanges go: compared off the request path, counted, written in batches. */
export function startShadowComparisons(config: StranglerConfig, store: ComparisonStore, metrics: ShadowMetrics, logger: Logger): ShadowComparisons {
  const comparator = new Comparator();
  config.routes.forEach((route, index) => {
    if (!route.shadow) return;
    try {
      comparator.prepare(route, route.shadow);
    } catch (err) {
      throw new StranglerError('STRANGLER_ERR_CONFIG', `${config.file} routes[${index}].shadow: ${(err as Error).message}`);
    }
  });
  const writer = new ComparisonWriter({
    store,
    retain: config.state.keepComparisons,
    keepCountsDays: config.state.keepCountsDays,
    storeMatches: config.state.keepMatches,
    onDrop: (reason, route, count) => metrics.drop(route, reason, count),
    onStoreDown: (err) => logger.warn({ err: err.message }, 'comparison store unreachable: comparisons are dropped (counted as store-error) until it is back'),
    onStoreUp: (dropped) => logger.info({ dropped }, 'comparison store reachable again'),
    onPruneError: (err) => logger.warn({ err: err.message }, 'pruning old comparisons failed; the next prune tries again'),
    onCountsLost: (comparisons, err) => logger.error({ comparisons, err: err.message }, 'comparison counts could not be written and too many are held: these are lost to reports'),
  });
  const onExchange = (exchange: ShadowExchange): void => {
    setImmediate(() => {
      try {
        const record = comparator.compare(exchange);
        metrics.compared(record.route, record.result, record.legacyMs, record.candidateMs);
        writer.add(record);
      } catch (err) {
        logger.warn({ route: exchange.route.name, err: (err as Error).message }, 'shadow comparison failed');
      }
    });
  };
  return { metrics, onExchange, writer, comparator };
}
