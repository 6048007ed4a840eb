import { Counter, type Registry } from 'prom-client';
import type { ComparisonResult } from '../core/comparison';
import { type CounterChild, type HistogramChild, HotCounter, HotHistogram } from '../core/hot-metrics';

interface RouteChildren {
  results: Map<ComparisonResult, CounterChild>;
  /** By the new service's status class (2xx … 5xx): in shadow, its 5xx are otherwise only "mismatch". */
  statuses: Map<number, CounterChild>;
  legacy: HistogramChild;
  candidate: HistogramChild;
}

export type ShadowDropReason = 'max-in-flight' | 'body-too-large' | 'legacy-failed' | 'not-modified' | 'compare-backlog' | 'queue-full' | 'store-error' | 'unstorable';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** At sample 1 every shadowed request is compared, so comparisons and latencies use the request path's hot metrics. */
export class ShadowMetrics {
  private readonly comparisons: HotCounter;
  private readonly newAnswers: HotCounter;
  private readonly dropped: Counter<'route' | 'reason'>;
  private readonly offLoop: Counter<'route'>;
  private readonly latency: HotHistogram;
  private readonly routes = new Map<string, RouteChildren>();

  constructor(registry: Registry) {
    this.comparisons = new HotCounter(
      'strangler_shadow_comparisons_total',
      'Shadow comparisons of legacy and the new service: match, mismatch, noise, error.',
      ['route', 'result'],
      registry,
    );
    this.dropped = new Counter({
      name: 'strangler_shadow_dropped_total',
      help: 'Shadow copies or comparisons given up: max-in-flight, body-too-large, legacy-failed, not-modified (legacy 304, the new service a full answer), compare-backlog (too many bodies waiting for the comparison worker), queue-full, store-error, unstorable (data the store refused).',
      labelNames: ['route', 'reason'],
      registers: [registry],
    });
    this.offLoop = new Counter({
      name: 'strangler_shadow_comparisons_off_loop_total',
      help: "Shadow comparisons of large exchanges, run on the comparison worker thread instead of the proxy's event loop.",
      labelNames: ['route'],
      registers: [registry],
    });
    this.newAnswers = new HotCounter(
      'strangler_shadow_new_answers_total',
      "The new service's answers to shadow copies, by status class (2xx, 3xx, 4xx, 5xx): its 5xx in shadow, before any user sees them.",
      ['route', 'class'],
      registry,
    );
    this.latency = new HotHistogram(
      'strangler_shadow_latency_seconds',
      'Response time of the same requests on legacy and on the new service (shadowed requests only).',
      ['route', 'target'],
      LATENCY_BUCKETS,
      registry,
    );
  }

  /** A shadowed route's series that start at 0, so dashboards see them before the first event. */
  prepare(route: string): void {
    this.offLoop.labels(route).inc(0);
  }

  /** An exchange handed to the comparison worker. */
  comparedOffLoop(route: string): void {
    this.offLoop.labels(route).inc();
  }

  compared(route: string, result: ComparisonResult, legacyMs: number, candidateMs: number | undefined, candidateStatus?: number): void {
    const children = this.childrenFor(route);
    let counter = children.results.get(result);
    if (!counter) {
      counter = this.comparisons.labels(route, result);
      children.results.set(result, counter);
    }
    counter.inc();
    if (candidateStatus !== undefined) {
      const statusClass = Math.floor(candidateStatus / 100);
      let answers = children.statuses.get(statusClass);
      if (!answers) {
        answers = this.newAnswers.labels(route, `${statusClass}xx`);
        children.statuses.set(statusClass, answers);
      }
      answers.inc();
    }
    children.legacy.observe(legacyMs / 1000);
    if (candidateMs !== undefined) children.candidate.observe(candidateMs / 1000);
  }

  /** Label-bound children per route, so each comparison does not look its labels up again. */
  private childrenFor(route: string): RouteChildren {
    let children = this.routes.get(route);
    if (!children) {
      children = { results: new Map(), statuses: new Map(), legacy: this.latency.labels(route, 'legacy'), candidate: this.latency.labels(route, 'new') };
      this.routes.set(route, children);
    }
    return children;
  }

  drop(route: string, reason: ShadowDropReason, count = 1): void {
    this.dropped.labels(route, reason).inc(count);
  }
}
