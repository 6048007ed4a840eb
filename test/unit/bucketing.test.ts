import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { normalizedStrategyValue } from 'unleash-client/lib/strategy/util';
import { inRollout, rolloutGroupId, unleashBucket, unleashMurmur32 } from '../../core/bucketing';

// The hash library unleash-client itself uses (a dependency of unleash-client; no typings shipped).
const murmurhash3js: { x86: { hash32(key: string, seed?: number): number } } = require('murmurhash3js');

/** murmur3 x86_32 over real UTF-8 bytes (what a "correct" implementation would compute). */
function utf8Murmur32(key: string, seed = 0): number {
  return murmurhash3js.x86.hash32(Buffer.from(key, 'utf8').toString('latin1'), seed);
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 5,000 ASCII + 5,000 non-ASCII ids, deterministic. */
function makeIds(): string[] {
  const rnd = prng(0x5eed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const hex = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += int(0, 15).toString(16);
    return s;
  };
  const ids: string[] = [];
  for (let i = 0; i < 5000; i++) {
    switch (i % 4) {
      case 0:
        ids.push(`user-${i}`);
        break;
      case 1:
        ids.push(`${hex(int(1, 10))}.${i}@example.com`);
        break;
      case 2:
        ids.push(`${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[int(0, 3)]}${hex(3)}-${hex(12)}`);
        break;
      default:
        ids.push(String(int(0, 1e9)));
    }
  }
  // [lo, hi] code point ranges: Latin-1, Latin Ext-A, Greek, Cyrillic, CJK, Hangul, emoji (surrogate pairs),
  // CJK Ext-B (surrogate pairs), plus ASCII letters to mix in.
  const pools: Array<[number, number]> = [
    [0xc0, 0xff],
    [0x100, 0x17f],
    [0x391, 0x3c9],
    [0x410, 0x44f],
    [0x4e00, 0x9fff],
    [0xac00, 0xd7a3],
    [0x1f300, 0x1faff],
    [0x20000, 0x2a6df],
    [0x61, 0x7a],
  ];
  for (let i = 0; i < 5000; i++) {
    const nonAscii = pools[int(0, pools.length - 2)]!;
    let s = String.fromCodePoint(int(nonAscii[0], nonAscii[1]));
    const extra = int(0, 11);
    for (let j = 0; j < extra; j++) {
      const [lo, hi] = pools[int(0, pools.length - 1)]!;
      s += String.fromCodePoint(int(lo, hi));
    }
    // Put the non-ASCII char at a varying position so every block/tail offset sees one.
    const cut = int(0, s.length);
    ids.push(i % 5 === 0 ? `${s.slice(cut)}${s.slice(0, cut)}-${i}` : s);
  }
  return ids;
}

describe('unleashMurmur32', () => {
  it('matches published murmur3 x86_32 vectors for ASCII', () => {
    expect(unleashMurmur32('')).toBe(0);
    expect(unleashMurmur32('', 1)).toBe(0x514e28b7);
    expect(unleashMurmur32('', 0xffffffff)).toBe(0x81f16f39);
    expect(unleashMurmur32('abc')).toBe(0xb3dd93fa);
    expect(unleashMurmur32('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(unleashMurmur32('Hello, world!', 0x9747b28c)).toBe(0x24884cba);
    expect(unleashMurmur32('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('hashes the low byte of each UTF-16 code unit, like murmurhash3js', () => {
    expect(unleashMurmur32('š')).toBe(unleashMurmur32('a')); // U+0161 → 0x61
    expect(unleashMurmur32('jörg')).toBe(murmurhash3js.x86.hash32('jörg'));
    expect(unleashMurmur32('jörg')).not.toBe(utf8Murmur32('jörg'));
  });
});

describe('fixed buckets', () => {
  it('jörg is bucket 47 in group "g", as in the SDK (68 with a UTF-8 hash)', () => {
    expect(normalizedStrategyValue('jörg', 'g')).toBe(47);
    expect(unleashBucket('jörg', 'g')).toBe(47);
    expect((utf8Murmur32('g:jörg') % 100) + 1).toBe(68);
    expect(inRollout('jörg', 'g', 47)).toBe(true);
    expect(inRollout('jörg', 'g', 46)).toBe(false);
  });

  it('spec examples: userId 174 / 499 in Feature.flexibleRollout.10', () => {
    const g = 'Feature.flexibleRollout.10';
    expect(unleashBucket('174', g)).toBe(normalizedStrategyValue('174', g));
    expect(inRollout('174', g, 10)).toBe(true);
    expect(inRollout('499', g, 10)).toBe(false);
  });

  it('edges: empty id, 0 %, 100 %, NaN', () => {
    expect(inRollout('', 'g', 100)).toBe(false);
    expect(inRollout('x', 'g', 0)).toBe(false);
    expect(inRollout('x', 'g', -5)).toBe(false);
    expect(inRollout('x', 'g', Number.NaN)).toBe(false);
    expect(inRollout('x', 'g', 100)).toBe(true);
    expect(inRollout('x', 'g', 150)).toBe(true);
    expect(unleashBucket('x', 'g', 10)).toBeGreaterThanOrEqual(1);
    expect(unleashBucket('x', 'g', 10)).toBeLessThanOrEqual(10);
  });
});

// ---------------------------------------------------------------------------------------------------
// @unleash/client-specification vectors

interface SpecStrategy {
  name: string;
  parameters?: Record<string, unknown> | null;
  constraints?: unknown[] | null;
  segments?: number[] | null;
}
interface SpecFeature {
  name: string;
  enabled: boolean;
  strategies?: SpecStrategy[];
  dependencies?: unknown[] | null;
}
type SpecContext = Record<string, unknown> & { properties?: Record<string, unknown> };
interface SpecTest {
  description: string;
  context: SpecContext;
  toggleName: string;
  expectedResult: boolean;
}
interface SpecFile {
  name: string;
  state: { features?: SpecFeature[] };
  tests?: SpecTest[];
}

const BUCKETING_STRATEGIES = new Set(['flexibleRollout', 'gradualRolloutUserId', 'gradualRolloutSessionId']);

/** unleash-client's resolveContextValue. */
function contextValue(ctx: SpecContext, field: string): string {
  const v = ctx[field] ?? ctx.properties?.[field];
  return v === undefined || v === null ? '' : String(v);
}

/** One strategy decided with our functions; undefined when the SDK would use a random id. */
function evaluateStrategy(s: SpecStrategy, toggleName: string, ctx: SpecContext): boolean | undefined {
  const p = s.parameters ?? {};
  const str = (key: string): string => (p[key] === undefined || p[key] === null ? '' : String(p[key]));
  switch (s.name) {
    case 'gradualRolloutUserId':
      return inRollout(contextValue(ctx, 'userId'), str('groupId'), Number(p.percentage));
    case 'gradualRolloutSessionId':
      return inRollout(contextValue(ctx, 'sessionId'), str('groupId'), Number(p.percentage));
    case 'flexibleRollout': {
      const stickiness = str('stickiness') || 'default';
      let id: string;
      if (stickiness === 'random') return undefined;
      if (stickiness === 'default') {
        id = contextValue(ctx, 'userId') || contextValue(ctx, 'sessionId');
        if (id === '') return undefined; // SDK falls back to a random id
      } else {
        id = contextValue(ctx, stickiness);
      }
      return inRollout(id, str('groupId') || toggleName, Number(p.rollout));
    }
    default:
      throw new Error(`not a bucketing strategy: ${s.name}`);
  }
}

describe('@unleash/client-specification', () => {
  const specDir = join(dirname(require.resolve('@unleash/client-specification/package.json')), 'specifications');
  const files = (JSON.parse(readFileSync(join(specDir, 'index.json'), 'utf8')) as string[]).map(
    (f) => JSON.parse(readFileSync(join(specDir, f), 'utf8')) as SpecFile,
  );

  it('every test of a pure-bucketing feature agrees with expectedResult', () => {
    let total = 0;
    const skipped: Record<string, number> = {};
    const skip = (reason: string): void => {
      skipped[reason] = (skipped[reason] ?? 0) + 1;
    };
    const evaluated: string[] = [];
    const failures: string[] = [];
    for (const file of files) {
      const features = new Map((file.state.features ?? []).map((f) => [f.name, f]));
      for (const t of file.tests ?? []) {
        total++;
        const f = features.get(t.toggleName);
        if (!f) {
          skip('toggle not in state.features (delta API or unknown toggle)');
          continue;
        }
        const strategies = f.strategies ?? [];
        if (strategies.length === 0 || !strategies.every((s) => BUCKETING_STRATEGIES.has(s.name))) {
          skip('non-bucketing strategy');
          continue;
        }
        if (!f.enabled) {
          skip('feature disabled');
          continue;
        }
        if ((f.dependencies ?? []).length > 0) {
          skip('dependencies');
          continue;
        }
        if (strategies.some((s) => (s.constraints ?? []).length > 0 || (s.segments ?? []).length > 0)) {
          skip('constraints/segments');
          continue;
        }
        const results = strategies.map((s) => evaluateStrategy(s, f.name, t.context));
        if (results.some((r) => r === undefined)) {
          skip('random stickiness');
          continue;
        }
        const actual = results.some((r) => r === true);
        evaluated.push(`${file.name}: ${t.description}`);
        if (actual !== t.expectedResult) failures.push(`${file.name}: ${t.description} → got ${actual}`);
      }
    }
    console.log(
      `client-specification: ${evaluated.length} of ${total} tests evaluated by bucketing; skipped ${JSON.stringify(skipped)}`,
    );
    expect(failures).toEqual([]);
    // 03: 5, 04: 5, 10: 9, 12: 5 (spec 6.1.0). A change means the filter (or the spec) changed.
    expect(evaluated.length).toBe(24);
  });
});

// ---------------------------------------------------------------------------------------------------
// 10,000 ids against a real, offline unleash-client

describe('parity with a real unleash-client Unleash instance', () => {
  const ids = makeIds();
  const groups = ['orders', 'commandes-été-注文-🚀'];
  const percents = [0, 1, 10, 25, 50, 99, 100];
  const edgeIds = ['', ' ', '0', '\u0000', '\u0100', '\ud800', '\udfff', 'a\ud83d', 'x'.repeat(1001), 'š', 'jörg'];
  let unleash: Unleash;
  let trap: Server;
  let connections = 0;
  const errors: unknown[] = [];
  const flag = (g: number, p: number): string => `bucket.${g}.${p}`;
  // A groupId edited in Unleash, emptied, and never set (unleash-client: `groupId || context.featureToggle || ''`).
  const grouped: Array<{ name: string; parameters: { rollout: string; stickiness: string; groupId?: string } }> = [
    { name: 'grouped.named', parameters: { rollout: '37', stickiness: 'userId', groupId: 'cart-v2' } },
    { name: 'grouped.empty', parameters: { rollout: '37', stickiness: 'userId', groupId: '' } },
    { name: 'grouped.missing', parameters: { rollout: '37', stickiness: 'userId' } },
  ];

  beforeAll(async () => {
    // The client's url points here; nothing may ever connect (refreshInterval 0 → PollingFetcher.fetch
    // returns at once; disableMetrics → no /client/register, no metrics timer).
    trap = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    trap.listen(0, '127.0.0.1');
    await once(trap, 'listening');
    const { port } = trap.address() as AddressInfo;

    unleash = new Unleash({
      appName: 'strangler-bucketing-test',
      url: `http://127.0.0.1:${port}/api/`,
      refreshInterval: 0,
      disableMetrics: true,
      storageProvider: new InMemStorageProvider(),
      bootstrap: {
        data: [
          ...groups.flatMap((groupId, g) =>
            percents.map((p) => ({
              name: flag(g, p),
              enabled: true,
              strategies: [{ name: 'flexibleRollout', parameters: { rollout: String(p), stickiness: 'userId', groupId }, constraints: [] }],
            })),
          ),
          ...grouped.map(({ name, parameters }) => ({ name, enabled: true, strategies: [{ name: 'flexibleRollout', parameters, constraints: [] }] })),
        ],
      },
    });
    unleash.on('error', (e: unknown) => errors.push(e));
    await once(unleash, 'synchronized');
  });

  afterAll(async () => {
    unleash?.destroy();
    trap?.close();
  });

  it('ids are half ASCII, half non-ASCII (with surrogate pairs)', () => {
    expect(ids).toHaveLength(10_000);
    const nonAscii = ids.filter((id) => /[^\x00-\x7f]/.test(id));
    expect(nonAscii).toHaveLength(5000);
    expect(nonAscii.filter((id) => /[\ud800-\udbff]/.test(id)).length).toBeGreaterThan(1000);
  });

  it("rolloutGroupId is the group unleash-client buckets a strategy in: its groupId, else '' (not the flag's name)", () => {
    expect(grouped.map(({ parameters }) => rolloutGroupId(parameters))).toEqual(['cart-v2', '', '']);
    const mismatches = grouped.flatMap(({ name, parameters }) =>
      ids.filter((id) => unleash.isEnabled(name, { userId: id }) !== inRollout(id, rolloutGroupId(parameters), 37)).map((id) => `${name} ${JSON.stringify(id)}`),
    );
    expect(mismatches.slice(0, 10)).toEqual([]);
    // The flag's name is another group: the same ids would land elsewhere.
    expect(ids.filter((id) => inRollout(id, 'grouped.named', 37) !== unleash.isEnabled('grouped.named', { userId: id })).length).toBeGreaterThan(1000);
  });

  it('inRollout agrees with unleash.isEnabled for every id, percent and group', () => {
    const mismatches: string[] = [];
    let checks = 0;
    for (const id of [...ids, ...edgeIds]) {
      for (let g = 0; g < groups.length; g++) {
        for (const p of percents) {
          checks++;
          const sdk = unleash.isEnabled(flag(g, p), { userId: id });
          const ours = inRollout(id, groups[g]!, p);
          if (sdk !== ours) mismatches.push(`${JSON.stringify(id)} group=${groups[g]} ${p}%: sdk=${sdk} ours=${ours}`);
        }
      }
    }
    console.log(`unleash-client parity: ${checks} checks, ${mismatches.length} mismatches`);
    expect(mismatches.slice(0, 50)).toEqual([]);
    expect(mismatches).toHaveLength(0);
    expect(errors).toEqual([]);
    expect(connections).toBe(0);
  });

  it('buckets and full hashes agree with normalizedStrategyValue / murmurhash3js', () => {
    const mismatches: string[] = [];
    for (const id of [...ids, ...edgeIds]) {
      for (const g of [...groups, '']) {
        const key = `${g}:${id}`;
        const ref = murmurhash3js.x86.hash32(key, 0);
        if (unleashBucket(id, g) !== normalizedStrategyValue(id, g)) mismatches.push(`bucket ${JSON.stringify(key)}`);
        if (unleashMurmur32(key) !== ref) mismatches.push(`hash ${JSON.stringify(key)}`);
        // normalizer 2^32 exposes the full hash of the streamed (never concatenated) key
        if (unleashBucket(id, g, 2 ** 32) !== ref + 1) mismatches.push(`stream ${JSON.stringify(key)}`);
        if (unleashMurmur32(key, 86028157) !== murmurhash3js.x86.hash32(key, 86028157)) {
          mismatches.push(`seeded ${JSON.stringify(key)}`);
        }
      }
    }
    expect(mismatches.slice(0, 50)).toEqual([]);
  });

  it('raising the percentage keeps everyone who was in; shares are close to the percentage', () => {
    const broken: string[] = [];
    for (const g of groups) {
      for (const id of ids) {
        let wasIn = false;
        for (let p = 0; p <= 100; p++) {
          const isIn = inRollout(id, g, p);
          if (wasIn && !isIn) broken.push(`${JSON.stringify(id)} left ${g} at ${p}%`);
          if (isIn !== p >= unleashBucket(id, g)) broken.push(`${JSON.stringify(id)} ${g} ${p}%`);
          wasIn = isIn;
        }
        if (!wasIn) broken.push(`${JSON.stringify(id)} not in ${g} at 100%`);
      }
      for (const p of [10, 25, 50]) {
        const share = ids.filter((id) => inRollout(id, g, p)).length / ids.length;
        expect(Math.abs(share - p / 100)).toBeLessThan(0.02);
      }
    }
    expect(broken.slice(0, 50)).toEqual([]);
  });
});
