import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP relay on loopback in front of a real server. Requests are forwarded as they are, except those
 * `failing` answers for: those get that status, or their connection reset (`'reset'`, what a TCP load
 * balancer or port-forward in front of a dead server does), and nothing reaches the server. Causes the
 * answers a real Unleash gives only when broken (a 503 from its features endpoint, a 404 at a wrong path),
 * which nothing here can make the real server do on demand. `delaying` holds a request back before it is
 * forwarded (a slow server, a wider race), and `losingAnswer` forwards one and then cuts the connection
 * instead of passing the server's answer on (a write applied whose answer never came).
 */
export class HttpFaultRelay {
  /** Returns the status to answer a request for `path` with, `'reset'` to drop its connection, or undefined to forward it. */
  failing: (path: string, method: string) => number | 'reset' | undefined = () => undefined;
  /** Milliseconds to hold a request back before forwarding it. */
  delaying: (path: string, method: string) => number = () => 0;
  /** A promise to hold a request back until (a race a test sets up step by step), or undefined to forward it. */
  holding: (path: string, method: string) => Promise<void> | undefined = () => undefined;
  /** True to forward the request and cut the connection once the server has answered it. */
  losingAnswer: (path: string, method: string) => boolean = () => false;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async inFront(target: string): Promise<HttpFaultRelay> {
    const origin = new URL(target);
    let relay: HttpFaultRelay | undefined;
    const server = createServer((req, res) => {
      const path = req.url ?? '/';
      const method = req.method ?? 'GET';
      const status = relay!.failing(path, method);
      if (status === 'reset') {
        req.socket.destroy();
        return;
      }
      if (status !== undefined) {
        req.resume();
        res.writeHead(status, { 'content-type': 'text/plain' }).end(`relay answers ${status}`);
        return;
      }
      const loseAnswer = relay!.losingAnswer(path, method);
      const forward = (): void => {
        const upstream = request({ host: origin.hostname, port: origin.port, path, method, headers: { ...req.headers, host: origin.host } }, (answer) => {
          if (loseAnswer) {
            answer.resume();
            answer.on('end', () => res.socket?.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      };
      const delay = relay!.delaying(path, method);
      const hold = relay!.holding(path, method);
      if (hold) {
        req.pause();
        void hold.then(forward);
      } else if (delay > 0) {
        req.pause();
        setTimeout(forward, delay);
      } else forward();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    relay = new HttpFaultRelay(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return relay;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
