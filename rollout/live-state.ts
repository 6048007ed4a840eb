import { routeInRollout } from '../core/bucketing';
import type { RouteStateView } from '../core/route-state-view';
import type { RouteState, StateStore } from '../core/state';

export interface LiveStateOptions {
  store: StateStore;
  /** Re-read interval; the fallback when notifications are lost or unavailable. */
  pollMs: number;
  /** How long a read may go unanswered before it counts as an outage (READ_TIMEOUT_MS). */
  readTimeoutMs?: number;
  onError?: (err: Error) => void;
  /** A read succeeded after failed ones: the store answers again. */
  onRecovered?: () => void;
  onChange?: (before: RouteState | undefined, after: RouteState) => void;
  /** The store holds an older version than the one applied (a database restored from a backup, or a failover to a standby that was behind). */
  onVersionBack?: (before: RouteState, after: RouteState) => void;
}

/**
 * A route state read with no answer this long counts as an outage (the view says so) although the read may
 * still end: a store that stops answering (a partition, a frozen host) must not look healthy meanwhile.
 */
export const READ_TIMEOUT_MS = 10_000;

/**
 * Keeps the route state of the store in memory: re-read on every change notification and every
 * `pollMs`. A failed read keeps the last state and marks the view not ready until a read succeeds.
 * The store is the authority: reads run one at a time, so each sees the store as it is now, and what it
 * holds is applied even when its version is lower than the last one seen (a restored or failed-over
 * database), instead of being ignored while every later change is refused in silence.
 */
export class LiveRouteState implements RouteStateView {
  private states = new Map<string, RouteState>();
  private everRead = false;
  private lastReadFailed = false;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => Promise<void>) | undefined;
  /** The read under way. */
  private refreshing: Promise<void> | undefined;
  /** The one read queued behind it, shared by every refresh asked for meanwhile. */
  private queued: Promise<void> | undefined;

  constructor(private readonly options: LiveStateOptions) {}

  get ready(): boolean {
    return this.everRead && !this.lastReadFailed;
  }

  /** The state has been read at least once (what it serves during an outage is the store's, not nothing). */
  get loaded(): boolean {
    return this.everRead;
  }

  get(route: string): RouteState | undefined {
    return this.states.get(route);
  }

  readonly inRollout = routeInRollout;

  all(): RouteState[] {
    return [...this.states.values()];
  }

  async start(): Promise<void> {
    await this.refresh();
    try {
      this.unwatch = await this.options.store.watch(() => void this.refresh());
    } catch (err) {
      this.options.onError?.(err as Error);
    }
    this.timer = setInterval(() => void this.refresh(), this.options.pollMs);
    this.timer.unref();
  }

  /**
   * Re-reads the store, resolving once a read that began after the call is done (what was committed before it,
   * a change of this replica's own, is then in the view). Calls during a read share one read queued behind it.
   */
  refresh(): Promise<void> {
    if (!this.refreshing) return this.read();
    this.queued ??= this.refreshing.then(() => {
      this.queued = undefined;
      return this.read();
    });
    return this.queued;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unwatch?.().catch(() => undefined);
    await (this.queued ?? this.refreshing);
  }

  private read(): Promise<void> {
    const reading: Promise<void> = this.readOnce().finally(() => {
      if (this.refreshing === reading) this.refreshing = undefined;
    });
    this.refreshing = reading;
    return reading;
  }

  private async readOnce(): Promise<void> {
    const timeoutMs = this.options.readTimeoutMs ?? READ_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const noAnswer = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to the route state read within ${timeoutMs / 1000} s`)), timeoutMs);
      timer.unref();
    });
    try {
      const states = await Promise.race([this.options.store.list(), noAnswer]);
      for (const state of states) this.apply(state);
      if (this.lastReadFailed) this.options.onRecovered?.();
      this.lastReadFailed = false;
      this.everRead = true;
    } catch (err) {
      this.lastReadFailed = true;
      this.options.onError?.(err as Error);
    } finally {
      clearTimeout(timer);
    }
  }

  private apply(state: RouteState): void {
    const before = this.states.get(state.route);
    if (before && sameRow(before, state)) return;
    if (before && state.version < before.version) this.options.onVersionBack?.(before, state);
    this.states.set(state.route, state);
    this.options.onChange?.(before, state);
  }
}

function sameRow(a: RouteState, b: RouteState): boolean {
  return a.version === b.version && a.stage === b.stage && a.percent === b.percent && a.updatedAt === b.updatedAt;
}
