import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type HttpProxy from 'http-proxy';
import type { Logger } from '../core/logging';
import type { Upstream } from './upstreams';

/** WebSocket (and other Upgrade) requests, tunnelled with http-proxy to the chosen upstream. */
export class WebSocketForwarder {
  private proxyServer: HttpProxy | undefined;
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly logger: Logger) {}

  /** http-proxy is loaded on the first upgrade: most deployments never see one. */
  private get proxy(): HttpProxy {
    return (this.proxyServer ??= this.createProxy());
  }

  private createProxy(): HttpProxy {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const httpProxy = require('http-proxy') as typeof HttpProxy;
    const proxy = httpProxy.createProxyServer({ ws: true, xfwd: true });
    // Without this listener http-proxy crashes the process on any upstream error.
    proxy.on('error', (err, _req, target) => {
      this.logger.warn({ err: err.message }, 'websocket upstream error');
      if (target && 'destroy' in target) (target as Duplex).destroy();
    });
    // http-proxy pipes the two sockets but does not tear one down when the other is destroyed.
    proxy.on('proxyReqWs', (proxyReq, req: IncomingMessage, clientSocket: Socket) => {
      // Registered before http-proxy's own listener, which writes the 101 head from these headers.
      proxyReq.on('upgrade', (res: IncomingMessage, upstreamSocket: Socket) => {
        if (res.headers['x-request-id'] === undefined) res.headers['x-request-id'] = req.headers['x-request-id'];
        this.sockets.add(upstreamSocket);
        upstreamSocket.once('close', () => {
          this.sockets.delete(upstreamSocket);
          clientSocket.destroy();
        });
        clientSocket.once('close', () => upstreamSocket.destroy());
      });
    });
    return proxy;
  }

  forward(req: IncomingMessage, socket: Duplex, head: Buffer, upstream: Upstream): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.proxy.ws(req, socket, head, { target: upstream.origin, changeOrigin: !upstream.preserveHost });
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.proxyServer?.close();
  }
}
