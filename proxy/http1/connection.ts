import type { Socket } from 'node:net';
import type { Exchange } from './exchange';
import { createResponseParser, type NativeParser } from './native-parser';
import { writeRequest } from './request-writer';
import { UpstreamError } from './types';

/** What a connection needs from its pool. */
export interface ConnectionOwner {
  /** The connection can take another exchange. */
  release(connection: UpstreamConnection): void;
  /** The connection closed; it is gone from the pool. */
  closed(connection: UpstreamConnection): void;
  /** Send these exchanges again, in this order, each alone on another connection (this one ended unanswered). */
  retry(exchanges: Exchange[]): void;
  /** A timeout this short is in use: check timeouts often enough for it. */
  useTimeout(ms: number): void;
  readonly describe: string;
}

export interface ConnectionSettings {
  /** Until the connection is established: TCP connected and, for https, the TLS handshake done. */
  connectMs: number;
  /** How long an idle connection is kept; an upstream's `Keep-Alive: timeout=N` can shorten it. */
  idleMs: number;
  /** An https connection: established at 'secureConnect'; errors before that are TLS errors. */
  tls: boolean;
}

/** Errors that mean "the connection was gone", as opposed to an upstream that failed to answer in time. */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'UPSTREAM_CLOSED', 'ERR_STREAM_DESTROYED']);
/** Errors that are the upstream's (or reader's) slowness on this very exchange: it is not sent again for them. */
const TIMED_OUT = new Set(['UPSTREAM_HEADERS_TIMEOUT', 'UPSTREAM_BODY_TIMEOUT', 'UPSTREAM_CONNECT_TIMEOUT', 'CLIENT_BODY_TIMEOUT', 'READER_STALLED']);
/** How many answered `echo` values a connection remembers: an answer repeated a little late is still caught. */
const RECENT_ECHOES = 16;

/**
 * One keep-alive connection to an upstream, carrying one exchange at a time, or (pipelining) several whose
 * requests went out one after another and whose answers come back in the same order. Bytes after the last
 * expected response (which no request asked for) poison the connection: it is closed, never reused. An
 * upstream that answers one pipelined request twice (or skips one) shifts the answers after it onto the wrong
 * requests, which framing alone cannot see: where requests carry an `echo` header (x-request-id) the upstream
 * echoes, an answer echoing another request's value closes the connection instead.
 */
export class UpstreamConnection {
  /** The exchange whose response is read now. */
  private exchange: Exchange | undefined;
  /** Pipelined exchanges whose requests went out after `exchange`'s, answered in this order after it. */
  private readonly behind: Exchange[] = [];
  /**
   * No further exchange may be pipelined onto it: a response said the connection closes after it, or an
   * exchange behind was abandoned (its answer will come to nobody, so the connection ends there).
   */
  private closing = false;
  /** The `echo` values (lower case) of the exchanges answered last: an answer echoing one again is that one's, repeated. */
  private readonly recentEchoes: string[] = [];
  /** Exchanges this connection completed (more than 0: it is a reused connection). */
  private served = 0;
  private readonly parser: NativeParser;
  private pendingHeaders: string[] = [];
  private informational = false;
  private completed = false;
  private poisoned = false;
  private paused = false;
  private pausedAt = 0;
  /** The pause counts against the exchange's pauseTimeoutMs (its reader is reading, just not taking). */
  private pauseTimed = false;
  private idleMs: number;
  private established = false;
  private readonly createdAt = performance.now();
  /** Last sign of life: a byte in or out for the running exchange, or when the connection became idle. */
  private activeAt = this.createdAt;

