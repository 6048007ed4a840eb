/**
 * Sticky bucketing, bit-for-bit compatible with Unleash's `flexibleRollout` strategy as evaluated by
 * `unleash-client` (Node) 6: bucket = murmur3_x86_32("<groupId>:<stickiness value>", seed 0) % 100 + 1,
 * enabled when bucket <= rollout. A user therefore lands on the same side whether the percentage comes
 * from our embedded store or from a real Unleash server.
 *
 * Quirk kept on purpose: unleash-client's hash library (`murmurhash3js`) feeds the LOW BYTE of each UTF-16
 * code unit (`charCodeAt(i) & 0xff`) into murmur3, not the UTF-8 bytes. A UTF-8-correct hash would move
 * non-ASCII ids to other buckets (`jörg` in group `g`: 47 in the SDK, 68 with UTF-8), so we keep the quirk.
 *
 * Hot path (every proxied request): no allocation — no Buffer/TextEncoder, no arrays, and the
 * "<groupId>:<value>" key is hashed as a stream, never concatenated.
 */

// Math.imul bound once: a global lookup per call is slow where the global object is intercepted
// (node:vm contexts, e.g. under jest).
const imul = Math.imul;
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
/** `':'` — separator unleash-client puts between groupId and the stickiness value. */
const COLON = 0x3a;

/** Scrambles one 4-byte block (k1 * c1, rotl 15, * c2). */
function scramble(k1: number): number {
  k1 = imul(k1, C1);
  k1 = (k1 << 15) | (k1 >>> 17);
  return imul(k1, C2);
}

/** Mixes one full block into the running state h1. */
function mixBlock(h1: number, k1: number): number {
  h1 ^= scramble(k1);
  h1 = (h1 << 13) | (h1 >>> 19);
  return (imul(h1, 5) + 0xe6546b64) | 0;
}

/** Tail-free finalisation: length xor + fmix32; returns an unsigned 32-bit integer. */
function finalise(h1: number, length: number): number {
  h1 ^= length;
  h1 ^= h1 >>> 16;
  h1 = imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

/**
 * MurmurHash3 x86 32-bit of `key`, exactly as `murmurhash3js` (used by unleash-client) computes it:
 * over the low byte of each UTF-16 code unit (see the module comment), length = `key.length`.
 * Returns an unsigned 32-bit integer.
 */
export function unleashMurmur32(key: string, seed = 0): number {
  const length = key.length;
  const blocksEnd = length - (length & 3);
  let h1 = seed | 0;
  let i = 0;
  for (; i < blocksEnd; i += 4) {
    h1 = mixBlock(
      h1,
      (key.charCodeAt(i) & 0xff) |
        ((key.charCodeAt(i + 1) & 0xff) << 8) |
        ((key.charCodeAt(i + 2) & 0xff) << 16) |
        ((key.charCodeAt(i + 3) & 0xff) << 24),
    );
  }
  const rest = length & 3;
  if (rest !== 0) {
    let k1 = key.charCodeAt(i) & 0xff;
    if (rest > 1) k1 |= (key.charCodeAt(i + 1) & 0xff) << 8;
    if (rest > 2) k1 |= (key.charCodeAt(i + 2) & 0xff) << 16;
    h1 ^= scramble(k1);
  }
  return finalise(h1, length);
}

/**
 * unleashMurmur32(`${groupId}:${value}`, seed) without building the string: code units are streamed
 * into 4-byte blocks one at a time. The byte step is written out three times on purpose: a shared
 * helper (module-level state) measured 1.6× slower in bench/bucketing, and this runs per request.
 */
function murmurGroupKey(groupId: string, value: string, seed: number): number {
  let h1 = seed | 0;
  let k1 = 0;
  let shift = 0;
  for (let i = 0; i < groupId.length; i++) {
    k1 |= (groupId.charCodeAt(i) & 0xff) << shift;
    if (shift === 24) {
      h1 = mixBlock(h1, k1);
      k1 = 0;
      shift = 0;
    } else {
      shift += 8;
    }
  }
  k1 |= COLON << shift;
  if (shift === 24) {
    h1 = mixBlock(h1, k1);
    k1 = 0;
    shift = 0;
  } else {
    shift += 8;
  }
  for (let i = 0; i < value.length; i++) {
    k1 |= (value.charCodeAt(i) & 0xff) << shift;
    if (shift === 24) {
      h1 = mixBlock(h1, k1);
      k1 = 0;
      shift = 0;
    } else {
      shift += 8;
    }
  }
  if (shift !== 0) h1 ^= scramble(k1);
  return finalise(h1, groupId.length + 1 + value.length);
}

/**
 * Bucket of a stickiness value within a group, 1..normalizer — unleash-client's
 * `normalizedStrategyValue(id, groupId)` for the default normalizer 100 (seed 0).
 * Unleash's groupId is the strategy's `groupId` parameter, falling back to the flag name.
 */
export function unleashBucket(stickinessValue: string, groupId: string, normalizer = 100): number {
  return (murmurGroupKey(groupId, stickinessValue, 0) % normalizer) + 1;
}

/**
 * Whether `stickinessValue` is inside a `percent` rollout of `groupId`, as Unleash's flexibleRollout
 * decides it: false for an empty value (no stickiness id) or percent <= 0 (or NaN), true for everyone at
 * percent >= 100, otherwise `unleashBucket(value, groupId) <= percent`. Raising percent never removes
 * anyone who was in.
 */
export function inRollout(stickinessValue: string, groupId: string, percent: number): boolean {
  if (stickinessValue === '' || !(percent > 0)) return false;
  if (percent >= 100) return true;
  return unleashBucket(stickinessValue, groupId) <= percent;
}

/**
 * The groupId a flexibleRollout strategy buckets by, as unleash-client (Node) 6 reads it:
 * `parameters.groupId || context.featureToggle || ''`, and it never puts featureToggle in the context, so
 * a strategy without a groupId (or with an empty one) buckets in group '' rather than under the flag name.
 */
export function rolloutGroupId(parameters: Readonly<Record<string, unknown>> | undefined): string {
  const groupId = parameters?.groupId;
  return groupId ? String(groupId) : '';
}

/** `inRollout` for a route whose flag strangler wrote: its flag name is the Unleash groupId. */
export function routeInRollout(route: { flag: string }, stickinessValue: string, percent: number): boolean {
  return inRollout(stickinessValue, route.flag, percent);
}
