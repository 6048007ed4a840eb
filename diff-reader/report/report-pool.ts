import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { StatusError } from '../../core/errors';
import { buildReportFromCounts, type DiffReport, type DiffReportOptions, type ReportInput } from './model';
import type { ReportReply, ReportRequest } from './report-worker';
import { WorkerSlot } from '../worker-slot';

/** The compiled worker, beside this module in dist/. Absent when the TypeScript sources run in-process (jest). */
export const REPORT_WORKER_SCRIPT = join(__dirname, 'report-worker.js');

/**
 * Count rows plus examples from which a report is built on the worker. Below it, building inline holds the
 * event loop no longer than copying the rows to the worker and the report back does (a few ms), and sooner.
 * The count rows come summed per time bucket (readReportCounts), each standing for many minutes: ~770 of
 * them (a day of two routes) take ~2 ms to build, ~1 ms to copy.
 */
export const OFF_LOOP_REPORT_ROWS = 500;

/** Rows copied to the worker per message: each copy holds the event loop ~1–2 ms. */
const ROWS_PER_PART = 2000;

/** An idle worker is stopped after this long: reports are rare, and a worker holds its own heap. */
const IDLE_MS = 30_000;

/** The report worker's old-generation heap limit: a worker past it is stopped alone, not the proxy. */
const WORKER_HEAP_MB = 1024;

export interface ReportPoolOptions {
  /** The worker's script; default REPORT_WORKER_SCRIPT. */
  script?: string;
  /** Default OFF_LOOP_REPORT_ROWS. */
  minRows?: number;
  /** Default 30 s. */
  idleMs?: number;
}

interface Pending {
  resolve(report: DiffReport): void;
  reject(err: Error): void;
}

/**
 * A worker thread that builds large diff reports, so a long window's report never holds the proxy's event loop
 * (the data path shares it). Started on demand, stopped when idle, unref()ed. A worker that stops fails the
 * reports it held with a 503; what building threw is a 500; the next report starts another worker.
 */
export class ReportPool {
  private readonly slot: WorkerSlot<ReportReply>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;
  private readonly script: string;
  private readonly minRows: number;
  private readonly idleMs: number;

  constructor(options: ReportPoolOptions = {}) {
    this.script = options.script ?? REPORT_WORKER_SCRIPT;
    this.minRows = options.minRows ?? OFF_LOOP_REPORT_ROWS;
    this.idleMs = options.idleMs ?? IDLE_MS;
    this.slot = new WorkerSlot(this.script, WORKER_HEAP_MB, { reply: (reply) => this.receive(reply), stopped: (reason) => this.stopped(reason) });
  }

  /** A pool on the compiled worker, or undefined where there is none (the sources run in-process): build inline. */
  static whereCompiled(options: ReportPoolOptions = {}): ReportPool | undefined {
    return existsSync(options.script ?? REPORT_WORKER_SCRIPT) ? new ReportPool(options) : undefined;
  }

  /** The worker running now, if any (tests stop it to see a worker's death handled). */
  get worker(): Worker | undefined {
    return this.slot.worker;
  }

  /** Builds the report: inline when small, else on the worker. */
  async build(input: ReportInput, options: DiffReportOptions): Promise<DiffReport> {
    if (input.counts.length + input.examples.length < this.minRows) return buildReportFromCounts(input, options);
    return this.buildOnWorker(input, options);
  }

  /** Terminates the worker: reports still in it fail with a 503. */
  async stop(): Promise<void> {
    clearTimeout(this.idle);
    await this.slot.stop(() => this.failPending('the proxy is stopping'));
  }

  private async buildOnWorker(input: ReportInput, options: DiffReportOptions): Promise<DiffReport> {
    clearTimeout(this.idle);
    const worker = this.slot.running();
    const id = this.nextId++;
    const report = new Promise<DiffReport>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // A report under way keeps the process alive (a script using the pool would exit mid-report); an idle worker does not.
    worker.ref();
    // Handled from now on: the worker may stop while the parts are still being sent.
    report.catch(() => undefined);
    // Rows go in parts, the event loop getting a turn between them; a worker that stopped meanwhile has
    // already failed the report (its messages go nowhere).
    const parts = Math.max(1, Math.ceil(Math.max(input.counts.length, input.examples.length) / ROWS_PER_PART));
    for (let part = 0; part < parts && this.slot.worker === worker; part++) {
      const from = part * ROWS_PER_PART;
      const to = from + ROWS_PER_PART;
      worker.postMessage({
        id,
        kind: 'part',
        counts: input.counts.slice(from, to),
        latency: part === 0 ? input.latency : [],
        examples: input.examples.slice(from, to),
      } satisfies ReportRequest);
      await turn();
    }
    if (this.slot.worker === worker) {
      worker.postMessage({ id, kind: 'build', options, ...(input.span === undefined ? {} : { span: input.span }) } satisfies ReportRequest);
    }
    return report.finally(() => this.idleLater());
  }

  private receive(reply: ReportReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if ('failure' in reply) waiting.reject(new Error(`diff report: ${oneLine(reply.failure)}`));
    else waiting.resolve(reply.report);
  }

  private stopped(reason: string): void {
    clearTimeout(this.idle);
    this.failPending(reason);
  }

  private failPending(reason: string): void {
    const failed = [...this.pending.values()];
    this.pending.clear();
    const error = new StatusError(503, 'STRANGLER_ERR_REPORT_WORKER', `diff report: the report worker stopped: ${oneLine(reason)}; try again`);
    for (const waiting of failed) waiting.reject(error);
  }

  private idleLater(): void {
    const worker = this.slot.worker;
    if (this.pending.size > 0 || !worker) return;
    worker.unref();
    clearTimeout(this.idle);
    this.idle = setTimeout(() => void this.stop(), this.idleMs);
    this.idle.unref();
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
