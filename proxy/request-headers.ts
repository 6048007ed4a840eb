import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { connectionTokens, isHopByHop } from './hop-by-hop';
import type { TrustedProxies } from './trusted-proxies';
import type { Upstream } from './upstreams';

/**
 * What a proxy in front says about the client's connection (scheme, port, address, prefix): frameworks
 * believe them (Spring reads Forwarded, Rack X-Forwarded-Ssl), so they pass only from a trusted proxy.
 */
const PROXY_CLAIMS = new Set(['forwarded', 'x-forwarded-ssl', 'x-forwarded-port', 'x-forwarded-scheme', 'x-forwarded-prefix', 'x-real-ip', 'x-url-scheme', 'front-end-https']);

/**
 * Headers the proxy sets or vouches for. Their underscore spellings are dropped: CGI-style servers (PHP,
 * WSGI, Rack) read `X_Forwarded_Proto` as HTTP_X_FORWARDED_PROTO, the very variable the real header
 * becomes, so passing it would let a client claim what only the proxy may say.
 */
const MANAGED = new Set([...PROXY_CLAIMS, 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'x-strangler-shadow']);

/**
 * The headers sent upstream, as a flat [name, value, …] list: the client's headers minus hop-by-hop
 * ones, X-Forwarded-For appended to, X-Forwarded-Proto/-Host set to what strangler saw (kept as they came
 * only from a trusted proxy in front, as are Forwarded and the other PROXY_CLAIMS, dropped otherwise),
 * underscore spellings of those dropped, and one x-request-id: `requestId` (the client's own, or a new one).
 */
export function upstreamRequestHeaders(
  req: IncomingMessage,
  upstream: Upstream,
  requestId: string,
  trusted: TrustedProxies,
): string[] {
  const raw = req.rawHeaders;
  const listed = connectionTokens(req.headers.connection);
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let forwarded: string[] | undefined;
  let hasProto = false;
  let hasForwardedHost = false;
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (isHopByHop(lower) || listed?.has(lower)) continue;
    if (lower.includes('_') && MANAGED.has(lower.replaceAll('_', '-'))) continue;
    switch (lower) {
      case 'host':
        // Node's req.headers.host is the first of several: the same one here.
        host ??= value;
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
        continue;
      case 'x-forwarded-proto':
        hasProto = true;
        (forwarded ??= []).push(name, value);
        continue;
      case 'x-forwarded-host':
        hasForwardedHost = true;
        (forwarded ??= []).push(name, value);
        continue;
      // Exactly one x-request-id goes upstream, the id the response carries: the client's (several joined)
      // or a new one. Only the proxy marks a copy: a client's own x-strangler-shadow would make a real
      // request look like one.
      case 'x-request-id':
      case 'x-strangler-shadow':
        continue;
    }
    if (PROXY_CLAIMS.has(lower)) {
      (forwarded ??= []).push(name, value);
      continue;
    }
    out.push(name, value);
  }
  const clientIp = req.socket.remoteAddress;
  const chain = clientIp ? (forwardedFor ? `${forwardedFor}, ${clientIp}` : clientIp) : forwardedFor;
  if (chain) out.push('x-forwarded-for', chain);
  if (forwarded && trusted.has(clientIp)) {
    for (let i = 0; i < forwarded.length; i++) out.push(forwarded[i]!);
  } else {
    hasProto = hasForwardedHost = false;
  }
  if (!hasProto) out.push('x-forwarded-proto', (req.socket as TLSSocket).encrypted ? 'https' : 'http');
  if (!hasForwardedHost && host) out.push('x-forwarded-host', host);
  out.push('x-request-id', requestId);
  out.push('host', hostFor(upstream, host));
  return out;
}

/**
 * The headers of an Upgrade request as an object, for node:http to send: the same as a
 * plain request's (upstreamRequestHeaders: hop-by-hop ones dropped, X-Forwarded-* and the upstream's Host),
 * plus the Connection and Upgrade the handshake needs. Repeated headers are joined as node joins them.
 */
export function upgradeRequestHeaders(req: IncomingMessage, upstream: Upstream, requestId: string, trusted: TrustedProxies): IncomingHttpHeaders {
  const flat = upstreamRequestHeaders(req, upstream, requestId, trusted);
  // No prototype: a client header named `constructor` or `__proto__` is a header like any other.
  const headers = Object.create(null) as Record<string, string>;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    const value = flat[i + 1]!;
    const earlier = headers[name];
    headers[name] = earlier === undefined ? value : `${earlier}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  headers.connection = 'Upgrade';
  if (req.headers.upgrade !== undefined) headers.upgrade = req.headers.upgrade;
  return headers;
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
    out[i + 1] = hostFor(upstream, req.headers.host);
    break;
  }
  return out;
}
