import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type SecureContext } from 'node:tls';
import { isIP } from 'node:net';
import { UpstreamConnection, type ConnectionOwner } from './connection';
import { Exchange, type ExchangeQueue } from './exchange';
import { UpstreamError, type ExchangeHandler, type ExchangeOptions } from './types';

export interface UpstreamPoolOptions {
  /** Most connections open at once; further exchanges wait in order. */
  connections: number;
  connectTimeoutMs: number;
  /** How long an idle connection is kept open. */
  idleTimeoutMs: number;
  /** https only: trusted CAs and client certificate (default: Node's CA list, no client certificate). */
  secureContext?: SecureContext;
  /** https only: the name sent as SNI and verified in the certificate (default: the origin's host name). */
  servername?: string;
  /**
   * Most requests sent on one connection before their answers (HTTP/1.1 pipelining, RFC 9112 §9.3.2); 1 (the
   * default): one at a time. Only replayable requests (GET, HEAD, OPTIONS with no streamed body) are pipelined.
   */
  pipelining?: number;
}

/**
 * HTTP/1.1 keep-alive connections to one origin (http or https), one exchange per connection at a
 * time, on Node's native HTTP parser. Idle connections are reused most-recent first, so a quiet period
 * lets the others time out.
 */
export class UpstreamPool implements ConnectionOwner, ExchangeQueue {
  readonly describe: string;
  private readonly idle: UpstreamConnection[] = [];
  private readonly waiting: Exchange[] = [];
  /** When each waiting exchange was queued: it waits for a connection at most its own timeoutMs. */
  private readonly queuedAt = new WeakMap<Exchange, number>();
  private readonly open = new Set<UpstreamConnection>();
  private readonly host: string;
  private readonly port: number;
  private readonly tls: boolean;
  /** SNI and certificate name; none for an IP address (SNI carries host names only). */
  private readonly servername: string | undefined;
  /**
   * The newest TLS session ticket from this upstream: a new connection offers it to resume the session
   * (one round trip and no certificate exchange or verification, instead of a full handshake).
   */
  private tlsSession: Buffer | undefined;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private sweepMs: number;
  private readonly pipelining: number;
  /**
   * The connection this turn of the event loop pipelines onto. Its first request goes out at once (beside the
   * request that caused it, so both ride the same wakeups: at low rates a turn has one copy, and a deferred
   * write cost a wakeup of its own); the rest of the turn's are held (corked) and go out in one write once the
   * turn's I/O callbacks are done, so a burst of copies costs two sends, not one each.
   */
  private filling: UpstreamConnection | undefined;
  private fillingCorked = false;
  private readonly flushFilling = (): void => {
    const connection = this.filling;
    const corked = this.fillingCorked;
    this.filling = undefined;
    this.fillingCorked = false;
    if (corked) connection?.flush();
  };

  constructor(
    origin: string,
    private readonly options: UpstreamPoolOptions,
  ) {
    const url = new URL(origin);
    this.tls = url.protocol === 'https:';
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(url.port) || (this.tls ? 443 : 80);
    this.servername = options.servername ?? (isIP(this.host) ? undefined : this.host);
    this.describe = `upstream ${url.host}`;
    this.sweepMs = sweepInterval(Math.min(options.connectTimeoutMs, options.idleTimeoutMs));
    this.pipelining = options.pipelining ?? 1;
  }

  /** Connections open now (busy and idle). */
  get size(): number {
    return this.open.size;
  }

  /** More than one request may go on a connection at once (options.pipelining). */
  get pipelines(): boolean {
    return this.pipelining > 1;
  }

  dispatch(options: ExchangeOptions, handler: ExchangeHandler): void {
    this.useTimeout(options.timeoutMs);
    if (options.pauseTimeoutMs !== undefined) this.useTimeout(options.pauseTimeoutMs);
    const exchange = new Exchange(this, options, handler);
    handler.onRequestStart?.(exchange);
    if (!exchange.settled) this.assign(exchange);
  }

