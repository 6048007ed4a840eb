import { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest, type RequestOptions, STATUS_CODES } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../core/logging';
import { rawProxyError } from './error-response';
import { closeOnceAnswered } from './handed-over-sockets';
import { type Fallback, type FallbackReason, fallbackReasonOf } from './forwarder';
import type { UpstreamErrorReason } from './metrics';
import { clientResponseHeaders } from './response-headers';
import type { Upstream } from './upstreams';

/** How an upgrade ended: 101 (tunnel open), the status of an upstream that refused it, or the proxy's 502/504 (with what failed). */
export type UpgradeDone = (status: number, error: UpstreamErrorReason | undefined, upgrade: UpgradeRequest, detail?: string) => void;

export interface UpgradeRequest {
  route: string;
  target: string;
  requestId: string;
  upstream: Upstream;
  /** The normalised path plus query the upstream gets. */
  path: string;
  /** What upgradeRequestHeaders made for this request and upstream. */
  headers: IncomingHttpHeaders;
  /** Extra headers on every answer, the 101 included (a deprecated route's Deprecation, Sunset, Link). */
  responseHeaders: readonly string[] | undefined;
  /** When the new service fails the handshake this way before answering, the upgrade goes to legacy instead. */
  fallback: Fallback | undefined;
  onDone: UpgradeDone;
  /** The open tunnel's upstream reset its connection: the client's side of it is cut off. */
  onTunnelCut: () => void;
}

/** One attempt at an upgrade: on the chosen upstream, then maybe on legacy (a fallback). */
interface PendingUpgrade extends UpgradeRequest {
  socket: Duplex;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  upstreamRequest: ClientRequest | undefined;
}

/** A client waiting for its upgrade's answer: the bytes it sent past its request (kept for the tunnel), and the attempt under way. */
interface WaitingClient {
  early: Buffer[];
  earlyBytes: number;
  upgrade: PendingUpgrade;
  /** Stops watching the client and puts its early bytes back, for the tunnel to read. */
  release(): void;
  /** Stops watching the client and drops its early bytes: it was answered without a tunnel. */
  forget(): void;
}

/** Bytes a client may send before its 101 (frames in the handshake's packet, say) that are held; past them it is read no further. */
const MAX_EARLY_BYTES = 64 * 1024;

/**
 * WebSocket upgrades, tunnelled to the chosen upstream: with the upstream's TLS settings (CA, client
 * certificate, servername), a 502/504 JSON answer when the upstream cannot be reached or does not answer
 * the handshake in its timeoutMs (or legacy's answer, with a route's fallback), and the outcome reported
 * for metrics. Until an answer is written the client is watched: one leaving gives the upstream request up.
 */
export class WebSocketForwarder {
  private readonly waiting = new WeakMap<Duplex, WaitingClient>();
  private tunnels = 0;

  /** WebSocket tunnels open now. */
  get openTunnels(): number {
    return this.tunnels;
  }

  constructor(private readonly logger: Logger) {}

  /**
   * `head`: what the client sent past its request; taken on the first attempt only (a fallback's finds it kept).
   * `socket` is tracked by the caller (HandedOverSockets), which also handles its errors and destroys it on
   * stopping: a tunnel's upstream side closes with it.
   */
  forward(socket: Duplex, head: Buffer, request: UpgradeRequest): void {
    const upgrade: PendingUpgrade = { ...request, socket, settled: false, timer: undefined, upstreamRequest: undefined };
    const client = this.waiting.get(socket);
    if (client) client.upgrade = upgrade;
    else this.watch(socket, head, upgrade);
    const { upstream } = request;
    upgrade.timer = setTimeout(() => this.fail(upgrade, 504, 'timeout', `upstream ${upstream.name} did not answer the upgrade within ${upstream.timeoutMs} ms`), upstream.timeoutMs);
    upgrade.timer.unref();
    const upstreamRequest = (upstream.origin.startsWith('https:') ? httpsRequest : httpRequest)(requestOptions(upgrade));
    upgrade.upstreamRequest = upstreamRequest;
    upstreamRequest.on('error', (err: Error) => this.failedBeforeAnswer(upgrade, err));
    upstreamRequest.on('response', (res: IncomingMessage) => this.refused(upgrade, res));
    upstreamRequest.on('upgrade', (res: IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer) => this.open(upgrade, res, upstreamSocket, upstreamHead));
    upstreamRequest.end();
  }

