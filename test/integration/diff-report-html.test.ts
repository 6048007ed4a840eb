/**
 * The HTML diff report in a real browser: rendered to a temp file, opened by headless Chromium (Debian's
 * /usr/bin/chromium, installed by scripts/test-env.js), and read back from the DOM Chromium built.
 *
 * Set DIFF_REPORT_SCREENSHOT=/some/file.png to keep the screenshot for a look.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ComparisonRecord, ComparisonResult, FieldDifference } from '../../core/comparison';
import { LATENCY_RELATIVE_ACCURACY } from '../../core/latency-sketch';
import { buildDiffReport, renderHtml, type DiffReport } from '../../diff-reader/report';
import { formatMs, formatPercent } from '../../diff-reader/report/format';
import { chromiumPath, runChromium } from '../helpers/chromium';

jest.setTimeout(120_000);

const T0 = Date.parse('2025-06-01T08:00:00.000Z');
const HOSTILE_ROUTE = 'legacy & "reports"';

/** A deterministic day of traffic on three routes, with values that must be escaped. */
function traffic(): ComparisonRecord[] {
  const records: ComparisonRecord[] = [];
  for (let index = 0; index < 600; index++) {
    const route = ['orders', 'users', HOSTILE_ROUTE][index % 3]!;
    const spin = (index * 7919) % 100;
    const late = index > 400 ? 10 : 0; // orders and users get worse late in the day
    const result: ComparisonResult =
      route === HOSTILE_ROUTE ? (spin < 3 ? 'noise' : 'match')
        : spin < 5 + late ? 'mismatch'
          : spin < 12 ? 'noise'
            : spin < 14 ? 'error'
              : 'match';
    const differences: FieldDifference[] =
      result === 'mismatch'
        ? [
            { path: '$.items[*].price', kind: 'changed', legacy: '12.5', candidate: '"12.50"' },
            ...(index % 2 === 0
              ? [{ path: '$.note', kind: 'changed' as const, legacy: '"<script>alert(1)</script>"', candidate: '"<img src=\\"https://evil.example/x.png\\">"' }]
              : []),
            ...(index % 5 === 0 ? [{ path: 'header.content-type', kind: 'changed' as const, legacy: '"application/json"', candidate: '"text/html"' }] : []),
          ]
        : [];
    const noise: FieldDifference[] =
      result === 'noise' || (result === 'mismatch' && index % 3 === 0)
        ? [{ path: '$.meta.generatedAt', kind: 'changed', legacy: '"08:00:00"', candidate: '"08:00:01"' }]
        : [];
    records.push({
      requestId: `req-${index}`,
      route,
      method: 'GET',
      target: `/api/${index}?q=<b>&x="y"`,
      at: new Date(T0 + index * 120_000).toISOString(),
      result,
      legacyStatus: 200,
      candidateStatus: result === 'error' ? undefined : 200,
      legacyMs: 5 + ((index * 37) % 90),
      candidateMs: result === 'error' ? undefined : 4 + ((index * 53) % 120),
      differences,
      noise,
      error: result === 'error' ? (index % 2 ? 'timeout after 2000 ms' : 'connection reset <ECONNRESET>') : undefined,
    });
  }
  return records;
}

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', lt: '<', gt: '>', '#39': "'", nbsp: '\u00a0' };

