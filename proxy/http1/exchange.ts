import type { UpstreamConnection } from './connection';
import type { ExchangeController, ExchangeHandler, ExchangeOptions } from './types';

/** Methods a client may repeat without changing anything (RFC 9110 §9.2.2 minus PUT/DELETE, as Go's transport). */
const REPLAYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export interface ExchangeQueue {
  unqueue(exchange: Exchange): void;
}

/** One request and its response, on at most one connection at a time. */
export class Exchange implements ExchangeController {
  connection: UpstreamConnection | undefined;
  /** The handler got onResponseEnd or onResponseError. */
  settled = false;
  /** A byte of a response arrived: the upstream saw the request, so it is never sent again. */
  answered = false;
  /** A final (non-1xx) response head arrived. */
  responseStarted = false;
  uploadDone = false;
  /** A streamed upload is waiting for the client's next bytes (not for the upstream to take the last ones). */
  awaitingClientBody = false;
  /** The upstream allows another request on the connection after this response. */
  keepAlive = true;
  /** Sent again once already, after a reused connection turned out closed. */
  retried = false;
  pipelinedBehind = false;
  /** options.echo's value as answers are compared with it (case and surrounding spaces ignored); computed once. */
  readonly echoKey: string | undefined;
  /** Stops sending a streamed body (the exchange ended before the body did). */
  stopUpload: (() => void) | undefined;

  constructor(
    private readonly queue: ExchangeQueue,
    readonly options: ExchangeOptions,
    readonly handler: ExchangeHandler,
  ) {
    this.echoKey = options.echo?.value.trim().toLowerCase();
  }

  /** Safe to send again: nothing of it can have had an effect the upstream would repeat. */
  get replayable(): boolean {
    const body = this.options.body;
    return (body === null || Buffer.isBuffer(body)) && REPLAYABLE_METHODS.has(this.options.method);
  }

  abort(reason: Error): void {
    if (this.settled) return;
    const connection = this.connection;
    if (connection) connection.abandon(this);
    else this.queue.unqueue(this);
    this.fail(reason);
  }

  pause(timed = true): void {
    if (!this.settled) this.connection?.pauseReading(timed);
  }

  resume(): void {
    if (!this.settled) this.connection?.resumeReading();
  }

  end(trailers: string[]): void {
    if (this.settled) return;
    this.settled = true;
    this.handler.onResponseEnd(this, trailers);
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.stopUpload?.();
    this.handler.onResponseError(this, error);
  }
}
