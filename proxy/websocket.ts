import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Logger } from '../core/logging';
import type { Upstream } from './upstreams';

/** WebSocket (and other Upgrade) requests, tunnelled with http-proxy to the chosen upstream. */
export class WebSocketForwarder {
  private readonly proxy: httpProxy;
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly logger: Logger) {
    this.proxy = httpProxy.createProxyServer({ ws: true, xfwd: true });
    // Without this listener http-proxy crashes the process on any upstream error.
    this.proxy.on('error', (err, _req, target) => {
      this.logger.warn({ err: err.message }, 'websocket upstream error');
      if (target && 'destroy' in target) (target as Duplex).destroy();
    });
    // http-proxy pipes the two sockets but does not tear one down when the other is destroyed.
    this.proxy.on('proxyReqWs', (proxyReq, _req, clientSocket: Socket) => {
      proxyReq.on('upgrade', (_res: IncomingMessage, upstreamSocket: Socket) => {
        this.sockets.add(upstreamSocket);
        upstreamSocket.once('close', () => {
          this.sockets.delete(upstreamSocket);
          clientSocket.destroy();
        });
        clientSocket.once('close', () => upstreamSocket.destroy());
      });
    });
  }

  forward(req: IncomingMessage, socket: Duplex, head: Buffer, upstream: Upstream): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.proxy.ws(req, socket, head, { target: upstream.origin, changeOrigin: !upstream.preserveHost });
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.proxy.close();
  }
}
