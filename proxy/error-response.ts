import type { ServerResponse } from 'node:http';

export interface ProxyErrorBody {
  error: string;
  route: string;
  target: string;
  upstream?: string;
  requestId: string;
  /** A retired route's successor, when its configuration names one. */
  successor?: string;
}

/** A JSON error answered by the proxy itself (502, 504, 400); closes the connection when asked. */
export function sendProxyError(res: ServerResponse, status: number, body: ProxyErrorBody, close = false, extraHeaders: readonly string[] = []): void {
  const payload = JSON.stringify(body);
  const headers: string[] = [
    'content-type', 'application/json; charset=utf-8',
    'content-length', String(Buffer.byteLength(payload)),
    'x-request-id', body.requestId,
    'cache-control', 'no-store',
  ];
  if (close) headers.push('connection', 'close');
  for (const item of extraHeaders) headers.push(item);
  res.writeHead(status, headers);
  res.end(payload);
}
