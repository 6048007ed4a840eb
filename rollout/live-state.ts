import { routeInRollout } from '../core/bucketing';
import type { RouteStateView } from '../core/route-state-view';
import type { RouteState, StateStore } from '../core/state';

export interface LiveStateOptions {
  store: StateStore;
  /** Re-read interval; the fallback when notifications are lost or unavailable. */
  pollMs: number;
  onError?: (err: Error) => void;
  onChange?: (before: RouteState | undefined, after: RouteState) => void;
  /** The store holds an older version than the one applied (a database restored from a backup, or a failover to a standby that was behind). */
  onVersionBack?: (before: RouteState, after: RouteState) => void;
}

/**
 * Keeps the route state of the store in memory: re-read on every change notification and every
 * `pollMs`. A failed read keeps the last state and marks the view not ready until a read succeeds.
 * The store is the authority: reads run one at a time, so each sees the store as it is now, and what it
 * holds is applied even when its version is lower than the last one seen (a restored or failed-over
 * database), instead of being ignored while every later change is refused in silence.
 */
export class LiveRouteState implements RouteStateView {
  private states = new Map<string, RouteState>();
  private healthy = false;
  private everRead = false;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => Promise<void>) | undefined;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;

  constructor(private readonly options: LiveStateOptions) {}

  get ready(): boolean {
    return this.healthy;
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

  /** Re-reads the store; concurrent calls coalesce into at most one extra read. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = this.readOnce().finally(() => {
      this.refreshing = undefined;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unwatch?.().catch(() => undefined);
    await this.refreshing;
  }

  private async readOnce(): Promise<void> {
    try {
      const states = await this.options.store.list();
      for (const state of states) this.apply(state);
      this.healthy = true;
      this.everRead = true;
    } catch (err) {
      this.healthy = false;
      this.options.onError?.(err as Error);
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
