import type { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import { InMemStorageProvider, Unleash, UnleashEvents } from 'unleash-client';
import { routeInRollout } from '../../core/bucketing';
import { readBootstrapFeatures } from '../../core/config/bootstrap-file';
import { redactUrl, redactUrlsIn } from '../../core/config/redact';
import type { RouteConfig, UnleashFlagsConfig } from '../../core/config/types';
import { StatusError, StranglerError } from '../../core/errors';
import type { ChangeOptions, FlagProvider, FlagsHealth } from '../../core/flags';
import type { Logger } from '../../core/logging';
import type { FlagRequest, RouteStateView } from '../../core/route-state-view';
import type { ChangeResult, RouteChange, RouteHistoryEntry, RouteState, StateStore } from '../../core/state';
import { afterChange, sameState, stagePercentConflict } from '../../core/stage-percent';
import { storeCall } from '../../core/store-call';
import { servedIn, UnleashAdminApi } from './unleash-admin';
import {
  ROLLOUT_STRATEGY,
  enabledFor,
  managedStrategy,
  rolloutParameters,
  stateFromFeature,
  stickinessField,
  type FlagState,
  type StageAndPercent,
  type UnleashFeature,
} from './unleash-mapping';

export interface UnleashProviderOptions {
  flags: UnleashFlagsConfig;
  routes: RouteConfig[];
  /** Holds the audit history (changes made through strangler). */
  store: StateStore;
  registry: Registry;
  logger: Logger;
  /** Folder the bootstrap path is relative to (the config file's). */
  baseDir: string;
}

/** How long to wait for the first answer from Unleash before serving (from bootstrap, or legacy). */
const FIRST_SYNC_WAIT_MS = 5000;
const MAX_RETRY_MS = 60000;

/**
 * Route state from a real Unleash server: one flag per route, evaluated in memory by unleash-client
 * (no network call on the request path), changed through Unleash's Admin API.
 */
export class UnleashFlagProvider implements FlagProvider {
  readonly kind = 'unleash' as const;
  readonly view: RouteStateView;
  private client: Unleash | undefined;
  /** The current client has had flags from the server (unleash-client's own `synchronized` also fires on bootstrap data). */
  private clientHasFlags = false;
  private clientToken: string;
  private readonly admin: UnleashAdminApi | undefined;
  private readonly states = new Map<string, RouteState>();
  private lastFeatures: UnleashFeature[] = [];
  private source: 'none' | 'bootstrap' | 'unleash' = 'none';
  private unauthorized: string | undefined;
  private unreachableSince: Date | undefined;
  /** Flags of routes that Unleash's last answer did not have: those routes go to legacy. */
  private missingFlags: string[] = [];
  /** What the last failed poll said (refused connection, or the status Unleash answered with). */
  private lastFailure: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number;
  /** Changes made through this process, kept until Unleash's answers show them (a poll may be older). */
  private readonly pending = new Map<string, { state: FlagState; until: number }>();
  private stopped = false;
  private readonly errors: Counter<'reason'>;

  constructor(private readonly options: UnleashProviderOptions) {
    const { flags, registry } = options;
    this.clientToken = flags.clientToken;
    this.retryDelayMs = flags.refreshMs;
    if (flags.adminToken) {
      this.admin = new UnleashAdminApi({ url: flags.url, token: flags.adminToken, project: flags.project, environment: flags.environment });
    }
    const provider = this;
    this.view = {
      get: (route) => this.states.get(route),
      inRollout: (route, value, percent) => this.inRollout(route, value, percent),
      inFlagRule: (route, request) => this.inFlagRule(route, request),
      get ready() {
        return provider.health().ready;
      },
    };
    this.errors = new Counter({
      name: 'strangler_flags_errors_total',
      help: 'Failures reading flags from Unleash: unauthorized (401/403, polling stops until fixed), unreachable (no connection), http-error (404, 429 or 5xx: unleash-client backs off).',
      labelNames: ['reason'],
      registers: [registry],
    });
    new Gauge({
      name: 'strangler_flags_ready',
      help: '1 when the flags the proxy applies are current (synchronised with Unleash), else 0.',
      registers: [registry],
      collect() {
        this.set(provider.source === 'unleash' && !provider.unauthorized && !provider.unreachableSince ? 1 : 0);
      },
    });
  }

  async start(): Promise<void> {
    const bootstrap = this.readBootstrap();
    if (bootstrap) {
      this.applyFeatures(bootstrap, 'bootstrap');
      this.lastFeatures = bootstrap;
    }
    const synced = new Promise<void>((done) => {
      const timer = setTimeout(done, Math.min(FIRST_SYNC_WAIT_MS, this.options.flags.refreshMs * 5));
      this.createClient(() => {
        clearTimeout(timer);
        done();
      });
    });
    await synced;
    const health = this.health();
    if (!health.ready || health.reason) this.options.logger.warn({ reason: health.reason }, 'flags from Unleash are not current');
  }

  health(): FlagsHealth {
    if (this.unauthorized) {
      return { ready: false, reason: `${this.unauthorized}; retrying every ${Math.round(this.retryDelayMs / 1000)} s (PUT /flags/client-token replaces the token)` };
    }
    const last = this.lastFailure ? ` (last poll: ${this.lastFailure})` : '';
    if (this.source === 'none') return { ready: false, reason: `no flags from Unleash yet and no bootstrap file: every route goes to legacy${last}` };
    if (this.source === 'bootstrap') return { ready: true, reason: `serving flags from the bootstrap file: Unleash not reached yet${last}` };
    if (this.unreachableSince) return { ready: true, reason: `Unleash unreachable since ${this.unreachableSince.toISOString()}: serving the last known flags${last}` };
    if (this.missingFlags.length > 0) return { ready: true, reason: `no flag ${this.missingFlags.join(', ')} in Unleash (project ${this.options.flags.project}, environment ${this.options.flags.environment}): those routes go to legacy` };
    return { ready: true };
  }

  async refresh(): Promise<void> {
    // unleash-client polls on its own; changes made here are applied locally at once.
  }

  setClientToken(token: string): void {
    this.clientToken = token;
    if (this.unauthorized) this.recreateClient();
  }

  async change(route: RouteConfig, change: RouteChange, options: ChangeOptions = {}): Promise<ChangeResult> {
    if (!this.admin) {
      throw new StatusError(409, 'STRANGLER_ERR_NO_ADMIN_TOKEN', 'flags.adminToken is not configured: change the flag in Unleash itself, or give strangler an admin token');
    }
    const { before, target, after, changed } = await this.writeFlag(this.admin, route, change, options.create === true);
    const known = this.states.get(route.name);
    const warnings = [servedOtherwise(route, target, after)].filter((w): w is string => w !== undefined);
    if (!changed && known && sameFlagState(known, after)) return { state: known, changed, ...joinWarnings(warnings) };
    if (changed) {
      try {
        await this.options.store.record({ route: route.name, actor: change.actor, reason: change.reason, from: { stage: before.stage, percent: before.percent }, to: { stage: after.stage, percent: after.percent } });
      } catch (err) {
        // Unleash holds the change already: saying "nothing changed" would be false, and a retry would find nothing to change.
        warnings.push(`the change is applied in Unleash, but its history entry could not be written (state store: ${(err as Error).message})`);
        this.options.logger.error({ route: route.name, actor: change.actor, reason: change.reason, from: before, to: after, err: (err as Error).message }, 'route change applied in Unleash; history entry lost');
      }
    }
    // Long enough for a poll already under way, and for Unleash's own delay in serving the change.
    this.pending.set(route.name, { state: after, until: Date.now() + this.options.flags.refreshMs * 2 + 1500 });
    return { state: this.setState(route, after), changed, ...joinWarnings(warnings) };
  }

  history(route: string, limit: number): Promise<RouteHistoryEntry[]> {
    return storeCall(() => this.options.store.history(route, limit));
  }

  /**
   * The flags as Unleash's client API serves them. With an admin token the routes' flags are read from
   * Unleash at this moment, so an export right after `rollout set` has the change (the last poll can be a
   * refresh interval old); the other flags, and everything without an admin token, come from the last poll.
   */
  async exportFlags(): Promise<unknown> {
    if (!this.admin) return { version: 2, features: this.lastFeatures };
    const admin = this.admin;
    const flags = [...new Set(this.options.routes.map((route) => route.flag))];
    const current = new Map<string, UnleashFeature>();
    for (const flag of flags) {
      // A flag that cannot be read now keeps what the last poll had: the export is never worse than before.
      const feature = await admin.getFeature(flag).catch(() => undefined);
      const served = feature && servedIn(feature, this.options.flags.environment);
      if (!served) continue;
      const strategies = served.strategies.map(({ name, parameters, constraints, segments, variants }) => ({
          name,
          parameters: parameters ?? {},
          constraints: constraints ?? [],
          ...(segments?.length ? { segments } : {}),
          ...(variants?.length ? { variants } : {}),
        }));
      current.set(flag, { name: flag, enabled: served.enabled, strategies, ...(served.dependencies ? { dependencies: served.dependencies } : {}) });
    }
    const features = this.lastFeatures.map((feature) => {
      const now = current.get(feature.name);
      current.delete(feature.name);
      return now ? { ...feature, ...now } : feature;
    });
    return { version: 2, features: [...features, ...current.values()] };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.recheckTimer) clearTimeout(this.recheckTimer);
    if (this.client) destroyClient(this.client);
    this.client = undefined;
  }

  /**
   * unleash-client decides when it holds the flag as we know it; before its first answer, or while a
   * change made here has not come back from Unleash yet, the same bucketing decides in-process.
   */
  private inRollout(route: RouteConfig, value: string, percent: number): boolean {
    const client = this.decidingClient(route);
    if (!client) return routeInRollout(route, value, percent);
    return client.isEnabled(route.flag, flagContext(route, { stickyValue: value, remoteAddress: undefined }));
  }

  /** Undefined until unleash-client holds the flag as we know it: then the managed share is split in-process. */
  private inFlagRule(route: RouteConfig, request: FlagRequest): boolean | undefined {
    const client = this.decidingClient(route);
    return client ? client.isEnabled(route.flag, flagContext(route, request)) : undefined;
  }

  /** The client, when it holds the route's flag as we know it: it has had flags, and no change made here is on its way. */
  private decidingClient(route: RouteConfig): Unleash | undefined {
    return this.clientHasFlags && !this.pending.has(route.name) ? this.client : undefined;
  }

  /**
   * Applies `change` to the flag as Unleash holds it now (not as the last poll saw it, nor before any poll):
   * `before` is read from the flag itself. `changed` is false when Unleash already holds exactly the target
   * (enabled state and every strategy parameter): then nothing is written.
   */
  private async writeFlag(
    admin: UnleashAdminApi,
    route: RouteConfig,
    change: RouteChange,
    create: boolean,
  ): Promise<{ before: FlagState; target: StageAndPercent; after: FlagState; changed: boolean }> {
    const { project, environment } = this.options.flags;
    let feature = await admin.getFeature(route.flag);
    if (!feature) {
      if (!create) {
        throw new StatusError(404, 'STRANGLER_ERR_FLAG_MISSING', `flag "${route.flag}" does not exist in Unleash project ${project} (pass --create to create it)`);
      }
      await admin.createFeature(route.flag, `strangler route ${route.name} (${route.match.path})`);
      feature = await admin.getFeature(route.flag);
    }
    const served = feature && servedIn(feature, environment);
    if (!served) throw new StatusError(409, 'STRANGLER_ERR_UNLEASH_ENVIRONMENT', `flag "${route.flag}" has no environment "${environment}" in Unleash project ${project}`);
    const live = served.strategies;
    const before = stateFromFeature({ name: route.flag, ...served });
    const target = afterChange(before, change);
    const conflict = stagePercentConflict(route.name, target.stage, target.percent);
    if (conflict) throw new StatusError(409, 'STRANGLER_ERR_STATE_CONFLICT', conflict);
    const parameters = rolloutParameters(route, target);
    const strategy = managedStrategy(live);
    // In Unleash's own order (the managed strategy changed in place, or added last), so the rule text is the one the next poll reads.
    const written = { name: ROLLOUT_STRATEGY, parameters };
    const strategies = strategy ? live.map((s) => (s === strategy ? written : s)) : [...live, written];
    const after = stateFromFeature({ name: route.flag, enabled: enabledFor(target.stage), strategies, dependencies: served.dependencies });
    if (!strategy) {
      if (!create) {
        throw new StatusError(409, 'STRANGLER_ERR_FLAG_STRATEGY', `flag "${route.flag}" has no ${ROLLOUT_STRATEGY} strategy without constraints or segments in ${environment} (pass --create to add one)`);
      }
      await admin.addStrategy(route.flag, { name: ROLLOUT_STRATEGY, parameters });
    } else if (served.enabled === enabledFor(target.stage) && Object.entries(parameters).every(([key, value]) => strategy.parameters?.[key] === value)) {
      return { before, target, after, changed: false };
    } else {
      await admin.patchStrategy(
        route.flag,
        strategy.id,
        Object.entries(parameters).map(([key, value]) => ({ op: 'add' as const, path: `/parameters/${key}`, value })),
      );
    }
    if (served.enabled !== enabledFor(target.stage)) await admin.setEnabled(route.flag, enabledFor(target.stage));
    return { before, target, after, changed: true };
  }

  /** `onFirstAnswer` runs once, when Unleash first answers (flags, or a refusal of the token). */
  private createClient(onFirstAnswer?: () => void): void {
    const { flags, logger } = this.options;
    let firstAnswer = onFirstAnswer;
    const settle = (): void => {
      firstAnswer?.();
      firstAnswer = undefined;
    };
    const client = new Unleash({
      url: `${flags.url}/api`,
      appName: flags.appName,
      environment: flags.environment,
      projectName: flags.project,
      refreshInterval: flags.refreshMs,
      disableMetrics: true,
      skipInstanceCountWarning: true,
      timeout: Math.min(10000, Math.max(1000, flags.refreshMs)),
      // Never a backup file on disk: a stale file of another app must not be read back.
      storageProvider: new InMemStorageProvider(),
      customHeadersFunction: async () => ({ authorization: this.clientToken }),
    });
    this.client = client;
    this.clientHasFlags = false;
    // No bootstrap is handed to the client (the last known flags live here), so every `changed` is Unleash's answer.
    client.on(UnleashEvents.Changed, () => {
      if (this.client !== client) return;
      this.unauthorized = undefined;
      this.unreachableSince = undefined;
      this.lastFailure = undefined;
      this.retryDelayMs = flags.refreshMs;
      if (this.source !== 'unleash') logger.info({ flags: this.options.routes.map((r) => r.flag) }, 'flags synchronised with Unleash');
      this.takeFeatures(client, 'unleash');
    });
    // unleash-client emits `changed` before it marks itself ready (a tick later); until then its isEnabled
    // answers the fallback (false) for everyone, so the client decides only from `ready` on.
    client.on(UnleashEvents.Ready, () => {
      if (this.client !== client) return;
      this.clientHasFlags = true;
      settle();
    });
    client.on(UnleashEvents.Unchanged, () => {
      if (this.client !== client) return;
      this.unreachableSince = undefined;
      this.lastFailure = undefined;
    });
    client.on(UnleashEvents.Error, (err: Error) => {
      if (this.client !== client || this.stopped) return;
      const status = /responded (401|403)/.exec(err.message)?.[1];
      if (status) {
        this.onUnauthorized(Number(status));
        settle();
        return;
      }
      this.pollFailed('unreachable', redactUrlsIn(err.message));
    });
    client.on(UnleashEvents.Warn, (message: unknown) => {
      if (this.client !== client || this.stopped) return;
      // 404, 429 and 5xx come as warnings (unleash-client backs off and polls on): as stale as no answer at all.
      // Other warnings (isEnabled before the first data, on every call) say nothing health() does not.
      const status = /responded (?:[A-Z_]+ \()?(\d{3})\b/.exec(String(message))?.[1];
      if (status) this.pollFailed('http-error', `${status} from ${redactUrl(flags.url)}/api/client/features${status === '404' ? ': check flags.url' : ''}`);
    });
  }

  private pollFailed(reason: 'unreachable' | 'http-error', what: string): void {
    this.errors.labels(reason).inc();
    if (!this.unreachableSince) this.options.logger.warn({ err: what }, 'Unleash unreachable: serving the last known flags');
    this.unreachableSince ??= new Date();
    this.lastFailure = what;
  }

  private onUnauthorized(status: number): void {
    this.unauthorized = `Unleash refused the client token (${status}): unleash-client stopped polling`;
    this.errors.labels('unauthorized').inc();
    this.options.logger.error({ status, url: redactUrl(this.options.flags.url) }, `${this.unauthorized}; flags frozen until the token works`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, MAX_RETRY_MS);
      this.recreateClient();
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }

  /** unleash-client never polls again after a 401/403: a new client (seeded with the last flags) does. */
  private recreateClient(): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.client) destroyClient(this.client);
    this.createClient();
  }

  private takeFeatures(client: Unleash, from: 'bootstrap' | 'unleash'): void {
    const features = client.getFeatureToggleDefinitions() as UnleashFeature[];
    this.lastFeatures = features;
    this.applyFeatures(features, from);
  }

  private applyFeatures(features: UnleashFeature[], from: 'bootstrap' | 'unleash'): void {
    if (from === 'unleash' || this.source === 'none') this.source = from;
    const byName = new Map(features.map((f) => [f.name, f]));
    if (from === 'unleash') this.noteMissingFlags(byName);
    for (const route of this.options.routes) {
      const next = stateFromFeature(byName.get(route.flag));
      const pending = this.pending.get(route.name);
      if (pending) {
        if (sameState(pending.state, next)) this.pending.delete(route.name);
        else if (Date.now() < pending.until) {
          this.recheckAt(pending.until);
          continue;
        } else this.pending.delete(route.name);
      }
      const before = this.states.get(route.name);
      if (before && sameFlagState(before, next)) continue;
      this.setState(route, next);
      if (before) {
        this.options.logger.info(
          { route: route.name, from: describeState(before), to: describeState(next), source: from },
          'route state changed in Unleash',
        );
      } else if (next.flagRule) {
        this.options.logger.info({ route: route.name, state: describeState(next), source: from }, 'unleash-client decides this route per request: its flag has strategies strangler does not manage');
      }
    }
  }

  /** A flag name with a typo is otherwise silent: its route just stays on legacy. */
  private noteMissingFlags(byName: Map<string, UnleashFeature>): void {
    const missing = this.options.routes.filter((route) => !byName.has(route.flag)).map((route) => route.flag);
    const fresh = missing.filter((flag) => !this.missingFlags.includes(flag));
    this.missingFlags = missing;
    if (fresh.length === 0) return;
    const { project, environment } = this.options.flags;
    this.options.logger.warn(
      { flags: fresh, project, environment },
      'no such flag in Unleash: the route goes to legacy until it exists (strangler rollout set ROUTE PERCENT --create makes it)',
    );
  }

  /** Unleash says something else than a change made here: if it still does when the wait is over, it wins. */
  private recheckAt(until: number): void {
    if (this.recheckTimer) return;
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = undefined;
      if (!this.stopped) this.applyFeatures(this.lastFeatures, this.source === 'unleash' ? 'unleash' : 'bootstrap');
    }, Math.max(0, until - Date.now()) + 10);
    this.recheckTimer.unref();
  }

  private setState(route: RouteConfig, next: FlagState): RouteState {
    const before = this.states.get(route.name);
    const state: RouteState = { route: route.name, ...next, version: (before?.version ?? 0) + 1, updatedAt: new Date().toISOString() };
    this.states.set(route.name, state);
    return state;
  }

  private readBootstrap(): UnleashFeature[] | undefined {
    const file = this.options.flags.bootstrap;
    if (!file) return undefined;
    const path = resolve(this.options.baseDir, file);
    try {
      return readBootstrapFeatures(path) as UnleashFeature[];
    } catch (err) {
      throw new StranglerError('STRANGLER_ERR_FLAGS_BOOTSTRAP', `flags.bootstrap ${path}: ${(err as Error).message}`);
    }
  }
}

