import type { Pool as PoolType } from 'undici';
import type { UpstreamConfig } from '../core/config/types';

// Only the Pool: the whole undici entry point costs the proxy ~9 MB of RSS for fetch, cache, mocks…
// (undici has no exports map; the dependency is pinned to 7.x in package.json for this path.)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Pool = require('undici/lib/dispatcher/pool') as typeof PoolType;
type Pool = PoolType;

export interface Upstream {
  name: string;
  origin: string;
  /** `host[:port]` of the origin, sent as Host unless preserveHost. */
  host: string;
  timeoutMs: number;
  preserveHost: boolean;
  pool: Pool;
}

/** One keep-alive pool per upstream. */
export function createUpstreams(configs: Record<string, UpstreamConfig>): Map<string, Upstream> {
  const upstreams = new Map<string, Upstream>();
  for (const config of Object.values(configs)) {
    const url = new URL(config.url);
    upstreams.set(config.name, {
      name: config.name,
      origin: url.origin,
      host: url.host,
      timeoutMs: config.timeoutMs,
      preserveHost: config.preserveHost,
      pool: new Pool(url.origin, {
        connections: config.connections,
        pipelining: 1,
        connect: { timeout: Math.min(config.timeoutMs, 10000) },
        keepAliveTimeout: 4000,
      }),
    });
  }
  return upstreams;
}

export async function closeUpstreams(upstreams: Map<string, Upstream>): Promise<void> {
  await Promise.all([...upstreams.values()].map((u) => u.pool.destroy().catch(() => undefined)));
}
