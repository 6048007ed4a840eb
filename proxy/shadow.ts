import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable, Transform } from 'node:stream';
import type { RouteConfig, ShadowConfig } from '../core/config/types';
import type { ComparisonInput } from '../diff-reader/comparator';
import type { HttpSnapshot } from '../diff-reader/engine';
import type { RouteState } from '../core/state';
import { BodyCapture } from './body-capture';
import { tlsFailure, type ExchangeController, type ExchangeHandler } from './http1';
import { headersFromRaw } from './response-headers';
import { requestHasBody, withUpstreamHost } from './request-headers';
import type { ShadowMetrics } from './shadow-metrics';
import type { Side } from './splitter';
import type { Upstream } from './upstreams';

export type ResponseSnapshot = HttpSnapshot & { ms: number };

/** Everything one shadowed request produced, handed to the comparator once complete. */
export type ShadowExchange = ComparisonInput;

/** What the forwarder reports about the response legacy sends the client. */
export interface ResponseTap {
  /** `headers`: the upstream's flat [name, value, …] list. */
  start(status: number, headers: string[]): void;
  data(chunk: Buffer): void;
  end(): void;
  fail(): void;
}

/** A started copy: legacy's response goes through `tap`; a request body must be read from `body`. */
export interface ShadowStart {
  tap: ResponseTap;
  /** The client's request body, passing through a copy; the forwarder sends this instead of the request. */
  body: Readable | undefined;
  /**
   * Call once legacy's request is dispatched: a request without a body (or with one read whole) is copied now, so the copy is
   * written after legacy's request, never before it (with a body, the copy goes when the body is whole).
   */
  legacyDispatched(): void;
}

type Answer = ResponseSnapshot | { error: string; ms: number };

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Mirrors a sample of a route's requests to the new service. The client's own request and response
 * are never held up: the copy reads the request body as it streams past, and the comparison waits
 * until every answer is in. Bounded by shadow.maxInFlight and shadow.maxBodyBytes.
 */
export class ShadowTee {
  /** Copies under way per route: each route's shadow.maxInFlight bounds its own copies only. */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly upstreams: Map<string, Upstream>,
    private readonly metrics: ShadowMetrics,
    private readonly onExchange: (exchange: ShadowExchange) => void,
  ) {}

  /** Starts a copy when the route is shadowed; returns the tap for legacy's response, or undefined. */
  maybeStart(
    req: IncomingMessage,
    route: RouteConfig,
    state: RouteState,
    side: Side,
    legacy: Upstream,
    path: string,
    requestId: string,
    legacyHeaders: string[],
    /**
     * The request body when it was read first: whole, or (a large chunked one) its first part and then the
     * rest; undefined: it streams from `req` (or there is none).
     */
    readFirst?: Buffer | Readable,
  ): ShadowStart | undefined {
    const shadow = route.shadow;
    if (!shadow || !route.service || side !== 'legacy') return undefined;
    if (state.stage !== 'shadow' && !(state.stage === 'canary' && shadow.onCanary)) return undefined;
    const method = req.method ?? 'GET';
    if (!shadow.methods.includes(method) || !(Math.random() < shadow.sample)) return undefined;
    const candidate = this.upstreams.get(route.service);
    if (!candidate) return undefined;
    const inFlight = this.inFlight.get(route.name) ?? 0;
    if (inFlight >= shadow.maxInFlight) {
      this.metrics.drop(route.name, 'max-in-flight');
      return undefined;
    }
    const length = Buffer.isBuffer(readFirst) ? readFirst.length : Number(req.headers['content-length'] ?? 0);
    if (length > shadow.maxBodyBytes) {
      this.metrics.drop(route.name, 'body-too-large');
      return undefined;
    }
    this.inFlight.set(route.name, inFlight + 1);
    return new ShadowCopy(this, req, route, shadow, legacy, candidate, path, requestId, legacyHeaders, readFirst);
  }

  /** A copy is complete: legacy's answer and the new service's (an abandoned one hands nothing over). */
  finished(exchange: ShadowExchange): void {
    this.onExchange(exchange);
  }

  /** A copy of the route's has nothing under way any more: its maxInFlight slot is free. */
  release(route: string): void {
    this.inFlight.set(route, (this.inFlight.get(route) ?? 1) - 1);
  }

  /** Copies still under way after legacy's answer ended, with the time each must be done by. */
  private readonly overdue = new Map<ShadowCopy, number>();
  private sweep: NodeJS.Timeout | undefined;

  /** `copy` must finish by `deadline` (performance.now() time): one sweep a second for all of them, no timer each. */
  watch(copy: ShadowCopy, deadline: number): void {
    this.overdue.set(copy, deadline);
    this.sweep ??= setInterval(() => {
      const now = performance.now();
      for (const [waiting, by] of this.overdue) if (now >= by) waiting.expire();
      if (this.overdue.size === 0) {
        clearInterval(this.sweep);
        this.sweep = undefined;
      }
    }, 1000).unref();
  }

  unwatch(copy: ShadowCopy): void {
    this.overdue.delete(copy);
  }

  drop(route: string, reason: 'legacy-failed' | 'body-too-large' | 'not-modified'): void {
    this.metrics.drop(route, reason);
  }
}

