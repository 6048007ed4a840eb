/**
 * The report as ONE self-contained HTML file: inline CSS, inline SVG charts, no script, no external URL
 * (a Content-Security-Policy of `default-src 'none'` makes sure nothing is ever fetched). Every piece of
 * text is HTML-escaped: paths, values, request ids and error reasons come from production traffic.
 *
 * Key numbers carry machine-readable attributes, `data-metric` plus `data-route="<name>"` (or
 * `data-scope="total"`) and `data-value` (the raw number; empty for none), e.g.
 *   <span data-route="orders" data-metric="mismatch-rate" data-value="0.042">4.2 %</span>
 * Metrics: comparisons, match, mismatch, noise, error, match-rate, mismatch-rate, noise-rate, error-rate,
 * latency-legacy-p50, latency-legacy-p99, latency-new-p50, latency-new-p99; per field (with `data-field`)
 * field-count, field-share, field-noise; per time bucket (with `data-bucket`) bucket-mismatch-rate.
 */
import { normalisationNote } from '../../core/unicode-form';
import {
  bucketsOf,
  exampleLocation,
  hiddenFieldsText,
  notConfiguredNote,
  routeLabel,
  moreLocationsText,
  displayWidth,
  formatCount,
  formatMs,
  formatPercent,
  omittedNote,
  routeVerdict,
  truncate,
  verdictOf,
  type Verdict,
} from './format';
import { DAY_MS, MINUTE_MS } from '../counts';
import { markAtOrBefore, niceStep } from './clock';
import type { DiffReport, FieldExample, FieldReport, OutcomeCounts, OutcomeRates, RouteReport, TimeBucket } from './model';

export interface HtmlOptions {
  /** Fields in each route's bar chart and table (default 25); the rest are counted in a note. */
  maxFields?: number;
  /** Page title (default "Shadow diff report"). */
  title?: string;
}

export const DEFAULT_HTML_FIELDS = 25;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML text node or a quoted attribute value (SVG inside HTML included). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

type Scope = { route: string } | 'total';

function scopeAttributes(scope: Scope): string {
  return scope === 'total' ? 'data-scope="total"' : `data-route="${escapeHtml(scope.route)}"`;
}

/** An element holding one key number: its shown text plus data-metric/data-route/data-value. */
function metric(scope: Scope, name: string, value: number | null, shown: string, extra = '', tag = 'span'): string {
  const raw = value === null ? '' : String(value);
  return (
    `<${tag} ${scopeAttributes(scope)} data-metric="${name}"${extra} data-value="${raw}">` +
    `${escapeHtml(shown)}</${tag}>`
  );
}

/** Words, not emoji: a headless or minimal machine may have no emoji font. */
const VERDICT_WORD = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', empty: 'NO DATA' } as const;

