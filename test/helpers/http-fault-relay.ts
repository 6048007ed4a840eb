import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP relay on loopback in front of a real server. Requests are forwarded as they are, except those
 * `failing` answers for: those get that status and nothing reaches the server. Causes the answers a real
 * Unleash gives only when broken (a 503 from its features endpoint, a 404 at a wrong path), which nothing
 * here can make the real server do on demand.
 */
export class HttpFaultRelay {
  /** Returns the status to answer a request for `path` with, or undefined to forward it. */
  failing: (path: string) => number | undefined = () => undefined;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async inFront(target: string): Promise<HttpFaultRelay> {
    const origin = new URL(target);
    let relay: HttpFaultRelay | undefined;
    const server = createServer((req, res) => {
      const status = relay!.failing(req.url ?? '/');
      if (status !== undefined) {
        req.resume();
        res.writeHead(status, { 'content-type': 'text/plain' }).end(`relay answers ${status}`);
        return;
      }
      const upstream = request({ host: origin.hostname, port: origin.port, path: req.url, method: req.method, headers: { ...req.headers, host: origin.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
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
