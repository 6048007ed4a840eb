import { Counter, Gauge, type Registry } from 'prom-client';
import { type CounterChild, type HistogramChild, HotCounter, HotHistogram } from '../core/hot-metrics';
import { type RouteConfig, STAGES } from '../core/config/types';
import { FALLBACKS_TOTAL, REQUESTS_TOTAL, RESPONSES_CUT_TOTAL } from '../core/metric-names';
import type { RouteStateView } from '../core/route-state-view';
import type { Side } from './splitter';

/** `5xx`: an answer ≥ 500 that was not passed on (legacy answered instead: a fallback). */
export type UpstreamErrorReason = 'connect-error' | 'timeout' | 'reset' | 'client-abort' | '5xx';
export type RejectReason = 'bad-request' | 'header-too-large' | 'bad-path' | 'timeout' | 'transfer-coding';
/** The `target` label: the side that answered, or `none` when the proxy answered itself (a retired route's 410 or redirect). */
export type MetricTarget = Side | 'none';
/** Why a response was cut off mid-body: the upstream's connection went, or its body stalled past timeoutMs. */
export type CutReason = 'reset' | 'timeout';
/** What the metrics need of a route: its name, and whether it has a new service (a `new` side). */
export type MetricRoute = Pick<RouteConfig, 'name' | 'service'>;

const FALLBACK_REASONS = ['connect-error', 'timeout', '5xx'] as const;
const NEW_SIDE_ERRORS: readonly UpstreamErrorReason[] = ['connect-error', 'timeout', 'reset', '5xx'];
const CUT_REASONS: readonly CutReason[] = ['reset', 'timeout'];

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label-bound children cached per route and side: the request path only adds to numbers. */
export class RouteSideMetrics {
  private readonly byCode = new Map<number, CounterChild>();

  constructor(
    private readonly metrics: ProxyMetrics,
    readonly route: string,
    readonly side: MetricTarget,
    private readonly duration: HistogramChild,
  ) {}

  observe(status: number, seconds: number): void {
    let counter = this.byCode.get(status);
    if (!counter) {
      counter = this.metrics.requests.labels(this.route, this.side, String(status));
      this.byCode.set(status, counter);
    }
    counter.inc();
    this.duration.observe(seconds);
  }

  upstreamError(reason: UpstreamErrorReason): void {
    this.metrics.upstreamErrors.labels(this.route, this.side, reason).inc();
  }

  /**
   * A response cut off after its status reached the client. One with a status of 500 or more is an error by its
   * code already: not counted here, so `code=~"5.."` plus this counter counts no answer twice.
   */
  responseCut(reason: CutReason, status: number): void {
    if (status < 500) this.metrics.responsesCut.labels(this.route, this.side, reason).inc();
  }
}

export class ProxyMetrics {
  readonly requests: HotCounter;
  readonly duration: HotHistogram;
  readonly upstreamErrors: Counter<'route' | 'target' | 'reason'>;
  readonly rejected: Counter<'reason'>;
  readonly fallbacks: Counter<'route' | 'reason'>;
  readonly responsesCut: Counter<'route' | 'target' | 'reason'>;
  private readonly children = new Map<string, Partial<Record<MetricTarget, RouteSideMetrics>>>();

  constructor(registry: Registry, routes: readonly MetricRoute[], state: RouteStateView) {
    const routeNames = routes.map((route) => route.name);
    this.requests = new HotCounter(
      REQUESTS_TOTAL.name,
      'Requests proxied, by route, target side (legacy|new, none: answered by the proxy itself) and response status code.',
      REQUESTS_TOTAL.labels,
      registry,
    );
    this.duration = new HotHistogram(
      'strangler_request_duration_seconds',
      'Time from request received to response finished (what the client waited), by route and the target side that answered (legacy after a fallback, the failed attempt included).',
      ['route', 'target'],
      DURATION_BUCKETS,
      registry,
    );
    this.upstreamErrors = new Counter({
      name: 'strangler_upstream_errors_total',
      help: 'Upstream failures: connect-error, timeout, reset (died mid-response), client-abort, 5xx (an answer >= 500 replaced by a fallback to legacy).',
      labelNames: ['route', 'target', 'reason'],
      registers: [registry],
    });
    this.fallbacks = new Counter({
      name: FALLBACKS_TOTAL.name,
      help: 'Requests the new service failed before answering (connect-error, timeout, 5xx) and legacy answered instead.',
      labelNames: FALLBACKS_TOTAL.labels,
      registers: [registry],
    });
    this.responsesCut = new Counter({
      name: RESPONSES_CUT_TOTAL.name,
      help: `Responses cut off mid-body after a status below 500 reached the client (counted by that code in ${REQUESTS_TOTAL.name}): the upstream reset, or its body stalled past timeoutMs.`,
      labelNames: RESPONSES_CUT_TOTAL.labels,
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'strangler_rejected_requests_total',
      help: 'Requests refused before reaching any upstream (malformed, oversized headers, bad path, a transfer coding other than chunked).',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.seedFailureSeries(routes);
    new Gauge({
      name: 'strangler_route_stage',
      help: 'The stage each route is in: 1 for its current stage, 0 for the others (percent alone cannot tell legacy from shadow).',
      labelNames: ['route', 'stage'],
      registers: [registry],
      collect() {
        for (const route of routeNames) {
          const current = state.get(route);
          if (!current) continue;
          for (const stage of STAGES) this.set({ route, stage }, current.stage === stage ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'strangler_route_percent',
      help: 'Share of the route sent to the new service (0 in legacy and shadow, 100 in live and retired).',
      labelNames: ['route'],
      registers: [registry],
      collect() {
        for (const route of routeNames) {
          const current = state.get(route);
          if (current) this.set({ route }, effectivePercent(current.stage, current.percent));
        }
      },
    });
  }

  /**
   * Every route's failure series exist from the start, at 0: an error-ratio alert then reads 0 after a
   * restart, not "no data" until the first failure. Only for the sides the route has: a route without a
   * `service` never answers from (nor falls back from) a new one.
   */
  private seedFailureSeries(routes: readonly MetricRoute[]): void {
    for (const { name, service } of routes) {
      for (const reason of CUT_REASONS) this.responsesCut.labels(name, 'legacy', reason).inc(0);
      if (!service) continue;
      for (const reason of CUT_REASONS) this.responsesCut.labels(name, 'new', reason).inc(0);
      for (const reason of FALLBACK_REASONS) this.fallbacks.labels(name, reason).inc(0);
      for (const reason of NEW_SIDE_ERRORS) this.upstreamErrors.labels(name, 'new', reason).inc(0);
    }
  }

  forRoute(route: string, side: MetricTarget): RouteSideMetrics {
    let sides = this.children.get(route);
    if (!sides) {
      sides = {};
      this.children.set(route, sides);
    }
    return (sides[side] ??= new RouteSideMetrics(this, route, side, this.duration.labels(route, side)));
  }
}

function effectivePercent(stage: string, percent: number): number {
  if (stage === 'live' || stage === 'retired') return 100;
  if (stage === 'canary') return percent;
  return 0;
}
