import { Gauge, type Registry } from 'prom-client';
import type { RouteConfig } from '../../core/config/types';
import { StatusError } from '../../core/errors';
import { sameState } from '../../core/stage-percent';
import { storeCall } from '../../core/store-call';
import type { FlagProvider, FlagsExport, FlagsHealth } from '../../core/flags';
import type { Logger } from '../../core/logging';
import type { ChangeResult, RouteChange, RouteHistoryEntry, StateStore } from '../../core/state';
import { LiveRouteState } from '../live-state';
import { toUnleashFeature } from './unleash-mapping';

export interface EmbeddedFlagOptions {
  registry?: Registry;
  /** PostgreSQL: whether its change notifications are lost right now (a degraded state: polling only). */
  notifications?: { readonly lost: boolean };
  /** How long a route state read may go unanswered before it counts as an outage (LiveRouteState's default). */
  readTimeoutMs?: number;
}

/** Route state in strangler's own state store (PGlite or PostgreSQL). */
export class EmbeddedFlagProvider implements FlagProvider {
  readonly kind = 'embedded' as const;
  readonly view: LiveRouteState;
  private lastStoreError = '';
  private readonly notifications: { readonly lost: boolean } | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly routes: RouteConfig[],
    private readonly pollMs: number,
    private readonly logger: Logger,
    options: EmbeddedFlagOptions = {},
  ) {
    const { registry, readTimeoutMs } = options;
    this.notifications = options.notifications;
    this.view = new LiveRouteState({
      store,
      pollMs,
      ...(readTimeoutMs === undefined ? {} : { readTimeoutMs }),
      onError: (err) => {
        if (err.message !== this.lastStoreError) logger.error({ err: err.message }, 'state store unreachable; serving the last known state');
        this.lastStoreError = err.message;
      },
      onRecovered: () => {
        this.lastStoreError = '';
        logger.info('state store reachable again: route state read');
      },
      onVersionBack: (before, after) => {
        logger.warn(
          { route: after.route, applied: `${before.stage} ${before.percent}% (version ${before.version})`, stored: `${after.stage} ${after.percent}% (version ${after.version})` },
          'the state store holds an older version of this route than the one applied (a restored database, or a failover to a standby that was behind): applying what it holds',
        );
      },
      onChange: (before, after) => {
        if (before) logger.info({ route: after.route, from: `${before.stage} ${before.percent}%`, to: `${after.stage} ${after.percent}%` }, 'route state changed');
      },
    });
    const view = this.view;
    if (registry) {
      new Gauge({
        name: 'strangler_state_store_up',
        help: '1 while the state store answers the route state reads, else 0 (the proxy then serves the last known state).',
        registers: [registry],
        collect() {
          this.set(view.ready ? 1 : 0);
        },
      });
    }
  }

  async start(): Promise<void> {
    await this.view.start();
    this.sayWhereStateDiffers();
  }

  /** The configuration's stage is the initial state only: when the store says otherwise, the log says which applies. */
  private sayWhereStateDiffers(): void {
    for (const route of this.routes) {
      const stored = this.view.get(route.name);
      if (!stored || sameState(stored, route)) continue;
      this.logger.info(
        { route: route.name, applied: `${stored.stage} ${stored.percent}%`, version: stored.version, configured: `${route.stage} ${route.percent}%` },
        'route state from the state store, not the configuration (its stage and percent are the initial state only; strangler rollout set changes it)',
      );
    }
  }

  /**
   * A store outage after the state was read is degraded, not unready: every replica shares the store, so
   * "not ready" would take all of them out of a load balancer at once while they route correctly.
   */
  health(): FlagsHealth {
    if (this.view.ready) {
      return this.notifications?.lost
        ? { ready: true, reason: `state store notifications lost: changes made through other replicas arrive by polling (every ${this.pollMs} ms) until they are back` }
        : { ready: true };
    }
    const reason = 'state store unreachable: serving the last known state; route changes are refused until it is back';
    return this.view.loaded ? { ready: true, reason } : { ready: false, reason };
  }

  refresh(): Promise<void> {
    return this.view.refresh();
  }

  async change(route: RouteConfig, change: RouteChange): Promise<ChangeResult> {
    const result = await storeCall(() => this.store.change(route.name, change), 'change');
    if (!result) throw new StatusError(404, 'STRANGLER_ERR_UNKNOWN_ROUTE', `unknown route "${route.name}"`);
    if (result.changed) await this.view.refresh();
    return result;
  }

  history(route: string, limit: number): Promise<RouteHistoryEntry[]> {
    return storeCall(() => this.store.history(route, limit));
  }

  async exportFlags(): Promise<FlagsExport> {
    const features = this.routes.flatMap((route) => {
      const state = this.view.get(route.name);
      return state ? [toUnleashFeature(route, state)] : [];
    });
    return { version: 2, features };
  }

  stop(): Promise<void> {
    return this.view.stop();
  }
}
