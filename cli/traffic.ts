import { FALLBACKS_TOTAL, PROCESS_START_TIME, REQUESTS_TOTAL, RESPONSES_CUT_TOTAL, type MetricDefinition } from '../core/metric-names';
import { parsePrometheusText, type Sample } from './prom-text';

export interface TargetTraffic {
  requestsPerSecond: number;
  /** Share of responses with status ≥ 500 (proxy's own 502/504 included) or cut off mid-body, 0..1. */
  errorRate: number;
  requests: number;
  errors: number;
}

export type RouteTraffic = Record<string, TargetTraffic>;

/**
 * The proxy's counters read. Responses cut off mid-body are already in requests by the status the client got
 * (below 500), an error all the same.
 */
export const COUNTERS_READ: readonly MetricDefinition[] = [REQUESTS_TOTAL, FALLBACKS_TOTAL, RESPONSES_CUT_TOTAL];
const FAMILIES = new Set(COUNTERS_READ.map((metric) => metric.name));
const START_TIME = new Set([PROCESS_START_TIME]);

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
    const counted = readCounter(sample);
    // Failure series exist from the start at 0 (for alerts): at 0 they say nothing of a side's traffic.
    if (!counted || (counted.failure && sample.value === 0)) continue;
    const key = `${counted.route}\u0000${counted.target}`;
    const entry = counts.get(key) ?? { total: 0, errors: 0 };
    if (counted.request) entry.total += sample.value;
    if (counted.error) entry.errors += sample.value;
    counts.set(key, entry);
  }
  return counts;
}

interface CountedSample {
  route: string | undefined;
  target: string | undefined;
  /** Counts requests (a cut response is already counted by its status). */
  request: boolean;
  error: boolean;
  /** A failure series, seeded at 0. */
  failure: boolean;
}

function readCounter(sample: Sample): CountedSample | undefined {
  switch (sample.name) {
    case REQUESTS_TOTAL.name:
      return {
        route: label(sample, REQUESTS_TOTAL, 'route'),
        target: label(sample, REQUESTS_TOTAL, 'target'),
        request: true,
        error: Number(label(sample, REQUESTS_TOTAL, 'code')) >= 500,
        failure: false,
      };
    case FALLBACKS_TOTAL.name:
      // A request the new service failed: counted on the new side, whose answer legacy gave instead.
      return { route: label(sample, FALLBACKS_TOTAL, 'route'), target: 'new', request: true, error: true, failure: true };
    case RESPONSES_CUT_TOTAL.name:
      return { route: label(sample, RESPONSES_CUT_TOTAL, 'route'), target: label(sample, RESPONSES_CUT_TOTAL, 'target'), request: false, error: true, failure: true };
    default:
      return undefined;
  }
}

/** A label of a sample, by a name its metric's definition has: a label renamed or dropped there fails to compile here. */
function label<M extends MetricDefinition>(sample: Sample, _metric: M, name: M['labels'][number]): string | undefined {
  return sample.labels[name];
}
