import type { IncomingMessage } from 'node:http';

/**
 * Request bodies with a Content-Length up to this are read whole before an upstream connection is taken
 * (nginx's request buffering, for small bodies): a client sending a byte a second then holds only its own
 * connection, not one of the upstream's. Larger and chunked bodies stream, at the pace the upstream reads.
 */
export const BUFFERED_BODY_MAX_BYTES = 64 * 1024;

/** The body's length when it is read whole first; undefined when there is none or it streams. */
export function bufferedBodyLength(req: IncomingMessage): number | undefined {
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  const declared = req.headers['content-length'];
  if (declared === undefined || declared === '0') return undefined;
  // node:http has already refused a Content-Length that is not digits.
  const length = Number(declared);
  return length <= BUFFERED_BODY_MAX_BYTES ? length : undefined;
}

/** How reading a body whole ended when it did not: the client left, or sent nothing for the timeout. */
export type BodyFailure = 'gone' | 'stalled';

/**
 * Reads a body of `length` bytes whole: `onBody` gets it, or `onFailed` says why not: the client left, or
 * sent none of the rest for `timeoutMs` (a gap between two reads, as nginx's client_body_timeout).
 * Memory is taken as bytes arrive, not for the declared length up front.
 */
export function readWholeBody(req: IncomingMessage, length: number, timeoutMs: number, onBody: (body: Buffer) => void, onFailed: (why: BodyFailure) => void): void {
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
    onFailed(why);
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    received += chunk.length;
    timer.refresh();
  };
  const onEnd = (): void => {
    if (done) return;
    finish();
    onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
  };
  const onClose = (): void => {
    if (!req.complete) fail('gone');
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('close', onClose);
  req.on('error', () => undefined);
}