/**
 * unleash-client's destroy() drops its repository's listeners while a poll may still be in flight; that
 * poll's failure is then emitted with no listener and crashes the process. A quiet listener stays.
 */
function destroyClient(client: Unleash): void {
  client.destroy();
  (client as unknown as { repository?: EventEmitter }).repository?.on('error', () => undefined);
}

function flagContext(route: RouteConfig, request: FlagRequest): Record<string, string> {
  const context: Record<string, string> = {};
  if (request.stickyValue !== undefined) context[stickinessField(route) === 'sessionId' ? 'sessionId' : 'userId'] = request.stickyValue;
  if (request.remoteAddress !== undefined) context.remoteAddress = request.remoteAddress;
  return context;
}

function sameFlagState(a: FlagState, b: FlagState): boolean {
  return sameState(a, b) && a.flagRule === b.flagRule;
}

function describeState(state: FlagState): string {
  return state.flagRule ? `${state.stage} ≥${state.percent}% (unleash-client decides: ${state.flagRule})` : `${state.stage} ${state.percent}%`;
}

/** What an operator must hear when the flag's other strategies make Unleash serve something else than what was set. */
function servedOtherwise(route: RouteConfig, target: StageAndPercent, after: FlagState): string | undefined {
  if (after.flagRule) {
    return `flag "${route.flag}" has strategies strangler does not manage (${after.flagRule}): unleash-client decides each request, and the new service gets at least ${after.percent}%`;
  }
  if (!sameState(target, after)) return `flag "${route.flag}" has other strategies that let everyone in: Unleash serves ${after.stage} ${after.percent}%, not ${target.stage} ${target.percent}%`;
  return undefined;
}

function joinWarnings(warnings: string[]): { warning?: string } {
  return warnings.length > 0 ? { warning: warnings.join('; ') } : {};
}

