import type { RouteConfig } from './config/types';
import type { RouteState } from './state';

/** What the data path reads on every request: the latest known state, never a network call. */
export interface RouteStateView {
  get(route: string): RouteState | undefined;
  /**
   * Whether a sticky value falls inside the route's canary share. Evaluated in memory with exactly
   * Unleash's flexibleRollout bucketing, whichever provider holds the flags.
   */
  inRollout(route: RouteConfig, stickyValue: string, percent: number): boolean;
  /** False while the state cannot be trusted to be current; the view keeps serving what it has. */
  readonly ready: boolean;
}
