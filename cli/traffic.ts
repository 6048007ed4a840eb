import { parsePrometheusText, type Sample } from './prom-text';

export interface TargetTraffic {
  requestsPerSecond: number;
  /** Share of responses with status ≥ 500 (proxy's own 502/504 included) or cut off mid-body, 0..1. */
  errorRate: number;
  requests: number;
  errors: number;
}

export type RouteTraffic = Record<string, TargetTraffic>;

const REQUESTS = 'strangler_requests_total';
const FALLBACKS = 'strangler_fallbacks_total';
/** Responses cut off mid-body: already in REQUESTS by the status the client got (below 500), an error all the same. */
const CUT = 'strangler_responses_cut_total';
const FAMILIES = new Set([REQUESTS, FALLBACKS, CUT]);

/**
 * Per route and target side: requests/s and error rate between two scrapes of /metrics. A request the new
 * service failed and legacy answered instead (a fallback) counts on both sides: a failed request of the new
 * service, and legacy's answer. A response cut off mid-body counts as an error of the side that sent it.
 */
export function trafficBetween(before: string, after: string, seconds: number): Map<string, RouteTraffic> {
  const start = countsByRouteTarget(parsePrometheusText(before, FAMILIES));
  const end = countsByRouteTarget(parsePrometheusText(after, FAMILIES));
  const result = new Map<string, RouteTraffic>();
  for (const [key, counts] of end) {
    const [route, target] = key.split('\u0000') as [string, string];
    let earlier = start.get(key) ?? { total: 0, errors: 0 };
    // A counter that went down was reset (the proxy restarted): count from zero, as Prometheus does.
    if (counts.total < earlier.total || counts.errors < earlier.errors) earlier = { total: 0, errors: 0 };
    const requests = counts.total - earlier.total;
    const errors = counts.errors - earlier.errors;
    const routeTraffic = result.get(route) ?? {};
    routeTraffic[target] = {
      requestsPerSecond: seconds > 0 ? requests / seconds : 0,
      errorRate: requests > 0 ? errors / requests : 0,
      requests,
      errors,
    };
    result.set(route, routeTraffic);
  }
  return result;
}

function countsByRouteTarget(samples: Sample[]): Map<string, { total: number; errors: number }> {
  const counts = new Map<string, { total: number; errors: number }>();
  for (const sample of samples) {
    const fallback = sample.name === FALLBACKS;
    const cut = sample.name === CUT;
    // Failure series exist from the start at 0 (for alerts): at 0 they say nothing of a side's traffic.
    if ((fallback || cut) && sample.value === 0) continue;
    const key = `${sample.labels.route}\u0000${fallback ? 'new' : sample.labels.target}`;
    const entry = counts.get(key) ?? { total: 0, errors: 0 };
    if (!cut) entry.total += sample.value;
    if (fallback || cut || Number(sample.labels.code) >= 500) entry.errors += sample.value;
    counts.set(key, entry);
  }
  return counts;
}
