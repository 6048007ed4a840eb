import type { IncomingMessage } from 'node:http';
import { PassThrough, pipeline, type Readable } from 'node:stream';

/**
 * Request bodies up to this many bytes are read whole before an upstream connection is taken (nginx's
 * request buffering, for small bodies): a client sending a byte a second then holds only its own
 * connection, not one of the upstream's. A larger body streams at the pace the upstream reads it.
 */
export const BUFFERED_BODY_MAX_BYTES = 64 * 1024;

/**
 * Whether the body is read before an upstream is asked: a chunked one always (until it ends, or passes
 * BUFFERED_BODY_MAX_BYTES and streams from there), one with a Content-Length when it is small enough.
 */
export function readsBodyFirst(req: IncomingMessage): boolean {
  // node:http has already refused a transfer coding it cannot read, and a Content-Length that is not digits.
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const declared = req.headers['content-length'];
  return declared !== undefined && declared !== '0' && Number(declared) <= BUFFERED_BODY_MAX_BYTES;
}

/** How reading a body first ended when it did not: the client left, or sent nothing for the timeout. */
export type BodyFailure = 'gone' | 'stalled';

export interface BodyOutcome {
  /**
   * The body to send: whole (a Buffer), or past BUFFERED_BODY_MAX_BYTES (chunked only) a stream of what was read
   * so far and then the rest as it arrives.
   */
  read(body: Buffer | Readable): void;
  failed(why: BodyFailure): void;
}

/**
 * Reads a body first (see readsBodyFirst). Fails when the client leaves, or sends none of the rest for
 * `timeoutMs` (a gap between two reads, as nginx's client_body_timeout). Memory is taken as bytes arrive,
 * not for a declared length up front.
 */
export function readBodyFirst(req: IncomingMessage, timeoutMs: number, outcome: BodyOutcome): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let done = false;
  const timer = setTimeout(() => fail('stalled'), timeoutMs);
  const finish = (): void => {
    done = true;
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
  };
  const fail = (why: BodyFailure): void => {
    if (done) return;
    finish();
    outcome.failed(why);
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    received += chunk.length;
    timer.refresh();
    if (received <= BUFFERED_BODY_MAX_BYTES) return;
    finish();
    req.pause();
    outcome.read(prefixed(chunks, req));
  };
  const onEnd = (): void => {
    if (done) return;
    finish();
    outcome.read(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
  };
  const onClose = (): void => {
    if (!req.complete) fail('gone');
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('close', onClose);
  req.on('error', () => undefined);
}

/** `prefix` (already read from `rest`), then the rest of `rest` at the pace the reader takes it. */
function prefixed(prefix: Buffer[], rest: IncomingMessage): Readable {
  const body = new PassThrough({ highWaterMark: BUFFERED_BODY_MAX_BYTES });
  for (const chunk of prefix) body.write(chunk);
  // A client leaving mid-body ends `body` with an error, as it would end `rest`.
  pipeline(rest, body, () => undefined);
  return body;
}

/**
 * The upstream answered before reading all of `body` (a 413, a 401): the rest is read and dropped, so the
 * connection can carry the client's next request (node:http's own server and nginx do the same), and a copy
 * reading the body as it passes gets all of it; a client that sends none of the rest of its request for
 * `timeoutMs` loses its connection instead.
 */
export function discardRestOfBody(req: IncomingMessage, body: Readable, timeoutMs: number): void {
  body.resume();
  if (req.complete || req.destroyed) return;
  const timer = setTimeout(() => req.socket.destroy(), timeoutMs);
  const onData = (): void => {
    timer.refresh();
  };
  const stop = (): void => {
    clearTimeout(timer);
    req.off('data', onData);
  };
  req.on('data', onData);
  req.once('end', stop);
  req.once('close', stop);
}
