import { randomUUID } from 'node:crypto';
import type { ComparisonRecord, ComparisonStore, ComparisonTally } from '../../core/comparison';
import { ComparisonTallier, DAY_MS, minuteStart } from '../counts';
import { isPlainMatch } from './match-list';

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
  /** Store plain matches too (default: they are only counted, as most comparisons on a healthy route are matches). */
  storeMatches?: boolean;
  /**
   * Called for comparisons not stored, per route: `queue-full`, `store-error` (the store failed), or
   * `unstorable` (the store refused that comparison's data; the rest of its batch is written).
   */
  onDrop?: (reason: 'queue-full' | 'store-error' | 'unstorable', route: string, count: number) => void;
  /** Called once per comparison the store refused as data (not an outage), with the store's error. */
  onUnstorable?: (record: ComparisonRecord, err: Error) => void;
  /** Called when a write fails after the last one succeeded (once per outage, not per batch). */
  onStoreDown?: (err: Error) => void;
  /** Called when a write succeeds again after an outage, with the comparisons lost during it. */
  onStoreUp?: (droppedDuringOutage: number) => void;
  /** Called when pruning fails; what was written stays written, and the next prune catches up. */
  onPruneError?: (err: Error) => void;
  /** Called when making the room of pruned rows reusable fails (embedded store); the next prune tries again. */
  onReclaimError?: (err: Error) => void;
  /**
   * How often finished minutes' counts are written (the minute under way waits for its end, so a minute is
   * mostly one row per outcome); flush() writes everything. Held in memory meanwhile.
   */
  countsFlushMs?: number;
  /** Counts of minutes older than this many days are pruned. */
  keepCountsDays?: number;
  /** Counts of whole hours older than this are merged into one row per hour (default one day). */
  compactCountsAfterMs?: number;
  /** Called when merging old counts by the hour fails; the next run takes the same hours again. */
  onCompactError?: (err: Error) => void;
  /** Counts held while the store is away beyond this many distinct entries are given up. */
  maxHeldCounts?: number;
  /** Called when counts could not be written and were given up (more than maxHeldCounts held). */
  onCountsLost?: (comparisons: number, err: Error) => void;
}

const PRUNE_EVERY_WRITES = 20;
const PRUNE_COUNTS_EVERY_WRITES = 60;
/** About every 5 minutes at the default countsFlushMs: one new hour is due per hour, and a backlog goes 6 at a time. */
const COMPACT_COUNTS_EVERY_WRITES = 30;
const COMPACT_HOURS_PER_RUN = 6;

/** The start of the current minute: counts of minutes before it are final. */
function finishedMinutes(): number {
  return minuteStart(Date.now());
}

/** A counts write: its tally and the id that lets the store apply it once, however often it is sent. */
interface CountsWrite {
  tally: ComparisonTally;
  writeId: string;
}

/**
 * Counts every comparison per minute (what reports count from) and writes the comparisons worth showing
 * (differences, noise, errors; plain matches too with storeMatches) in batches, off the request path. A slow
 * or unreachable store costs stored comparisons (dropped and counted), never requests; counts wait in memory
 * until the store is back.
 */
export class ComparisonWriter {
  private readonly tallier = new ComparisonTallier();
  private countsTimer: NodeJS.Timeout | undefined;
  private writingCounts: Promise<void> | undefined;
  /**
   * A counts write that failed, kept as it was with its id for the next write: the store may have applied it
   * and only its answer was lost, so it is sent again unchanged rather than merged into newer counts.
   */
  private unsentCounts: CountsWrite | undefined;
  private countWrites = 0;
  private queue: ComparisonRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private writes = 0;
  /** Comparisons lost since the store went down; undefined while it is up. */
  private droppedDuringOutage: number | undefined;

  constructor(private readonly options: ComparisonWriterOptions) {}