  constructor(
    private readonly owner: ConnectionOwner,
    private readonly socket: Socket,
    private readonly settings: ConnectionSettings,
  ) {
    this.idleMs = settings.idleMs;
    this.parser = createResponseParser(this);
    socket.setNoDelay(true);
    socket.on(settings.tls ? 'secureConnect' : 'connect', this.onEstablished);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  start(exchange: Exchange): void {
    if (this.exchange) {
      // Sticky: sent again after waiting behind another, its time still includes the wait.
      exchange.pipelinedBehind = true;
      this.behind.push(exchange);
    } else {
      this.exchange = exchange;
    }
    exchange.connection = this;
    this.activeAt = performance.now();
    writeRequest(this.socket, exchange, this.touch, (error) => this.failExchange(error));
  }

  /**
   * Called by the pool's sweep (not one timer per request: a Node timer per exchange costs two objects
   * and a timer-list update on every request). A timeout fires up to one sweep interval late.
   */
  checkTimeout(now: number): void {
    const exchange = this.exchange;
    if (!exchange) {
      if (now - this.activeAt > this.idleMs) this.destroy(); // idle past the keep-alive time
      return;
    }
    if (this.paused) {
      const limit = exchange.options.pauseTimeoutMs;
      if (limit === undefined || !this.pauseTimed || now - this.pausedAt <= limit) return;
      this.failExchange(new UpstreamError('READER_STALLED', `${this.owner.describe}: the response's reader took nothing for ${limit} ms`));
      return;
    }
    let error: UpstreamError;
    if (!this.established) {
      if (now - this.createdAt <= this.settings.connectMs) return;
      error = new UpstreamError('UPSTREAM_CONNECT_TIMEOUT', `${this.owner.describe}: no connection within ${this.settings.connectMs} ms`);
    } else {
      const timeoutMs = exchange.options.timeoutMs;
      if (now - this.activeAt <= timeoutMs) return;
      error = exchange.awaitingClientBody && !exchange.responseStarted
        ? new UpstreamError('CLIENT_BODY_TIMEOUT', `the client sent none of the rest of its request body for ${timeoutMs} ms`)
        : exchange.responseStarted
        ? new UpstreamError('UPSTREAM_BODY_TIMEOUT', `${this.owner.describe}: response body stalled for ${timeoutMs} ms`)
        : new UpstreamError('UPSTREAM_HEADERS_TIMEOUT', `${this.owner.describe}: no response within ${timeoutMs} ms`);
    }
    this.failExchange(error);
  }

  /** The exchange was aborted by its handler: close the connection under it. */
  abandon(exchange: Exchange): void {
    if (this.exchange !== exchange) {
      // Pipelined and already out: the connection is closed when its turn comes (see messageComplete).
      if (this.behind.includes(exchange)) this.closing = true;
      return;
    }
    this.detach(exchange);
    this.destroy();
  }

  /** Backpressure from the client: a slow reader is not the upstream's fault, so no body timeout meanwhile. */
  pauseReading(timed: boolean): void {
    if (timed && !(this.paused && this.pauseTimed)) this.pausedAt = performance.now();
    this.paused = true;
    this.pauseTimed = timed;
    this.socket.pause();
  }

  resumeReading(): void {
    this.paused = false;
    this.activeAt = performance.now();
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  get usable(): boolean {
    return !this.socket.destroyed;
  }

  /** Exchanges sent on this connection and not answered yet. */
  get inFlight(): number {
    return (this.exchange ? 1 : 0) + this.behind.length;
  }

  /**
   * `exchange` may be pipelined behind the ones under way: not behind one that is not replayable (RFC 9112 §9.3.2:
   * a lost connection would leave it unknown whether it took effect) or is sent again, not on a connection that
   * closes, and not beside one with the same `echo` value (answers to the two could not be told apart).
   */
  acceptsPipelined(exchange: Exchange): boolean {
    const head = this.exchange;
    if (this.closing || this.poisoned || this.paused || this.socket.destroyed || head?.replayable === false || head?.retried === true) return false;
    const echo = exchange.echoKey;
    if (echo === undefined || head === undefined) return true;
    return head.echoKey !== echo && !this.behind.some((waiting) => waiting.echoKey === echo);
  }

  /** Holds the requests written from now on in the socket, to go out in one write at flush(). */
  cork(): void {
    this.socket.cork();
  }

  flush(): void {
    this.socket.uncork();
  }

  // -- parser events (called from inside parser.execute) ------------------------------------------------

  messageBegin(): void {
    const exchange = this.exchange;
    if (!exchange || this.completed) this.poisoned = true;
    // A pipelined one counts as answered only once a response head parses: bytes that do not may be the end
    // of the answer before it (a 204 with a body), and it is sent again alone (see failExchange).
    else if (!exchange.pipelinedBehind) exchange.answered = true;
  }

  headers(raw: string[]): void {
    for (let i = 0; i < raw.length; i++) this.pendingHeaders.push(raw[i]!);
  }

  headersComplete(raw: string[] | undefined, statusCode: number, statusMessage: string, keepAlive: boolean): number {
    if (raw === undefined) {
      raw = this.pendingHeaders;
      this.pendingHeaders = [];
    }
    const exchange = this.exchange;
    if (!exchange || this.poisoned) {
      this.poisoned = true;
      return 1;
    }
    exchange.answered = true;
    if (statusCode < 100 || statusCode > 599) {
      // RFC 9110 §15: not a status code. Passed on, each would also become a metric label value of its own.
      this.poisoned = true;
      this.failExchange(new UpstreamError('UPSTREAM_INVALID_STATUS', `${this.owner.describe} answered with status ${statusCode}, outside 100-599`));
      return 1;
    }
    if (statusCode < 200) {
      if (statusCode === 101) {
        this.poisoned = true;
        this.failExchange(new UpstreamError('UPSTREAM_PROTOCOL_ERROR', `${this.owner.describe} switched protocols on a plain request`));
        return 1;
      }
      this.informational = true;
      return 1;
    }
    const echo = exchange.options.echo;
    if (echo && this.answersAnother(exchange, echo.name, raw)) {
      // Its own answer never came either: it is sent once more alone, as the ones behind it are.
      this.poisoned = true;
      this.detach(exchange);
      this.behind.unshift(exchange);
      this.failExchange(new UpstreamError('UPSTREAM_ANSWER_MISMATCH', `${this.owner.describe} answered another request on the connection (its ${echo.name} was not this request's)`));
      return 1;
    }
    const bodiless = exchange.options.method === 'HEAD' || statusCode === 204 || statusCode === 304;
    // The parser judges keep-alive before it learns there is no body: an answer without a length then reads
    // as "ends with the connection", though a body-less answer does not (node:http answers HEAD that way).
    if (bodiless && !keepAlive) keepAlive = persistsWithoutBody(raw);
    exchange.responseStarted = true;
    exchange.keepAlive = keepAlive;
    if (keepAlive) this.readKeepAliveHint(raw);
    else this.closing = true;
    if (!exchange.settled) exchange.handler.onResponseStart(exchange, statusCode, raw, statusMessage);
    return bodiless ? 1 : 0;
  }

  /** The answer echoes (in any case) the `echo` value of a request answered before, or of one pipelined behind. */
  private answersAnother(exchange: Exchange, header: string, raw: string[]): boolean {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length !== header.length || name.toLowerCase() !== header) continue;
      const value = raw[i + 1]!.trim().toLowerCase();
      if (value === exchange.echoKey) return false;
      return this.recentEchoes.includes(value) || this.behind.some((waiting) => waiting.echoKey === value);
    }
    return false;
  }

