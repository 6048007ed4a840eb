import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { sendProxyError } from './error-response';
import { tlsFailure, type ExchangeController, type ExchangeHandler } from './http1';
import type { CutReason, UpstreamErrorReason } from './metrics';
import { discardRestOfBody } from './request-body';
import { requestHasBody } from './request-headers';
import { clientResponseHeaders, trailerObject } from './response-headers';
import type { ResponseTap } from './shadow';
import type { Upstream } from './upstreams';

/** nginx's status for a request the client gave up on; only ever seen in metrics. */
export const CLIENT_CLOSED_REQUEST = 499;

export interface ForwardRequest {
  req: IncomingMessage;
  res: ServerResponse;
  upstream: Upstream;
  /** What upstreamRequestHeaders made for this request and upstream. */
  headers: string[];
  /** Normalised path plus query. */
  path: string;
  route: string;
  side: string;
  requestId: string;
  /** The server is draining: tell the client to close the connection. */
  closing: boolean;
  /** listen.sendTimeoutMs: a client taking none of the response this long is cut off, freeing the upstream connection. */
  sendTimeoutMs: number;
  /**
   * The request's end: its status, what failed (if anything), the request itself (for the failure log), and
   * `cut` when the upstream failed after the client had the status line (the response was cut off mid-body).
   */
  onDone: (status: number, error: UpstreamErrorReason | undefined, request: ForwardRequest, cut?: CutReason) => void;
  /** Sees legacy's response as it streams to the client (shadow comparisons). */
  tap?: ResponseTap;
  /** Send this body instead of reading the request's: a small one read whole first, or a shadow copy's pass-through. */
  body?: Readable | Buffer;
  /** Extra response headers for the client (a deprecated route's Deprecation, Sunset, Link). */
  responseHeaders?: readonly string[];
  /** When the new service fails this way before answering, the request goes to legacy instead. */
  fallback?: Fallback;
}

export type FallbackReason = 'connect-error' | 'timeout' | '5xx';

export interface Fallback {
  on: readonly FallbackReason[];
  /** Sends the request to legacy; the failed exchange reports nothing itself. */
  retry(reason: FallbackReason): void;
}

const FELL_BACK = new Error('answered by legacy instead (fallback)');

/**
 * The 408 for a request body that stopped arriving for the upstream's timeoutMs (nginx's client_body_timeout),
 * whether it was being read whole first or streamed to the upstream; the connection closes.
 */
export function sendBodyStalled(request: ForwardRequest): void {
  const { res, route, side: target, upstream, requestId, responseHeaders } = request;
  const error = `request body stalled: none of the rest arrived within ${upstream.timeoutMs} ms`;
  sendProxyError(res, 408, { error, route, target, upstream: upstream.name, requestId }, true, responseHeaders);
}

/** Streams one request to its upstream and the response back, never buffering either body. */
export function forward(request: ForwardRequest): void {
  const { req, upstream } = request;
  const handler = new ForwardHandler(request);
  upstream.pool.dispatch(
    {
      path: request.path,
      method: req.method ?? 'GET',
      headers: request.headers,
      body: requestHasBody(req) ? (request.body ?? req) : null,
      timeoutMs: upstream.timeoutMs,
      pauseTimeoutMs: request.sendTimeoutMs,
    },
    handler,
  );
}

class ForwardHandler implements ExchangeHandler {
  private controller: ExchangeController | undefined;
  private status = 0;
  private done = false;
  private waitingForDrain = false;
  private waitingForTurn = false;
  /** A byte of the body reached the client's response (or it ended): its head has gone out with it. */
  private bodyStarted = false;

  constructor(private readonly request: ForwardRequest) {
    request.res.on('close', this.onClientClose);
  }

