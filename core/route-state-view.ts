import type { RouteState } from './state';

/** What the data path reads on every request: the latest known state, never a network call. */
export interface RouteStateView {
  get(route: string): RouteState | undefined;
  /** False while the state store cannot be read; the view keeps serving the last state it had. */
  readonly ready: boolean;
}
