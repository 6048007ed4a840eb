import type { RouteConfig } from './config/types';
import type { RouteStateView } from './route-state-view';
import type { ChangeResult, RouteChange, RouteHistoryEntry } from './state';

export interface ChangeOptions {
  /** Create what the change needs in the provider (an Unleash flag and its strategy) when missing. */
  create?: boolean;
}

export interface FlagsHealth {
  ready: boolean;
  /** Why not ready, or what is degraded while still serving. */
  reason?: string;
}

/**
 * Where route state lives and how it changes: strangler's own store (embedded provider) or an
 * Unleash server. The data path reads `view`; the admin API calls the rest.
 */
export interface FlagProvider {
  readonly kind: 'embedded' | 'unleash';
  readonly view: RouteStateView;
  start(): Promise<void>;
  health(): FlagsHealth;
  /** Re-reads the source now (after a change made through this process). */
  refresh(): Promise<void>;
  /** Applies a change and records it in the audit history; one that changes nothing is neither written nor recorded. */
  change(route: RouteConfig, change: RouteChange, options?: ChangeOptions): Promise<ChangeResult>;
  history(route: string, limit: number): Promise<RouteHistoryEntry[]>;
  /** Current flags in Unleash's client features format (`{version, features}`, from Unleash also the `segments` the flags name), for bootstrap files. */
  exportFlags(): Promise<unknown>;
  /** Replaces the credentials the provider reads flags with (Unleash's client token); absent when there are none. */
  setClientToken?(token: string): void;
  stop(): Promise<void>;
}
