import type { ComparisonRecord, ComparisonStore } from '../core/comparison';
import type { StranglerConfig } from '../core/config/types';
import { StranglerError } from '../core/errors';
import type { Logger } from '../core/logging';
import { Comparator, comparedOffLoop } from '../diff-reader/comparator';
import { ComparePool, type ComparePoolOptions } from '../diff-reader/compare-pool';
import { ComparisonWriter } from '../diff-reader/store/comparison-writer';
import type { ShadowExchange } from './shadow';
import type { ShadowMetrics } from './shadow-metrics';

export interface ShadowComparisons {
  metrics: ShadowMetrics;
  onExchange: (exchange: ShadowExchange) => void;
  writer: ComparisonWriter;
  comparator: Comparator;
  /** Compares the exchanges still waiting (and waits for those in the worker), then writes everything the writer holds (a report). */
  flush(): Promise<void>;
  /** A graceful stop: flush(), then stop the comparison worker. */
  stop(): Promise<void>;
}

/** How long a finished exchange may wait to be compared with the others that finish meanwhile. */
export const COMPARE_EVERY_MS = 20;
/** Exchanges finished within one turn of the event loop that are compared in that turn, without waiting. */
export const COMPARE_BATCH = 8;

/**
 * Where finished shadow exchanges go: compared off the request path (large ones on the comparison worker's
 * thread, where it is compiled), counted, written in batches.
 */
export function startShadowComparisons(
  config: StranglerConfig,
  store: ComparisonStore,
  metrics: ShadowMetrics,
  logger: Logger,
  /** Where the comparison worker is and how many bytes may wait for it (tests); default: the compiled one, 32 MiB. */
  comparePool: Omit<ComparePoolOptions, 'onWorkerStopped'> = {},
): ShadowComparisons {
  const comparator = new Comparator();
  config.routes.forEach((route, index) => {
    if (!route.shadow) return;
    try {
      comparator.prepare(route, route.shadow);
      metrics.prepare(route.name);
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
    onUnstorable: (record, err) => logger.warn({ route: record.route, requestId: record.requestId, err: err.message }, 'the store refused this comparison (counted as unstorable); the rest of its batch is written'),
    onPruneError: (err) => logger.warn({ err: err.message }, 'pruning old comparisons failed; the next prune tries again'),
    onReclaimError: (err) => logger.warn({ err: err.message }, 'vacuuming the embedded state after pruning failed; the next prune tries again'),
    onCompactError: (err) => logger.warn({ err: err.message }, 'merging day-old comparison counts by the hour failed; the next run tries the same hours again'),
    onCountsLost: (comparisons, err) => logger.error({ comparisons, err: err.message }, 'comparison counts could not be written and too many are held: these are lost to reports'),
  });
  const recorded = (record: ComparisonRecord): void => {
    metrics.compared(record.route, record.result, record.legacyMs, record.candidateMs, record.candidateStatus);
    writer.add(record);
  };
  const failed = (exchange: ShadowExchange, err: Error): void => {
    logger.warn({ route: exchange.route.name, err: err.message }, 'shadow comparison failed');
  };
  const pool = ComparePool.whereCompiled({
    ...comparePool,
    onWorkerStopped: (error, comparisons) => logger.warn({ err: error.message, comparisons }, 'the comparison worker stopped: its comparisons are errors; the next large one starts another worker'),
  });
  /** Comparisons in the worker, until their records are added to the writer. */
  const offLoop = new Set<Promise<void>>();
  const compareOffLoop = (exchange: ShadowExchange, pool: ComparePool): void => {
    const record = comparator.compareOffLoop(exchange, pool);
    if (!record) return metrics.drop(exchange.route.name, 'compare-backlog');
    metrics.comparedOffLoop(exchange.route.name);
    const done: Promise<void> = record
      .then(recorded)
      .catch((err: Error) => failed(exchange, err))
      .finally(() => offLoop.delete(done));
    offLoop.add(done);
  };
  const compareOne = (exchange: ShadowExchange): void => {
    try {
      if (pool && comparedOffLoop(exchange)) compareOffLoop(exchange, pool);
      else recorded(comparator.compare(exchange));
    } catch (err) {
      failed(exchange, err as Error);
    }
  };
  const batch = new ComparisonBatch(compareOne);
  const flush = async (): Promise<void> => {
    batch.compareWaiting();
    await Promise.all(offLoop);
    await writer.flush();
  };
  return {
    metrics,
    onExchange: (exchange) => batch.add(exchange),
    writer,
    comparator,
    flush,
    async stop() {
      await flush();
      await pool?.stop();
    },
  };
}

/**
 * Finished exchanges are compared together, off the request path: at the end of the event loop's turn when
 * COMPARE_BATCH or more are waiting (a busy proxy), else when the first has waited COMPARE_EVERY_MS.
 * One at a time between two requests, each comparison ran with cold caches and cost ~3× what it costs in
 * a run (bench/proxy, paced load); a run of them also leaves the request path's code and data in cache.
 */
class ComparisonBatch {
  private waiting: ShadowExchange[] = [];
  private timer: NodeJS.Timeout | undefined;
  private turnEnd: NodeJS.Immediate | undefined;

  constructor(private readonly compareOne: (exchange: ShadowExchange) => void) {}

  add(exchange: ShadowExchange): void {
    // One timer or one immediate per batch, not one immediate per exchange: at a quiet proxy each
    // immediate is an extra, otherwise idle, turn of the event loop.
    if (this.waiting.push(exchange) === COMPARE_BATCH) {
      this.turnEnd = setImmediate(() => {
        this.turnEnd = undefined;
        this.compareWaiting();
      });
    } else if (!this.timer && !this.turnEnd) {
      this.timer = setTimeout(() => this.compareWaiting(), COMPARE_EVERY_MS);
      // A forgotten stop loses what waits, as the writer's own timer does; it does not hold the process.
      this.timer.unref();
    }
  }

  compareWaiting(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.turnEnd) clearImmediate(this.turnEnd);
    this.timer = undefined;
    this.turnEnd = undefined;
    const exchanges = this.waiting;
    this.waiting = [];
    for (const exchange of exchanges) this.compareOne(exchange);
  }
}
