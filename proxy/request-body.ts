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

/** Reads a body of `length` bytes whole: `onBody` gets it, or `onGone` is called if the client leaves first. */
export function readWholeBody(req: IncomingMessage, length: number, onBody: (body: Buffer) => void, onGone: () => void): void {
  const body = Buffer.allocUnsafe(length);
  let received = 0;
  let done = false;
  const finish = (): void => {
    done = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
  };
  const onData = (chunk: Buffer): void => {
    // node:http never passes more than the Content-Length it framed the body with.
    received += chunk.copy(body, received);
  };
  const onEnd = (): void => {
    if (done) return;
    finish();
    onBody(received === length ? body : body.subarray(0, received));
  };
  const onClose = (): void => {
    if (done || req.complete) return;
    finish();
    onGone();
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('close', onClose);
  req.on('error', () => undefined);
}
