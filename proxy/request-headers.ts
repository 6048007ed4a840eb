import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { connectionTokens, isHopByHop } from './hop-by-hop';
import type { Upstream } from './upstreams';

/**
 * The headers sent upstream, as a flat [name, value, …] list: the client's headers minus hop-by-hop
 * ones, X-Forwarded-For appended to, X-Forwarded-Proto/-Host set when an edge in front has not, and
 * x-request-id added when the client sent none.
 */
export function upstreamRequestHeaders(
  req: IncomingMessage,
  upstream: Upstream,
  requestId: string,
  requestIdFromClient: boolean,
): string[] {
  const raw = req.rawHeaders;
  const listed = connectionTokens(req.headers.connection);
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let hasProto = false;
  let hasForwardedHost = false;
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (isHopByHop(lower) || listed?.has(lower)) continue;
    switch (lower) {
      case 'host':
        host = value;
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
        continue;
      case 'x-forwarded-proto':
        hasProto = true;
        break;
      case 'x-forwarded-host':
        hasForwardedHost = true;
        break;
    }
    out.push(name, value);
  }
  const clientIp = req.socket.remoteAddress;
  const chain = clientIp ? (forwardedFor ? `${forwardedFor}, ${clientIp}` : clientIp) : forwardedFor;
  if (chain) out.push('x-forwarded-for', chain);
  if (!hasProto) out.push('x-forwarded-proto', (req.socket as TLSSocket).encrypted ? 'https' : 'http');
  if (!hasForwardedHost && host) out.push('x-forwarded-host', host);
  if (!requestIdFromClient) out.push('x-request-id', requestId);
  out.push('host', hostFor(upstream, host));
  return out;
}

/** A request comes with a body when it says so: Transfer-Encoding, or a Content-Length other than 0. */
export function requestHasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
}

/** The Host an upstream gets: the client's own with preserveHost (when it sent one), else the upstream's. */
function hostFor(upstream: Upstream, clientHost: string | undefined): string {
  return upstream.preserveHost && clientHost ? clientHost : upstream.host;
}

/**
 * The same list for another upstream (a shadow copy): a copy of `headers` (made by upstreamRequestHeaders
 * for the upstream that serves the client) with the Host that `upstream` gets.
 */
export function withUpstreamHost(headers: string[], req: IncomingMessage, upstream: Upstream): string[] {
  const out = headers.slice();
  for (let i = out.length - 2; i >= 0; i -= 2) {
    if (out[i] !== 'host') continue;
    out[i + 1] = hostFor(upstream, upstream.preserveHost ? lastHost(req.rawHeaders) : undefined);
    break;
  }
  return out;
}

function lastHost(raw: string[]): string | undefined {
  for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === 'host') return raw[i + 1];
  return undefined;
}
