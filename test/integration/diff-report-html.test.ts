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
    const route = ['orders', 'users', HOSTILE_ROUTE][index % 3];
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
  return text.replace(/&(amp|quot|lt|gt|#39|nbsp);/g, (_, name: string) => ENTITIES[name]);
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
    for (const [, name, value] of match[2].matchAll(/([a-z-]+)="([^"]*)"/g)) attributes[name] = decode(value);
    elements.push({ attributes, text: decode(match[3]) });
  }
  return elements;
}

function find(elements: MetricElement[], where: Record<string, string>): MetricElement {
  const found = elements.filter((element) =>
    Object.entries(where).every(([name, value]) => element.attributes[name] === value),
  );
  if (found.length !== 1) throw new Error(`${found.length} elements match ${JSON.stringify(where)}`);
  return found[0];
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('HTML diff report in headless Chromium', () => {
  let dir: string;
  let file: string;
  let report: DiffReport;
  let dom: string;

  beforeAll(async () => {
    chromiumPath(); // fails here, in one clear line, when Chromium is missing: never a silent skip
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-diff-report-'));
    file = path.join(dir, 'report.html');
    report = buildDiffReport(traffic(), { generatedAt: new Date(T0 + 24 * 3_600_000) });
    fs.writeFileSync(file, renderHtml(report));
    dom = (await runChromium(['--dump-dom', pathToFileURL(file).href])).stdout;
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
      const value = (metric: string): string => find(elements, { ...scope, 'data-metric': metric }).attributes['data-value'];
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
      expect(buckets).toHaveLength(24);
    }
    // the numbers are not trivial
    const orders = report.routes.find((route) => route.route === 'orders')!;
    expect(orders.counts.mismatch).toBeGreaterThan(5);
    expect(orders.fields.map((field) => field.path)).toEqual(['$.items[*].price', '$.note', 'header.content-type', '$.meta.generatedAt']);
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
    expect(urlAttributes.map((match) => match[2]).filter((url) => !url.startsWith('#'))).toEqual([]);
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
