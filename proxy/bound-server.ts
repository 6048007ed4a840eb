import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ServerHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface BoundServerOptions {
  /** Hold Upgrade requests too (a server without an `upgrade` listener answers them as plain requests). */
  upgrades: boolean;
  /** Answers a request before the handlers exist (the probes); false: the request waits for them. */
  answerEarly?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

type Held = { req: IncomingMessage; res: ServerResponse } | { req: IncomingMessage; socket: Duplex; head: Buffer };

const ignore = (): void => undefined;

/**
 * An HTTP server that takes its port before what answers on it exists: a port that cannot be had is known
 * before the state store is opened (created, migrated, seeded). Requests arriving meanwhile wait unanswered
 * (unless `answerEarly` answers them) and go to the handlers, in arrival order, once `serve` is called.
 */
export class BoundServer {
  private held: Held[] = [];
  private readonly holdRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (!this.options.answerEarly?.(req, res)) this.held.push({ req, res });
  };
  private readonly holdUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node has handed the socket over: a client leaving while it waits must not be an unhandled error.
    socket.on('error', ignore);
    this.held.push({ req, socket, head });
  };

  constructor(
    readonly server: Server,
    private readonly options: BoundServerOptions,
  ) {
    server.on('request', this.holdRequest);
    if (options.upgrades) server.on('upgrade', this.holdUpgrade);
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** From now on requests go to `handlers`; those that waited go first, but for clients that have left. */
  serve(handlers: ServerHandlers): void {
    this.server.off('request', this.holdRequest);
    this.server.on('request', handlers.request);
    if (this.options.upgrades) {
      this.server.off('upgrade', this.holdUpgrade);
      if (handlers.upgrade) this.server.on('upgrade', handlers.upgrade);
    }
    const held = this.held;
    this.held = [];
    for (const waiting of held) {
      if ('res' in waiting) {
        if (!waiting.req.socket.destroyed) handlers.request(waiting.req, waiting.res);
        continue;
      }
      waiting.socket.off('error', ignore);
      if (waiting.socket.destroyed) continue;
      if (handlers.upgrade) handlers.upgrade(waiting.req, waiting.socket, waiting.head);
      else waiting.socket.destroy();
    }
  }

  /** Stops listening and closes idle connections; resolves once the requests being answered are done. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await closed;
  }

  /**
   * A start that will not finish: stops listening, and the requests that waited (and any arriving meanwhile on
   * connections already open) get `answer`, which closes their connections. Resolves once those connections
   * have closed; what is left then (a client that has not finished sending a request) is cut.
   */
  async refuse(answer: ServerHandlers): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const answered: Promise<void>[] = [];
    this.serve({
      request: (req, res) => {
        answered.push(closedSocket(req.socket));
        answer.request(req, res);
      },
      upgrade: (req, socket, head) => {
        answered.push(closedSocket(socket));
        if (answer.upgrade) answer.upgrade(req, socket, head);
        else socket.destroy();
      },
    });
    this.server.closeIdleConnections();
    // Requests answered while waiting add to the list: wait until no new one came.
    for (let waited = 0; waited < answered.length; ) {
      const count = answered.length;
      await Promise.all(answered.slice(waited));
      waited = count;
    }
    this.server.closeAllConnections();
    await closed;
  }

  /** A start that failed before anything could be answered: stops listening and cuts every connection, those waiting included. */
  async abandon(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const waiting of this.held) if (!('res' in waiting)) waiting.socket.destroy();
    this.held = [];
    await closed;
  }
}

/** Resolves once `socket` has closed (at once when it has). */
function closedSocket(socket: Duplex): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}
