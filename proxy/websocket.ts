import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type HttpProxy from 'http-proxy';
import type { Logger } from '../core/logging';
import { rawProxyError } from './error-response';
import type { UpstreamErrorReason } from './metrics';
import type { Upstream } from './upstreams';

/** How an upgrade ended: 101 (tunnel open), the status of an upstream that refused it, or the proxy's 502/504 (with what failed). */
export type UpgradeDone = (status: number, error?: UpstreamErrorReason, detail?: string) => void;

export interface UpgradeRequest {
  route: string;
  target: string;
  requestId: string;
  upstream: Upstream;
  onDone: UpgradeDone;
}

/** One upgrade under way, found again from the client socket in http-proxy's events. */
interface PendingUpgrade extends UpgradeRequest {
  settled: boolean;
  /** Settled by the proxy's own 502/504: http-proxy's error for the request it then gives up is expected. */
  failedHere: boolean;
  timer: NodeJS.Timeout | undefined;
  upstreamRequest: ClientRequest | undefined;
}

/**
 * WebSocket (and other Upgrade) requests, tunnelled with http-proxy to the chosen upstream: with the
 * upstream's TLS settings (CA, client certificate, servername), a 502/504 JSON answer when the upstream
 * cannot be reached or does not answer the handshake in its timeoutMs, and the outcome reported for metrics.
 */
export class WebSocketForwarder {
  private proxyServer: HttpProxy | undefined;
  private readonly sockets = new Set<Duplex>();
  private readonly pending = new WeakMap<Duplex, PendingUpgrade>();
  private tunnels = 0;

  /** WebSocket (and other Upgrade) tunnels open now. */
  get openTunnels(): number {
    return this.tunnels;
  }

  constructor(private readonly logger: Logger) {}

  /** http-proxy is loaded on the first upgrade: most deployments never see one. */
  private get proxy(): HttpProxy {
    return (this.proxyServer ??= this.createProxy());
  }

  private createProxy(): HttpProxy {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const httpProxy = require('http-proxy') as typeof HttpProxy;
    // No xfwd: the forwarded headers are the ones plain requests get (upgradeRequestHeaders), not http-proxy's ws/wss ones.
    const proxy = httpProxy.createProxyServer({ ws: true });
    proxy.on('proxyReqWs', (proxyReq: ClientRequest, _req: IncomingMessage, clientSocket: Socket) => {
      const upgrade = this.pending.get(clientSocket);
      if (upgrade) upgrade.upstreamRequest = proxyReq;
      // Registered before http-proxy's own listeners, which write the answer from these headers.
      proxyReq.on('response', (res: IncomingMessage) => {
        // A refused handshake: http-proxy pipes its body de-chunked, so the framing it came with would lie.
        delete res.headers['transfer-encoding'];
        res.headers.connection = 'close';
        if (upgrade) this.settle(upgrade, res.statusCode ?? 502);
      });
      proxyReq.on('upgrade', (res: IncomingMessage, upstreamSocket: Socket) => {
        // The client left while the upstream was answering: nothing to tunnel to.
        if (clientSocket.destroyed) {
          upstreamSocket.destroy();
          return;
        }
        if (res.headers['x-request-id'] === undefined && upgrade) res.headers['x-request-id'] = upgrade.requestId;
        if (upgrade) this.settle(upgrade, 101);
        // http-proxy pipes the two sockets but does not tear one down when the other is destroyed.
        this.sockets.add(upstreamSocket);
        this.tunnels++;
        upstreamSocket.once('close', () => {
          this.tunnels--;
          this.sockets.delete(upstreamSocket);
          clientSocket.destroy();
        });
        clientSocket.once('close', () => upstreamSocket.destroy());
      });
    });
    return proxy;
  }

  forward(req: IncomingMessage, socket: Duplex, head: Buffer, request: UpgradeRequest): void {
    const upgrade: PendingUpgrade = { ...request, settled: false, failedHere: false, timer: undefined, upstreamRequest: undefined };
    this.pending.set(socket, upgrade);
    this.sockets.add(socket);
    // http-proxy listens for errors on the client socket only once the tunnel is open: before, a reset would crash the process.
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      this.sockets.delete(socket);
      // The client left before any answer: counted as the plain path counts it, and the upstream request given up.
      if (!upgrade.settled) {
        this.settle(upgrade, 499, 'client-abort');
        upgrade.upstreamRequest?.destroy();
      }
    });
    upgrade.timer = setTimeout(() => this.fail(upgrade, socket, 504, 'timeout', `upstream ${request.upstream.name} did not answer the upgrade within ${request.upstream.timeoutMs} ms`), request.upstream.timeoutMs);
    upgrade.timer.unref();
    const { upstream } = request;
    const options: HttpProxy.ServerOptions = { target: upstream.origin, changeOrigin: false };
    // http-proxy builds each upstream request on this object: a fresh copy every time.
    if (upstream.tls) options.ssl = { ...upstream.tls };
    this.proxy.ws(req, socket, head, options, (err: Error) => {
      if (upgrade.settled) {
        // After the tunnel opened, an upstream going away is how tunnels end; after a 502/504 here, expected.
        if (!upgrade.failedHere) this.logger.debug({ route: request.route, upstream: upstream.name, err: err.message }, 'websocket tunnel closed by an error');
        return;
      }
      const reason = (err as NodeJS.ErrnoException).code === 'ECONNRESET' && upgrade.upstreamRequest?.socket?.connecting === false ? 'reset' : 'connect-error';
      this.fail(upgrade, socket, 502, reason, describeFailure(upstream, err));
    });
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.proxyServer?.close();
  }

  private settle(upgrade: PendingUpgrade, status: number, error?: UpstreamErrorReason, detail?: string): void {
    if (upgrade.settled) return;
    upgrade.settled = true;
    if (upgrade.timer) clearTimeout(upgrade.timer);
    upgrade.onDone(status, error, detail);
  }

  /** Answers the client itself (http-proxy ends the socket after its error callback) and gives up the upstream request. */
  private fail(upgrade: PendingUpgrade, socket: Duplex, status: 502 | 504, reason: UpstreamErrorReason, message: string): void {
    if (upgrade.settled) return;
    upgrade.failedHere = true;
    // Logged by the caller, with plain requests' failures (one line per route, side and reason per interval).
    this.settle(upgrade, status, reason, message);
    if (socket.writable) socket.end(rawProxyError(status, { error: message, route: upgrade.route, target: upgrade.target, upstream: upgrade.upstream.name, requestId: upgrade.requestId }));
    upgrade.upstreamRequest?.destroy();
  }
}

function describeFailure(upstream: Upstream, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN') {
    return `upstream ${upstream.name} refused the connection`;
  }
  if (upstream.origin.startsWith('https:') && code !== 'ECONNRESET') return `upstream ${upstream.name} failed the TLS handshake (${code ?? err.message})`;
  return `upstream ${upstream.name} closed the connection without answering the upgrade (${code ?? err.message})`;
}
