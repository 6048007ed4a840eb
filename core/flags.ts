import type { BootstrapFeature, BootstrapSegment } from './config/bootstrap-file';
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
/**
 * A bootstrap file's content, and what in it is older than it should be: `warnings` (absent when none) says
 * which flags or segments could not be read now and come from the last poll. Not part of the file.
 */
export interface FlagsExport {
  version: 2;
  features: BootstrapFeature[];
  segments?: BootstrapSegment[];
  warnings?: string[];
}

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
  exportFlags(): Promise<FlagsExport>;
  /** Replaces the credentials the provider reads flags with (Unleash's client token); absent when there are none. */
  setClientToken?(token: string): void;
  stop(): Promise<void>;
}
