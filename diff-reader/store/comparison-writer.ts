import type { ComparisonRecord, ComparisonStore } from '../../core/comparison';

export interface ComparisonWriterOptions {
  store: ComparisonStore;
  /** Flush when this many comparisons are queued… */
  batchSize?: number;
  /** …or this long after the first one was queued. */
  flushMs?: number;
  /** Queued comparisons beyond this are dropped (the store is slow or down). */
  maxQueue?: number;
  /** Comparisons kept in the store; older ones are pruned after writes. */
  retain?: number;
  /** Called for comparisons not stored, per route: `queue-full` or `store-error`. */
  onDrop?: (reason: 'queue-full' | 'store-error', route: string, count: number) => void;
  /** Called when a write fails after the last one succeeded (once per outage, not per batch). */
  onStoreDown?: (err: Error) => void;
  /** Called when a write succeeds again after an outage, with the comparisons lost during it. */
  onStoreUp?: (droppedDuringOutage: number) => void;
  /** Called when pruning fails; the batch itself was written, and the next prune catches up. */
  onPruneError?: (err: Error) => void;
}

const PRUNE_EVERY_WRITES = 20;

/**
 * Writes comparisons in batches, off the request path. A slow or unreachable store costs comparisons
 * (dropped and counted), never requests.
 */
export class ComparisonWriter {
  private queue: ComparisonRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private writes = 0;
  /** Comparisons lost since the store went down; undefined while it is up. */
  private droppedDuringOutage: number | undefined;

  constructor(private readonly options: ComparisonWriterOptions) {}

  add(record: ComparisonRecord): void {
    if (this.queue.length >= (this.options.maxQueue ?? 10000)) {
      this.options.onDrop?.('queue-full', record.route, 1);
      return;
    }
    this.queue.push(record);
    if (this.queue.length >= (this.options.batchSize ?? 200)) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.options.flushMs ?? 250);
      this.timer.unref();
    }
  }

  /** Writes what is queued; resolves when it is written (or dropped). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.writing = this.write(batch).finally(() => (this.writing = undefined));
    await this.writing;
  }

  private async write(batch: ComparisonRecord[]): Promise<void> {
    try {
      await this.options.store.write(batch);
    } catch (err) {
      this.dropped(batch, err as Error);
      return;
    }
    if (this.droppedDuringOutage !== undefined) {
      this.options.onStoreUp?.(this.droppedDuringOutage);
      this.droppedDuringOutage = undefined;
    }
    if (++this.writes % PRUNE_EVERY_WRITES === 1 && this.options.retain) {
      await this.options.store.prune(this.options.retain).catch((err: Error) => this.options.onPruneError?.(err));
    }
  }

  private dropped(batch: ComparisonRecord[], err: Error): void {
    if (this.droppedDuringOutage === undefined) {
      this.droppedDuringOutage = 0;
      this.options.onStoreDown?.(err);
    }
    this.droppedDuringOutage += batch.length;
    const onDrop = this.options.onDrop;
    if (!onDrop) return;
    const byRoute = new Map<string, number>();
    for (const record of batch) byRoute.set(record.route, (byRoute.get(record.route) ?? 0) + 1);
    for (const [route, count] of byRoute) onDrop('store-error', route, count);
  }
}