  add(record: ComparisonRecord): void {
    this.tallier.add(record);
    this.timeHeldCounts();
    if (!this.options.storeMatches && isPlainMatch(record)) return;
    if (this.queue.length >= (this.options.maxQueue ?? 10000)) {
      this.options.onDrop?.('queue-full', record.route, 1);
      return;
    }
    this.queue.push(record);
    if (this.queue.length >= (this.options.batchSize ?? 200)) void this.flushComparisons();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flushComparisons(), this.options.flushMs ?? 250);
      this.timer.unref();
    }
  }

  /** Writes what is queued and counted; resolves when it is written (or dropped). */
  async flush(): Promise<void> {
    await Promise.all([this.flushComparisons(), this.flushCounts()]);
  }

  private async flushComparisons(): Promise<void> {
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
      if (!isDataError(err)) {
        this.dropped(batch, err as Error);
        return;
      }
      // The store answered (it refused data, it is not down): the rest of the batch is written one by one.
      if (batch.length > 1) {
        if (!(await this.writeEach(batch))) return;
      } else {
        this.unstorable(batch[0]!, err as Error);
      }
    }
    if (this.droppedDuringOutage !== undefined) {
      this.options.onStoreUp?.(this.droppedDuringOutage);
      this.droppedDuringOutage = undefined;
    }
    if (++this.writes % PRUNE_EVERY_WRITES === 1 && this.options.retain) {
      await this.options.store.prune(this.options.retain).catch((err: Error) => this.options.onPruneError?.(err));
      await this.reclaimSpace();
    }
  }

  /** A batch the store refused as data: one comparison at a time, so only what it refuses is lost. False when the store went down meanwhile. */
  private async writeEach(batch: ComparisonRecord[]): Promise<boolean> {
    for (const [i, record] of batch.entries()) {
      try {
        await this.options.store.write([record]);
      } catch (err) {
        if (isDataError(err)) {
          this.unstorable(record, err as Error);
          continue;
        }
        this.dropped(batch.slice(i), err as Error);
        return false;
      }
    }
    return true;
  }

  private unstorable(record: ComparisonRecord, err: Error): void {
    this.options.onUnstorable?.(record, err);
    this.options.onDrop?.('unstorable', record.route, 1);
  }

  /**
   * Writes a counts write that failed before, then the counts of minutes before `before` (all without it); what
   * is still held is timed again.
   */
  private async flushCounts(before?: number): Promise<void> {
    if (this.countsTimer) clearTimeout(this.countsTimer);
    this.countsTimer = undefined;
    while (this.writingCounts) await this.writingCounts;
    this.writingCounts = this.writeHeldCounts(before).finally(() => (this.writingCounts = undefined));
    await this.writingCounts;
    this.timeHeldCounts();
  }

  private async writeHeldCounts(before?: number): Promise<void> {
    const unsent = this.unsentCounts;
    this.unsentCounts = undefined;
    if (unsent && !(await this.writeCounts(unsent))) return;
    const tally = this.tallier.drain(before);
    if (tally.counts.length > 0 || tally.latency.length > 0) await this.writeCounts({ tally, writeId: randomUUID() });
  }

  private timeHeldCounts(): void {
    if (this.countsTimer || (this.tallier.size === 0 && !this.unsentCounts)) return;
    this.countsTimer = setTimeout(() => void this.flushCounts(finishedMinutes()), this.options.countsFlushMs ?? 10_000);
    this.countsTimer.unref();
  }

  /** False when the store could not be reached (the write is kept for the next one, or given up). */
  private async writeCounts(write: CountsWrite): Promise<boolean> {
    try {
      await this.options.store.writeCounts(write.tally, write.writeId);
    } catch (err) {
      // Held counts the store refuses as data would be refused again at every write: given up, not held.
      if (isDataError(err)) {
        this.options.onCountsLost?.(comparisonsIn(write.tally), err as Error);
        return true;
      }
      this.keepCounts(write, err as Error);
      return false;
    }
    const writes = ++this.countWrites;
    const keepDays = this.options.keepCountsDays;
    const pruning = keepDays && writes % PRUNE_COUNTS_EVERY_WRITES === 1;
    if (pruning) {
      await this.options.store.pruneCounts(new Date(Date.now() - keepDays * DAY_MS)).catch((err: Error) => this.options.onPruneError?.(err));
    }
    const compacting = writes % COMPACT_COUNTS_EVERY_WRITES === 1;
    if (compacting) {
      // A report over days reads an hour's row instead of 60 minutes' (times proxies): 20× fewer rows over 30 days.
      const before = new Date(Date.now() - (this.options.compactCountsAfterMs ?? DAY_MS));
      await this.options.store.compactCounts(before, COMPACT_HOURS_PER_RUN).catch((err: Error) => this.options.onCompactError?.(err));
    }
    if (pruning || compacting) await this.reclaimSpace();
    return true;
  }

  /**
   * After deleting rows: PostgreSQL's autovacuum makes their room reusable, the embedded store does it here
   * (off the request path, between batches; queued comparisons wait, as they wait for a prune).
   */
  private async reclaimSpace(): Promise<void> {
    await this.options.store.reclaimSpace().catch((err: Error) => this.options.onReclaimError?.(err));
  }

  /** A counts write that failed waits for the next write, unless too many counts are held already. */
  private keepCounts(write: CountsWrite, err: Error): void {
    const { tally } = write;
    if (this.tallier.size + tally.counts.length + tally.latency.length <= (this.options.maxHeldCounts ?? 50_000)) {
      this.unsentCounts = write;
    } else {
      this.options.onCountsLost?.(comparisonsIn(tally), err);
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

function comparisonsIn(tally: ComparisonTally): number {
  return tally.counts.reduce((sum, count) => sum + count.comparisons, 0);
}

/** PostgreSQL's class 22, data exception: the statement's data was refused, the store itself is fine. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}
