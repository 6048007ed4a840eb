import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { pipeline, type Readable, Transform } from 'node:stream';
import type { RouteConfig, ShadowConfig } from '../core/config/types';
import type { ComparisonInput } from '../diff-reader/comparator';
import type { HttpSnapshot } from '../diff-reader/engine';
import type { RouteState } from '../core/state';
import { BodyCapture } from './body-capture';
import type { ExchangeOptions } from './http1';
import { headersFromRaw } from './response-headers';
import { upstreamRequestHeaders } from './request-headers';
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
  body?: Readable;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Mirrors a sample of a route's requests to the new service. The client's own request and response
 * are never held up: the copy reads the request body as it streams past, and the comparison waits
 * until every answer is in. Bounded by shadow.maxInFlight and shadow.maxBodyBytes.
 */
export class ShadowTee {
  private inFlight = 0;

  constructor(
    private readonly upstreams: Map<string, Upstream>,
    private readonly metrics: ShadowMetrics,
    private readonly onExchange: (exchange: ShadowExchange) => void,
  ) {}

  /** Starts a copy when the route is shadowed; returns the tap for legacy's response, or undefined. */
  maybeStart(req: IncomingMessage, route: RouteConfig, state: RouteState, side: Side, legacy: Upstream, path: string, requestId: string): ShadowStart | undefined {
    const shadow = route.shadow;
    if (!shadow || !route.service || side !== 'legacy') return undefined;
    if (state.stage !== 'shadow' && !(state.stage === 'canary' && shadow.onCanary)) return undefined;
    const method = req.method ?? 'GET';
    if (!shadow.methods.includes(method) || !(Math.random() < shadow.sample)) return undefined;
    const candidate = this.upstreams.get(route.service);
    if (!candidate) return undefined;
    if (this.inFlight >= shadow.maxInFlight) {
      this.metrics.drop(route.name, 'max-in-flight');
      return undefined;
    }
    if (Number(req.headers['content-length'] ?? 0) > shadow.maxBodyBytes) {
      this.metrics.drop(route.name, 'body-too-large');
      return undefined;
    }
    this.inFlight++;
    const copy = new ShadowCopy(req, route, shadow, legacy, candidate, path, requestId, this.metrics, (exchange) => {
      this.inFlight--;
      if (exchange) this.onExchange(exchange);
    });
    return { tap: copy.legacyTap, ...(copy.body ? { body: copy.body } : {}) };
  }
}