function decode(text: string): string {
  return text.replace(/&(amp|quot|lt|gt|#39|nbsp);/g, (_, name: string) => ENTITIES[name]!);
}

interface MetricElement {
  attributes: Record<string, string>;
  text: string;
}

/** Elements with data-metric in the serialised DOM, with their attributes and their own text. */
function metricElements(dom: string): MetricElement[] {
  const elements: MetricElement[] = [];
  for (const match of dom.matchAll(/<([a-z]+)\s([^>]*\bdata-metric="[^"]*"[^>]*)>([^<]*)/g)) {
    const attributes: Record<string, string> = {};
    for (const [, name, value] of match[2]!.matchAll(/([a-z-]+)="([^"]*)"/g)) attributes[name!] = decode(value!);
    elements.push({ attributes, text: decode(match[3]!) });
  }
  return elements;
}

function find(elements: MetricElement[], where: Record<string, string>): MetricElement {
  const found = elements.filter((element) =>
    Object.entries(where).every(([name, value]) => element.attributes[name] === value),
  );
  if (found.length !== 1) throw new Error(`${found.length} elements match ${JSON.stringify(where)}`);
  return found[0]!;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/**
 * What a reader sees, read back from the page Chromium laid out: a probe page (next to the report) shows the
 * report, unchanged, in an iframe and reads the innerText of the elements a reader looks at, only when they
 * are rendered and visible, plus the rendered widths of the per-field chart bars. The report itself runs no
 * script (its CSP forbids it); the probe runs outside it, with --allow-file-access-from-files so that it may
 * read a file: page. Its findings come back URI-encoded in a <pre>, through --dump-dom.
 */
interface SeenCard {
  num: string | null;
  sub: string | null;
}

interface SeenTable {
  head: string[];
  rows: string[][];
}

interface SeenBar {
  /** The path label left of the bar and the count label right of it (SVG text). */
  label: string;
  value: string;
  /** Rendered widths in CSS pixels of the real-differences bar and the noise bar after it. */
  realWidth: number;
  noiseWidth: number;
}

interface SeenSection {
  route: string;
  verdict: string;
  cards: Record<string, SeenCard>;
  latency: SeenTable | null;
  differences: SeenTable | null;
  bars: SeenBar[] | null;
}

interface Seen {
  title: string;
  cards: Record<string, SeenCard>;
  routes: SeenTable | null;
  sections: SeenSection[];
}

const PROBE_SCRIPT = `
window.addEventListener('load', function () {
  var out = document.getElementById('seen');
  try {
    var doc = document.getElementById('report').contentDocument;
    var win = document.getElementById('report').contentWindow;
    function visible(el) {
      if (!el || el.getClientRects().length === 0) return false;
      for (var node = el; node && node.nodeType === 1; node = node.parentElement) {
        var style = win.getComputedStyle(node);
        if (style.display === 'none' || style.visibility !== 'visible' || Number(style.opacity) === 0) return false;
      }
      return true;
    }
    function text(el) {
      if (!el) return null;
      if (!visible(el)) return '(not visible)';
      return (el instanceof win.HTMLElement ? el.innerText : el.textContent).trim();
    }
    function cards(root) {
      var result = {};
      root.querySelectorAll(':scope > .cards > .card').forEach(function (card) {
        result[text(card.querySelector('.label'))] = { num: text(card.querySelector('.num')), sub: text(card.querySelector('.sub')) };
      });
      return result;
    }
    function table(el) {
      if (!el) return null;
      return {
        head: Array.from(el.querySelectorAll('thead th')).map(text),
        rows: Array.from(el.querySelectorAll('tbody tr')).map(function (tr) { return Array.from(tr.cells).map(text); }),
      };
    }
    function bars(svg) {
      if (!svg) return null;
      return Array.from(svg.querySelectorAll(':scope > g')).map(function (g) {
        var labels = g.querySelectorAll(':scope > text');
        var rects = g.querySelectorAll(':scope > rect');
        return {
          label: text(labels[0]), value: text(labels[1]),
          realWidth: rects[0].getBoundingClientRect().width, noiseWidth: rects[1].getBoundingClientRect().width,
        };
      });
    }
    var header = doc.querySelector('header.page');
    var seen = {
      title: text(header.querySelector('h1')),
      cards: cards(header),
      routes: table(header.querySelector('table.routes')),
      sections: Array.from(doc.querySelectorAll('main > section.route')).map(function (section) {
        return {
          route: text(section.querySelector('h2 > code')),
          verdict: text(section.querySelector('h2 > .verdict')),
          cards: cards(section),
          latency: table(section.querySelector('table.latency')),
          differences: table(section.querySelector('table.diffs')),
          bars: bars(section.querySelector('svg.fields')),
        };
      }),
    };
    out.textContent = encodeURIComponent(JSON.stringify(seen));
  } catch (error) {
    out.textContent = 'probe-error:' + encodeURIComponent(String(error && error.stack || error));
  }
});
`;

function probePage(reportName: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>probe</title></head><body style="margin:0">',
    `<iframe id="report" src="${reportName}" style="width:1280px;height:4000px;border:0"></iframe>`,
    '<pre id="seen"></pre>',
    `<script>${PROBE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

async function readWhatIsSeen(dir: string, reportName: string): Promise<Seen> {
  const probe = path.join(dir, 'probe.html');
  fs.writeFileSync(probe, probePage(reportName));
  const dumped = (await runChromium(['--allow-file-access-from-files', '--window-size=1280,2000', '--dump-dom', pathToFileURL(probe).href])).stdout;
  const found = /<pre id="seen">([^<]*)<\/pre>/.exec(dumped)?.[1];
  if (!found) throw new Error(`the probe page wrote nothing:\n${dumped.slice(0, 2000)}`);
  if (found.startsWith('probe-error:')) throw new Error(`the probe page failed: ${decodeURIComponent(found.slice('probe-error:'.length))}`);
  return JSON.parse(decodeURIComponent(found)) as Seen;
}

/** A table's body rows as objects keyed by its header cells (rows with fewer cells, e.g. extra examples, left out). */
function rowsOf(table: SeenTable | null): Array<Record<string, string>> {
  if (!table) throw new Error('table not found');
  return table.rows
    .filter((row) => row.length === table.head.length)
    .map((row) => Object.fromEntries(table.head.map((name, index) => [name, row[index]!])));
}

function section(seen: Seen, route: string): SeenSection {
  const found = seen.sections.filter((candidate) => candidate.route === route);
  if (found.length !== 1) throw new Error(`${found.length} sections show route ${JSON.stringify(route)}`);
  return found[0]!;
}

// ---------------------------------------------------------------------------------------------------------
// The numbers traffic() must produce, worked out by hand from its formulas (never from buildDiffReport).
//
// Routes: route = [orders, users, HOSTILE][i % 3] for i = 0…599, so 200 comparisons each, 600 in all.
// Outcomes: spin = 7919·i mod 100 = 19·i mod 100. Write i = 3k + r (k = 0…199): spin = (57k + 19r) mod 100,
//   and 57 is prime to 100, so any 100 consecutive k take every spin once. i ≤ 400 ⟺ k ≤ 133 for every r.
//   Before that: mismatch spin < 5, noise 5…11, error 12…13; after it: mismatch spin < 15, no noise or error.
//   k = 0…99 (one full cycle): 5 mismatch, 7 noise, 2 error. k = 100…133 take the spins of k = 0…33, and
//   k = 134…199 those of k = 34…99, i.e. the full cycle less k = 0…33.
//   orders (r = 0): spins of k = 0…33 are 0 57 14 71 28 85 42 99 56 13 70 27 84 41 98 55 12 69 26 83 40 97 54 11
//     68 25 82 39 96 53 10 67 24 81: 1 below 5, 2 in 5…11 (10, 11), 2 in 12…13, 6 below 15 (0, 10…14).
//     mismatch 5 + 1 + (15 − 6) = 15, noise 7 + 2 = 9, error 2 + 2 = 4, match 200 − 28 = 172.
//     Mismatches at i = 0 216 237 258 279 300 411 432 453 474 495 516 537 558 579.
//   users (r = 1): those spins + 19 are 19 76 33 90 47 4 61 18 75 32 89 46 3 60 17 74 31 88 45 2 59 16 73 30 87
//     44 1 58 15 72 29 86 43 0: 5 below 5 (0…4), none in 5…13, 5 below 15.
//     mismatch 5 + 5 + (15 − 5) = 20, noise 7, error 2, match 171.
//     Mismatches at i = 16 37 58 79 100 316 337 358 379 400 406 427 448 469 490 511 532 553 574 595.
//   HOSTILE: noise when spin < 3, else match: two full cycles, 2·3 = 6 noise, 194 match.
//   Totals: mismatch 15 + 20 = 35 (35/600 = 5.83 %), noise 9 + 7 + 6 = 22 (3.67 %), error 6 (1.0 %),
//   match 172 + 171 + 194 = 537 (89.5 %).
// Fields (counted once per comparison): $.items[*].price in every mismatch; $.note when i is even; header.content-type
//   when i % 5 = 0; $.meta.generatedAt is only ever noise: in every noise comparison and in mismatches with i % 3 = 0
//   (all of orders', none of users'). It is never a real difference, so the report's own noise learning moves
//   nothing.
//   orders: price 15 (7.5 %), note 8 (i = 0 216 258 300 432 474 516 558; 4.0 %), content-type 3 (i = 0 300 495;
//     1.5 %), generatedAt 0 (0 %) with 9 + 15 = 24 noise.
//   users: price 20 (10.0 %), note 11 (i = 16 58 100 316 358 400 406 448 490 532 574; 5.5 %), content-type 4
//     (i = 100 400 490 595; 2.0 %), generatedAt 0 with 7 noise.  HOSTILE: generatedAt 0 with 6 noise.
// Latency, nearest rank (the report's sketch is within 1 % of these): p50 = the 100th of 200 sorted values,
// p99 = the 198th (ceil(0.99·200)).
//   legacy = 5 + 37·i mod 90 = 5 + (21k + 37r) mod 90: 21k mod 90 cycles through the 30 multiples of 3 every
//   30 k; 200 = 6·30 + 20, so 20 values (those of k = 0…19) have 7 copies, the other 10 have 6.
//     orders: values 0,3,…,87; 7 copies of 0 21 42 63 84 15 36 57 78 9 30 51 72 3 24 45 66 87 18 39.
//       Cumulative: …, 39 → 94, 42 → 101: p50 = 5 + 42 = 47. 87 has 7 copies (ranks 194…200): p99 = 92.
//     users: values ≡ 1 (mod 3); cumulative …, 43 → 99, 46 → 106: p50 = 51; 88 has 7 copies: p99 = 93.
//     HOSTILE: values ≡ 2 (mod 3); cumulative …, 41 → 94, 44 → 100: p50 = 49; 89 has 7 copies: p99 = 94.
//   new = 4 + 53·i mod 120 = 4 + (39k + 53r) mod 120 (none for errors): 39k mod 120 cycles through the 40
//   multiples of 3 every 40 k, so 200 = 5 cycles, 5 copies of each value, less the errors.
//     orders: errors at i = 27 48 327 348 drop 111 24 51 84: 196 samples, p50 = 98th, p99 = 195th (ceil(194.04)).
//       Up to 57: 20·5 − 2 = 98 → p50 = 4 + 57 = 61; 117 holds ranks 192…196 → p99 = 121.
//     users (values ≡ 2 mod 3): errors at i = 127 148 drop 11 44: 198 samples, p50 = 99th, p99 = 197th.
//       Up to 59: 98, up to 62: 103 → p50 = 66; 119 holds ranks 194…198 → p99 = 123.
//     HOSTILE (values ≡ 1 mod 3): no errors, 200 samples; up to 58: 100 → p50 = 62; 118 → p99 = 122.
// Per-field chart: each bar is count + noise long, scaled to the longest (orders 0 + 24 = 24, users 20, HOSTILE 6).

interface ExpectedField {
  path: string;
  count: number;
  share: string;
  noise: number;
}

interface ExpectedRoute {
  route: string;
  verdict: string;
  counts: { comparisons: number; match: number; mismatch: number; noise: number; error: number };
  rates: { match: string; mismatch: string; noise: string; error: string };
  latency: { legacy: [string, string, string]; new: [string, string, string] };
  fields: ExpectedField[];
}

const EXPECTED: ExpectedRoute[] = [
  {
    route: HOSTILE_ROUTE,
    verdict: 'PASS no mismatches',
    counts: { comparisons: 200, match: 194, mismatch: 0, noise: 6, error: 0 },
    rates: { match: '97.0 %', mismatch: '0 %', noise: '3.0 %', error: '0 %' },
    latency: { legacy: ['49', '94', '200'], new: ['62', '122', '200'] },
    fields: [{ path: '$.meta.generatedAt', count: 0, share: '0 %', noise: 6 }],
  },
  {
    route: 'orders',
    verdict: 'FAIL 7.5 % mismatches',
    counts: { comparisons: 200, match: 172, mismatch: 15, noise: 9, error: 4 },
    rates: { match: '86.0 %', mismatch: '7.5 %', noise: '4.5 %', error: '2.0 %' },
    latency: { legacy: ['47', '92', '200'], new: ['61', '121', '196'] },
    fields: [
      { path: '$.items[*].price', count: 15, share: '7.5 %', noise: 0 },
      { path: '$.note', count: 8, share: '4.0 %', noise: 0 },
      { path: 'header.content-type', count: 3, share: '1.5 %', noise: 0 },
      { path: '$.meta.generatedAt', count: 0, share: '0 %', noise: 24 },
    ],
  },
  {
    route: 'users',
    verdict: 'FAIL 10.0 % mismatches',
    counts: { comparisons: 200, match: 171, mismatch: 20, noise: 7, error: 2 },
    rates: { match: '85.5 %', mismatch: '10.0 %', noise: '3.5 %', error: '1.0 %' },
    latency: { legacy: ['51', '93', '200'], new: ['66', '123', '198'] },
    fields: [
      { path: '$.items[*].price', count: 20, share: '10.0 %', noise: 0 },
      { path: '$.note', count: 11, share: '5.5 %', noise: 0 },
      { path: 'header.content-type', count: 4, share: '2.0 %', noise: 0 },
      { path: '$.meta.generatedAt', count: 0, share: '0 %', noise: 7 },
    ],
  },
];

const OUTCOME_CARDS = [
  ['Mismatch', 'mismatch'],
  ['Match', 'match'],
  ['Noise', 'noise'],
  ['Error', 'error'],
] as const;

describe('HTML diff report in headless Chromium', () => {
  let dir: string;
  let file: string;
  let report: DiffReport;
  let dom: string;
  let seen: Seen;

  beforeAll(async () => {
    chromiumPath(); // fails here, in one clear line, when Chromium is missing: never a silent skip
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-diff-report-'));
    file = path.join(dir, 'report.html');
    report = buildDiffReport(traffic(), { generatedAt: new Date(T0 + 24 * 3_600_000) });
    fs.writeFileSync(file, renderHtml(report));
    dom = (await runChromium(['--dump-dom', pathToFileURL(file).href])).stdout;
    seen = await readWhatIsSeen(dir, path.basename(file));
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the browser built the whole page', () => {
    expect(dom).toContain('<h1>Shadow diff report');
    expect(dom).toContain('</footer>');
    expect(report.routes.map((route) => route.route)).toEqual([HOSTILE_ROUTE, 'orders', 'users']);
    expect(dom.match(/<section class="route"/g)).toHaveLength(3);
  });

  test('the numbers shown are the model numbers, per route and in total', () => {
    const elements = metricElements(dom);
    const totals = report.totals;
    expect(Number(find(elements, { 'data-scope': 'total', 'data-metric': 'comparisons' }).attributes['data-value'])).toBe(600);
    for (const outcome of ['match', 'mismatch', 'noise', 'error'] as const) {
      const count = find(elements, { 'data-scope': 'total', 'data-metric': outcome });
      expect(Number(count.attributes['data-value'])).toBe(totals.counts[outcome]);
      const rate = find(elements, { 'data-scope': 'total', 'data-metric': `${outcome}-rate` });
      expect(Number(rate.attributes['data-value'])).toBe(totals.rates[outcome]);
      expect(rate.text).toBe(formatPercent(totals.rates[outcome]));
    }
    for (const route of report.routes) {
      const scope = { 'data-route': route.route };
      const value = (metric: string): string | undefined => find(elements, { ...scope, 'data-metric': metric }).attributes['data-value'];
      const shown = (metric: string): string => find(elements, { ...scope, 'data-metric': metric }).text;
      expect(Number(value('comparisons'))).toBe(route.counts.comparisons);
      expect(Number(value('mismatch'))).toBe(route.counts.mismatch);
      expect(Number(value('mismatch-rate'))).toBe(route.rates.mismatch);
      expect(shown('mismatch-rate')).toBe(formatPercent(route.rates.mismatch));
      expect(Number(value('error-rate'))).toBe(route.rates.error);
      expect(Number(value('latency-legacy-p50'))).toBe(route.latency.legacy.p50);
      expect(Number(value('latency-legacy-p99'))).toBe(route.latency.legacy.p99);
      expect(Number(value('latency-new-p50'))).toBe(route.latency.candidate.p50);
      expect(Number(value('latency-new-p99'))).toBe(route.latency.candidate.p99);
      expect(shown('latency-new-p99')).toBe(formatMs(route.latency.candidate.p99));
      for (const field of route.fields) {
        const fieldScope = { ...scope, 'data-field': field.path };
        expect(Number(find(elements, { ...fieldScope, 'data-metric': 'field-count' }).attributes['data-value'])).toBe(field.count);
        expect(Number(find(elements, { ...fieldScope, 'data-metric': 'field-noise' }).attributes['data-value'])).toBe(field.noise);
      }
      const buckets = elements
        .filter((element) => element.attributes['data-route'] === route.route && element.attributes['data-metric'] === 'bucket-mismatch-rate')
        .map((element) => element.attributes['data-value']);
      expect(buckets).toEqual(route.timeline.map((bucket) => (bucket.mismatchRate === null ? '' : String(bucket.mismatchRate))));
      // 600 comparisons 2 minutes apart, from 08:00: 1,199 minutes in buckets of an hour.
      expect(buckets).toHaveLength(20);
    }
    // the numbers are not trivial
    const orders = report.routes.find((route) => route.route === 'orders')!;
    expect(orders.counts.mismatch).toBeGreaterThan(5);
    expect(orders.fields.map((field) => field.path)).toEqual(['$.items[*].price', '$.note', 'header.content-type', '$.meta.generatedAt']);
  });

  test('what a reader sees: comparisons and outcomes per route and in total, worked out from the traffic', () => {
    expect(seen.title).toBe('Shadow diff report FAIL 5.8 % mismatches');
    // page header: 600 comparisons; 35 mismatch, 537 match, 22 noise, 6 error (see the arithmetic above)
    expect(seen.cards).toEqual({
      Comparisons: { num: '600', sub: null },
      Mismatch: { num: '5.8 %', sub: '35' },
      Match: { num: '89.5 %', sub: '537' },
      Noise: { num: '3.7 %', sub: '22' },
      Error: { num: '1.0 %', sub: '6' },
    });
    // the table of routes at the top: one row per route, in name order
    expect(rowsOf(seen.routes)).toEqual(
      EXPECTED.map((route) => ({
        Route: route.route,
        Comparisons: String(route.counts.comparisons),
        Mismatch: route.rates.mismatch,
        Noise: route.rates.noise,
        Error: route.rates.error,
        Verdict: route.verdict,
      })),
    );
    expect(seen.sections.map((shown) => shown.route)).toEqual(EXPECTED.map((route) => route.route));
    for (const route of EXPECTED) {
      const shown = section(seen, route.route);
      expect(shown.verdict).toBe(route.verdict);
      expect(shown.cards['Comparisons']).toEqual({ num: String(route.counts.comparisons), sub: null });
      for (const [label, outcome] of OUTCOME_CARDS) {
        expect([route.route, label, shown.cards[label]]).toEqual([route.route, label, { num: route.rates[outcome], sub: String(route.counts[outcome]) }]);
      }
    }
  });

  test('what a reader sees: legacy and new latency p50, p99 and samples per route', () => {
    for (const route of EXPECTED) {
      const latency = section(seen, route.route).latency;
      expect(latency?.head).toEqual(['', 'p50', 'p99', 'samples']);
      // Shown with one decimal, from a sketch within 1 % of the exact nearest-rank values worked out above.
      const near = (shownMs: string | undefined, exactMs: string): boolean => Math.abs(Number(shownMs) - Number(exactMs)) <= Number(exactMs) * LATENCY_RELATIVE_ACCURACY + 0.05;
      const rows = latency?.rows ?? [];
      expect([route.route, rows.map((row) => row[0]), rows.map((row) => row[3])]).toEqual([route.route, ['legacy', 'new'], [route.latency.legacy[2], route.latency.new[2]]]);
      for (const [row, exact] of [
        [rows[0], route.latency.legacy],
        [rows[1], route.latency.new],
      ] as const) {
        expect([route.route, row?.[0], near(row?.[1], exact[0]), near(row?.[2], exact[1])]).toEqual([route.route, row?.[0], true, true]);
      }
    }
  });

  test("what a reader sees: each field's count, share and noise in the table of top differences", () => {
    for (const route of EXPECTED) {
      const rows = rowsOf(section(seen, route.route).differences);
      expect([route.route, rows.map((row) => [row['Field'], row['Count'], row['Share'], row['Noise'], row['Kinds']])]).toEqual([
        route.route,
        route.fields.map((field) => [field.path, String(field.count), field.share, String(field.noise), 'changed']),
      ]);
    }
  });

  test('what a reader sees: the per-field chart has one bar per field, as long as its count, labelled with it', () => {
    for (const route of EXPECTED) {
      const bars = section(seen, route.route).bars;
      if (!bars) throw new Error(`no per-field chart for ${route.route}`);
      expect([route.route, bars.map((bar) => bar.label)]).toEqual([route.route, route.fields.map((field) => field.path)]);
      expect(bars.map((bar) => bar.value)).toEqual(
        route.fields.map((field) => (field.noise > 0 ? `${field.count} (+${field.noise} noise)` : String(field.count))),
      );
      // lengths on screen: real part ∝ count, noise part ∝ noise, the longest bar (count + noise) is the scale
      const most = Math.max(...route.fields.map((field) => field.count + field.noise));
      const longest = Math.max(...bars.map((bar) => bar.realWidth + bar.noiseWidth));
      expect(longest).toBeGreaterThan(100); // a bar a reader can see, not a sliver
      route.fields.forEach((field, index) => {
        const bar = bars[index]!;
        expect([field.path, bar.realWidth / longest]).toEqual([field.path, expect.closeTo(field.count / most, 2)]);
        expect([field.path, bar.noiseWidth / longest]).toEqual([field.path, expect.closeTo(field.noise / most, 2)]);
      });
    }
    // e.g. orders: $.items[*].price is 15/24 of the longest bar, $.note 8/24, header.content-type 3/24
    const orders = section(seen, 'orders').bars!;
    expect(orders[0]!.realWidth / orders[1]!.realWidth).toBeCloseTo(15 / 8, 2);
  });

  test('values from traffic are text, never markup', () => {
    expect(dom).not.toMatch(/<script/i);
    expect(dom).not.toMatch(/<img/i);
    expect(dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(dom).toContain('connection reset &lt;ECONNRESET&gt;');
    expect(dom).toContain(`<code>legacy &amp; "reports"</code>`);
  });

  test('the page asks for nothing over the network', () => {
    const tags = dom.match(/<[a-z][^>]*>/gi) ?? [];
    const urlAttributes = tags.flatMap((tag) => [...tag.matchAll(/\s(src|href|srcset|action|poster|data|xlink:href)="([^"]*)"/gi)]);
    expect(urlAttributes.map((match) => match[2]!).filter((url) => !url.startsWith('#'))).toEqual([]);
    expect(dom).not.toMatch(/<(link|img|iframe|object|embed|video|audio|source)\b/i);
    expect(dom).not.toMatch(/url\(|@import/i);
    // the only http(s) URL anywhere is the escaped one in a traffic value
    expect([...dom.matchAll(/https?:\/\/[^\s"<&\\]*/g)].map((match) => match[0])).toEqual(
      Array(dom.match(/https:\/\/evil\.example\/x\.png/g)?.length ?? 0).fill('https://evil.example/x.png'),
    );
  });

  test('a screenshot renders', async () => {
    const shot = path.join(dir, 'report.png');
    await runChromium([`--screenshot=${shot}`, '--window-size=1280,2000', pathToFileURL(file).href]);
    const png = fs.readFileSync(shot);
    expect(pngSize(png)).toEqual({ width: 1280, height: 2000 });
    expect(png.length).toBeGreaterThan(20_000); // a blank page is a few kB
    if (process.env.DIFF_REPORT_SCREENSHOT) fs.copyFileSync(shot, process.env.DIFF_REPORT_SCREENSHOT);
  });
});