  onRequestStart(controller: ExchangeController): void {
    this.controller = controller;
    if (this.request.res.destroyed) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(controller: ExchangeController, statusCode: number, headers: string[], statusMessage: string): void {
    if (statusCode >= 500 && this.fallsBackOn('5xx')) return this.fallBack('5xx', controller);
    this.status = statusCode;
    const { res, requestId, closing, responseHeaders } = this.request;
    this.request.tap?.start(statusCode, headers);
    const out = clientResponseHeaders(headers, requestId, closing, statusCode);
    if (responseHeaders) for (const item of responseHeaders) out.push(item);
    res.writeHead(statusCode, statusMessage || undefined, out);
    // node:http sends a head with the first body write; when no body came in the same read (server-sent
    // events, a slow answer), the client gets its head now, not when the first byte of the body arrives.
    queueMicrotask(() => this.flushHeadWithoutBody());
  }

  private flushHeadWithoutBody(): void {
    if (!this.bodyStarted && !this.done && !this.request.res.destroyed) this.request.res.flushHeaders();
  }

  onResponseData(controller: ExchangeController, chunk: Buffer): void {
    this.bodyStarted = true;
    this.request.tap?.data(chunk);
    if (this.request.res.write(chunk) || this.waitingForDrain) return;
    this.waitingForDrain = true;
    const { res } = this.request;
    // A pipelined response waiting behind an earlier one has no socket yet: its client is reading that one.
    const reading = res.socket !== null;
    controller.pause(reading);
    if (!reading && !this.waitingForTurn) {
      this.waitingForTurn = true;
      res.once('socket', this.onTurn);
    }
    res.once('drain', this.onDrain);
  }

  private readonly onTurn = (): void => {
    if (this.waitingForDrain) this.controller?.pause(true);
  };

  onResponseEnd(_controller: ExchangeController, trailers: string[]): void {
    const { res } = this.request;
    const trailerValues = trailerObject(trailers);
    if (trailerValues) res.addTrailers(trailerValues);
    res.end();
    this.request.tap?.end();
    this.finish();
    const { req, body, upstream } = this.request;
    if (!requestHasBody(req) || Buffer.isBuffer(body)) return;
    // A body the upstream did not read to its end (the client's, or a shadow copy's pass-through still holding
    // some). On the next turn: the exchange lets go of a body it stopped sending only after this answer has ended.
    const rest = body ?? req;
    if (!rest.readableEnded) setImmediate(() => discardRestOfBody(req, rest, upstream.timeoutMs));
  }

  onResponseError(_controller: ExchangeController, err: Error): void {
    const { res, req } = this.request;
    if (this.done) return;
    this.request.tap?.fail();
    if ((err as NodeJS.ErrnoException).code === 'READER_STALLED') {
      // The client took nothing for sendTimeoutMs (nginx's send_timeout): its connection goes, as nginx's does.
      res.destroy();
      this.finish('client-abort');
      return;
    }
    // A client gone: its connection closed (by it, or by the proxy's drain, which may close the upstream's
    // before the response hears of it), or it left mid-upload. Not merely a destroyed request: node destroys
    // one whose body has been read whole.
    if (res.destroyed || req.socket.destroyed || (req.destroyed && !req.complete && !res.headersSent)) {
      this.status ||= CLIENT_CLOSED_REQUEST;
      this.finish('client-abort');
      return;
    }
    if ((err as NodeJS.ErrnoException).code === 'CLIENT_BODY_TIMEOUT') {
      // The upload stalled on the client's side (nginx's client_body_timeout): a 408, not the upstream's 504.
      this.status = 408;
      sendBodyStalled(this.request);
      this.finish('client-abort');
      return;
    }
    const reason = classify(err);
    const fallbackReason = fallbackReasonOf(reason, (err as NodeJS.ErrnoException).code === 'UPSTREAM_INVALID_STATUS');
    if (fallbackReason && this.fallsBackOn(fallbackReason)) return this.fallBack(fallbackReason);
    if (res.headersSent) {
      // The client already has a status line: cut the response so it cannot mistake it for complete.
      res.destroy(err);
      const cut = reason === 'timeout' ? 'timeout' : 'reset';
      this.finish(cut, cut);
      return;
    }
    const status = reason === 'timeout' ? 504 : 502;
    this.status = status;
    sendProxyError(
      res,
      status,
      {
        error: describe(reason, this.request.upstream, err),
        route: this.request.route,
        target: this.request.side,
        upstream: this.request.upstream.name,
        requestId: this.request.requestId,
      },
      // Close only when the client is still sending a body the proxy will not read; a GET keeps its connection.
      !req.complete,
      this.request.responseHeaders,
    );
    this.finish(reason);
  }

  private fallsBackOn(reason: FallbackReason): boolean {
    const fallback = this.request.fallback;
    return fallback !== undefined && fallback.on.includes(reason) && !this.request.res.headersSent && !this.request.res.destroyed;
  }

  /** Nothing reached the client yet: this exchange ends quietly (its answer discarded) and legacy answers. */
  private fallBack(reason: FallbackReason, controller?: ExchangeController): void {
    this.done = true;
    this.request.res.off('close', this.onClientClose);
    controller?.abort(FELL_BACK);
    this.request.fallback!.retry(reason);
  }

  private readonly onDrain = (): void => {
    this.waitingForDrain = false;
    this.controller?.resume();
  };

  private readonly onClientClose = (): void => {
    if (this.done) return;
    this.controller?.abort(new Error('client closed the connection'));
  };

  private finish(error?: UpstreamErrorReason, cut?: CutReason): void {
    if (this.done) return;
    this.done = true;
    this.request.res.off('close', this.onClientClose);
    this.request.onDone(this.status || 502, error, this.request, cut);
  }
}

/**
 * The fallback reason a failure before any answer counts as, if any (plain requests and upgrades alike): a
 * status outside 100-599 (`invalidStatus`) is no better an answer than a 5xx.
 */
export function fallbackReasonOf(reason: UpstreamErrorReason, invalidStatus: boolean): FallbackReason | undefined {
  if (invalidStatus) return '5xx';
  return reason === 'connect-error' || reason === 'timeout' ? reason : undefined;
}

function classify(err: Error): UpstreamErrorReason {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'UPSTREAM_HEADERS_TIMEOUT':
    case 'UPSTREAM_BODY_TIMEOUT':
    case 'UPSTREAM_CONNECT_TIMEOUT':
    case 'UPSTREAM_QUEUE_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNREFUSED':
    case 'UPSTREAM_TLS_ERROR':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EAI_AGAIN':
      return 'connect-error';
    default:
      return 'reset';
  }
}

function describe(reason: UpstreamErrorReason, upstream: Upstream, err: Error): string {
  switch (reason) {
    case 'timeout':
      if ((err as NodeJS.ErrnoException).code === 'UPSTREAM_QUEUE_TIMEOUT') {
        return `upstream ${upstream.name} had no free connection within ${upstream.timeoutMs} ms (all its connections busy)`;
      }
      return `upstream ${upstream.name} did not answer within ${upstream.timeoutMs} ms`;
    case 'connect-error':
      if ((err as NodeJS.ErrnoException).code === 'UPSTREAM_TLS_ERROR') return `upstream ${upstream.name} failed the TLS handshake (${tlsFailure(err)})`;
      return `upstream ${upstream.name} refused the connection`;
    default:
      if ((err as NodeJS.ErrnoException).code === 'UPSTREAM_INVALID_STATUS') return `upstream ${upstream.name} answered with a status outside 100-599`;
      return `upstream ${upstream.name} closed the connection without a complete response`;
  }
}
