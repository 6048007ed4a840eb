/** Number and value formatting shared by the report renderers: the same numbers read the same everywhere. */
import { truncateToWidth } from '../../core/display-width';
import { printable } from '../../core/printable';
import { hiddenFields, type FieldExample, type OutcomeCounts, type RouteReport } from './model';

/** `4.2 %`; never rounds a non-zero rate to `0.0 %` or a rate below 1 to `100.0 %`. */
export function formatPercent(rate: number): string {
  if (rate === 0) return '0 %';
  if (rate === 1) return '100 %';
  const percent = rate * 100;
  if (percent < 0.1) return '<0.1 %';
  const fixed = percent.toFixed(1);
  return fixed === '100.0' ? '>99.9 %' : `${fixed} %`;
}

/** `12,345`: grouped the same way in every locale. */
export function formatCount(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `1 comparison`, `1,234 comparisons`. */
export function countOf(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/** Milliseconds as `12` or `12.5` (at most one decimal); `–` for none. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '–';
  return String(Math.round(ms * 10) / 10);
}

/** What a report whose window lost its oldest comparisons says about it (DiffReport.window.omittedThrough). */
export function omittedNote(omittedThrough: string): string {
  return (
    `Not counted: comparisons before ${omittedThrough} (their counts are older than state.keepCountsDays)`
  );
}

/** `1 bucket of 1m`, `24 buckets of 5m`: the time buckets a chart or header names. */
export function bucketsOf(count: number, bucketMs: number): string {
  return `${count} bucket${count === 1 ? '' : 's'} of ${formatDuration(bucketMs)}`;
}

/** A duration in ms as `250ms`, `45s`, `5m`, `1h30m`, `2d`; never `0s` for a short but non-zero one. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(1, Math.round(ms))}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  return `${Math.round(hours / 24)}d`;
}

export type VerdictKind = 'pass' | 'fail' | 'warn' | 'empty';

export interface Verdict {
  kind: VerdictKind;
  /** Plain words, without a symbol: `no mismatches`, `4.2 % mismatches`, `no mismatches, 3 errors`. */
  text: string;
}

/** What a route's numbers say: fail on any mismatch, warn on errors only, pass otherwise. */
export function verdictOf(counts: OutcomeCounts): Verdict {
  if (counts.comparisons === 0) return { kind: 'empty', text: 'no comparisons' };
  if (counts.mismatch > 0) {
    return { kind: 'fail', text: `${formatPercent(counts.mismatch / counts.comparisons)} mismatches` };
  }
  const errors = countOf(counts.error, 'error');
  // Every comparison failed: the new service was never compared, which is no pass.
  if (counts.error === counts.comparisons) return { kind: 'fail', text: `nothing compared: ${errors}` };
  if (counts.error > 0) return { kind: 'warn', text: `no mismatches, ${errors} (${formatPercent(counts.error / counts.comparisons)})` };
  return { kind: 'pass', text: 'no mismatches' };
}

export function routeVerdict(route: RouteReport): Verdict {
  return verdictOf(route.counts);
}

/** Terminal columns text takes: wide (CJK, emoji) characters count 2, combining marks 0. */
export { displayWidth } from '../../core/display-width';

/** Cuts text to at most `max` columns, ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  return truncateToWidth(text, max);
}

/** Width error reasons are cut to in the text and markdown reports: long enough for both sides' reasons. */
export const ERROR_WIDTH = 200;
/** Width the example values are cut to in the text and markdown tables. */
export const VALUE_WIDTH = 40;
/** Width the field paths are cut to in the text table. */
export const PATH_WIDTH = 48;

/** An example value ready for a table cell: printable, cut, `(absent)` for none. */
export function exampleValue(value: string | null, width = VALUE_WIDTH): string {
  return value === null ? '(absent)' : truncate(printable(value), width);
}

/** Width a concrete location (`$.scores.u100431`) is cut to in the text and markdown tables. */
export const LOCATION_WIDTH = 48;

/** Where an example of a templated field differed: its first location, cut, and how many more; undefined when not known. */
export function exampleLocation(example: FieldExample): { location: string; more: number } | undefined {
  // A report from a proxy older than locations has none.
  const locations: readonly string[] = example.locations ?? [];
  const [first] = locations;
  if (first === undefined) return undefined;
  return { location: truncate(first, LOCATION_WIDTH), more: locations.length - 1 + (example.moreLocations ?? 0) };
}

/** After the name of a route the configuration no longer has (a report from an older proxy says nothing). */
export const NOT_CONFIGURED = '(not in the configuration)';

/** What a route's section says of a route the configuration no longer has; empty for others. */
export function notConfiguredNote(route: RouteReport): string {
  return route.configured === false ? `${NOT_CONFIGURED}: default noise thresholds (${formatPercent(route.noiseThresholds.relative)}, ${route.noiseThresholds.absolute} times)` : '';
}

/** `name (not in the configuration)` for such a route, the name otherwise. */
export function routeLabel(route: RouteReport, name: string): string {
  return route.configured === false ? `${name} ${NOT_CONFIGURED}` : name;
}

/** `+2 more` after a location; empty for none. */
export function moreLocationsText(more: number): string {
  return more > 0 ? ` +${formatCount(more)} more` : '';
}

/**
 * What a table of the first `shown` fields leaves out: `4 more fields not shown, differing in 120 comparisons
 * (0.6 %), 20 of them at no field shown` (noise only: `3 more fields not shown, noise only`); empty when none.
 */
export function hiddenFieldsText(route: RouteReport, shown: number): string {
  const hidden = hiddenFields(route, shown);
  if (hidden.fields === 0) return '';
  const fields = `${formatCount(hidden.fields)} more field${hidden.fields === 1 ? '' : 's'} not shown`;
  if (hidden.comparisons === null) return fields;
  if (hidden.comparisons === 0) return `${fields}, noise only`;
  const only = !hidden.only ? '' : `, ${formatCount(hidden.only)} of them at no field shown`;
  return `${fields}, differing in ${countOf(hidden.comparisons, 'comparison')} (${formatPercent(hidden.share ?? 0)})${only}`;
}
