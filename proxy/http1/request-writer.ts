import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Exchange } from './exchange';

const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

/**
 * Writes the request line, headers and body. A streamed body is read at the pace the socket takes it
 * (backpressure both ways), calling `touch` as it goes (an upload in progress is not a silent upstream);
 * `exchange.stopUpload` detaches it when the exchange ends first.
 */
export function writeRequest(socket: Socket, exchange: Exchange, touch: () => void, onUploadFailed: (error: Error) => void): void {
  const { method, path, headers, body } = exchange.options;
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  if (body === null) {
    exchange.uploadDone = true;
    socket.write(head + CRLF, 'latin1');
    return;
  }
  if (Buffer.isBuffer(body)) {
    if (!hasContentLength(headers)) head += `content-length: ${body.length}\r\n`;
    exchange.uploadDone = true;
    socket.cork();
    socket.write(head + CRLF, 'latin1');
    socket.write(body);
    socket.uncork();
    return;
  }
  const chunked = !hasContentLength(headers);
  socket.write(chunked ? `${head}transfer-encoding: chunked\r\n\r\n` : head + CRLF, 'latin1');
  streamBody(socket, body, chunked, exchange, touch, onUploadFailed);
}

function streamBody(socket: Socket, body: Readable, chunked: boolean, exchange: Exchange, touch: () => void, onUploadFailed: (error: Error) => void): void {
  const onData = (chunk: Buffer): void => {
    touch();
    let flushed: boolean;
    if (chunked) {
      if (chunk.length === 0) return;
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      flushed = socket.write(CRLF, 'latin1');
      socket.uncork();
    } else {
      flushed = socket.write(chunk);
    }
    if (!flushed) {
      body.pause();
      socket.once('drain', onDrain);
    }
  };
  const onDrain = (): void => {
    touch();
    body.resume();
  };
  const onEnd = (): void => {
    detach();
    exchange.uploadDone = true;
    if (chunked) socket.write(LAST_CHUNK, 'latin1');
  };
  const onError = (): void => {
    detach();
    onUploadFailed(new Error('the client request body ended early'));
  };
  const onClose = (): void => {
    if (!body.readableEnded) onError();
  };
  const detach = (): void => {
    exchange.stopUpload = undefined;
    body.off('data', onData);
    body.off('end', onEnd);
    body.off('error', onError);
    body.off('close', onClose);
    socket.off('drain', onDrain);
  };
  exchange.stopUpload = detach;
  body.on('data', onData);
  body.once('end', onEnd);
  body.once('error', onError);
  body.once('close', onClose);
  if (body.isPaused()) body.resume();
}

function hasContentLength(headers: string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') return true;
  }
  return false;
}
