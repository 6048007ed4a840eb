import type { IncomingHttpHeaders } from 'node:http';
import { connectionTokens, isHopByHop } from './hop-by-hop';

/**
 * The upstream's response headers (a flat [name, value, …] list, names as the upstream wrote them) minus
 * hop-by-hop ones, plus x-request-id, as a flat list for writeHead. A 204's Content-Length is dropped
 * (RFC 9110 §8.6 forbids it): a client that believed it would take the next response's bytes as its body.
 */
export function clientResponseHeaders(raw: string[], requestId: string, closing: boolean, status = 200): string[] {
  const listed = listedInConnection(raw);
  const out: string[] = [];
  let hasRequestId = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (isHopByHop(lower) || listed?.has(lower)) continue;
    if (lower === 'x-request-id') hasRequestId = true;
    else if (status === 204 && lower === 'content-length') continue;
    out.push(name, raw[i + 1]!);
  }
  if (!hasRequestId) out.push('x-request-id', requestId);
  if (closing) out.push('connection', 'close');
  return out;
}

/** Trailers as an object for `res.addTrailers`, or undefined when there are none. */
export function trailerObject(raw: string[]): Record<string, string> | undefined {
  if (raw.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

/** A flat header list as node:http presents headers: lower-case names, repeated ones as arrays. */
export function headersFromRaw(raw: string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[name] = [seen, value];
  }
  return out;
}

function listedInConnection(raw: string[]): Set<string> | undefined {
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    const tokens = connectionTokens(raw[i + 1]);
    if (tokens) for (const token of tokens) (listed ??= new Set()).add(token);
  }
  return listed;
}
