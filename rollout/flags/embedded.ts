import type { RouteConfig } from '../../core/config/types';
import { StatusError } from '../../core/errors';
import { sameState } from '../../core/stage-percent';
import { storeCall } from '../../core/store-call';
import type { FlagProvider, FlagsHealth } from '../../core/flags';
import type { Logger } from '../../core/logging';
import type { ChangeResult, RouteChange, RouteHistoryEntry, StateStore } from '../../core/state';
import { LiveRouteState } from '../live-state';
import { toUnleashFeature } from './unleash-mapping';

/** Route state in strangler's own state store (PGlite or PostgreSQL). */
export class EmbeddedFlagProvider implements FlagProvider {
  readonly kind = 'embedded' as const;
  readonly view: LiveRouteState;
  private lastStoreError = '';

  constructor(
    private readonly store: StateStore,
    private readonly routes: RouteConfig[],
    pollMs: number,
    private readonly logger: Logger,
  ) {
    this.view = new LiveRouteState({
      store,
      pollMs,
      onError: (err) => {
        if (err.message !== this.lastStoreError) logger.error({ err: err.message }, 'state store unreachable; serving the last known state');
        this.lastStoreError = err.message;
      },
      onVersionBack: (before, after) => {
        logger.warn(
          { route: after.route, applied: `${before.stage} ${before.percent}% (version ${before.version})`, stored: `${after.stage} ${after.percent}% (version ${after.version})` },
          'the state store holds an older version of this route than the one applied (a restored database, or a failover to a standby that was behind): applying what it holds',
        );
      },
      onChange: (before, after) => {
        this.lastStoreError = '';
        if (before) logger.info({ route: after.route, from: `${before.stage} ${before.percent}%`, to: `${after.stage} ${after.percent}%` }, 'route state changed');
      },
    });
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

  health(): FlagsHealth {
    return this.view.ready ? { ready: true } : { ready: false, reason: 'state store unreachable; serving the last known state' };
  }

  refresh(): Promise<void> {
    return this.view.refresh();
  }

  async change(route: RouteConfig, change: RouteChange): Promise<ChangeResult> {
    const result = await storeCall(() => this.store.change(route.name, change));
    if (!result) throw new StatusError(404, 'STRANGLER_ERR_UNKNOWN_ROUTE', `unknown route "${route.name}"`);
    if (result.changed) await this.view.refresh();
    return result;
  }

  history(route: string, limit: number): Promise<RouteHistoryEntry[]> {
    return storeCall(() => this.store.history(route, limit));
  }

  async exportFlags(): Promise<unknown> {
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
