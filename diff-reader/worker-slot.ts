import { Worker } from 'node:worker_threads';

/** What a WorkerSlot tells its owner. */
export interface WorkerSlotEvents<Reply> {
  reply(reply: Reply): void;
  /** The running worker stopped on its own (threw, ran out of heap, exited); not called for `stop()`. */
  stopped(reason: string): void;
}

/**
 * The one worker thread of a pool: started on first need with an old-generation heap of its own (a worker past
 * it is stopped alone, not the process), unref()ed so it never keeps the process alive by itself. A worker that
 * stops is forgotten and reported once; the next `running()` starts another.
 */
export class WorkerSlot<Reply> {
  private current: Worker | undefined;

  constructor(
    private readonly script: string,
    private readonly heapMb: number,
    private readonly events: WorkerSlotEvents<Reply>,
  ) {}

  /** The worker running now, if any. */
  get worker(): Worker | undefined {
    return this.current;
  }

  /** The running worker, started when none runs. */
  running(): Worker {
    if (this.current) return this.current;
    const worker = new Worker(this.script, { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } });
    worker.on('message', (reply: Reply) => this.events.reply(reply));
    worker.on('error', (err) => this.stopped(worker, err.message));
    worker.on('exit', (code) => this.stopped(worker, `it exited with code ${code}`));
    // After the listeners: a 'message' listener refs the worker again.
    worker.unref();
    this.current = worker;
    return worker;
  }

  /** Forgets the running worker, runs `whileStopping` (failing what it held), then terminates it. */
  async stop(whileStopping: () => void): Promise<void> {
    const worker = this.current;
    if (!worker) return;
    this.current = undefined;
    whileStopping();
    await worker.terminate();
  }

  /** An 'error' is followed by an 'exit': only the first, and only of the current worker, counts. */
  private stopped(worker: Worker, reason: string): void {
    if (worker !== this.current) return;
    this.current = undefined;
    this.events.stopped(reason);
  }
}
