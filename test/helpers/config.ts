import { DEFAULT_NOISE_THRESHOLDS } from '../../core/comparison';
import type { RouteConfig, ShadowConfig, StranglerConfig, UpstreamConfig } from '../../core/config/types';

export function upstreamConfig(name: string, url: string, extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { name, url, timeoutMs: 2000, connections: 16, preserveHost: false, shadowPipelining: 1, ...extra };
}

/** A route's shadow block, every field given: sample 1, GET only, no second legacy request, `extra` on top. */
export function shadowConfig(extra: Partial<ShadowConfig> = {}): ShadowConfig {
  return {
    sample: 1,
    methods: ['GET'],
    ignore: [],
    maxBodyBytes: 65536,
    maxDecodedBytes: 16777216,
    maxInFlight: 8,
    noiseSample: 0,
    noiseThresholds: { ...DEFAULT_NOISE_THRESHOLDS },
    unordered: false,
    mapKeys: [],
    numericTolerance: 0,
    headers: [],
    onCanary: false,
    ...extra,
  };
}

export function routeConfig(name: string, path: string, extra: Partial<RouteConfig> = {}): RouteConfig {
  return {
    name,
    match: { path },
    service: 'orders',
    legacy: 'legacy',
    stage: 'legacy',
    percent: 0,
    stickiness: { kind: 'random' },
    stickyFallback: 'random',
    flag: `strangler.${name}`,
    ...extra,
  };
}

/** A validated-shape config built directly, for tests that start the data path in-process. */
export function testConfig(upstreams: UpstreamConfig[], routes: RouteConfig[], extra: Partial<StranglerConfig> = {}): StranglerConfig {
  return {
    file: 'test.yaml',
    listen: { host: '127.0.0.1', port: 0, maxHeaderBytes: 16384, drainTimeoutMs: 5000, keepAliveTimeoutMs: 75000, shutdownDelayMs: 0, sendTimeoutMs: 60000, trustedProxies: [] },
    admin: { host: '127.0.0.1', port: 0, token: 'test-admin-token' },
    state: { url: 'embedded:./.strangler-test', pollMs: 200, keepComparisons: 100000, keepCountsDays: 30, keepMatches: false },
    flags: { provider: 'embedded' },
    upstreams: Object.fromEntries(upstreams.map((u) => [u.name, u])),
    routes,
    ...extra,
  };
}
