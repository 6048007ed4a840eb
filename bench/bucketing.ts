/**
 * ns per sticky-bucketing decision: ours (`inRollout`) vs unleash-client's `normalizedStrategyValue`
 * (the decision its flexibleRollout strategy makes). One run, 1e6 calls each after warm-up.
 * Run: npm run build && node dist/bench/bucketing.js
 */
import { performance } from 'node:perf_hooks';
import { normalizedStrategyValue } from 'unleash-client/lib/strategy/util';
import { inRollout } from '../core/bucketing';
import { benchArgs } from './bench-args';

benchArgs('bucketing', 'usage: node dist/bench/bucketing.js (no options)', {});

const CALLS = 1_000_000;
const WARMUP = 200_000;
const GROUP = 'orders';
const PERCENT = 25;

// 1,024 typical ids: user ids, emails, UUID-like, a few non-ASCII.
const ids: string[] = [];
for (let i = 0; i < 1024; i++) {
  const hex = (i * 2654435761).toString(16).padStart(8, '0');
  switch (i % 4) {
    case 0:
      ids.push(`user-${i}`);
      break;
    case 1:
      ids.push(`customer.${i}@example.com`);
      break;
    case 2:
      ids.push(`${hex}-1f2e-4d3c-8b4a-${hex}${hex.slice(0, 4)}`);
      break;
    default:
      ids.push(`jörg-${i}-東京`);
  }
}

type Decide = (id: string, groupId: string, percent: number) => boolean;

const ours: Decide = inRollout;
const sdk: Decide = (id, groupId, percent) => percent > 0 && normalizedStrategyValue(id, groupId) <= percent;

function run(decide: Decide, calls: number): { ns: number; hits: number } {
  let hits = 0;
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    if (decide(ids[i & 1023]!, GROUP, PERCENT)) hits++;
  }
  return { ns: ((performance.now() - start) * 1e6) / calls, hits };
}

run(ours, WARMUP);
run(sdk, WARMUP);
const a = run(ours, CALLS);
const b = run(sdk, CALLS);
if (a.hits !== b.hits) throw new Error(`decisions differ: ours ${a.hits} vs sdk ${b.hits}`);

console.log(`inRollout, ${CALLS} calls each, groupId "${GROUP}", ${PERCENT} % (${a.hits} in)`);
console.log(`  ours (core/bucketing)                      ${a.ns.toFixed(1).padStart(7)} ns/call`);
console.log(`  unleash-client normalizedStrategyValue     ${b.ns.toFixed(1).padStart(7)} ns/call`);
console.log(`  ratio sdk/ours                             ${(b.ns / a.ns).toFixed(2).padStart(7)}x`);
