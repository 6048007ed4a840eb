import type { ServerResponse } from 'node:http';

export interface ProxyErrorBody {
  error: string;
  route: string;
  target: string;
  upstream?: string;
  requestId: string;
}

/** A JSON error answered by the proxy itself (502, 504, 400); closes the connection when asked. */
export function sendProxyError(res: ServerResponse, status: number, body: ProxyErrorBody, close = false): void {
  const payload = JSON.stringify(body);
  const headers: string[] = [
    'content-type', 'application/json; charset=utf-8',
    'content-length', String(Buffer.byteLength(payload)),
    'x-request-id', body.requestId,
    'cache-control', 'no-store',
  ];
  if (close) headers.push('connection', 'close');
  res.writeHead(status, headers);
  res.end(payload);
}
