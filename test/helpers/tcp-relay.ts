import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on loopback in front of a real server: `cut()` drops every connection and refuses new
 * ones, `restore()` accepts again on the same port; `freeze()` keeps every connection open but moves no
 * byte (a network partition, a frozen host) until `thaw()`; `cutAfterClientSends(text)` forwards the
 * next client bytes holding `text`, then drops that connection once the server has had time to act on
 * them (its answer is lost). Lets a test take a dependency away without stopping the shared server other
 * test files use.
 */
export class TcpRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  private readonly held: Array<() => void> = [];
  private cutAfter: { text: string; delayMs: number; done: () => void } | undefined;
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
      const connection = { answersLost: false };
      this.forward(client, upstream, connection, true);
      this.forward(upstream, client, connection, false);
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

  private forward(from: Socket, to: Socket, connection: { answersLost: boolean }, fromClient: boolean): void {
    from.on('data', (chunk: Buffer) => {
      const send = (): void => {
        if (to.destroyed || (!fromClient && connection.answersLost)) return;
        to.write(chunk);
        const cutAfter = this.cutAfter;
        if (fromClient && cutAfter && chunk.includes(cutAfter.text)) {
          this.cutAfter = undefined;
          connection.answersLost = true;
          setTimeout(() => {
            from.destroy();
            to.destroy();
            cutAfter.done();
          }, cutAfter.delayMs);
        }
      };
      if (this.frozen) this.held.push(send);
      else send();
    });
  }

  /** Moves no byte either way, connections kept open and new ones accepted (and as silent), until thaw(). */
  freeze(): void {
    this.frozen = true;
  }

  /** Delivers what was held and moves bytes again. */
  thaw(): void {
    this.frozen = false;
    for (const send of this.held.splice(0)) send();
  }

  /**
   * The next client bytes holding `text` are forwarded, the server's answers on that connection are no longer
   * passed on, and the connection is dropped `delayMs` later. Resolves once it was dropped.
   */
  cutAfterClientSends(text: string, delayMs = 100): Promise<void> {
    return new Promise((resolve) => {
      this.cutAfter = { text, delayMs, done: resolve };
    });
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