class ShadowCopy {
  private readonly started = performance.now();
  private readonly at = new Date();
  private readonly requestBody: BodyCapture;
  private readonly legacyBody: BodyCapture;
  private legacyStatus = 0;
  private legacyHeaders: string[] = [];
  private legacy: ResponseSnapshot | undefined;
  private candidate: ShadowExchange['candidate'] | undefined;
  private secondary: ResponseSnapshot | undefined;
  private waitingFor = 2;
  private settled = false;
  private readonly method: string;
  readonly legacyTap: ResponseTap;
  readonly body: Readable | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly route: RouteConfig,
    private readonly shadow: ShadowConfig,
    private readonly legacyUpstream: Upstream,
    private readonly candidateUpstream: Upstream,
    private readonly path: string,
    private readonly requestId: string,
    private readonly metrics: ShadowMetrics,
    private readonly done: (exchange: ShadowExchange | undefined) => void,
  ) {
    this.method = req.method ?? 'GET';
    this.requestBody = new BodyCapture(shadow.maxBodyBytes);
    this.legacyBody = new BodyCapture(shadow.maxBodyBytes);
    this.legacyTap = {
      start: (status, headers) => {
        this.legacyStatus = status;
        this.legacyHeaders = headers;
      },
      data: (chunk) => this.legacyBody.add(chunk),
      end: () => this.legacyDone(),
      fail: () => this.fail('legacy-failed'),
    };
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    if (!hasBody) {
      this.body = undefined;
      this.sendCopies(undefined);
      return;
    }
    // A pass-through copy, read at the pace legacy's upload sets: nothing is read before the forwarder reads.
    const capture = this.requestBody;
    const tee = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        capture.add(chunk);
        callback(null, chunk);
      },
    });
    this.body = tee;
    pipeline(req, tee, (err) => {
      if (err) this.fail('legacy-failed');
      else if (capture.overflowed) this.fail('body-too-large');
      else this.sendCopies(capture.bytes);
    });
  }

  private sendCopies(body: Buffer | undefined): void {
    if (this.settled) return;
    const withSecondary = SAFE.has(this.method) && Math.random() < this.shadow.noiseSample;
    if (withSecondary) this.waitingFor++;
    void this.send(this.candidateUpstream, body).then((answer) => {
      this.candidate = answer;
      this.partDone();
    });
    if (withSecondary) {
      void this.send(this.legacyUpstream, body).then((answer) => {
        if ('status' in answer) this.secondary = answer;
        this.partDone();
      });
    }
  }

  private async send(upstream: Upstream, body: Buffer | undefined): Promise<ResponseSnapshot | { error: string; ms: number }> {
    const started = performance.now();
    const headers = upstreamRequestHeaders(this.req, upstream, this.requestId, true);
    headers.push('x-strangler-shadow', '1');
    if (!this.req.headers['x-request-id']) headers.push('x-request-id', this.requestId);
    const answer = await requestOnce(
      upstream,
      {
        path: this.path,
        method: this.method,
        headers,
        body: body ?? null,
        timeoutMs: upstream.timeoutMs,
      },
      this.shadow.maxBodyBytes,
    );
    const ms = performance.now() - started;
    if ('error' in answer) return { error: answer.error, ms };
    return { status: answer.status, headers: answer.headers, body: answer.body, ms };
  }

  private legacyDone(): void {
    if (this.legacyBody.overflowed) return this.fail('body-too-large');
    this.legacy = { status: this.legacyStatus, headers: headersFromRaw(this.legacyHeaders), body: this.legacyBody.bytes, ms: performance.now() - this.started };
    this.partDone();
  }

  private partDone(): void {
    if (this.settled || --this.waitingFor > 0) return;
    this.settled = true;
    this.done({
      route: this.route,
      shadow: this.shadow,
      requestId: this.requestId,
      method: this.method,
      target: this.path,
      at: this.at,
      legacy: this.legacy!,
      candidate: this.candidate!,
      ...(this.secondary ? { secondary: this.secondary } : {}),
    });
  }

  private fail(reason: 'legacy-failed' | 'body-too-large'): void {
    if (this.settled) return;
    this.settled = true;
    this.metrics.drop(this.route.name, reason);
    this.done(undefined);
  }
}

type Answer = { status: number; headers: IncomingHttpHeaders; body: Buffer } | { error: string };

/** One request through the upstream's pool, its response read whole up to `maxBytes`. */
function requestOnce(upstream: Upstream, options: ExchangeOptions, maxBytes: number): Promise<Answer> {
  return new Promise((resolve) => {
    const capture = new BodyCapture(maxBytes);
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    upstream.pool.dispatch(options, {
      onResponseStart(_controller, statusCode, rawHeaders) {
        status = statusCode;
        headers = headersFromRaw(rawHeaders);
      },
      onResponseData(controller, chunk) {
        capture.add(chunk);
        if (capture.overflowed) controller.abort(new Error(`response body larger than shadow.maxBodyBytes (${maxBytes})`));
      },
      onResponseEnd() {
        resolve({ status, headers, body: capture.bytes });
      },
      onResponseError(_controller, err) {
        resolve({ error: capture.overflowed ? err.message : describeError(err as NodeJS.ErrnoException, upstream) });
      },
    });
  });
}

function describeError(err: NodeJS.ErrnoException, upstream: Upstream): string {
  switch (err.code) {
    case 'UPSTREAM_HEADERS_TIMEOUT':
    case 'UPSTREAM_BODY_TIMEOUT':
    case 'UPSTREAM_CONNECT_TIMEOUT':
      return `new service did not answer within ${upstream.timeoutMs} ms`;
    case 'ECONNREFUSED':
      return 'new service refused the connection';
    default:
      return `new service failed: ${err.code ?? err.message}`;
  }
}