  body(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange && !exchange.settled) exchange.handler.onResponseData(exchange, chunk);
  }

  messageComplete(): void {
    if (this.informational) {
      this.informational = false;
      return;
    }
    const exchange = this.exchange;
    if (!exchange) return;
    const trailers = this.pendingHeaders;
    if (trailers.length > 0) this.pendingHeaders = [];
    this.completed = true;
    if (exchange.echoKey !== undefined && this.recentEchoes.push(exchange.echoKey) > RECENT_ECHOES) this.recentEchoes.shift();
    exchange.end(trailers);
    const next = this.behind[0];
    if (next === undefined) return;
    if (!exchange.keepAlive || next.settled) {
      // The upstream closes now, or the next answer is for an abandoned exchange (it may never end): the
      // connection ends here, and the ones behind, unanswered, are sent again (see failExchange).
      this.closing = true;
      return;
    }
    this.behind.shift();
    // The next pipelined answer may follow in the same chunk: the parser reads it for the next exchange.
    this.served++;
    this.exchange = next;
    this.completed = false;
    exchange.connection = undefined;
    this.activeAt = performance.now();
  }

  // -- socket events ----------------------------------------------------------------------------------

  private readonly touch = (): void => {
    this.activeAt = performance.now();
  };

  private readonly onEstablished = (): void => {
    this.established = true;
    this.activeAt = performance.now();
  };

  private readonly onData = (chunk: Buffer): void => {
    this.activeAt = performance.now();
    let result: number | Error;
    try {
      result = this.parser.execute(chunk);
    } catch (error) {
      // A handler threw (say, writeHead refusing a header): that exchange fails, the proxy carries on.
      this.failExchange(error as Error);
      return;
    }
    if (typeof result !== 'number') {
      this.failExchange(new UpstreamError('UPSTREAM_PROTOCOL_ERROR', `${this.owner.describe} sent an invalid response (${(result as NodeJS.ErrnoException).code ?? result.message})`));
      return;
    }
    if (this.poisoned) {
      this.failExchange(new UpstreamError('UPSTREAM_PROTOCOL_ERROR', `${this.owner.describe} sent bytes no request asked for`));
    } else if (this.completed) {
      this.finishExchange();
    }
  };

  private readonly onEnd = (): void => {
    // A response delimited by the connection closing ends here.
    const result = this.parser.finish();
    if (this.completed) this.finishExchange();
    else if (result instanceof Error) this.failExchange(new UpstreamError('UPSTREAM_PROTOCOL_ERROR', `${this.owner.describe} sent an incomplete response`));
    else this.failExchange(new UpstreamError('UPSTREAM_CLOSED', `${this.owner.describe} closed the connection`));
    this.destroy();
  };

  private readonly onError = (error: Error): void => {
    const code = (error as NodeJS.ErrnoException).code;
    // Connected, but the handshake failed (an untrusted or mismatched certificate, a plain-HTTP port, …), or
    // the server's TLS alert came just after it: with TLS 1.3 a refused client certificate arrives as an
    // alert once the client already considers the handshake done, before any answer on the connection.
    const handshakeAlert = code?.startsWith('ERR_SSL_') === true && this.served === 0 && this.exchange?.answered !== true;
    if (this.settings.tls && ((!this.established && !this.socket.connecting) || handshakeAlert)) {
      const reason = code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
      this.failExchange(new UpstreamError('UPSTREAM_TLS_ERROR', `${this.owner.describe}: TLS handshake failed: ${reason}`, { cause: error }));
      return;
    }
    this.failExchange(error);
  };

  private readonly onClose = (): void => {
    this.failExchange(new UpstreamError('UPSTREAM_CLOSED', `${this.owner.describe} closed the connection`));
    this.owner.closed(this);
    this.parser.close();
  };

  // -- exchange bookkeeping -----------------------------------------------------------------------------

  /** The response is complete: hand the connection back, or close it when it cannot carry another. */
  private finishExchange(): void {
    const exchange = this.exchange!;
    this.detach(exchange);
    this.served++;
    if (!exchange.keepAlive || this.closing || !exchange.uploadDone || this.idleMs <= 0 || this.socket.destroyed) {
      exchange.stopUpload?.();
      this.destroy();
      return;
    }
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    this.activeAt = performance.now();
    this.owner.release(this);
  }

  /** Closes the connection and fails its exchanges, if any are running (or sends them again, see below). */
  private failExchange(error: Error): void {
    this.destroy();
    const code = (error as NodeJS.ErrnoException).code;
    const again: Exchange[] = [];
    const exchange = this.exchange;
    if (exchange) {
      this.detach(exchange);
      // A pipelined one whose own answer never began (the one before ended the connection, or left bytes that
      // do not parse) goes again with those behind it; one that timed out is the upstream's slowness.
      if (exchange.pipelinedBehind && !exchange.answered && !(code !== undefined && TIMED_OUT.has(code))) this.behind.unshift(exchange);
      else if (this.mayRetry(exchange, code)) again.push(exchange);
      else if (!exchange.settled) exchange.fail(error);
    }
    // Pipelined behind it: whatever ended the connection, the upstream answered none of them (they are
    // replayable, or they would not be here), so each is sent once more, alone on a fresh connection.
    for (const waiting of this.behind.splice(0)) {
      waiting.connection = undefined;
      if (waiting.settled) continue; // abandoned while it waited its turn: nobody wants it
      if (waiting.retried || !waiting.replayable) waiting.fail(error);
      else again.push(waiting);
    }
    if (again.length === 0) return;
    for (const retried of again) retried.retried = true;
    this.owner.retry(again);
  }

  /**
   * The upstream closed a kept-alive connection as this request went out (its idle timeout): it never saw the
   * request, so it is sent once more on a fresh connection.
   */
  private mayRetry(exchange: Exchange, code: string | undefined): boolean {
    return !exchange.settled && this.served > 0 && !exchange.answered && !exchange.retried && exchange.replayable && code !== undefined && CONNECTION_LOST.has(code);
  }

  private detach(exchange: Exchange): void {
    this.exchange = undefined;
    this.completed = false;
    exchange.connection = undefined;
  }

  /** `Keep-Alive: timeout=N`: stop reusing the connection a second before the upstream drops it. */
  private readKeepAliveHint(raw: string[]): void {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length !== 10 || name.toLowerCase() !== 'keep-alive') continue;
      const match = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i.exec(raw[i + 1]!);
      if (!match) continue;
      this.idleMs = Math.min(this.settings.idleMs, Number(match[1]) * 1000 - 1000);
      if (this.idleMs > 0) this.owner.useTimeout(this.idleMs);
    }
  }
}

/**
 * Whether a connection persists after an answer without a body and without a length, which the parser takes for
 * one that ends with the connection: only when the upstream says `Connection: keep-alive` (node:http does). An
 * upstream that says nothing may be one that sends a body anyway and closes; its stray bytes must not become the
 * next request's answer.
 */
function persistsWithoutBody(raw: readonly string[]): boolean {
  let close = false;
  let keepAlive = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    for (const token of raw[i + 1]!.toLowerCase().split(',')) {
      const option = token.trim();
      if (option === 'close') close = true;
      else if (option === 'keep-alive') keepAlive = true;
    }
  }
  return keepAlive && !close;
}