function verdictBadge(verdict: Verdict): string {
  return (
    `<span class="verdict ${verdict.kind}"><span class="badge">${VERDICT_WORD[verdict.kind]}</span> ` +
    `${escapeHtml(verdict.text)}</span>`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Page frame

const STYLE = `
:root { --fail: #c62828; --pass: #2e7d32; --warn: #a15c00; --muted: #5f6b7a; --line: #d8dee6; --bg: #f6f8fa;
  --real: #d64545; --noise: #f2b8b5; --legacy: #fdecec; --new: #e8f5e9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2328; background: #fff; }
header.page, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header.page { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 12px; display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; }
h3 { font-size: 14px; margin: 18px 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.meta { color: var(--muted); margin: 0 0 16px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 0 0 16px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 118px; background: var(--bg); }
.card .label { display: block; color: var(--muted); font-size: 12px; }
.card .num { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 12px; margin-left: 4px; }
.card.fail .num { color: var(--fail); }
.verdict { font-size: 14px; font-weight: 600; white-space: nowrap; }
.verdict .badge { display: inline-block; color: #fff; border-radius: 4px; padding: 0 6px; font-size: 11.5px;
  letter-spacing: .04em; line-height: 18px; vertical-align: 1px; }
.omitted { color: var(--warn); font-weight: 600; }
.verdict.fail { color: var(--fail); } .verdict.pass { color: var(--pass); } .verdict.warn { color: var(--warn); }
.verdict.empty { color: var(--muted); }
.verdict.fail .badge { background: var(--fail); } .verdict.pass .badge { background: var(--pass); }
.verdict.warn .badge { background: var(--warn); } .verdict.empty .badge { background: var(--muted); }
h2 code { font-size: 18px; }
.target { display: block; color: var(--muted); font-size: 11.5px; white-space: nowrap; }
section.route { border-top: 2px solid var(--line); padding: 20px 0 8px; margin-top: 12px; }
.row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; }
figcaption { color: var(--muted); font-size: 12px; margin-bottom: 4px; }
svg { max-width: 100%; height: auto; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg text { font-size: 11px; fill: #444; }
svg .path { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; fill: #1f2328; }
table { border-collapse: collapse; margin: 0 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; font-size: 12.5px; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.diffs { width: 100%; }
table.diffs td.val { max-width: 320px; }
table.diffs td.val code { white-space: pre-wrap; word-break: break-all; }
td.legacy { background: var(--legacy); } td.new { background: var(--new); }
td.field code { word-break: break-all; }
.absent { color: var(--muted); font-style: italic; }
.note { color: var(--muted); font-size: 12.5px; }
a { color: inherit; }
footer { color: var(--muted); font-size: 12px; padding-top: 16px; padding-bottom: 24px; }
`;

function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Numbers

function outcomeCards(scope: Scope, counts: OutcomeCounts, rates: OutcomeRates): string {
  const card = (label: string, name: keyof OutcomeRates): string =>
    `<div class="card${name === 'mismatch' && counts.mismatch > 0 ? ' fail' : ''}"><span class="label">${label}</span>` +
    `<span class="num">${metric(scope, `${name}-rate`, rates[name], formatPercent(rates[name]))}</span>` +
    `<span class="sub">${metric(scope, name, counts[name], formatCount(counts[name]))}</span></div>`;
  return [
    '<div class="cards">',
    `<div class="card"><span class="label">Comparisons</span><span class="num">` +
      `${metric(scope, 'comparisons', counts.comparisons, formatCount(counts.comparisons))}</span></div>`,
    card('Mismatch', 'mismatch'),
    card('Match', 'match'),
    card('Noise', 'noise'),
    card('Error', 'error'),
    '</div>',
  ].join('\n');
}

function latencyTable(route: RouteReport): string {
  const scope = { route: route.route };
  const row = (label: string, side: 'legacy' | 'new', summary: RouteReport['latency']['legacy']): string =>
    `<tr><th>${label}</th>` +
    `<td class="n">${metric(scope, `latency-${side}-p50`, summary.p50, formatMs(summary.p50))}</td>` +
    `<td class="n">${metric(scope, `latency-${side}-p99`, summary.p99, formatMs(summary.p99))}</td>` +
    `<td class="n">${formatCount(summary.samples)}</td></tr>`;
  return [
    '<figure><figcaption>Latency (ms, nearest-rank percentiles within 1 %)</figcaption>',
    '<table class="latency"><thead><tr><th></th><th class="n">p50</th><th class="n">p99</th><th class="n">samples</th></tr></thead><tbody>',
    row('legacy', 'legacy', route.latency.legacy),
    row('new', 'new', route.latency.candidate),
    '</tbody></table></figure>',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Charts (inline SVG)

/** SVG presentation attributes take no CSS variables: the chart colours, same as --real/--noise/--pass. */
const COLORS = { real: '#d64545', noise: '#f2b8b5', pass: '#2e7d32' } as const;

const NICE_MAXIMA = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

function niceMaximum(rate: number): number {
  return NICE_MAXIMA.find((nice) => rate <= nice) ?? 1;
}

function axisPercent(rate: number): string {
  return `${Number((rate * 100).toFixed(1))} %`;
}

/** `HH:MM` within two days, `MM-DD HH:MM` beyond; always UTC. */
function timeLabel(iso: string, spanMs: number): string {
  return spanMs <= 2 * DAY_MS ? iso.slice(11, 16) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/**
 * Time-axis labels on the clock's round marks (12:00, 14:00, … or 03-02 00:00, …), up to 5 of them; a
 * window too short for two marks is labelled at its ends. [time, text-anchor, label].
 */
export function timeTicks(start: number, spanMs: number): [number, 'start' | 'middle' | 'end', string][] {
  const label = (time: number): string => timeLabel(new Date(time).toISOString(), spanMs);
  const step = niceStep(spanMs, 5, MINUTE_MS);
  const marks: number[] = [];
  for (let mark = markAtOrBefore(start, step); mark <= start + spanMs; mark += step.ms) if (mark >= start) marks.push(mark);
  if (marks.length < 2) return [[start, 'start', label(start)], [start + spanMs, 'end', label(start + spanMs)]];
  // A mark at an edge (within 3 % of the axis, ~15 px) is anchored inward, so its label is not cut off.
  const anchor = (mark: number): 'start' | 'middle' | 'end' => {
    const along = (mark - start) / spanMs;
    return along < 0.03 ? 'start' : along > 0.97 ? 'end' : 'middle';
  };
  return marks.map((mark) => [mark, anchor(mark), label(mark)]);
}

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function bucketTitle(bucket: TimeBucket): string {
  if (bucket.comparisons === 0) return `${bucket.start} – ${bucket.end}: no comparisons`;
  return (
    `${bucket.start} – ${bucket.end}: ${formatCount(bucket.mismatches)} of ${formatCount(bucket.comparisons)} ` +
    `mismatched (${formatPercent(bucket.mismatchRate ?? 0)})`
  );
}

function timelineChart(route: RouteReport, report: DiffReport): string {
  const buckets = route.timeline;
  if (buckets.length === 0) return '';
  const [width, height] = [560, 200];
  const margin = { left: 48, right: 12, top: 12, bottom: 40 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const yMax = niceMaximum(Math.max(0, ...buckets.map((bucket) => bucket.mismatchRate ?? 0)));
  const y = (rate: number): number => margin.top + plotH - (rate / yMax) * plotH;
  // Bars sit on a time axis: a bucket cut to the window is drawn as narrow as it is.
  const t0 = Date.parse(buckets[0]!.start);
  const spanMs = Date.parse(buckets[buckets.length - 1]!.end) - t0;
  const xOf = (time: number, index: number): number => margin.left + (spanMs > 0 ? ((time - t0) / spanMs) * plotW : (index / buckets.length) * plotW);
  const parts: string[] = [];
  for (const tick of [0, yMax / 2, yMax]) {
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${round(y(tick))}" y2="${round(y(tick))}" stroke="#e3e7ec"/>`,
      `<text x="${margin.left - 6}" y="${round(y(tick) + 4)}" text-anchor="end">${axisPercent(tick)}</text>`,
    );
  }
  buckets.forEach((bucket, index) => {
    const left = xOf(Date.parse(bucket.start), index);
    const step = xOf(Date.parse(bucket.end), index + 1) - left;
    const x = left + step * 0.1;
    const barW = Math.max(1, step * 0.8);
    const attributes =
      `${scopeAttributes({ route: route.route })} data-metric="bucket-mismatch-rate" data-bucket="${index}" ` +
      `data-value="${bucket.mismatchRate ?? ''}"`;
    const title = `<title>${escapeHtml(bucketTitle(bucket))}</title>`;
    if (bucket.mismatchRate === null) {
      parts.push(`<rect ${attributes} x="${round(x)}" y="${round(y(0) - 1)}" width="${round(barW)}" height="1" fill="#cfd6de">${title}</rect>`);
      return;
    }
    const top = y(bucket.mismatchRate);
    const barH = Math.max(2, y(0) - top); // a 0 % bucket with comparisons still shows a sliver
    const fill = bucket.mismatches > 0 ? COLORS.real : COLORS.pass;
    parts.push(`<rect ${attributes} x="${round(x)}" y="${round(y(0) - barH)}" width="${round(barW)}" height="${round(barH)}" fill="${fill}">${title}</rect>`);
  });
  for (const [at, anchor, label] of timeTicks(t0, spanMs)) {
    const x = xOf(at, 0);
    parts.push(
      `<line x1="${round(x)}" x2="${round(x)}" y1="${round(y(0))}" y2="${round(y(0) + 4)}" stroke="#8a94a0"/>`,
      `<text class="tick" x="${round(x)}" y="${height - margin.bottom + 16}" text-anchor="${anchor}">${escapeHtml(label)}</text>`,
    );
  }
  parts.push(
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${round(y(0))}" y2="${round(y(0))}" stroke="#8a94a0"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 6}" text-anchor="middle">time (UTC)` +
      `${report.window.bucketMs > 0 ? `, ${bucketsOf(buckets.length, report.window.bucketMs)}` : ''}</text>`,
    `<text transform="translate(12 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">mismatch rate</text>`,
  );
  return [
    '<figure><figcaption>Mismatch rate over time</figcaption>',
    `<svg class="timeline" role="img" aria-label="Mismatch rate over time" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    ...parts,
    '</svg></figure>',
  ].join('\n');
}

function fieldChart(route: RouteReport, fields: FieldReport[]): string {
  if (fields.length === 0) return '';
  const rowH = 22;
  const longest = Math.max(...fields.map((field) => displayWidth(truncate(field.path, 40))));
  const labelW = Math.max(120, Math.ceil(longest * 7.3) + 16); // ~7.3 px per monospace character at 11 px
  const barArea = 300;
  const valueW = 130;
  const top = 24;
  const width = labelW + barArea + valueW;
  const height = top + fields.length * rowH + 4;
  const most = Math.max(1, ...fields.map((field) => field.count + field.noise));
  const scale = (n: number): number => (n / most) * barArea;
  const parts = [
    `<rect x="${labelW}" y="4" width="10" height="10" fill="${COLORS.real}"/><text x="${labelW + 14}" y="13">differences</text>`,
    `<rect x="${labelW + 100}" y="4" width="10" height="10" fill="${COLORS.noise}"/><text x="${labelW + 114}" y="13">noise</text>`,
  ];
  fields.forEach((field, index) => {
    const rowY = top + index * rowH;
    const realW = scale(field.count);
    const noiseW = scale(field.noise);
    parts.push(
      `<g><title>${escapeHtml(`${field.path}: ${field.count} differences, ${field.noise} noise`)}</title>`,
      `<text class="path" x="${labelW - 8}" y="${rowY + 14}" text-anchor="end">${escapeHtml(truncate(field.path, 40))}</text>`,
      `<rect x="${labelW}" y="${rowY + 3}" width="${round(realW)}" height="${rowH - 6}" fill="${COLORS.real}"/>`,
      `<rect x="${round(labelW + realW)}" y="${rowY + 3}" width="${round(noiseW)}" height="${rowH - 6}" fill="${COLORS.noise}"/>`,
      `<text x="${round(labelW + realW + noiseW + 6)}" y="${rowY + 15}">${formatCount(field.count)}` +
        `${field.noise > 0 ? ` (+${formatCount(field.noise)} noise)` : ''}</text></g>`,
    );
  });
  return [
    `<figure><figcaption>Differences per field (comparisons), noise in the lighter shade</figcaption>`,
    `<svg class="fields" role="img" aria-label="Differences per field" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    ...parts,
    '</svg></figure>',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Tables

function valueCell(value: string | null, side: 'legacy' | 'new', note?: string): string {
  const noted = note ? ` <span class="note">${escapeHtml(note)}</span>` : '';
  return value === null
    ? `<td class="val ${side}"><span class="absent">absent</span></td>`
    : `<td class="val ${side}"><code>${escapeHtml(value)}</code>${noted}</td>`;
}

/** Where the example differed under a templated field: every location kept, the first shown, all in the title. */
function locationLine(example: FieldExample): string {
  const location = exampleLocation(example);
  if (!location) return '';
  const all = example.locations.join('\n') + (example.moreLocations > 0 ? `\n… ${formatCount(example.moreLocations)} more` : '');
  return `<span class="target">at <code title="${escapeHtml(all)}">${escapeHtml(location.location)}</code>${escapeHtml(moreLocationsText(location.more))}</span>`;
}

function exampleCells(example: FieldExample | undefined): string {
  if (!example) return '<td></td><td class="val"></td><td class="val"></td>';
  const request = `${example.method} ${example.target} at ${example.at}${example.noise ? ' (noise)' : ''}`;
  return (
    `<td><code title="${escapeHtml(request)}">${escapeHtml(example.requestId)}</code>` +
    `${example.noise ? ' <span class="note">noise</span>' : ''}` +
    `<span class="target">${escapeHtml(truncate(`${example.method} ${example.target}`, 48))}</span>` +
    locationLine(example) +
    '</td>' +
    valueCell(example.legacy, 'legacy') +
    valueCell(example.candidate, 'new', normalisationNote(example.legacy, example.candidate))
  );
}

function differencesTable(route: RouteReport, fields: FieldReport[]): string {
  if (fields.length === 0) return '<p class="note">No differing fields.</p>';
  const scope = { route: route.route };
  const rows: string[] = [];
  for (const field of fields) {
    const span = Math.max(1, field.examples.length);
    const rowspan = span > 1 ? ` rowspan="${span}"` : '';
    const fieldAttr = ` data-field="${escapeHtml(field.path)}"`;
    rows.push(
      `<tr><td class="field"${rowspan}><code>${escapeHtml(field.path)}</code></td>` +
        `<td class="n"${rowspan}>${metric(scope, 'field-count', field.count, formatCount(field.count), fieldAttr)}</td>` +
        `<td class="n"${rowspan}>${metric(scope, 'field-share', field.share, formatPercent(field.share), fieldAttr)}</td>` +
        `<td class="n"${rowspan}>${metric(scope, 'field-noise', field.noise, formatCount(field.noise), fieldAttr)}</td>` +
        `<td${rowspan}>${escapeHtml(field.kinds.join(', '))}</td>` +
        `${exampleCells(field.examples[0])}</tr>`,
    );
    for (const example of field.examples.slice(1)) rows.push(`<tr>${exampleCells(example)}</tr>`);
  }
  return [
    '<table class="diffs"><thead><tr><th>Field</th><th class="n">Count</th><th class="n">Share</th>' +
      '<th class="n">Noise</th><th>Kinds</th><th>Request</th><th>Legacy</th><th>New</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table>',
  ].join('\n');
}

function errorsTable(route: RouteReport): string {
  if (route.errors.length === 0) return '';
  const rows = route.errors.map(
    (error) => `<tr><td><code>${escapeHtml(error.reason)}</code></td><td class="n">${formatCount(error.count)}</td></tr>`,
  );
  return [
    '<h3>Errors</h3>',
    '<table class="errors"><thead><tr><th>Reason</th><th class="n">Count</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table>',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Sections

function routeSection(route: RouteReport, index: number, report: DiffReport, maxFields: number): string {
  const scope = { route: route.route };
  const parts = [
    `<section class="route" id="route-${index + 1}" data-route="${escapeHtml(route.route)}">`,
    `<h2>${routeLabel(route, `<code>${escapeHtml(route.route)}</code>`)} ${verdictBadge(routeVerdict(route))}</h2>`,
    ...(route.configured === false ? [`<p class="note">${escapeHtml(notConfiguredNote(route))}.</p>`] : []),
    outcomeCards(scope, route.counts, route.rates),
  ];
  if (route.counts.comparisons === 0) {
    parts.push('<p class="note">No comparisons for this route.</p>', '</section>');
    return parts.join('\n');
  }
  const fields = route.fields.slice(0, maxFields);
  const hidden = hiddenFieldsText(route, fields.length);
  parts.push(
    `<div class="row">${timelineChart(route, report)}${latencyTable(route)}</div>`,
    '<h3>Top differences</h3>',
    fieldChart(route, fields),
    differencesTable(route, fields),
  );
  if (hidden) parts.push(`<p class="note">… ${escapeHtml(hidden)}.</p>`);
  parts.push(errorsTable(route), '</section>');
  return parts.filter(Boolean).join('\n');
}

function routesTable(report: DiffReport): string {
  const rows = report.routes.map(
    (route, index) =>
      `<tr><td><a href="#route-${index + 1}">${routeLabel(route, `<code>${escapeHtml(route.route)}</code>`)}</a></td>` +
      `<td class="n">${formatCount(route.counts.comparisons)}</td><td class="n">${formatPercent(route.rates.mismatch)}</td>` +
      `<td class="n">${formatPercent(route.rates.noise)}</td><td class="n">${formatPercent(route.rates.error)}</td>` +
      `<td>${verdictBadge(routeVerdict(route))}</td></tr>`,
  );
  return [
    '<table class="routes"><thead><tr><th>Route</th><th class="n">Comparisons</th><th class="n">Mismatch</th>' +
      '<th class="n">Noise</th><th class="n">Error</th><th>Verdict</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table>',
  ].join('\n');
}

function pageHeader(report: DiffReport, title: string): string {
  const facts = [`Generated ${escapeHtml(report.generatedAt)}`];
  if (report.window.from && report.window.to) {
    facts.push(`window ${escapeHtml(report.window.from)} → ${escapeHtml(report.window.to)}`);
  }
  if (report.filter.route !== null) facts.push(`route <code>${escapeHtml(report.filter.route)}</code>`);
  if (report.filter.since !== null) facts.push(`since ${escapeHtml(report.filter.since)}`);
  const { counts, rates } = report.totals;
  return [
    '<header class="page">',
    `<h1>${escapeHtml(title)} ${verdictBadge(verdictOf(counts))}</h1>`,
    `<p class="meta">${facts.join(' · ')} · ${metric('total', 'routes', report.routes.length, formatCount(report.routes.length))} ` +
      `route${report.routes.length === 1 ? '' : 's'}</p>`,
    report.window.omittedThrough === null ? '' : `<p class="omitted">${escapeHtml(omittedNote(report.window.omittedThrough))}</p>`,
    outcomeCards('total', counts, rates),
    report.routes.length > 1 ? routesTable(report) : '',
    '</header>',
  ]
    .filter(Boolean)
    .join('\n');
}

export function renderHtml(report: DiffReport, options: HtmlOptions = {}): string {
  const title = options.title ?? 'Shadow diff report';
  const maxFields = options.maxFields ?? DEFAULT_HTML_FIELDS;
  const sections = report.routes.map((route, index) => routeSection(route, index, report, maxFields));
  const main = sections.length > 0 ? sections.join('\n') : '<p class="note">No comparisons.</p>';
  return page(
    title,
    [pageHeader(report, title), `<main>\n${main}\n</main>`, `<footer>strangler diff report · ${escapeHtml(report.generatedAt)}</footer>`].join('\n'),
  );
}