  /**
   * Reads the client while it waits, so that its leaving is seen: node hands the socket over half-open, and a
   * client's FIN (a tab closed) would otherwise surface only as the upstream's timeout.
   */
  private watch(socket: Duplex, head: Buffer, upgrade: PendingUpgrade): void {
    const client: WaitingClient = { early: head.length > 0 ? [head] : [], earlyBytes: head.length, upgrade, release: () => undefined, forget: () => undefined };
    this.waiting.set(socket, client);
    const keep = (chunk: Buffer): void => {
      client.early.push(chunk);
      client.earlyBytes += chunk.length;
      if (client.earlyBytes >= MAX_EARLY_BYTES) socket.pause();
    };
    const left = (): void => this.clientLeft(client.upgrade);
    client.forget = () => {
      socket.off('data', keep);
      socket.off('end', left);
      client.early = [];
      client.earlyBytes = 0;
      this.waiting.delete(socket);
    };
    client.release = () => {
      const early = client.early;
      client.forget();
      socket.pause();
      if (early.length > 0) socket.unshift(Buffer.concat(early));
    };
    socket.on('data', keep);
    socket.once('end', left);
    socket.once('close', left);
  }

  /** The client left before any answer: counted as the plain path counts it, and the upstream request given up at once. */
  private clientLeft(upgrade: PendingUpgrade): void {
    if (upgrade.settled) return;
    this.settle(upgrade, 499, 'client-abort');
    upgrade.upstreamRequest?.destroy();
    upgrade.socket.destroy();
  }

  private failedBeforeAnswer(upgrade: PendingUpgrade, err: Error): void {
    if (upgrade.settled) return;
    const code = (err as NodeJS.ErrnoException).code;
    // An answer node's parser refuses (HPE_*) came from an upstream that accepted the connection: not a connect error, no fallback.
    const answered = code?.startsWith('HPE_') === true || (code === 'ECONNRESET' && upgrade.upstreamRequest?.socket?.connecting === false);
    this.fail(upgrade, 502, answered ? 'reset' : 'connect-error', describeFailure(upgrade.upstream, err));
  }

  /** An answer other than 101: passed on (with the request id and the route's headers) unless it is invalid or falls back. */
  private refused(upgrade: PendingUpgrade, res: IncomingMessage): void {
    const status = res.statusCode ?? 0;
    if (upgrade.settled) return void res.destroy();
    if (status < 100 || status > 599) {
      // RFC 9110 §15: not a status code. Passed on, each would also become a metric label value of its own.
      res.destroy();
      return this.fail(upgrade, 502, 'reset', `upstream ${upgrade.upstream.name} answered with a status outside 100-599`, true);
    }
    if (status < 200) {
      // A 101 node's parser did not take for a switch (no Upgrade/Connection): passed on, it would open no tunnel.
      res.destroy();
      return this.fail(upgrade, 502, 'reset', `upstream ${upgrade.upstream.name} answered ${status} without switching protocols`);
    }
    if (status >= 500 && this.fallsBackOn(upgrade, '5xx')) {
      res.destroy();
      return this.fallBack(upgrade, '5xx');
    }
    this.settle(upgrade, status);
    const { socket, requestId, responseHeaders } = upgrade;
    // The body is de-chunked here and the connection closes after it: that frames it, whatever the upstream's framing.
    const headers = clientResponseHeaders(res.rawHeaders, requestId, true, status);
    if (responseHeaders) headers.push(...responseHeaders);
    this.answeredWithoutTunnel(socket);
    socket.write(responseHead(`HTTP/1.1 ${status} ${reasonPhrase(status, res.statusMessage)}`, headers), 'latin1');
    res.pipe(socket);
    // An upstream dying mid-body: the client must not take what came for the whole answer.
    res.once('close', () => {
      if (!res.complete) socket.destroy();
    });
    socket.once('close', () => res.destroy());
  }

  private open(upgrade: PendingUpgrade, res: IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer): void {
    const { socket } = upgrade;
    // The client left while the upstream was answering: nothing to tunnel to.
    if (upgrade.settled || socket.destroyed) return void upstreamSocket.destroy();
    this.settle(upgrade, 101);
    this.waiting.get(socket)?.release();
    // The upstream's hop-by-hop headers stop here, as on a refusal; the 101's own Upgrade and Connection are the proxy's to send.
    const headers = clientResponseHeaders(res.rawHeaders, upgrade.requestId, false, 101);
    headers.push('Upgrade', upgradeProtocol(res), 'Connection', 'Upgrade');
    if (upgrade.responseHeaders) headers.push(...upgrade.responseHeaders);
    keepAlive(socket as Socket);
    keepAlive(upstreamSocket);
    socket.write(responseHead('HTTP/1.1 101 Switching Protocols', headers), 'latin1');
    if (upstreamHead.length > 0) upstreamSocket.unshift(upstreamHead);
    this.tunnels++;
    upstreamSocket.on('error', (err: Error) => {
      // An upstream closing is how tunnels end; one resetting cuts its client off (no close frame can follow).
      this.logger.debug({ route: upgrade.route, upstream: upgrade.upstream.name, err: err.message }, 'websocket tunnel closed by an error');
      if (!socket.destroyed) upgrade.onTunnelCut();
      upstreamSocket.destroy();
    });
    upstreamSocket.once('close', () => {
      this.tunnels--;
      socket.destroy();
    });
    socket.once('close', () => upstreamSocket.destroy());
    upstreamSocket.pipe(socket).pipe(upstreamSocket);
  }