/** One shadowed request: taps legacy's response, sends the copy (and the noise sample), then hands over. */
class ShadowCopy implements ShadowStart, ResponseTap {
  private readonly started = performance.now();
  private readonly at = new Date();
  private readonly legacyBody: BodyCapture;
  private legacyStatus = 0;
  private legacyHeaders: string[] = [];
  private legacy: ResponseSnapshot | undefined;
  private candidate: Answer | undefined;
  /** The copy to the new service went out pipelined behind another: its time is no latency sample. */
  private candidateWaited = false;
  private secondary: ResponseSnapshot | undefined;
  private waitingFor = 2;
  /** Legacy's answer went past maxBodyBytes: the client got it whole, the comparison is an error saying so. */
  private legacyTooLarge = false;
  private settled = false;
  /** Copies sent and not answered yet: an abandoned copy keeps its maxInFlight slot until they are. */
  private unanswered = 0;
  private released = false;
  private readonly method: string;
  readonly body: Readable | undefined;
  /** The request body has been read whole (or there is none): the copies can go. */
  private bodyRead = true;
  private stopWatchingSocket: (() => void) | undefined;
  private readonly requests: CopyRequest[] = [];
  /** The request body, read whole before legacy's request went out. */
  private readonly bufferedBody: Buffer | undefined;

