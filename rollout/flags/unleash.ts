import { Gauge, type Registry } from 'prom-client';
import type { Unleash } from 'unleash-client';
import { inRollout, rolloutGroupId } from '../../core/bucketing';
import { tokenEnvironmentMismatch } from '../../core/config/unleash-token';
import type { RouteConfig, UnleashFlagsConfig } from '../../core/config/types';
import { StatusError, StranglerError } from '../../core/errors';
import type { ChangeOptions, FlagProvider, FlagsExport, FlagsHealth } from '../../core/flags';
import type { Logger } from '../../core/logging';
import type { FlagRequest, RouteStateView } from '../../core/route-state-view';
import type { ChangeResult, RouteChange, RouteHistoryEntry, RouteState, StateStore } from '../../core/state';
import { sameState } from '../../core/stage-percent';
import { storeCall } from '../../core/store-call';
import { KeyedQueue } from '../../core/keyed-queue';
import { UnleashAdminApi } from './unleash-admin';
import { readBootstrap } from './unleash-bootstrap';
import { UnleashClientSession, type KnownFlags } from './unleash-client-session';
import { exportUnleashFlags } from './unleash-export';
import { splitRestored, UnleashFlagWriter } from './unleash-flag-writer';
import {
  describeState,
  foreignStickiness,
  managedStrategy,
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

/**
 * Route state from a real Unleash server: one flag per route, evaluated in memory by unleash-client
 * (no network call on the request path), changed through Unleash's Admin API.
 */
export class UnleashFlagProvider implements FlagProvider {
  readonly kind = 'unleash' as const;
  readonly view: RouteStateView;
  /** The unleash-client polling Unleash, with its failures and its recovery from a refused token. */
  private readonly session: UnleashClientSession;
  private readonly admin: UnleashAdminApi | undefined;
  private readonly writer: UnleashFlagWriter | undefined;
  private readonly states = new Map<string, RouteState>();
  /** The last known flags (Unleash's last answer, or the bootstrap file): each new client is seeded with them. */
  private lastKnown: KnownFlags = { features: [], segments: [] };
  /** Per route: the groupId its flag's strategy buckets by, for the share split here (Unleash's, not always the flag name). */
  private readonly groupIds = new Map<string, string>();
  /** Per route: the stickiness, set in Unleash, that the log last warned about (once per change). */
  private readonly foreignStickinessWarned = new Map<string, string>();
  private source: 'none' | 'bootstrap' | 'unleash' = 'none';
  /** Flags of routes that Unleash's last answer did not have: those routes go to legacy. */
  private missingFlags: string[] = [];
  private recheckTimer: NodeJS.Timeout | undefined;
  /** Changes made through this process, kept until Unleash's answers show them (a poll may be older). */
  private readonly pending = new Map<string, { state: FlagState; until: number }>();
  private stopped = false;
  /** Changes through this process, one route at a time. */
  private readonly changes = new KeyedQueue();

  constructor(private readonly options: UnleashProviderOptions) {
    const { flags, registry } = options;
    if (flags.adminToken) {
      this.admin = new UnleashAdminApi({ url: flags.url, token: flags.adminToken, project: flags.project, environment: flags.environment });
      this.writer = new UnleashFlagWriter(this.admin, flags);
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
    this.session = new UnleashClientSession(flags, options.logger, registry, {
      lastKnown: () => this.lastKnown,
      flagsReceived: (known) => this.takeFlags(known),
      unchanged: () => {
        if (this.pending.size > 0) this.recheckPending();
      },
    });
    new Gauge({
      name: 'strangler_flags_ready',
      help: '1 when the flags the proxy applies are current (synchronised with Unleash), else 0.',
      registers: [registry],
      collect() {
        this.set(provider.flagsCurrent() ? 1 : 0);
      },
    });
  }

  async start(): Promise<void> {
    const mismatch = tokenEnvironmentMismatch(this.session.clientToken, this.options.flags.environment);
    if (mismatch) throw new StranglerError('STRANGLER_ERR_FLAGS_TOKEN_ENVIRONMENT', `flags.clientToken ${mismatch}`);
    const bootstrap = readBootstrap(this.options.flags.bootstrap, this.options.baseDir, this.options.logger);
    if (bootstrap) {
      this.applyFeatures(bootstrap.features, 'bootstrap');
      this.lastKnown = bootstrap;
    }
    const synced = new Promise<void>((done) => {
      const timer = setTimeout(done, Math.min(FIRST_SYNC_WAIT_MS, this.options.flags.refreshMs * 5));
      this.session.start(() => {
        clearTimeout(timer);
        done();
      });
    });
    await synced;
    const health = this.health();
    if (!health.ready || health.reason) this.options.logger.warn({ reason: health.reason }, 'flags from Unleash are not current');
  }

  health(): FlagsHealth {
    const { unauthorized, unreachableSince, lastFailure } = this.session;
    if (unauthorized) {
      // Routing goes on with the last known flags: not-ready on every replica at once would empty the load balancer.
      const retry = `${this.session.nextRetry()} (PUT /flags/client-token replaces the token)`;
      if (this.source === 'none') return { ready: false, reason: `${unauthorized}: no flags yet, every route goes to legacy; ${retry}` };
      const frozen = this.source === 'bootstrap' ? 'serving the flags of the bootstrap file' : 'flags frozen at the last known state';
      return { ready: true, reason: `${unauthorized}: ${frozen}; ${retry}` };
    }
    const last = lastFailure ? ` (last poll: ${lastFailure})` : '';
    if (this.source === 'none') return { ready: false, reason: `no flags from Unleash yet and no bootstrap file: every route goes to legacy${last}` };
    if (this.source === 'bootstrap') return { ready: true, reason: `serving flags from the bootstrap file: Unleash not reached yet${last}` };
    if (unreachableSince) return { ready: true, reason: `Unleash unreachable since ${unreachableSince.toISOString()}: serving the last known flags${last}` };
    if (this.missingFlags.length > 0) return { ready: true, reason: `no flag ${this.missingFlags.join(', ')} in Unleash (project ${this.options.flags.project}, environment ${this.options.flags.environment}): those routes go to legacy` };
    return { ready: true };
  }

  async refresh(): Promise<void> {
    // unleash-client polls on its own; changes made here are applied locally at once.
  }

  setClientToken(token: string): void {
    const mismatch = tokenEnvironmentMismatch(token, this.options.flags.environment);
    if (mismatch) throw new StatusError(400, 'STRANGLER_ERR_FLAGS_TOKEN_ENVIRONMENT', `token ${mismatch}`);
    this.session.setClientToken(token);
  }

  async change(route: RouteConfig, change: RouteChange, options: ChangeOptions = {}): Promise<ChangeResult> {
    const writer = this.writer;
    if (!writer) {
      throw new StatusError(409, 'STRANGLER_ERR_NO_ADMIN_TOKEN', 'flags.adminToken is not configured: change the flag in Unleash itself, or give strangler an admin token');
    }
    // One change of a route at a time in this process: each reads the flag as the one before it left it.
    return this.changes.run(route.name, () => this.applyChange(writer, route, change, options.create === true));
  }

  private async applyChange(writer: UnleashFlagWriter, route: RouteConfig, change: RouteChange, create: boolean): Promise<ChangeResult> {
    const { before, target, after, changed, groupId, splitReplaced } = await writer.write(route, change, create);
    const known = this.states.get(route.name);
    const warnings = [splitRestored(route, splitReplaced), servedOtherwise(route, target, after)].filter((w): w is string => w !== undefined);
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
    const until = Date.now() + this.options.flags.refreshMs * 2 + 1500;
    this.pending.set(route.name, { state: after, until });
    this.groupIds.set(route.name, groupId);
    // Unleash answering 304 brings no applyFeatures: the wait must end on time all the same.
    this.recheckAt(until);
    return { state: this.setState(route, after), changed, ...joinWarnings(warnings) };
  }

  history(route: string, limit: number): Promise<RouteHistoryEntry[]> {
    return storeCall(() => this.options.store.history(route, limit));
  }

  /** The flags as Unleash's client API serves them, read now where an admin token allows (see exportUnleashFlags). */
  exportFlags(): Promise<FlagsExport> {
    const { routes, flags } = this.options;
    return exportUnleashFlags({ admin: this.admin, lastKnown: () => this.lastKnown, routes, environment: flags.environment });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.recheckTimer) clearTimeout(this.recheckTimer);
    this.session.stop();
  }

  /**
   * unleash-client decides when it holds the flag as we know it; before it holds any flags, or while a
   * change made here has not come back from Unleash yet, the same bucketing (in the flag's own group) decides in-process.
   */
  private inRollout(route: RouteConfig, value: string, percent: number): boolean {
    const client = this.decidingClient(route);
    if (!client) return inRollout(value, this.groupIds.get(route.name) ?? route.flag, percent);
    return client.isEnabled(route.flag, flagContext(route, { stickyValue: value, remoteAddress: undefined }));
  }

  /** Undefined until unleash-client holds the flag as we know it: then the managed share is split in-process. */
  private inFlagRule(route: RouteConfig, request: FlagRequest): boolean | undefined {
    const client = this.decidingClient(route);
    return client ? client.isEnabled(route.flag, flagContext(route, request)) : undefined;
  }

  /** The client, when it holds the route's flag as we know it: it has had flags, and no change made here is on its way. */
  private decidingClient(route: RouteConfig): Unleash | undefined {
    return this.pending.has(route.name) ? undefined : this.session.clientWithFlags;
  }

  /** Flags as Unleash serves them now: its last poll answered, with the token accepted. */
  private flagsCurrent(): boolean {
    return this.source === 'unleash' && !this.session.unauthorized && !this.session.unreachableSince;
  }

  /** Unleash answered with flags: they are the last known ones now, and decide the routes. */
  private takeFlags(known: KnownFlags): void {
    if (this.source !== 'unleash') this.options.logger.info({ flags: this.options.routes.map((r) => r.flag) }, 'flags synchronised with Unleash');
    this.lastKnown = known;
    this.applyFeatures(known.features, 'unleash');
  }

  private applyFeatures(features: UnleashFeature[], from: 'bootstrap' | 'unleash'): void {
    if (from === 'unleash' || this.source === 'none') this.source = from;
    const byName = new Map(features.map((f) => [f.name, f]));
    if (from === 'unleash') this.noteMissingFlags(byName);
    for (const route of this.options.routes) {
      const feature = byName.get(route.flag);
      const next = stateFromFeature(feature, stickinessField(route));
      const pending = this.pending.get(route.name);
      if (pending) {
        if (sameState(pending.state, next)) this.pending.delete(route.name);
        else if (Date.now() < pending.until) {
          this.recheckAt(pending.until);
          continue;
        } else this.pending.delete(route.name);
      }
      const managed = managedStrategy(feature?.strategies ?? []);
      if (managed) this.groupIds.set(route.name, rolloutGroupId(managed.parameters));
      else this.groupIds.delete(route.name);
      this.noteForeignStickiness(route, feature?.enabled === true ? foreignStickiness(managed, stickinessField(route)) : undefined);
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

  /** A stickiness set in Unleash splits by something else than what the route sends: said once per change. */
  private noteForeignStickiness(route: RouteConfig, stickiness: string | undefined): void {
    if (this.foreignStickinessWarned.get(route.name) === stickiness) return;
    if (stickiness === undefined) {
      this.foreignStickinessWarned.delete(route.name);
      return;
    }
    this.foreignStickinessWarned.set(route.name, stickiness);
    this.options.logger.warn(
      { route: route.name, flag: route.flag, stickiness, routeSends: stickinessField(route) },
      `flag's strategy is sticky on ${stickiness} (set in Unleash), not on what the route sends: unleash-client decides each request; rollout set writes the route's stickiness back`,
    );
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
      'no such flag in Unleash: the route goes to legacy until it exists (strangler rollout set ROUTE PERCENT --create makes it; an archived flag must be revived in Unleash)',
    );
  }

  /** Unleash says something else than a change made here: if it still does when the wait is over, it wins. */
  private recheckAt(until: number): void {
    if (this.recheckTimer) return;
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = undefined;
      if (!this.stopped) this.recheckPending();
    }, Math.max(0, until - Date.now()) + 10);
    this.recheckTimer.unref();
  }

  /**
   * Holds the changes made here against Unleash's last answer. Only a current answer can overrule one: the
   * bootstrap file, or a poll from before an outage, is older than the change; the next answer decides then.
   */
  private recheckPending(): void {
    if (this.flagsCurrent()) this.applyFeatures(this.lastKnown.features, 'unleash');
  }

  private setState(route: RouteConfig, next: FlagState): RouteState {
    const before = this.states.get(route.name);
    const state: RouteState = { route: route.name, ...next, version: (before?.version ?? 0) + 1, updatedAt: new Date().toISOString() };
    this.states.set(route.name, state);
    return state;
  }
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
