import { connect, createServer, type Server, type Socket } from 'node:net';

/** PostgreSQL's ReadyForQuery message ('Z', length 5, status): the server is done with what it was sent. */
function endsWithReadyForQuery(data: Buffer): boolean {
  return data.length >= 6 && data[data.length - 6] === 0x5a && data.readInt32BE(data.length - 5) === 5;
}

/**
 * Copies `from` to `to`, passing each chunk to `onChunk` first; a chunk it returns false for is not copied.
 * While `frozen()` says so, chunks are held (in order) until `thaw` delivers them.
 */
function forward(from: Socket, to: Socket, onChunk: (chunk: Buffer) => boolean, held: { frozen(): boolean; hold(send: () => void): void }): void {
  const send = (chunk: Buffer): void => {
    if (to.destroyed || !onChunk(chunk) || to.write(chunk)) return;
    from.pause();
    to.once('drain', () => from.resume());
  };
  from.on('data', (chunk: Buffer) => {
    if (held.frozen()) held.hold(() => send(chunk));
    else send(chunk);
  });
}

/** An answer held in transit by holdReplyTo. */
export interface CaughtReply {
  release(): void;
}

/**
 * A TCP relay on loopback in front of a real server: `cut()` drops every connection and refuses new
 * ones, `restore()` accepts again on the same port; `freeze()` keeps every connection open but moves no
 * byte (a network partition, a frozen host) until `thaw()`. Lets a test take a dependency away without
 * stopping the shared server other test files use. `loseReplyTo()` loses one answer of a PostgreSQL
 * server in transit: the server did the work, the client sees its connection die; `holdReplyTo()` delays one.
 */
export class TcpRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** The next message containing `text`: its answer is lost (the connection cut) or held (delivered on release). */
  private replyToCatch: { text: string; caught: (reply: CaughtReply) => void; lose: boolean } | undefined;
  private frozen = false;
  private readonly held: Array<() => void> = [];
  private readonly freezer = { frozen: () => this.frozen, hold: (send: () => void) => void this.held.push(send) };
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
      let catching: { data: Buffer; caught: (reply: CaughtReply) => void; lose: boolean } | undefined;
      forward(client, upstream, (chunk) => {
        const toCatch = this.replyToCatch;
        if (toCatch && chunk.includes(toCatch.text)) {
          this.replyToCatch = undefined;
          catching = { data: Buffer.alloc(0), caught: toCatch.caught, lose: toCatch.lose };
        }
        return true;
      }, this.freezer);
      forward(upstream, client, (chunk) => {
        if (!catching) return true;
        catching.data = Buffer.concat([catching.data, chunk]);
        if (!endsWithReadyForQuery(catching.data)) return false;
        const { data, caught, lose } = catching;
        catching = undefined;
        if (lose) {
          client.destroy();
          upstream.destroy();
        }
        caught({ release: () => void (client.destroyed || client.write(data)) });
        return false;
      }, this.freezer);
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

  /**
   * The next message a client sends containing `text` reaches the server, but the server's answer does not
   * reach the client: once the server is done with it (committed or rolled back), that connection is cut.
   * Resolves when an answer was lost.
   */
  loseReplyTo(text: string): Promise<void> {
    return new Promise((lost) => (this.replyToCatch = { text, caught: () => lost(), lose: true }));
  }

  /**
   * The next message a client sends containing `text` reaches the server, and the server's whole answer is held
   * in transit: resolves once it is held (the server did the work), and `release()` delivers it.
   */
  holdReplyTo(text: string): Promise<CaughtReply> {
    return new Promise((caught) => (this.replyToCatch = { text, caught, lose: false }));
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
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

  /** Accepts again on the same port; a relay that is not cut stays as it is. */
  restore(): Promise<void> {
    return this.server ? Promise.resolve() : this.start(this.port);
  }

  close(): Promise<void> {
    return this.cut();
  }
}
