import { STATUS_CODES, type ServerResponse } from 'node:http';

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
  const { headers, payload } = proxyError(body, close);
  for (const item of extraHeaders) headers.push(item);
  res.writeHead(status, headers);
  res.end(payload);
}

/** The same answer as raw bytes, for a connection node has handed over (an Upgrade): always closing it. */
export function rawProxyError(status: number, body: ProxyErrorBody, extraHeaders: readonly string[] = []): Buffer {
  const { headers, payload } = proxyError(body, true);
  for (const item of extraHeaders) headers.push(item);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  // The head as latin1, as node writes header strings (a request id's bytes come back as they were sent); the JSON as UTF-8.
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), Buffer.from(payload)]);
}

function proxyError(body: ProxyErrorBody, close: boolean): { headers: string[]; payload: string } {
  const payload = JSON.stringify(body);
  const headers: string[] = [
    'content-type', 'application/json; charset=utf-8',
    'content-length', String(Buffer.byteLength(payload)),
    'x-request-id', body.requestId,
    'cache-control', 'no-store',
  ];
  if (close) headers.push('connection', 'close');
  return { headers, payload };
}
