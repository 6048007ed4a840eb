import type { IncomingHttpHeaders } from 'node:http';
import { connectionTokens, isHopByHop } from './hop-by-hop';

/** The upstream's response headers minus hop-by-hop ones, plus x-request-id, as a flat list for writeHead. */
export function clientResponseHeaders(headers: IncomingHttpHeaders, requestId: string, closing: boolean): string[] {
  const listed = connectionTokens(headers.connection);
  const out: string[] = [];
  let hasRequestId = false;
  for (const name in headers) {
    if (isHopByHop(name) || listed?.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'x-request-id') hasRequestId = true;
    if (typeof value === 'string') out.push(name, value);
    else for (const item of value) out.push(name, item);
  }
  if (!hasRequestId) out.push('x-request-id', requestId);
  if (closing) out.push('connection', 'close');
  return out;
}

/** Trailers as an object for `res.addTrailers`, or undefined when there are none. */
export function trailerObject(trailers: IncomingHttpHeaders | null | undefined): Record<string, string> | undefined {
  if (!trailers) return undefined;
  let out: Record<string, string> | undefined;
  for (const name in trailers) {
    const value = trailers[name];
    if (value === undefined) continue;
    out ??= {};
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
