/**
 * The proxy's metrics that other modules read back from /metrics (`strangler status` computes requests/s and
 * error rates from them), with their label names: the proxy registers them from these definitions and the CLI
 * parses by them, so a rename cannot leave one side reading series the other no longer writes.
 */
export interface MetricDefinition {
  name: string;
  labels: readonly string[];
}

/** Requests proxied, by route, target side (legacy|new, none: answered by the proxy itself) and status code. */
export const REQUESTS_TOTAL = { name: 'strangler_requests_total', labels: ['route', 'target', 'code'] } as const satisfies MetricDefinition;

/** Requests the new service failed before answering and legacy answered instead. */
export const FALLBACKS_TOTAL = { name: 'strangler_fallbacks_total', labels: ['route', 'reason'] } as const satisfies MetricDefinition;

/** Responses cut off mid-body after a status below 500 reached the client. */
export const RESPONSES_CUT_TOTAL = { name: 'strangler_responses_cut_total', labels: ['route', 'target', 'reason'] } as const satisfies MetricDefinition;

/** prom-client's process metric (core/metrics.ts registers it): set once when the process starts, in whole seconds. */
export const PROCESS_START_TIME = 'process_start_time_seconds';

/** Route label for requests that matched no route (route names cannot start with `_`). */
export const UNMATCHED_ROUTE = '_unmatched';
