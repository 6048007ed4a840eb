import type { SecureContext } from 'node:tls';
import type { UpstreamConfig } from '../core/config/types';
import { upstreamSecureContext } from '../core/config/tls-files';
import { StranglerError } from '../core/errors';
import { UpstreamPool } from './http1';

export interface Upstream {
  name: string;
  origin: string;
  /** `host[:port]` of the origin, sent as Host unless preserveHost. */
  host: string;
  timeoutMs: number;
  preserveHost: boolean;
  pool: UpstreamPool;
  /**
   * Shadow copies and noise samples go on connections of their own: a shadowed endpoint that hangs must not
   * take the connections the upstream's real traffic (a canary on another route) needs.
   */
  copyPool: UpstreamPool;
  /** The `tls` block's trust, client certificate and name, for connections made outside the pool (WebSocket upgrades). */
  tls?: { servername?: string; secureContext?: SecureContext };
}

/** Two keep-alive pools per upstream: one for requests, one for shadow copies. */
export function createUpstreams(configs: Record<string, UpstreamConfig>): Map<string, Upstream> {
  const upstreams = new Map<string, Upstream>();
  for (const config of Object.values(configs)) {
    const url = new URL(config.url);
    const tls = {
      ...(config.tls?.servername ? { servername: config.tls.servername } : {}),
      ...(config.tls && (config.tls.ca || config.tls.cert) ? { secureContext: secureContextFor(config) } : {}),
    };
    const pool = (pipelining = 1): UpstreamPool =>
      new UpstreamPool(url.origin, { connections: config.connections, connectTimeoutMs: Math.min(config.timeoutMs, 10000), idleTimeoutMs: 4000, pipelining, ...tls });
    upstreams.set(config.name, {
      name: config.name,
      origin: url.origin,
      host: url.host,
      timeoutMs: config.timeoutMs,
      preserveHost: config.preserveHost,
      pool: pool(),
      copyPool: pool(config.shadowPipelining),
      ...(Object.keys(tls).length > 0 ? { tls } : {}),
    });
  }
  return upstreams;
}

/** The files were checked when the config was loaded; this reads them again, so a change since is reported. */
function secureContextFor(config: UpstreamConfig): ReturnType<typeof upstreamSecureContext> {
  try {
    return upstreamSecureContext(config.tls!);
  } catch (err) {
    throw new StranglerError('STRANGLER_ERR_CONFIG', `upstreams.${config.name}.tls: ${(err as Error).message}`);
  }
}

export async function closeUpstreams(upstreams: Map<string, Upstream>): Promise<void> {
  const pools = [...upstreams.values()].flatMap((u) => [u.pool, u.copyPool]);
  await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
}
