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
/** prom-client's process metric: set once when the process starts (whole seconds). */
const START_TIME = new Set(['process_start_time_seconds']);

/**
 * Per route and target side: requests/s and error rate between two scrapes of /metrics. A request the new
 * service failed and legacy answered instead (a fallback) counts on both sides: a failed request of the new
 * service, and legacy's answer. A response cut off mid-body counts as an error of the side that sent it. If the
 * proxy restarted in between, only what it counted since counts.
 */
export function trafficBetween(before: string, after: string, seconds: number): Map<string, RouteTraffic> {
  const result = new Map<string, RouteTraffic>();
  for (const [key, { total: requests, errors }] of countsByRouteTarget(increasesBetween(readScrape(before), readScrape(after)))) {
    const [route, target] = key.split('\u0000') as [string, string];
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

/** Whether the proxy restarted (its counters reset) between two scrapes of its /metrics. */
export function restartedBetween(before: string, after: string): boolean {
  return restarted(readScrape(before), readScrape(after));
}

interface Scrape {
  startTime: number | undefined;
  /** The counted series by name and labels. */
  counters: Map<string, Sample>;
}

function readScrape(text: string): Scrape {
  const counters = new Map(parsePrometheusText(text, FAMILIES).map((sample) => [seriesKey(sample), sample]));
  return { startTime: parsePrometheusText(text, START_TIME)[0]?.value, counters };
}

function seriesKey(sample: Sample): string {
  const labels = Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([sample.name, labels]);
}

/**
 * A new start time, or a counter series that went down or vanished (the proxy never drops one): the later
 * scrape is from a process that counted from zero. Start times are whole seconds, so the counters are checked too.
 */
function restarted(earlier: Scrape, later: Scrape): boolean {
  if (earlier.startTime !== undefined && later.startTime !== undefined && earlier.startTime !== later.startTime) return true;
  for (const [key, sample] of earlier.counters) if ((later.counters.get(key)?.value ?? 0) < sample.value) return true;
  return false;
}

/**
 * Each series' increase, as Prometheus' increase() takes it after a reset: the later value. A restart resets
 * every counter of the process, so once one series shows it, all count from zero.
 */
function increasesBetween(earlier: Scrape, later: Scrape): Sample[] {
  const laterSamples = [...later.counters.values()];
  if (restarted(earlier, later)) return laterSamples;
  return laterSamples.map((sample) => ({ ...sample, value: sample.value - (earlier.counters.get(seriesKey(sample))?.value ?? 0) }));
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
