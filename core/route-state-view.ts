import type { RouteConfig } from './config/types';
import type { RouteState } from './state';

/** What an Unleash strategy may look at in a request. */
export interface FlagRequest {
  /** The route's sticky value (user or session id); undefined when the request has none, or stickiness is random. */
  stickyValue: string | undefined;
  remoteAddress: string | undefined;
}

/** What the data path reads on every request: the latest known state, never a network call. */
export interface RouteStateView {
  get(route: string): RouteState | undefined;
  /**
   * Whether a sticky value falls inside the route's canary share. Evaluated in memory with exactly
   * Unleash's flexibleRollout bucketing, whichever provider holds the flags.
   */
  inRollout(route: RouteConfig, stickyValue: string, percent: number): boolean;
  /**
   * For a state with a `flagRule`: whether the flag's own strategies let this request in; undefined while
   * they cannot be asked (then the managed share splits as a plain canary). Only a provider whose states can
   * carry a rule (Unleash) has it.
   */
  inFlagRule?(route: RouteConfig, request: FlagRequest): boolean | undefined;
  /** False while the state cannot be trusted to be current; the view keeps serving what it has. */
  readonly ready: boolean;
}