  private fallsBackOn(upgrade: PendingUpgrade, reason: FallbackReason): boolean {
    return upgrade.fallback !== undefined && upgrade.fallback.on.includes(reason) && !upgrade.socket.destroyed;
  }

  /** Nothing reached the client yet: this attempt ends quietly and legacy is asked for the upgrade instead. */
  private fallBack(upgrade: PendingUpgrade, reason: FallbackReason): void {
    upgrade.settled = true;
    if (upgrade.timer) clearTimeout(upgrade.timer);
    upgrade.upstreamRequest?.destroy();
    upgrade.fallback!.retry(reason);
  }

  private settle(upgrade: PendingUpgrade, status: number, error?: UpstreamErrorReason, detail?: string): void {
    if (upgrade.settled) return;
    upgrade.settled = true;
    if (upgrade.timer) clearTimeout(upgrade.timer);
    upgrade.onDone(status, error, upgrade, detail);
  }

  /**
   * Answers the client itself and gives up the upstream request, or falls back to legacy. `invalidStatus`: the
   * upstream answered with a status outside 100-599 (it falls back as a 5xx).
   */
  private fail(upgrade: PendingUpgrade, status: 502 | 504, reason: UpstreamErrorReason, message: string, invalidStatus = false): void {
    if (upgrade.settled) return;
    const fallbackReason = fallbackReasonOf(reason, invalidStatus);
    if (fallbackReason && this.fallsBackOn(upgrade, fallbackReason)) return this.fallBack(upgrade, fallbackReason);
    // Logged by the caller, with plain requests' failures (one line per route, side and reason per interval).
    this.settle(upgrade, status, reason, message);
    const { socket, route, target, upstream, requestId, responseHeaders } = upgrade;
    this.answeredWithoutTunnel(socket);
    if (socket.writable) socket.end(rawProxyError(status, { error: message, route, target, upstream: upstream.name, requestId }, responseHeaders));
    else socket.destroy();
    upgrade.upstreamRequest?.destroy();
  }

  /** The client gets an answer and no tunnel: its early bytes are dropped, and the connection closes once the answer is out. */
  private answeredWithoutTunnel(socket: Duplex): void {
    this.waiting.get(socket)?.forget();
    closeOnceAnswered(socket);
  }
}

function requestOptions(upgrade: PendingUpgrade): RequestOptions {
  const url = new URL(upgrade.upstream.origin);
  return {
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    method: 'GET',
    path: upgrade.path,
    headers: upgrade.headers,
    // A connection of its own: it becomes the tunnel.
    agent: false,
    ...upgrade.upstream.tls,
  };
}

/** A status line and a flat header list as a response head: to be written as latin1, as node writes header strings (they were read as latin1). */
function responseHead(statusLine: string, headers: readonly string[]): string {
  let out = `${statusLine}\r\n`;
  for (let i = 0; i < headers.length; i += 2) out += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${out}\r\n`;
}

/** The upstream's reason phrase, or the standard one when it has characters a status line may not carry (node's writer refuses them too). */
function reasonPhrase(status: number, fromUpstream: string | undefined): string {
  if (fromUpstream && !/[^\t\x20-\x7e\x80-\xff]/.test(fromUpstream)) return fromUpstream;
  return STATUS_CODES[status] ?? '';
}

/** The protocol a 101 switches to, as the upstream named it. */
function upgradeProtocol(res: IncomingMessage): string {
  const named = res.headers.upgrade;
  return typeof named === 'string' && named !== '' ? named : 'websocket';
}

/** A tunnel may idle for hours: no socket timeout, no Nagle delay on small frames, TCP keep-alive on. */
function keepAlive(socket: Socket): void {
  socket.setTimeout(0);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 0);
}

function describeFailure(upstream: Upstream, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN') {
    return `upstream ${upstream.name} refused the connection`;
  }
  if (code?.startsWith('HPE_')) return `upstream ${upstream.name} answered the upgrade with an invalid response (${code})`;
  if (upstream.origin.startsWith('https:') && code !== 'ECONNRESET') return `upstream ${upstream.name} failed the TLS handshake (${code ?? err.message})`;
  return `upstream ${upstream.name} closed the connection without answering the upgrade (${code ?? err.message})`;
}