  constructor(
    private readonly owner: ShadowTee,
    private readonly req: IncomingMessage,
    private readonly route: RouteConfig,
    private readonly shadow: ShadowConfig,
    private readonly legacyUpstream: Upstream,
    private readonly candidateUpstream: Upstream,
    private readonly path: string,
    private readonly requestId: string,
    /** The headers legacy gets (x-request-id included): the copies send the same, with their own Host. */
    private readonly upstreamHeaders: string[],
    readFirst: Buffer | Readable | undefined,
  ) {
    this.method = req.method ?? 'GET';
    this.legacyBody = new BodyCapture(shadow.maxBodyBytes);
    if (!requestHasBody(req) || Buffer.isBuffer(readFirst)) {
      this.bufferedBody = Buffer.isBuffer(readFirst) ? readFirst : undefined;
      this.body = undefined;
      return;
    }
    // A pass-through copy, read at the pace legacy's upload sets: nothing is read before the forwarder reads.
    const capture = new BodyCapture(shadow.maxBodyBytes);
    const passThrough = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        capture.add(chunk);
        callback(null, chunk);
      },
    });
    this.body = passThrough;
    this.bodyRead = false;
    pipeline(readFirst ?? req, passThrough, (err) => {
      this.bodyRead = true;
      this.stopWatchingSocket?.();
      if (err) this.abandon('legacy-failed');
      else if (capture.overflowed) this.abandon('body-too-large');
      else this.sendCopies(capture.bytes);
    });
  }

  get tap(): ResponseTap {
    return this;
  }

  legacyDispatched(): void {
    if (!this.body) this.sendCopies(this.bufferedBody);
  }

  // -- ResponseTap: legacy's response as it streams to the client ----------------------------------------

  start(status: number, headers: string[]): void {
    this.legacyStatus = status;
    this.legacyHeaders = headers;
  }

  data(chunk: Buffer): void {
    this.legacyBody.add(chunk);
  }

  end(): void {
    this.legacyTooLarge = this.legacyBody.overflowed;
    const body = this.legacyTooLarge ? Buffer.alloc(0) : this.legacyBody.bytes;
    this.legacy = { status: this.legacyStatus, headers: headersFromRaw(this.legacyHeaders), body, ms: performance.now() - this.started };
    if (!this.bodyRead) {
      // Legacy answered before reading the whole upload (a 413, a 401): the forwarder reads the rest and drops
      // it (discardRestOfBody), and the copy captures it as it passes (up to maxBodyBytes); otherwise the copy
      // would wait, and hold its maxInFlight slot, forever.
      // node:http gives up a request once its answer has ended: a client that closes now ends nothing, and the
      // body would wait for ever.
      const socket = this.req.socket;
      const closed = (): void => {
        if (!this.bodyRead) this.abandon('legacy-failed');
      };
      if (socket.destroyed) closed();
      else {
        socket.once('close', closed);
        this.stopWatchingSocket = () => socket.off('close', closed);
      }
    }
    this.partDone();
    if (!this.released) this.owner.watch(this, performance.now() + this.candidateUpstream.timeoutMs);
  }

  fail(): void {
    this.abandon('legacy-failed');
  }

  // -- the copies ---------------------------------------------------------------------------------------

  answered(answer: Answer, secondary: boolean, waited: boolean): void {
    this.unanswered--;
    if (!secondary) {
      this.candidate = answer;
      this.candidateWaited = waited;
    }
    else if ('status' in answer) this.secondary = answer;
    this.partDone();
    this.releaseWhenIdle();
  }

  private sendCopies(body: Buffer | undefined): void {
    if (this.settled) return;
    const withSecondary = SAFE.has(this.method) && Math.random() < this.shadow.noiseSample;
    if (withSecondary) this.waitingFor++;
    this.send(this.candidateUpstream, body, false);
    if (withSecondary) this.send(this.legacyUpstream, body, true);
  }

  private send(upstream: Upstream, body: Buffer | undefined, secondary: boolean): void {
    this.unanswered++;
    const headers = withUpstreamHost(this.upstreamHeaders, this.req, upstream);
    headers.push('x-strangler-shadow', '1');
    const request = new CopyRequest(this, upstream, secondary, this.shadow.maxBodyBytes);
    this.requests.push(request);
    const pool = upstream.copyPool;
    const options = { path: this.path, method: this.method, headers, body: body ?? null, timeoutMs: upstream.timeoutMs };
    // Pipelined, answers can only be told apart by the x-request-id a service echoes (see UpstreamConnection).
    pool.dispatch(pool.pipelines ? { ...options, echo: { name: 'x-request-id', value: this.requestId } } : options, request);
  }

  /**
   * Still under way `timeoutMs` after legacy's answer ended: a new service that trickles its answer, or an
   * endless stream (server-sent events), would otherwise hold the slot as long as it goes on.
   */
  expire(): void {
    this.owner.unwatch(this);
    const limit = this.candidateUpstream.timeoutMs;
    if (!this.bodyRead) {
      this.stopWatchingSocket?.();
      this.abandon('legacy-failed');
    }
    for (const request of this.requests) request.cancel(`new service did not finish its answer within ${limit} ms of legacy's`);
  }

  private partDone(): void {
    if (this.settled || --this.waitingFor > 0) return;
    this.settled = true;
    const candidate = this.candidate!;
    if (this.legacy!.status === 304 && 'status' in candidate && candidate.status >= 200 && candidate.status < 300) {
      // A conditional request legacy found current (the client's cached copy, legacy's ETag) and the new
      // service answered in full (its own ETags differ): legacy sent no body, so there is nothing to compare
      // it with. A 304 from both is compared (a match), and a new service's 304 where legacy sends a
      // changed answer is the mismatch it is (clients would keep a stale copy).
      this.owner.drop(this.route.name, 'not-modified');
      this.releaseWhenIdle();
      return;
    }
    this.owner.finished({
      route: this.route,
      shadow: this.shadow,
      requestId: this.requestId,
      method: this.method,
      target: this.path,
      at: this.at,
      legacy: this.legacy!,
      candidate: this.legacyTooLarge
        ? { error: `legacy's answer is larger than shadow.maxBodyBytes (${this.shadow.maxBodyBytes} bytes): not compared`, ms: candidate.ms }
        : candidate,
      ...(this.secondary ? { secondary: this.secondary } : {}),
      ...(this.candidateWaited ? { candidateWaited: true } : {}),
    });
    this.releaseWhenIdle();
  }

  private abandon(reason: 'legacy-failed' | 'body-too-large'): void {
    if (this.settled) return;
    this.settled = true;
    this.owner.drop(this.route.name, reason);
    // Nothing is left to compare them with (the client left, legacy failed): copies still running stop.
    for (const request of this.requests) request.cancel('shadow copy abandoned');
    this.releaseWhenIdle();
  }

  private releaseWhenIdle(): void {
    if (this.released || !this.settled || this.unanswered > 0) return;
    this.released = true;
    this.owner.unwatch(this);
    this.owner.release(this.route.name);
  }
}

