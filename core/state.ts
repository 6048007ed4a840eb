/** The per-route migration state every module reads, and the store interface that holds it. */
import type { Stage } from './config/types';

export interface RouteState {
  route: string;
  stage: Stage;
  percent: number;
  /** Increases with every change; lets readers tell a newer state from an older one. */
  version: number;
  updatedAt: string;
  /**
   * Set when the route's Unleash flag has strategies strangler does not manage (a userWithId, constraints,
   * several strategies): unleash-client decides each request, and `percent` is only the share the managed
   * flexibleRollout lets in. Says what else decides, as Unleash shows it.
   */
  flagRule?: string;
}

export interface RouteChange {
  stage?: Stage;
  percent?: number;
  actor: string;
  reason: string;
}

/** What a change did. `changed` is false when the route already had that stage and percent: nothing was written or recorded. */
export interface ChangeResult {
  state: RouteState;
  changed: boolean;
  /** The change applied, but something around it failed (its history entry could not be written). */
  warning?: string;
}

export interface RouteHistoryEntry {
  id: number;
  route: string;
  at: string;
  actor: string;
  reason: string;
  from: { stage: Stage; percent: number } | null;
  to: { stage: Stage; percent: number };
}

export interface InitialRouteState {
  route: string;
  stage: Stage;
  percent: number;
}

export interface StateStore {
  readonly kind: string;
  /** Applies migrations and inserts the routes the store does not know yet (the config's initial state). */
  init(routes: InitialRouteState[]): Promise<void>;
  list(): Promise<RouteState[]>;
  get(route: string): Promise<RouteState | undefined>;
  /**
   * Applies a change and records it in the history; undefined when the route is unknown. A change to the
   * stage and percent the route already has writes nothing (no version, no history entry, no notification).
   */
  change(route: string, change: RouteChange): Promise<ChangeResult | undefined>;
  history(route: string, limit?: number): Promise<RouteHistoryEntry[]>;
  /** Records a change made elsewhere (an Unleash flag) in the audit history only. */
  record(entry: Omit<RouteHistoryEntry, 'id' | 'at'>): Promise<void>;
  /** Calls `onChange` when another writer may have changed state (a hint: re-read with `list`). */
  watch(onChange: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
