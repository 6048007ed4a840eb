import type { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import { InMemStorageProvider, Unleash, UnleashEvents, type ClientFeaturesResponse } from 'unleash-client';
import { inRollout, rolloutGroupId } from '../../core/bucketing';
import { readBootstrapFile, unknownSegments, type BootstrapFile, type BootstrapSegment } from '../../core/config/bootstrap-file';
import { redactUrl, redactUrlsIn } from '../../core/config/redact';
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
import { servedIn, UnleashAdminApi } from './unleash-admin';
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

type ClientFeature = ClientFeaturesResponse['features'][number];
type UnleashSegment = NonNullable<ClientFeaturesResponse['segments']>[number];

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
  /** The current client holds flags and decides: from Unleash, or the last known ones it was seeded with. */
  private clientHasFlags = false;
  private clientToken: string;
  private readonly admin: UnleashAdminApi | undefined;
  private readonly writer: UnleashFlagWriter | undefined;
  private readonly states = new Map<string, RouteState>();
  /** The last known flags (Unleash's last answer, or the bootstrap file): each new client is seeded with them. */
  private lastFeatures: UnleashFeature[] = [];
  /** The segments those flags' strategies name (the client API serves them apart from the flags). */
  private lastSegments: UnleashSegment[] = [];
  /** Per route: the groupId its flag's strategy buckets by, for the share split here (Unleash's, not always the flag name). */
  private readonly groupIds = new Map<string, string>();
  /** Per route: the stickiness, set in Unleash, that the log last warned about (once per change). */
  private readonly foreignStickinessWarned = new Map<string, string>();
  private source: 'none' | 'bootstrap' | 'unleash' = 'none';
  private unauthorized: string | undefined;
  private unreachableSince: Date | undefined;
  /** Flags of routes that Unleash's last answer did not have: those routes go to legacy. */
  private missingFlags: string[] = [];
  /** What the last failed poll said (refused connection, or the status Unleash answered with). */
  private lastFailure: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** When retryTimer fires (the wait doubles on every refusal). */
  private retryAt = 0;
  private recheckTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number;
  /** Changes made through this process, kept until Unleash's answers show them (a poll may be older). */
  private readonly pending = new Map<string, { state: FlagState; until: number }>();
  private stopped = false;
  /** Changes through this process, one route at a time. */
  private readonly changes = new KeyedQueue();
  private readonly errors: Counter<'reason'>;

  constructor(private readonly options: UnleashProviderOptions) {
    const { flags, registry } = options;
    this.clientToken = flags.clientToken;
    this.retryDelayMs = flags.refreshMs;
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
    this.errors = new Counter({
      name: 'strangler_flags_errors_total',
      help: 'Failed polls of Unleash: unauthorized (401/403, polling stops until fixed), unreachable (refused, reset or timed out), http-error (any other answer than 2xx or 304; on 404, 429 or 5xx unleash-client backs off).',
      labelNames: ['reason'],
      registers: [registry],
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
    const mismatch = tokenEnvironmentMismatch(this.clientToken, this.options.flags.environment);
    if (mismatch) throw new StranglerError('STRANGLER_ERR_FLAGS_TOKEN_ENVIRONMENT', `flags.clientToken ${mismatch}`);
    const bootstrap = this.readBootstrap();
    if (bootstrap) {
      this.applyFeatures(bootstrap.features, 'bootstrap');
      this.lastFeatures = bootstrap.features;
      this.lastSegments = bootstrap.segments;
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
      // Routing goes on with the last known flags: not-ready on every replica at once would empty the load balancer.
      const retry = `${this.nextRetry()} (PUT /flags/client-token replaces the token)`;
      if (this.source === 'none') return { ready: false, reason: `${this.unauthorized}: no flags yet, every route goes to legacy; ${retry}` };
      const frozen = this.source === 'bootstrap' ? 'serving the flags of the bootstrap file' : 'flags frozen at the last known state';
      return { ready: true, reason: `${this.unauthorized}: ${frozen}; ${retry}` };
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
    const mismatch = tokenEnvironmentMismatch(token, this.options.flags.environment);
    if (mismatch) throw new StatusError(400, 'STRANGLER_ERR_FLAGS_TOKEN_ENVIRONMENT', `token ${mismatch}`);
    this.clientToken = token;
    if (this.unauthorized) this.recreateClient();
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

  /**
   * The flags as Unleash's client API serves them, with the segments their strategies name (by id). With an
   * admin token the routes' flags and those segments are read from Unleash at this moment, so an export right
   * after `rollout set` has the change (the last poll can be a refresh interval old); the other flags, and
   * everything without an admin token, come from the last poll.
   */
  async exportFlags(): Promise<FlagsExport> {
    const unread = new Unread();
    const features = this.admin ? await this.featuresReadNow(this.admin, unread) : this.lastFeatures;
    // Parsed from Unleash's JSON: unleash-client's type allows a Date constraint value, JSON never holds one.
    const segments = (await this.segmentsNamedBy(features, unread)) as BootstrapSegment[];
    if (unread.names.length === 0) return { version: 2, features, segments };
    const them = unread.names.length === 1 ? 'it' : 'them';
    const warning = `Unleash could not be read now (${unread.cause}): ${unread.names.join(', ')} exported as this proxy last had ${them}, which may be older than the last change`;
    return { version: 2, features, segments, warnings: [warning] };
  }

  private async featuresReadNow(admin: UnleashAdminApi, unread: Unread): Promise<UnleashFeature[]> {
    const flags = [...new Set(this.options.routes.map((route) => route.flag))];
    const current = new Map<string, UnleashFeature>();
    for (const flag of flags) {
      // A flag that cannot be read now keeps what the last poll had (the export is never worse than before), and the answer says so.
      const feature = await admin.getFeature(flag).catch((err: Error) => unread.add(`flag "${flag}"`, err));
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
    return [...features, ...current.values()];
  }

  /**
   * The segments `features` name, as Unleash's client API serves them (`{id, name, constraints}`): read now
   * with an admin token, else (or when that read fails) as last known. One known nowhere is left out.
   */
  private async segmentsNamedBy(features: readonly UnleashFeature[], unread: Unread): Promise<UnleashSegment[]> {
    const known = new Map(this.lastSegments.map((segment) => [segment.id, segment]));
    const segments: UnleashSegment[] = [];
    for (const id of segmentIdsOf(features)) {
      const now = await this.admin?.getSegment(id).catch((err: Error) => unread.add(`segment ${id}`, err));
      const segment = now ? ({ id: now.id, name: now.name, constraints: now.constraints } as UnleashSegment) : known.get(id);
      if (segment) segments.push(segment);
    }
    return segments;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.recheckTimer) clearTimeout(this.recheckTimer);
    if (this.client) destroyClient(this.client);
    this.client = undefined;
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
    return this.clientHasFlags && !this.pending.has(route.name) ? this.client : undefined;
  }

  /**
   * `onFirstAnswer` runs once, when Unleash first answers (flags, or a refusal of the token). The client is
   * seeded with the last known flags, so it decides from the start, as it will once Unleash answers: the
   * flag's other strategies (the testers), its groupId and stickiness hold while Unleash is down or refuses the token.
   */
  private createClient(onFirstAnswer?: () => void): void {
    const { flags, logger } = this.options;
    let firstAnswer = onFirstAnswer;
    const settle = (): void => {
      firstAnswer?.();
      firstAnswer = undefined;
    };
    const seed = this.seed();
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
      ...(seed ? { bootstrap: { data: seed.features, segments: seed.segments } } : {}),
    });
    this.client = client;
    this.clientHasFlags = false;
    let answered = false;
    client.on(UnleashEvents.Changed, (features: unknown) => {
      // A seeded client emits `changed` (and `synchronized`) for the seed too: that is no answer from Unleash.
      if (this.client !== client || (seed && isSeed(features, seed.features))) return;
      answered = true;
      this.pollSucceeded();
      this.retryDelayMs = flags.refreshMs;
      if (this.source !== 'unleash') logger.info({ flags: this.options.routes.map((r) => r.flag) }, 'flags synchronised with Unleash');
      this.takeFeatures(client, 'unleash');
      if (this.clientHasFlags) settle();
    });
    // unleash-client emits `changed` before it marks itself ready (a tick later); until then its isEnabled
    // answers the fallback (false) for everyone, so the client decides only from `ready` on. A seeded
    // client is ready before Unleash answers: the start still waits for the answer.
    client.on(UnleashEvents.Ready, () => {
      if (this.client !== client) return;
      this.clientHasFlags = true;
      if (answered) settle();
    });
    client.on(UnleashEvents.Unchanged, () => {
      if (this.client !== client) return;
      this.pollSucceeded();
      if (this.pending.size > 0) this.recheckPending();
    });
    client.on(UnleashEvents.Error, (err: Error) => this.onPollFailure(client, pollErrorFailure(err), settle));
    client.on(UnleashEvents.Warn, (message: unknown) => this.onPollFailure(client, pollWarningFailure(String(message)), settle));
  }

  /** `failure` undefined: the event was about something else than a poll. */
  private onPollFailure(client: Unleash, failure: PollFailure | undefined, settle: () => void): void {
    if (this.client !== client || this.stopped || !failure) return;
    if (failure.kind === 'unauthorized') {
      this.onUnauthorized(failure.status);
      settle();
      return;
    }
    const { reason, what } = this.describeFailure(failure);
    this.errors.labels(reason).inc();
    if (!this.unreachableSince) this.options.logger.warn({ err: what }, 'Unleash unreachable: serving the last known flags');
    this.unreachableSince ??= new Date();
    this.lastFailure = what;
  }

  private describeFailure(failure: Exclude<PollFailure, { kind: 'unauthorized' }>): { reason: 'unreachable' | 'http-error'; what: string } {
    const url = redactUrl(this.options.flags.url);
    switch (failure.kind) {
      case 'status':
        return { reason: 'http-error', what: `${failure.status} from ${url}/api/client/features${failure.status === 404 ? ': check flags.url' : ''}` };
      case 'reset':
        return { reason: 'unreachable', what: `connection reset (ECONNRESET) by ${url}` };
      case 'fetch':
        return { reason: 'unreachable', what: redactUrlsIn(failure.message) };
    }
  }

  /** Unleash answered (flags or 304): an outage or a refused token, if there was one, is over. */
  private pollSucceeded(): void {
    const { logger } = this.options;
    if (this.unreachableSince) {
      logger.info({ since: this.unreachableSince.toISOString(), lastFailure: this.lastFailure }, 'Unleash reachable again: flags are current');
    }
    if (this.unauthorized) logger.info({ url: redactUrl(this.options.flags.url) }, 'Unleash accepts the client token again: flags are current');
    this.unauthorized = undefined;
    this.unreachableSince = undefined;
    this.lastFailure = undefined;
  }

  /** Flags as Unleash serves them now: its last poll answered, with the token accepted. */
  private flagsCurrent(): boolean {
    return this.source === 'unleash' && !this.unauthorized && !this.unreachableSince;
  }

  private nextRetry(): string {
    if (!this.retryTimer) return 'retrying now';
    return `next retry in ${Math.max(1, Math.ceil((this.retryAt - Date.now()) / 1000))} s`;
  }

  private onUnauthorized(status: number): void {
    this.unauthorized = `Unleash refused the client token (${status})`;
    this.errors.labels('unauthorized').inc();
    this.options.logger.error({ status, url: redactUrl(this.options.flags.url) }, `${this.unauthorized}: unleash-client stopped polling; flags frozen until the token works`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryAt = Date.now() + this.retryDelayMs;
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

  /** The flags (and segments) a new client starts from; undefined when none are known. */
  private seed(): { features: ClientFeature[]; segments: UnleashSegment[] } | undefined {
    if (this.lastFeatures.length === 0) return undefined;
    // A bootstrap file's flag may leave out its strategies; unleash-client reports that as an error.
    const features = this.lastFeatures.map((feature) => ({ ...feature, strategies: feature.strategies ?? [] }) as ClientFeature);
    return { features, segments: this.lastSegments };
  }

  private takeFeatures(client: Unleash, from: 'bootstrap' | 'unleash'): void {
    const features = client.getFeatureToggleDefinitions() as UnleashFeature[];
    this.lastFeatures = features;
    this.lastSegments = segmentsOf(client);
    this.applyFeatures(features, from);
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
    if (this.flagsCurrent()) this.applyFeatures(this.lastFeatures, 'unleash');
  }

  private setState(route: RouteConfig, next: FlagState): RouteState {
    const before = this.states.get(route.name);
    const state: RouteState = { route: route.name, ...next, version: (before?.version ?? 0) + 1, updatedAt: new Date().toISOString() };
    this.states.set(route.name, state);
    return state;
  }

  private readBootstrap(): { features: UnleashFeature[]; segments: UnleashSegment[] } | undefined {
    const file = this.options.flags.bootstrap;
    if (!file) return undefined;
    const path = resolve(this.options.baseDir, file);
    let read: BootstrapFile;
    try {
      read = readBootstrapFile(path);
    } catch (err) {
      throw new StranglerError('STRANGLER_ERR_FLAGS_BOOTSTRAP', `flags.bootstrap ${path}: ${(err as Error).message}`);
    }
    this.noteUnknownSegments(path, read);
    return { features: read.features as UnleashFeature[], segments: read.segments as UnleashSegment[] };
  }

  /** A file exported before segments were: the strategies naming them let no one in until Unleash answers. */
  private noteUnknownSegments(path: string, file: BootstrapFile): void {
    const unknown = unknownSegments(file);
    if (unknown.length === 0) return;
    this.options.logger.warn(
      { file: path, segments: unknown.map(({ flag, segment }) => `${flag}: segment ${String(segment)}`) },
      'flags.bootstrap names segments it does not hold: those strategies let no one in until Unleash answers (write the file again with strangler flags export)',
    );
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

/** unleash-client's `changed` for the seed hands over the very objects it was given; an answer from Unleash is parsed anew. */
function isSeed(features: unknown, seed: readonly ClientFeature[]): boolean {
  const seeded = new Set<unknown>(seed);
  return Array.isArray(features) && features.length > 0 && features.every((feature) => seeded.has(feature));
}

/** The segments the client's flags name, as Unleash served them (the flags hold only their ids). */
function segmentsOf(client: Unleash): UnleashSegment[] {
  const segments = new Map<number, UnleashSegment>();
  for (const feature of client.getFeatureToggleDefinitions(true) ?? []) {
    for (const strategy of feature.strategies ?? []) {
      for (const segment of strategy.segments ?? []) if (segment) segments.set(segment.id, segment);
    }
  }
  return [...segments.values()];
}

/** The ids of the segments the flags' strategies name, each once. */
function segmentIdsOf(features: readonly UnleashFeature[]): number[] {
  const ids = new Set<number>();
  for (const feature of features) {
    for (const strategy of feature.strategies ?? []) {
      for (const id of strategy.segments ?? []) if (typeof id === 'number') ids.add(id);
    }
  }
  return [...ids];
}

/** A failed poll, as unleash-client reports it. */
type PollFailure =
  | { kind: 'unauthorized'; status: number }
  /** Unleash (or something in front of it) answered with a status that is not 2xx, 304, 401 or 403. */
  | { kind: 'status'; status: number }
  /** The connection was reset: a load balancer or port-forward in front of a dead Unleash. */
  | { kind: 'reset' }
  /** No answer: refused, timed out, no such host, or a body that could not be read. */
  | { kind: 'fetch'; message: string };

/** unleash-client (`Unleash`) puts this before the message of every error its polling reports. */
const REPOSITORY_ERROR = 'Unleash Repository error: ';

/**
 * unleash-client 6.12's polling fetcher (repository/polling-fetcher.js) reports as errors: a 401/403
 * ("<url> responded 401 which means your API key is not allowed…", and polling stops), any status it has
 * no backoff for ("Response was not statusCode 2XX, but was 400"), and the fetch's own failure. Errors that
 * are not from polling (a malformed flag met by isEnabled) say nothing about Unleash being reachable.
 */
function pollErrorFailure(err: Error): PollFailure | undefined {
  if (!err.message.startsWith(REPOSITORY_ERROR)) return undefined;
  const message = err.message.slice(REPOSITORY_ERROR.length);
  const refused = /responded (401|403)\b/.exec(message)?.[1];
  if (refused) return { kind: 'unauthorized', status: Number(refused) };
  const status = /^Response was not statusCode 2XX, but was (\d{3})\b/.exec(message)?.[1];
  if (status) return { kind: 'status', status: Number(status) };
  return { kind: 'fetch', message };
}

/**
 * The same fetcher reports as warnings the answers it backs off after ("<url> responded FILE_NOT_FOUND (404).
 * Backing off", TOO_MANY_CONNECTIONS (429), "responded 503. Backing off") and a reset connection ("Socket keep
 * alive error, retrying in 1000ms"). Its other warnings (isEnabled before the first data) are not polls.
 */
function pollWarningFailure(message: string): PollFailure | undefined {
  const status = /responded (?:[A-Z_]+ \()?(\d{3})\b/.exec(message)?.[1];
  if (status) return { kind: 'status', status: Number(status) };
  if (message.startsWith('Socket keep alive error')) return { kind: 'reset' };
  return undefined;
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

/** What an export could not read from Unleash now (flags, segments), and why the first of them failed. */
class Unread {
  readonly names: string[] = [];
  cause: string | undefined;

  /** Records `name` as unread; undefined, so a failed read stands for "not read now". */
  add(name: string, err: Error): undefined {
    this.names.push(name);
    this.cause ??= err.message;
    return undefined;
  }
}
