import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import type { ListenConfig, RouteConfig, StranglerConfig } from '../core/config/types';
import type { Logger } from '../core/logging';
import { UNMATCHED_ROUTE } from '../core/metric-names';
import type { RouteStateView } from '../core/route-state-view';
import type { RouteState } from '../core/state';
import { answerClientError } from './client-errors';
import { sendProxyError } from './error-response';
import { deprecationHeaders, retiredRedirect } from './deprecation';
import { CLIENT_CLOSED_REQUEST, type Fallback, forward, type ForwardRequest, sendBodyStalled } from './forwarder';
import type { ProxyMetrics, RouteSideMetrics } from './metrics';
import { type UpstreamFailure, UpstreamFailureLog } from './failure-log';
import { answerAndClose, closeOnceAnswered, HandedOverSockets, readAndDrop } from './handed-over-sockets';
import { absoluteFormAuthority, normaliseTarget } from './path';
import { readBodyFirst, readsBodyFirst } from './request-body';
import { requestHasBody, upgradeRequestHeaders, upstreamRequestHeaders } from './request-headers';
import { TrustedProxies } from './trusted-proxies';
import { RouteTable } from './route-table';
import { chooseSide, type Side } from './splitter';
import { closeUpstreams, createUpstreams, type Upstream } from './upstreams';
import { type ShadowExchange, ShadowTee } from './shadow';
import type { ShadowMetrics } from './shadow-metrics';
import { type UpgradeDone, type UpgradeRequest, WebSocketForwarder } from './websocket';

export interface ProxyServerOptions {
  config: StranglerConfig;
  state: RouteStateView;
  metrics: ProxyMetrics;
  logger: Logger;
  /** Shadowed routes: where finished exchanges go (the comparator), and the shadow metrics. */
  shadow?: { metrics: ShadowMetrics; onExchange: (exchange: ShadowExchange) => void };
  /**
   * A server from createDataServer, listening already (bound before the state store opened): its requests
   * reach this proxy through `handlers` (BoundServer.serve), and listen() is not called. Without it the
   * proxy makes its own and listen() binds it.
   */
  server?: Server;
}

/** The data path's node:http server, with the listen block's limits and timeouts and no handlers yet. */
export function createDataServer(listen: ListenConfig): Server {
  // requireHostHeader off: node's own 400 for a missing Host would be counted nowhere; handle() answers it.
  const server = createServer({ maxHeaderSize: listen.maxHeaderBytes, requireHostHeader: false, insecureHTTPParser: false });
  server.keepAliveTimeout = listen.keepAliveTimeoutMs;
  // Node's headersTimeout must stay above keepAliveTimeout, or an idle connection's next request can be cut.
  server.headersTimeout = Math.max(server.headersTimeout, listen.keepAliveTimeoutMs + 1000);
  return server;
}

interface Decision {
  route: RouteConfig | undefined;
  state: RouteState | undefined;
  routeName: string;
  side: Side;
  upstream: Upstream;
  /** A route without a new service, retired: answered by the proxy (410, or deprecated.redirect). */
  gone?: boolean;
}

/** What a fallback needs of the request the new service failed. */
type FallbackCandidate = Pick<ForwardRequest, 'req' | 'body' | 'upstream' | 'requestId'>;

/** A fallback's upgrade to legacy: the client's early bytes were kept from the first attempt. */
const NO_HEAD = Buffer.alloc(0);

/** Stages in which the new service serves and legacy is still there to fall back on. */
const FALLBACK_STAGES = new Set(['canary', 'live']);

/** The data path: a plain node:http server whose request handler is a short list of steps. */
export class ProxyServer {
  private readonly server: Server;
  private readonly table: RouteTable;
  private readonly upstreams: Map<string, Upstream>;
  private readonly legacy: Upstream;
  private readonly websockets: WebSocketForwarder;
  private readonly handedOver = new HandedOverSockets();
  private readonly shadow: ShadowTee | undefined;
  private readonly trustedProxies: TrustedProxies;
  private readonly failures: UpstreamFailureLog;
  /** Deprecation, Sunset and Link headers per deprecated route. */
  private readonly deprecation = new Map<string, string[]>();
  private inFlight = 0;
  private closing = false;
  /** drainTimeoutMs ran out and the proxy closed the connections still open: their ends are its doing. */
  private cutByDrain = false;
  private drained: (() => void) | undefined;
  /** The data path's request and upgrade listeners. */
  readonly handlers = {
    request: (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res),
    upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.upgrade(req, socket, head),
  };

