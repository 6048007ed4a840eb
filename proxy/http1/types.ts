import type { Readable } from 'node:stream';

export interface ExchangeOptions {
  method: string;
  /** Path plus query, as sent on the request line. */
  path: string;
  /** Flat [name, value, …] list, Host included; never hop-by-hop headers. */
  headers: string[];
  /**
   * null: no body. A Buffer: sent whole with a Content-Length, and can be sent again on a fresh
   * connection. A stream: sent as it arrives (chunked unless `headers` has a Content-Length).
   */
  body: Buffer | Readable | null;
  /** Longest wait for the response head, and between two reads of the response body. */
  timeoutMs: number;
  /**
   * Longest the handler may keep the response paused (its reader taking nothing); past it the exchange
   * fails with READER_STALLED and its connection closes. None: no limit.
   */
  pauseTimeoutMs?: number;
  /**
   * A request header the upstream may echo in its answer (x-request-id). An answer echoing the value of
   * another request on the connection (the one before, or one pipelined behind) answers that request, not this
   * one: the connection is out of step, and is closed (UPSTREAM_ANSWER_MISMATCH). Any other value is ignored
   * (a service may set its own).
   */
  echo?: { name: string; value: string };
}

/** Handed to every handler callback: what the handler may do to its exchange. */
export interface ExchangeController {
  /** Cancels the exchange (closing its connection); the handler then gets onResponseError(reason). */
  abort(reason: Error): void;
  /**
   * Stops reading the response body (backpressure) until resume(). `timed` false: the reader has not begun
   * reading yet (a pipelined response waiting its turn), so the pause does not count against pauseTimeoutMs;
   * pausing again with `timed` true starts the count.
   */
  pause(timed?: boolean): void;
  resume(): void;
  /**
   * The request went out pipelined behind another on its connection: the time to its answer includes the wait
   * for the answers ahead of it (most servers answer pipelined requests one after the other).
   */
  readonly pipelinedBehind: boolean;
}

/** Exactly one of onResponseEnd and onResponseError ends every exchange. */
export interface ExchangeHandler {
  onRequestStart?(controller: ExchangeController): void;
  onResponseStart(controller: ExchangeController, statusCode: number, rawHeaders: string[], statusMessage: string): void;
  onResponseData(controller: ExchangeController, chunk: Buffer): void;
  onResponseEnd(controller: ExchangeController, rawTrailers: string[]): void;
  onResponseError(controller: ExchangeController, error: Error): void;
}

export type UpstreamErrorCode =
  | 'UPSTREAM_CONNECT_TIMEOUT'
  | 'UPSTREAM_HEADERS_TIMEOUT'
  | 'UPSTREAM_BODY_TIMEOUT'
  | 'UPSTREAM_CLOSED'
  | 'UPSTREAM_PROTOCOL_ERROR'
  /** A protocol error too: a status line whose code is outside 100-599 (RFC 9110 §15). */
  | 'UPSTREAM_INVALID_STATUS'
  | 'UPSTREAM_TLS_ERROR'
  | 'UPSTREAM_POOL_CLOSED'
  /** Every connection stayed busy for the exchange's whole timeoutMs. */
  | 'UPSTREAM_QUEUE_TIMEOUT'
  /** The answer echoed another request's `echo` header: the upstream sent an answer too many or too few. */
  | 'UPSTREAM_ANSWER_MISMATCH'
  /** The handler kept the response paused past pauseTimeoutMs: its reader, not the upstream, stalled. */
  | 'READER_STALLED'
  /** A streamed request body stopped arriving for timeoutMs before any answer: the client stalled, not the upstream. */
  | 'CLIENT_BODY_TIMEOUT';

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

/** What failed an UPSTREAM_TLS_ERROR handshake: its error code (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …), else its message. */
export function tlsFailure(err: Error): string {
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  return cause?.code ?? cause?.message ?? err.message;
}
