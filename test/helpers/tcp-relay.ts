import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on loopback in front of a real server: `cut()` drops every connection and refuses new
 * ones, `restore()` accepts again on the same port. Lets a test take a dependency away without
 * stopping the shared server other test files use.
 */
export class TcpRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A started relay in front of the server a URL names, and the same URL pointing through it. */
  static async inFront(url: string): Promise<{ relay: TcpRelay; url: string }> {
    const target = new URL(url);
    const relay = new TcpRelay(target.hostname, Number(target.port));
    await relay.start();
    target.port = String(relay.port);
    return { relay, url: target.toString().replace(/\/$/, url.endsWith('/') ? '/' : '') };
  }

  async start(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts again on the same port; a relay that is not cut stays as it is. */
  restore(): Promise<void> {
    return this.server ? Promise.resolve() : this.start(this.port);
  }

  close(): Promise<void> {
    return this.cut();
  }
}