  constructor(private readonly options: ProxyServerOptions) {
    const { config } = options;
    this.table = new RouteTable(config.routes);
    this.upstreams = createUpstreams(config.upstreams);
    this.legacy = this.upstreams.get('legacy')!;
    this.websockets = new WebSocketForwarder(options.logger);
    this.trustedProxies = new TrustedProxies(config.listen.trustedProxies);
    this.failures = new UpstreamFailureLog(options.logger);
    for (const route of config.routes) if (route.deprecated) this.deprecation.set(route.name, deprecationHeaders(route.deprecated));
    if (options.shadow && config.routes.some((r) => r.shadow)) {
      this.shadow = new ShadowTee(this.upstreams, options.shadow.metrics, options.shadow.onExchange);
    }
    this.server = options.server ?? createDataServer(config.listen);
    this.server.on('clientError', (err: Error, socket: Duplex) => {
      const reason = answerClientError(err, socket);
      if (reason) options.metrics.rejected.labels(reason).inc();
    });
    if (!options.server) {
      this.server.on('request', this.handlers.request);
      this.server.on('upgrade', this.handlers.upgrade);
    }
  }

  async listen(): Promise<AddressInfo> {
    const { host, port } = this.options.config.listen;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  get openTunnels(): number {
    return this.websockets.openTunnels;
  }

  get activeRequests(): number {
    return this.inFlight;
  }

  /** Stops accepting, lets in-flight requests finish (up to drainTimeoutMs), then closes. */
  async close(): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      const drained = new Promise<void>((resolve) => (this.drained = resolve));
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.options.config.listen.drainTimeoutMs).unref());
      await Promise.race([drained, timeout]);
    }
    if (this.inFlight > 0 || this.openTunnels > 0) this.cutAtDrainEnd();
    this.server.closeAllConnections();
    // Every upgrade's client socket, pending or tunnelling: a tunnel's upstream side closes with it.
    this.handedOver.destroyAll();
    await stopped;
    await closeUpstreams(this.upstreams);
  }

  /**
   * drainTimeoutMs ran out: what is still open (event streams, long polls, tunnels) is cut by the proxy itself.
   * Logged once here; the requests so cut are counted by the status they had, not as failures of anyone's.
   */
  private cutAtDrainEnd(): void {
    this.cutByDrain = true;
    const { drainTimeoutMs } = this.options.config.listen;
    this.options.logger.info({ requests: this.inFlight, tunnels: this.openTunnels, drainTimeoutMs }, 'drain timed out: cutting the requests and WebSocket tunnels still open');
  }

  /** `upgradeBody`: the body of a request that came as an Upgrade (node's parser no longer reads it into `req`); such requests are not shadowed. */
  private handle(req: IncomingMessage, res: ServerResponse, upgradeBody?: Readable): void {
    const started = performance.now();
    const clientRequestId = req.headers['x-request-id'];
    const requestId = typeof clientRequestId === 'string' && clientRequestId.length > 0 ? clientRequestId : randomUUID();
    const hostProblem = hostHeaderProblem(req);
    if (hostProblem !== undefined) {
      this.options.metrics.rejected.labels('bad-request').inc();
      sendProxyError(res, 400, { error: hostProblem, route: UNMATCHED_ROUTE, target: 'none', requestId }, true);
      return;
    }
    const target = normaliseTarget(req.url ?? '/');
    if (!target) {
      this.options.metrics.rejected.labels('bad-path').inc();
      sendProxyError(res, 400, { error: 'request path is not acceptable', route: UNMATCHED_ROUTE, target: 'none', requestId }, true);
      return;
    }
    useAbsoluteFormHost(req);
    const coding = unsupportedTransferCoding(req.headers['transfer-encoding']);
    if (coding !== undefined) {
      // Node de-chunks the body but cannot undo `gzip` under it: forwarded, the upstream would get bytes it cannot read (RFC 9112 §6.1: 501).
      this.options.metrics.rejected.labels('transfer-coding').inc();
      sendProxyError(res, 501, { error: `transfer coding ${JSON.stringify(coding)} is not supported: send the body chunked or with a Content-Length`, route: UNMATCHED_ROUTE, target: 'none', requestId }, true);
      return;
    }
    const decision = this.decide(req, target.path, target.query);
    const routeMetrics = this.options.metrics.forRoute(decision.routeName, decision.gone ? 'none' : decision.side);
    const responseHeaders = this.deprecation.get(decision.routeName);
    if (decision.gone) return this.answerGone(req, res, decision, target.query, requestId, started, routeMetrics, responseHeaders);
    const path = target.path + target.query;
    const headers = upstreamRequestHeaders(req, decision.upstream, requestId, this.trustedProxies);
    this.inFlight++;
    const request: ForwardRequest = {
      tap: undefined,
      body: upgradeBody,
      req,
      res,
      upstream: decision.upstream,
      headers,
      path,
      route: decision.routeName,
      side: decision.side,
      requestId,
      closing: this.closing,
      sendTimeoutMs: this.options.config.listen.sendTimeoutMs,
      onDone: this.finishedRequest(routeMetrics, started),
      // Always present (maybe undefined): one object shape for every request keeps the forwarder monomorphic.
      responseHeaders,
      fallback: undefined,
    };
    if (upgradeBody || !readsBodyFirst(req)) return this.send(request, decision, routeMetrics, started, undefined);
    readBodyFirst(req, decision.upstream.timeoutMs, {
      read: (body) => this.send(request, decision, routeMetrics, started, body),
      failed: (why) => {
        if (why === 'gone') return request.onDone(CLIENT_CLOSED_REQUEST, 'client-abort', request);
        // The same 408 a stalled streamed upload gets, before any upstream was asked.
        sendBodyStalled(request);
        request.onDone(408, 'client-abort', request);
      },
    });
  }

  /**
   * `body`: the request body read whole first (a small one), or a large chunked one's first part and then
   * the rest; undefined: it streams from the request itself (or there is none). `started`: when the request arrived.
   */
  private send(request: ForwardRequest, decision: Decision, routeMetrics: RouteSideMetrics, started: number, body: Buffer | Readable | undefined): void {
    const shadow =
      this.shadow && decision.route && decision.state && request.body === undefined
        ? this.shadow.maybeStart(request.req, decision.route, decision.state, decision.side, decision.upstream, request.path, request.requestId, request.headers, body)
        : undefined;
    if (shadow) request.tap = shadow.tap;
    request.body = shadow?.body ?? body ?? request.body;
    if (body) request.closing = this.closing;
    if (decision.side === 'new') {
      request.fallback = this.fallbackFor(decision, request, routeMetrics, (legacy, legacyMetrics) =>
        forward({
          ...request,
          upstream: legacy,
          side: 'legacy',
          headers: upstreamRequestHeaders(request.req, legacy, request.requestId, this.trustedProxies),
          fallback: undefined,
          onDone: this.finishedRequest(legacyMetrics, started),
        }),
      );
    }
    forward(request);
    shadow?.legacyDispatched();
  }

  /**
   * A request's end, on the side that answered it: its metrics (its duration from `started`, the request's
   * arrival), and one less in flight for a drain to wait on.
   */
  private finishedRequest(metrics: RouteSideMetrics, started: number): ForwardRequest['onDone'] {
    return (status, error, request, cut) => {
      metrics.observe(status, (performance.now() - started) / 1000);
      // Cut by the proxy's own drain (logged once, by cutAtDrainEnd): a failure of neither the upstream nor the client.
      if (!this.cutByDrain) {
        if (cut) metrics.responseCut(cut, status);
        if (error) this.countFailure(metrics, { route: request.route, target: request.side, upstream: request.upstream.name, requestId: request.requestId, reason: error, status });
      }
      if (--this.inFlight === 0 && this.drained) this.drained();
    };
  }

  /** A request or upgrade that failed: counted on its side, and logged unless the client is the one who left. */
  private countFailure(metrics: RouteSideMetrics, failure: UpstreamFailure): void {
    metrics.upstreamError(failure.reason);
    if (failure.reason !== 'client-abort') this.failures.failed(failure);
  }

  /**
   * Legacy takes over when the new service fails before answering (route.fallback) in canary and live, for
   * requests without a body or with one read whole first (a streamed one went to the new service and is
   * gone), WebSocket upgrades included. `newMetrics`: the new side's. `sendToLegacy`: sends the request
   * again, to legacy, reporting to legacy's metrics; its duration is timed from the request's arrival: the
   * client waited through the new service's failure (its timeout, say) too.
   */
  private fallbackFor(
    decision: Decision,
    failed: FallbackCandidate,
    newMetrics: RouteSideMetrics,
    sendToLegacy: (legacy: Upstream, legacyMetrics: RouteSideMetrics) => void,
  ): Fallback | undefined {
    const { route, state } = decision;
    const settings = route?.fallback;
    if (!route || !settings || !state || !FALLBACK_STAGES.has(state.stage)) return undefined;
    const { req } = failed;
    if (!settings.methods.includes(req.method ?? 'GET') || (requestHasBody(req) && !Buffer.isBuffer(failed.body))) return undefined;
    return {
      on: settings.on,
      retry: (reason) => {
        this.options.metrics.fallbacks.labels(route.name, reason).inc();
        // The client never sees the new service's failure: it must show here, or "new error rate" reads 0 during an outage.
        newMetrics.upstreamError(reason);
        this.failures.failed({ route: route.name, target: 'new', upstream: failed.upstream.name, requestId: failed.requestId, reason }, true);
        sendToLegacy(this.upstreamFor(route.legacy), this.options.metrics.forRoute(route.name, 'legacy'));
      },
    };
  }

  /** A retired route without a new service: 410 (or `deprecated.redirect`), with its deprecation headers and successor. */
  private answerGone(
    req: IncomingMessage,
    res: ServerResponse,
    decision: Decision,
    query: string,
    requestId: string,
    started: number,
    metrics: RouteSideMetrics,
    headers: readonly string[] | undefined,
  ): void {
    const redirect = retiredRedirect(decision.route?.deprecated, query);
    // An unread request body would be taken for the next request: close then. A bodyless request (not yet
    // `complete` here, as its end is parsed after this handler runs) keeps its connection.
    const unreadBody = requestHasBody(req) && !req.complete;
    if (redirect) {
      const out = ['location', redirect.location, 'content-length', '0', 'x-request-id', requestId];
      if (unreadBody) out.push('connection', 'close');
      if (headers) for (const item of headers) out.push(item);
      res.writeHead(redirect.status, out);
      res.end();
    } else {
      const successor = decision.route?.deprecated?.link;
      sendProxyError(
        res,
        410,
        { error: `route ${decision.routeName} is retired`, route: decision.routeName, target: 'none', requestId, ...(successor ? { successor } : {}) },
        unreadBody,
        headers,
      );
    }
    metrics.observe(redirect?.status ?? 410, (performance.now() - started) / 1000);
  }

  /**
   * An Upgrade other than WebSocket (`h2c` from `curl --http2`, TLS upgrades): a server may ignore it
   * (RFC 9110 §7.8), so it is answered as a plain request, on a connection closed afterwards (node's parser
   * has let go of it). A Content-Length body is read from here; a chunked one gets a 501, not a wrong answer.
   */
  private ignoringUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (req.headers['transfer-encoding'] !== undefined) {
      this.options.metrics.rejected.labels('transfer-coding').inc();
      answerAndClose(socket, 'HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const res = responseClosingAfter(req, socket);
    // node's parser has ended `req` already: a Content-Length body is read from the socket here.
    let remaining = Number(req.headers['content-length'] ?? 0);
    if (remaining === 0) {
      watchForLeaving(socket, res);
      this.handle(req, res);
      return;
    }
    const body = new PassThrough();
    // The forwarder listens while it streams the body; a late end of the client must not crash after that.
    body.on('error', () => undefined);
    body.on('drain', () => socket.resume());
    const feed = (chunk: Buffer): void => {
      const part = chunk.subarray(0, remaining);
      remaining -= part.length;
      // Backpressure: an upstream reading slowly must not have the whole body held in memory.
      if (part.length > 0 && !body.write(part)) socket.pause();
      if (remaining > 0) return;
      socket.off('data', feed);
      body.end();
      watchForLeaving(socket, res);
    };
    const cut = (): void => {
      if (remaining <= 0) return;
      remaining = 0;
      socket.off('data', feed);
      // A client that stopped sending mid-body has left: its request is a client abort (the response is gone
      // first), not an upstream failure nor a wait for the upstream.
      res.destroy();
      socket.destroy();
      body.destroy(new Error('the client request body ended early'));
    };
    socket.on('data', feed);
    socket.once('end', cut);
    socket.once('close', cut);
    feed(head);
    this.handle(req, res, body);
  }

  private decide(req: IncomingMessage, path: string, query: string): Decision {
    const route = this.table.match(path, req.method ?? 'GET');
    if (!route || !route.service) {
      const stage = route ? (this.options.state.get(route.name)?.stage ?? route.stage) : undefined;
      return { route, state: undefined, routeName: route?.name ?? UNMATCHED_ROUTE, side: 'legacy', upstream: this.upstreamFor(route?.legacy), gone: stage === 'retired' };
    }
    const state = this.options.state.get(route.name);
    // No state known (flags not loaded yet): legacy, the side that was serving before strangler.
    const side = state ? chooseSide(route, state, req, query, this.options.state, this.trustedProxies) : 'legacy';
    const upstream = side === 'new' ? this.upstreamFor(route.service) : this.upstreamFor(route.legacy);
    return { route, state, routeName: route.name, side, upstream };
  }

  private upstreamFor(name: string | undefined): Upstream {
    return (name && this.upstreams.get(name)) || this.legacy;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.handedOver.track(socket);
    if (!isWebSocketUpgrade(req)) {
      this.ignoringUpgrade(req, socket, head);
      return;
    }
    if (hostHeaderProblem(req) !== undefined) {
      this.options.metrics.rejected.labels('bad-request').inc();
      answerAndClose(socket, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    useAbsoluteFormHost(req);
    const target = normaliseTarget(req.url ?? '/');
    if (!target || this.closing) {
      if (!target) this.options.metrics.rejected.labels('bad-path').inc();
      answerAndClose(socket, `HTTP/1.1 ${target ? '503 Service Unavailable' : '400 Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const started = performance.now();
    const fromClient = req.headers['x-request-id'];
    const requestId = typeof fromClient === 'string' && fromClient !== '' ? fromClient : randomUUID();
    const decision = this.decide(req, target.path, target.query);
    if (decision.gone) {
      // The same answer a plain request gets (410 with its JSON, or the redirect, with the deprecation headers), then the connection closes.
      const res = responseClosingAfter(req, socket);
      const metrics = this.options.metrics.forRoute(decision.routeName, 'none');
      this.answerGone(req, res, decision, target.query, requestId, started, metrics, this.deprecation.get(decision.routeName));
      return;
    }
    const metrics = this.options.metrics.forRoute(decision.routeName, decision.side);
    const request: UpgradeRequest = {
      route: decision.routeName,
      target: decision.side,
      requestId,
      upstream: decision.upstream,
      path: target.path + target.query,
      headers: upgradeRequestHeaders(req, decision.upstream, requestId, this.trustedProxies),
      responseHeaders: this.deprecation.get(decision.routeName),
      fallback: undefined,
      onDone: this.finishedUpgrade(metrics, started),
      onTunnelCut: this.tunnelCut(metrics),
    };
    if (decision.side === 'new') {
      // A handshake is a bodyless GET that nothing has been answered to yet: it falls back as a plain GET does.
      request.fallback = this.fallbackFor(decision, { req, body: undefined, upstream: decision.upstream, requestId }, metrics, (legacy, legacyMetrics) =>
        this.websockets.forward(socket, NO_HEAD, {
          ...request,
          target: 'legacy',
          upstream: legacy,
          headers: upgradeRequestHeaders(req, legacy, requestId, this.trustedProxies),
          fallback: undefined,
          onDone: this.finishedUpgrade(legacyMetrics, started),
          onTunnelCut: this.tunnelCut(legacyMetrics),
        }),
      );
    }
    this.websockets.forward(socket, head, request);
  }

  /** A tunnel its upstream reset, counted as a response cut off on that side, unless this proxy's drain cut it. */
  private tunnelCut(metrics: RouteSideMetrics): () => void {
    return () => {
      if (!this.cutByDrain) metrics.responseCut('reset', 101);
    };
  }

  /** An upgrade's end, on the side that answered it: its metrics (its duration from `started`, its arrival) and any failure logged. */
  private finishedUpgrade(metrics: RouteSideMetrics, started: number): UpgradeDone {
    return (status, error, upgrade, detail) => {
      metrics.observe(status, (performance.now() - started) / 1000);
      if (!error) return;
      const { route, target, upstream, requestId } = upgrade;
      this.countFailure(metrics, { route, target, upstream: upstream.name, requestId, reason: error, status, ...(detail ? { detail } : {}) });
    };
  }
}

/**
 * A request on a handed-over socket, its body read, waiting for its answer: the client is read on (what it
 * sends is dropped) so that its leaving is seen, and the request given up as a client abort, as on the plain path.
 */
function watchForLeaving(socket: Duplex, res: ServerResponse): void {
  const left = (): void => {
    if (res.writableFinished) return;
    res.destroy();
    socket.destroy();
  };
  readAndDrop(socket);
  socket.once('end', left);
}

/** A plain response on a socket node handed over for an upgrade: the connection closes once it is sent. */
function responseClosingAfter(req: IncomingMessage, socket: Duplex): ServerResponse {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
    closeOnceAnswered(socket);
  });
  return res;
}

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** A transfer coding other than chunked (`gzip, chunked`), or undefined. */
function unsupportedTransferCoding(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .find((coding) => coding !== 'chunked' && coding !== '');
}

/** An absolute-form target's authority is the request's Host (RFC 9112 §3.2.2), whatever Host header came with it. */
function useAbsoluteFormHost(req: IncomingMessage): void {
  const authority = absoluteFormAuthority(req.url ?? '/');
  if (authority === undefined) return;
  req.headers.host = authority;
  const raw = req.rawHeaders;
  const at = raw.findIndex((name, i) => i % 2 === 0 && name.toLowerCase() === 'host');
  if (at >= 0) raw[at + 1] = authority;
  else raw.push('Host', authority);
}

/** RFC 3986 host and port characters (reg-name, IP literal, port); no spaces, `/`, `@` or `"`. */
const HOST_VALUE = /^[A-Za-z0-9\-._~!$&'()*+,;=%:[\]]+$/;

/**
 * RFC 9112 §3.2: a request without Host (HTTP/1.1), with more than one, or with one that is not a host[:port]
 * is a 400 (with two, the proxy and the monolith could each take another). Undefined: the Host is fine.
 */
function hostHeaderProblem(req: IncomingMessage): string | undefined {
  const hosts = hostHeaderCount(req.rawHeaders);
  if (hosts === 0) return req.httpVersionMinor >= 1 ? 'request has no Host header' : undefined;
  if (hosts > 1) return 'request has more than one Host header';
  return HOST_VALUE.test(req.headers.host!) ? undefined : 'request Host header is not a host[:port]';
}

function hostHeaderCount(raw: string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}