/** One copy sent to an upstream, its response read whole up to shadow.maxBodyBytes. */
class CopyRequest implements ExchangeHandler {
  private readonly started = performance.now();
  private readonly capture: BodyCapture;
  private status = 0;
  private rawHeaders: string[] = [];
  private controller: ExchangeController | undefined;
  private cancelled: string | undefined;
  private done = false;

  constructor(
    private readonly copy: ShadowCopy,
    private readonly upstream: Upstream,
    private readonly secondary: boolean,
    private readonly maxBytes: number,
  ) {
    this.capture = new BodyCapture(maxBytes);
  }

  onRequestStart(controller: ExchangeController): void {
    this.controller = controller;
    if (this.cancelled !== undefined) controller.abort(new Error(this.cancelled));
  }

  /** Stops the copy (once it has a connection; one still queued is cancelled when it gets one). */
  cancel(reason: string): void {
    if (this.done || this.cancelled !== undefined) return;
    this.cancelled = reason;
    this.controller?.abort(new Error(reason));
  }

  onResponseStart(_controller: ExchangeController, statusCode: number, rawHeaders: string[]): void {
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
  }

  onResponseData(controller: ExchangeController, chunk: Buffer): void {
    this.capture.add(chunk);
    if (this.capture.overflowed) controller.abort(new Error(`response body larger than shadow.maxBodyBytes (${this.maxBytes})`));
  }

  onResponseEnd(controller: ExchangeController): void {
    this.done = true;
    const ms = performance.now() - this.started;
    this.copy.answered({ status: this.status, headers: headersFromRaw(this.rawHeaders), body: this.capture.bytes, ms }, this.secondary, controller.pipelinedBehind);
  }

  onResponseError(controller: ExchangeController, err: Error): void {
    this.done = true;
    const ms = performance.now() - this.started;
    const error = this.cancelled ?? (this.capture.overflowed ? err.message : describeError(err as NodeJS.ErrnoException, this.upstream));
    this.copy.answered({ error, ms }, this.secondary, controller.pipelinedBehind);
  }
}

function describeError(err: NodeJS.ErrnoException, upstream: Upstream): string {
  switch (err.code) {
    case 'UPSTREAM_HEADERS_TIMEOUT':
    case 'UPSTREAM_BODY_TIMEOUT':
    case 'UPSTREAM_CONNECT_TIMEOUT':
      return `new service did not answer within ${upstream.timeoutMs} ms`;
    case 'UPSTREAM_QUEUE_TIMEOUT':
      return `new service had no free connection within ${upstream.timeoutMs} ms`;
    case 'ECONNREFUSED':
      return 'new service refused the connection';
    case 'UPSTREAM_TLS_ERROR':
      return `new service failed the TLS handshake (${tlsFailure(err)})`;
    case 'UPSTREAM_CLOSED':
    case 'ECONNRESET':
    case 'EPIPE':
      return 'new service closed the connection without a complete answer';
    case 'UPSTREAM_PROTOCOL_ERROR':
      return 'new service sent a malformed or incomplete answer';
    case 'UPSTREAM_ANSWER_MISMATCH':
      return "new service's answer carried another request's x-request-id (an answer too many or too few on the connection)";
    case 'UPSTREAM_INVALID_STATUS':
      return 'new service answered with a status outside 100-599';
    case 'UPSTREAM_POOL_CLOSED':
      return 'the proxy was stopping';
    default:
      return `new service failed: ${err.message}`;
  }
}
