import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { CompareReply, CompareRequest, WireSnapshot } from './compare-worker';
import type { DiffOptions, ExchangeOutcome, HttpSnapshot } from './engine';
import { WorkerSlot } from './worker-slot';

/** Bodies waiting for (or in) the worker past which a new exchange is dropped (`compare-backlog`). */
export const COMPARE_BACKLOG_BYTES = 32 * 1024 * 1024;

/** The compiled worker, beside this module in dist/. Absent when the TypeScript sources run in-process (jest). */
export const COMPARE_WORKER_SCRIPT = join(__dirname, 'compare-worker.js');

/** Two answers of one exchange to compare with a route's diff options (the options as configured, uncompiled). */
export interface CompareJob {
  route: string;
  options: DiffOptions;
  legacy: HttpSnapshot;
  candidate: HttpSnapshot;
  /** Legacy's second answer (a noise sample), compared with legacy's first when legacy and the candidate compare. */
  secondary?: HttpSnapshot;
}

/** The worker stopped (crashed, ran out of memory, was terminated) with this job in it. */
export class WorkerStoppedError extends Error {
  constructor(reason: string) {
    super(`the comparison worker stopped: ${reason}`);
    this.name = 'WorkerStoppedError';
  }
}

export interface ComparePoolOptions {
  /** The worker's script; default COMPARE_WORKER_SCRIPT. */
  script?: string;
  /** Default COMPARE_BACKLOG_BYTES. */
  maxBacklogBytes?: number;
  /** Once per worker that stopped on its own, after its `comparisons` were failed with `error`. */
  onWorkerStopped?: (error: WorkerStoppedError, comparisons: number) => void;
}

interface Pending {
  bytes: number;
  resolve(outcome: ExchangeOutcome): void;
  reject(err: Error): void;
}

/**
 * The comparison worker's old-generation heap limit: three answers decoded to shadow.maxDecodedBytes and parsed
 * fit well within it, and a worker past it is stopped alone (its comparisons become errors), not the proxy.
 */
const WORKER_HEAP_MB = 1024;

/**
 * One worker thread that compares large exchanges, so decoding, parsing and diffing them never holds the
 * proxy's event loop. Started on first need and unref()ed: it never keeps the process alive. A worker that
 * stops fails what it held; the next job starts another.
 */

export class ComparePool {
  private readonly slot: WorkerSlot<CompareReply>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private backlog = 0;
  private readonly script: string;
  private readonly maxBacklogBytes: number;

  constructor(private readonly options: ComparePoolOptions = {}) {
    this.script = options.script ?? COMPARE_WORKER_SCRIPT;
    this.maxBacklogBytes = options.maxBacklogBytes ?? COMPARE_BACKLOG_BYTES;
    this.slot = new WorkerSlot(this.script, WORKER_HEAP_MB, { reply: (reply) => this.receive(reply), stopped: (reason) => this.stopped(reason) });
  }

  /** A pool on the compiled worker, or undefined where there is none (the sources run in-process): compare inline. */
  static whereCompiled(options: ComparePoolOptions = {}): ComparePool | undefined {
    return existsSync(options.script ?? COMPARE_WORKER_SCRIPT) ? new ComparePool(options) : undefined;
  }

  /** Body bytes of the jobs waiting for or in the worker. */
  get backlogBytes(): number {
    return this.backlog;
  }

  /** The worker running now, if any (tests stop it to see a worker's death handled). */
  get worker(): Worker | undefined {
    return this.slot.worker;
  }

  /**
   * Sends `job` to the worker; undefined when the bodies waiting would pass maxBacklogBytes (the job is not taken).
   * Rejects with WorkerStoppedError when the worker stops before answering; with an Error for anything else it threw.
   */
  compare(job: CompareJob): Promise<ExchangeOutcome> | undefined {
    const bytes = job.legacy.body.length + job.candidate.body.length + (job.secondary?.body.length ?? 0);
    // Alone, an exchange is taken however large: it could never be compared otherwise.
    if (this.backlog > 0 && this.backlog + bytes > this.maxBacklogBytes) return undefined;
    const worker = this.slot.running();
    const id = this.nextId++;
    const request: CompareRequest = { id, route: job.route, options: job.options, legacy: onWire(job.legacy), candidate: onWire(job.candidate) };
    if (job.secondary) request.secondary = onWire(job.secondary);
    const transfer = [request.legacy.body, request.candidate.body, ...(request.secondary ? [request.secondary.body] : [])];
    const outcome = new Promise<ExchangeOutcome>((resolve, reject) => this.pending.set(id, { bytes, resolve, reject }));
    this.backlog += bytes;
    worker.postMessage(request, transfer);
    return outcome;
  }

  /** Terminates the worker (a graceful stop, once flushed): jobs still in it fail with WorkerStoppedError. */
  async stop(): Promise<void> {
    await this.slot.stop(() => this.failPending(new WorkerStoppedError('the proxy is stopping')));
  }

  private receive(reply: CompareReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.settle(reply.id, waiting);
    if ('failure' in reply) waiting.reject(new Error(reply.failure));
    else waiting.resolve({ candidate: reply.candidate, secondary: reply.secondary });
  }

  private stopped(reason: string): void {
    const error = new WorkerStoppedError(reason);
    const failed = this.failPending(error);
    this.options.onWorkerStopped?.(error, failed);
  }

  private failPending(error: WorkerStoppedError): number {
    const failed = [...this.pending];
    for (const [id, waiting] of failed) {
      this.settle(id, waiting);
      waiting.reject(error);
    }
    return failed.length;
  }

  private settle(id: number, waiting: Pending): void {
    this.pending.delete(id);
    this.backlog -= waiting.bytes;
  }
}

/** A copy of the body in an ArrayBuffer of its own, to transfer: a Buffer may be a view into a larger pooled one. */
function onWire(answer: HttpSnapshot): WireSnapshot {
  return { status: answer.status, headers: answer.headers, body: new Uint8Array(answer.body).buffer };
}
