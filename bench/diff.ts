/**
 * Response-diff throughput: `compareResponses` on ~1 KB JSON response pairs (decode + parse + structural
 * diff), beside a naive baseline, `JSON.stringify(a) === JSON.stringify(b)` on the already-parsed bodies
 * (which finds no paths, honours no options, and is fooled by key order), and the same baseline with the
 * two JSON.parse calls included (the fair floor for anything that must read the bytes).
 *
 *   npm run build && node dist/bench/diff.js                # ~3 s measured per contender
 *   node dist/bench/diff.js --seconds 6
 *
 * Workload: 512 deterministic pairs of order responses (an object with customer, address, 3–6 line items with tags,
 * totals, a meta block with a generation timestamp and a request id), ~1 KB each. Every pair differs
 * somewhere, so the byte-equality fast path never answers: the generation time always (ignored), the
 * request id always (ignored), and in about 60 % of pairs 1–3 real fields (a price, a quantity, a status,
 * a tag order, an added field) — the kinds of differences a shadowed service shows. Options: content-type
 * compared, `ignore: [$.meta.generatedAt, $.meta.requestId]`, `unordered: [$.items[*].tags]`,
 * `numericTolerance: 0.001`, `timestampToleranceMs: 1000`.
 *
 * Timing: single thread, one core. After a warm-up, each contender runs in rounds of ~0.5 s (alternating
 * with the others so machine noise hits all alike) until --seconds each; the figure is the median round.
 * CPU time of the process over the measured window is printed as a check (it includes GC helper threads).
 * Ends with one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { compareResponses, compileDiffOptions, type HttpSnapshot } from '../diff-reader/engine';
import { benchArgs } from './bench-args';

const GOAL_PER_SECOND = 50_000;
const PAIRS = 512;
const ROUND_MS = 500;

function parseSeconds(): number {
  const text = benchArgs('diff', 'usage: node dist/bench/diff.js [--seconds S]', { values: ['--seconds'] }).get('--seconds');
  if (text === undefined) return 3;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 600) {
    console.error(`bench/diff: --seconds expects a number of seconds between 0 and 600, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

// ---- workload ----

let seed = 0x2545f491;
function random(): number {
  // xorshift32: deterministic across runs
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const SKUS = ['BK-1042', 'BK-2208', 'EL-0931', 'EL-7710', 'HM-5521', 'HM-0042', 'TY-3310', 'GR-8810'];
const NAMES = ['Paperback novel', 'USB-C cable 2 m', 'Desk lamp', 'Ceramic mug', 'Building blocks set', 'Ground coffee 500 g'];
const TAGS = ['gift', 'fragile', 'sale', 'new', 'eco', 'bulky'];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered'];

function makeOrder(n: number): Record<string, unknown> {
  const items = Array.from({ length: 3 + Math.floor(random() * 4) }, (_, i) => ({
    lineId: i + 1,
    sku: pick(SKUS),
    name: pick(NAMES),
    quantity: 1 + Math.floor(random() * 4),
    unitPrice: Math.round(random() * 10000) / 100,
    tags: [pick(TAGS), pick(TAGS)],
  }));
  const subtotal = items.reduce((sum, it) => sum + it.quantity * it.unitPrice, 0);
  const created = 1_714_557_600_000 + n * 60_000;
  return {
    id: `ord_${(100000 + n).toString(36)}`,
    status: pick(STATUSES),
    customer: { id: 5000 + (n % 97), name: 'Jörg Müller', email: `customer${n % 97}@example.com`, tier: pick(['standard', 'gold']) },
    shippingAddress: { line1: `${10 + (n % 90)} Hauptstraße`, city: 'Berlin', postalCode: `10${(115 + n) % 1000}`, country: 'DE' },
    items,
    totals: { subtotal: Math.round(subtotal * 100) / 100, tax: Math.round(subtotal * 19) / 100, shipping: 4.9, currency: 'EUR' },
    createdAt: new Date(created).toISOString(),
    updatedAt: new Date(created + 3_600_000).toISOString(),
    meta: { generatedAt: new Date(created + 86_400_000).toISOString(), requestId: `req-${n}-a`, version: 3 },
  };
}

function mutate(order: Record<string, unknown>, n: number): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(order)) as Record<string, any>;
  copy.meta.generatedAt = new Date(Date.parse(copy.meta.generatedAt) + 37).toISOString();
  copy.meta.requestId = `req-${n}-b`;
  if (random() < 0.6) {
    const changes = 1 + Math.floor(random() * 3);
    for (let c = 0; c < changes; c++) {
      const item = pick(copy.items as Array<Record<string, any>>);
      switch (Math.floor(random() * 5)) {
        case 0:
          item.unitPrice = Math.round((item.unitPrice + 1) * 100) / 100;
          break;
        case 1:
          item.quantity += 1;
          break;
        case 2:
          copy.status = 'cancelled';
          break;
        case 3:
          item.tags.reverse(); // unordered: not a difference
          item.discount = 0.1;
          break;
        default:
          copy.totals.tax = String(copy.totals.tax); // type change
      }
    }
  }
  return copy;
}

const headers = { 'content-type': 'application/json; charset=utf-8' };
const pairs: Array<{ legacy: HttpSnapshot; candidate: HttpSnapshot; a: unknown; b: unknown; textA: string; textB: string }> = [];
for (let n = 0; n < PAIRS; n++) {
  const order = makeOrder(n);
  const textA = JSON.stringify(order);
  const textB = JSON.stringify(mutate(order, n));
  pairs.push({
    legacy: { status: 200, headers, body: Buffer.from(textA) },
    candidate: { status: 200, headers, body: Buffer.from(textB) },
    a: JSON.parse(textA),
    b: JSON.parse(textB),
    textA,
    textB,
  });
}
const averageBytes = pairs.reduce((sum, p) => sum + p.legacy.body.length + p.candidate.body.length, 0) / (2 * PAIRS);

const options = compileDiffOptions({
  ignore: ['$.meta.generatedAt', '$.meta.requestId'],
  unordered: ['$.items[*].tags'],
  numericTolerance: 0.001,
  timestampToleranceMs: 1000,
});

// ---- contenders ----

type Contender = { name: string; run: (count: number) => number };

let sink = 0;
const contenders: Contender[] = [
  {
    name: 'compareResponses (decode + parse + diff)',
    run(count) {
      let found = 0;
      for (let i = 0; i < count; i++) {
        const p = pairs[i & (PAIRS - 1)]!;
        found += compareResponses(p.legacy, p.candidate, options).length;
      }
      return found;
    },
  },
  {
    name: 'naive: JSON.stringify(a) === JSON.stringify(b), parsed',
    run(count) {
      let unequal = 0;
      for (let i = 0; i < count; i++) {
        const p = pairs[i & (PAIRS - 1)]!;
        if (JSON.stringify(p.a) !== JSON.stringify(p.b)) unequal++;
      }
      return unequal;
    },
  },
  {
    name: 'naive + JSON.parse of both bodies',
    run(count) {
      let unequal = 0;
      for (let i = 0; i < count; i++) {
        const p = pairs[i & (PAIRS - 1)]!;
        if (JSON.stringify(JSON.parse(p.legacy.body.toString('utf8'))) !== JSON.stringify(JSON.parse(p.candidate.body.toString('utf8')))) unequal++;
      }
      return unequal;
    },
  },
];

/** Runs `count` comparisons and returns µs per comparison. */
function time(contender: Contender, count: number): number {
  const start = performance.now();
  sink += contender.run(count);
  return ((performance.now() - start) * 1000) / count;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const seconds = parseSeconds();

// Warm-up, and a calibration: how many calls fill one round.
const perRound = contenders.map((c) => {
  time(c, 20_000);
  const us = time(c, 20_000);
  return Math.max(1000, Math.round((ROUND_MS * 1000) / us));
});

const rounds = Math.max(1, Math.round((seconds * 1000) / ROUND_MS));
const samples: number[][] = contenders.map(() => []);
const cpuBefore = process.cpuUsage();
let diffCalls = 0;
const wallBefore = performance.now();
for (let r = 0; r < rounds; r++) {
  const orderOfRun = r % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
  for (const i of orderOfRun) {
    samples[i]!.push(time(contenders[i]!, perRound[i]!));
    if (i === 0) diffCalls += perRound[i]!;
  }
}
const wallMs = performance.now() - wallBefore;
const cpu = process.cpuUsage(cpuBefore);

const [ours, naive, naiveParse] = samples.map(median);
if (ours === undefined || naive === undefined || naiveParse === undefined) throw new Error('bench/diff: expected three contenders');
const perSecond = 1e6 / ours;
const goalMet = perSecond >= GOAL_PER_SECOND;

// Sanity: how many differences a pass over all pairs finds (non-ignored, non-noise), so the work is real.
let differences = 0;
let pairsWithDifferences = 0;
for (const p of pairs) {
  const n = compareResponses(p.legacy, p.candidate, options).length;
  differences += n;
  if (n > 0) pairsWithDifferences++;
}

const row = (name: string, us: number): string => `  ${name.padEnd(58)} ${us.toFixed(2).padStart(8)} µs  ${Math.round(1e6 / us).toLocaleString('en-US').padStart(10)} /s`;
console.log(`response diff, ${PAIRS} pairs of ~${Math.round(averageBytes)} B JSON, ${rounds} rounds × ~${ROUND_MS} ms each, median round, one core`);
console.log(`  (${pairsWithDifferences}/${PAIRS} pairs with reported differences, ${differences} differences in all; every pair differs in ignored fields)`);
console.log(row(contenders[0]!.name, ours));
console.log(row(contenders[1]!.name, naive));
console.log(row(contenders[2]!.name, naiveParse));
console.log(`  ratio ours / naive (parsed)              ${(ours / naive).toFixed(2).padStart(8)}x`);
console.log(`  ratio ours / naive + parse               ${(ours / naiveParse).toFixed(2).padStart(8)}x`);
console.log(`  process CPU over the measured window: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms of ${wallMs.toFixed(0)} ms wall`);
console.log(`goal ≥ ${GOAL_PER_SECOND.toLocaleString('en-US')} comparisons/s per core on 1 KB JSON pairs: ${goalMet ? 'met' : 'NOT met'} (${Math.round(perSecond).toLocaleString('en-US')}/s)`);
console.log(
  JSON.stringify({
    bench: 'diff',
    pairs: PAIRS,
    averageBodyBytes: Math.round(averageBytes),
    rounds,
    oursUsPerComparison: +ours.toFixed(3),
    oursComparisonsPerSecondPerCore: Math.round(perSecond),
    naiveUsPerComparison: +naive.toFixed(3),
    naiveWithParseUsPerComparison: +naiveParse.toFixed(3),
    ratioOursOverNaive: +(ours / naive).toFixed(3),
    ratioOursOverNaiveWithParse: +(ours / naiveParse).toFixed(3),
    goalComparisonsPerSecondPerCore: GOAL_PER_SECOND,
    goalMet,
    diffCalls,
    sink,
  }),
);