  /** Closes every connection; exchanges still running or waiting fail with UPSTREAM_POOL_CLOSED. */
  destroy(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const error = this.shuttingDown();
      for (const exchange of this.waiting.splice(0)) exchange.fail(error);
      this.idle.length = 0;
      if (this.open.size === 0) return resolve();
      this.drained = resolve;
      for (const connection of this.open) connection.destroy();
    });
    return this.closing;
  }

  release(connection: UpstreamConnection): void {
    const next = this.waiting.shift();
    if (next) this.startWaiting(connection, next);
    else if (this.closing) connection.destroy();
    else this.idle.push(connection);
  }

  /** Waiting exchanges go out while there are idle connections or room for new ones. */
  private serveWaiting(): void {
    while (this.waiting.length > 0) {
      const connection = this.freeConnection();
      if (!connection) return;
      this.startWaiting(connection, this.waiting.shift()!);
    }
  }

  /** An idle connection, else a new one while there is room for it; undefined when every connection is busy. */
  private freeConnection(): UpstreamConnection | undefined {
    return this.usableIdle() ?? (this.live() < this.options.connections ? this.connect() : undefined);
  }

  private usableIdle(): UpstreamConnection | undefined {
    let idle = this.idle.pop();
    while (idle && !idle.usable) idle = this.idle.pop();
    return idle;
  }

  /** Open connections not being closed (one closed by this side counts in `open` until its 'close' event). */
  private live(): number {
    let count = 0;
    for (const connection of this.open) if (connection.usable) count++;
    return count;
  }

  /** `next` goes on the freed connection; with pipelining, the pipelinable ones waiting after it go along, in one write. */
  private startWaiting(connection: UpstreamConnection, next: Exchange): void {
    if (!(this.pipelining > 1 && next.replayable && !next.retried)) {
      connection.start(next);
      return;
    }
    connection.cork();
    connection.start(next);
    for (let following = this.waiting[0]; following?.replayable && !following.retried && connection.inFlight < this.pipelining && connection.acceptsPipelined(following); following = this.waiting[0]) {
      this.waiting.shift();
      connection.start(following);
    }
    connection.flush();
  }

  useTimeout(ms: number): void {
    const interval = sweepInterval(ms);
    if (interval >= this.sweepMs) return;
    this.sweepMs = interval;
    this.stopSweep();
    if (this.open.size > 0) this.startSweep();
  }

  closed(connection: UpstreamConnection): void {
    this.open.delete(connection);
    if (this.open.size === 0) this.stopSweep();
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
    if (this.closing) {
      if (this.open.size === 0) this.drained?.();
      return;
    }
    this.serveWaiting();
  }

  /** Each alone, on an idle connection or a new one; those that find neither wait first, in this order. */
  retry(exchanges: Exchange[]): void {
    const left: Exchange[] = [];
    for (const exchange of exchanges) {
      if (this.closing) {
        exchange.fail(this.shuttingDown());
        continue;
      }
      const connection = left.length === 0 ? this.freeConnection() : undefined;
      if (connection) connection.start(exchange);
      else left.push(exchange);
    }
    for (let i = left.length - 1; i >= 0; i--) this.wait(left[i]!, true);
  }

  unqueue(exchange: Exchange): void {
    const at = this.waiting.indexOf(exchange);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  private assign(exchange: Exchange): void {
    if (this.closing) {
      exchange.fail(this.shuttingDown());
      return;
    }
    if (this.pipelining > 1 && exchange.replayable) {
      this.assignPipelined(exchange);
      return;
    }
    const idle = this.usableIdle();
    if (idle) idle.start(exchange);
    else if (this.open.size < this.options.connections) this.connect().start(exchange);
    else this.wait(exchange, false);
  }

  /**
   * Onto the connection this turn is filling while it has room; else an idle one, a new one, or the open
   * connection with the fewest requests under way, which then fills for the rest of the turn.
   */
  private assignPipelined(exchange: Exchange): void {
    if (this.waiting.length > 0) {
      // Others wait for a connection already: this one does not go past them (they would wait out their timeout).
      this.wait(exchange, false);
      return;
    }
    const filling = this.filling;
    if (filling && filling.inFlight < this.pipelining && filling.acceptsPipelined(exchange)) {
      if (!this.fillingCorked) {
        filling.cork();
        this.fillingCorked = true;
      }
      filling.start(exchange);
      return;
    }
    let connection = this.freeConnection();
    if (!connection) {
      for (const open of this.open) {
        if (open.acceptsPipelined(exchange) && open.inFlight < this.pipelining && (!connection || open.inFlight < connection.inFlight)) connection = open;
      }
    }
    if (!connection) {
      this.wait(exchange, false);
      return;
    }
    if (filling) this.flushFilling();
    this.filling = connection;
    setImmediate(this.flushFilling);
    connection.start(exchange);
  }

  /** Queues an exchange for a free connection; its wait is bounded from its first queueing (a retry goes first). */
  private wait(exchange: Exchange, first: boolean): void {
    if (!this.queuedAt.has(exchange)) this.queuedAt.set(exchange, performance.now());
    if (first) this.waiting.unshift(exchange);
    else this.waiting.push(exchange);
  }

  /** Fails the exchanges that waited their whole timeoutMs for a connection (a slow upstream must not queue requests without end). */
  private expireWaiting(now: number): void {
    for (let i = 0; i < this.waiting.length; ) {
      const exchange = this.waiting[i]!;
      const since = this.queuedAt.get(exchange);
      if (since === undefined || now - since < exchange.options.timeoutMs) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      exchange.fail(
        new UpstreamError('UPSTREAM_QUEUE_TIMEOUT', `${this.describe}: no free connection within ${exchange.options.timeoutMs} ms (all ${this.options.connections} busy)`),
      );
    }
  }

  private shuttingDown(): UpstreamError {
    return new UpstreamError('UPSTREAM_POOL_CLOSED', `${this.describe}: the proxy is shutting down`);
  }

  private connect(): UpstreamConnection {
    const socket: Socket = this.tls ? this.connectTls() : connectTcp({ host: this.host, port: this.port });
    const connection = new UpstreamConnection(this, socket, {
      connectMs: this.options.connectTimeoutMs,
      idleMs: this.options.idleTimeoutMs,
      tls: this.tls,
    });
    this.open.add(connection);
    if (!this.sweep) this.startSweep();
    return connection;
  }

  private connectTls(): Socket {
    const socket = connectTls({
      host: this.host,
      port: this.port,
      ALPNProtocols: ['http/1.1'],
      ...(this.servername === undefined ? {} : { servername: this.servername }),
      ...(this.options.secureContext ? { secureContext: this.options.secureContext } : {}),
      ...(this.tlsSession ? { session: this.tlsSession } : {}),
    });
    socket.on('session', (session: Buffer) => (this.tlsSession = session));
    return socket;
  }

  private startSweep(): void {
    this.sweep = setInterval(() => {
      const now = performance.now();
      for (const connection of this.open) connection.checkTimeout(now);
      if (this.waiting.length > 0) this.expireWaiting(now);
    }, this.sweepMs);
    this.sweep.unref();
  }

  private stopSweep(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
  }
}

/** Timeouts are checked a quarter of the shortest one apart (so at most 25 % late), between 5 ms and 1 s. */
function sweepInterval(shortestTimeoutMs: number): number {
  return Math.min(1000, Math.max(5, Math.floor(shortestTimeoutMs / 4)));
}
