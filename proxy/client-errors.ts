import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RejectReason } from './metrics';

interface ParserError extends Error {
  code?: string;
}

/**
 * Answers a request Node's HTTP parser refused (request smuggling attempts such as Content-Length
 * with Transfer-Encoding, bare LF or NUL in headers, oversized heads) and closes the connection;
 * nothing reaches an upstream.
 */
export function answerClientError(err: ParserError, socket: Duplex): RejectReason | undefined {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return undefined;
  }
  // The client left mid-body: the request being handled counts it as a client abort, not as malformed.
  if (err.code === 'HPE_INVALID_EOF_STATE') {
    socket.destroy();
    return undefined;
  }
  // A request is being handled on this connection (a bad chunk in its body, or a malformed one pipelined
  // behind it): no second status line can follow its answer, but the malformed bytes still count.
  const inFlight = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (inFlight) {
    socket.destroy();
    return classify(err.code).reason;
  }
  const { status, reason } = classify(err.code);
  const body = JSON.stringify({ error: describe(status, err.code) });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  return reason;
}

function classify(code: string | undefined): { status: number; reason: RejectReason } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'header-too-large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADER_TIMEOUT':
      return { status: 408, reason: 'timeout' };
    default:
      return { status: 400, reason: 'bad-request' };
  }
}

function describe(status: number, code: string | undefined): string {
  if (status === 431) return 'request headers too large';
  if (status === 408) return 'request not received in time';
  return `malformed request${code ? ` (${code})` : ''}`;
}
