import type { EventEmitter } from 'node:events';
import { Counter, type Registry } from 'prom-client';
import { InMemStorageProvider, Unleash, UnleashEvents, type ClientFeaturesResponse } from 'unleash-client';
import { redactUrl } from '../../core/config/redact';
import type { UnleashFlagsConfig } from '../../core/config/types';
import type { Logger } from '../../core/logging';
import type { UnleashFeature } from './unleash-mapping';
import { describeFailure, pollErrorFailure, pollWarningFailure, type PollFailure } from './unleash-poll-failures';

type ClientFeature = ClientFeaturesResponse['features'][number];
export type UnleashSegment = NonNullable<ClientFeaturesResponse['segments']>[number];

/** Flags, with the segments their strategies name (the client API serves them apart from the flags). */
export interface KnownFlags {
  features: UnleashFeature[];
  segments: UnleashSegment[];
}

/** What the session asks of, and tells, the provider it polls for. */
export interface ClientSessionHooks {
  /** The last known flags (Unleash's last answer, or the bootstrap file): each new client is seeded with them. */
  lastKnown(): KnownFlags;
  /** Unleash answered with flags. */
  flagsReceived(flags: KnownFlags): void;
  /** Unleash answered that nothing changed (304). */
  unchanged(): void;
}

const MAX_RETRY_MS = 60000;

/**
 * The unleash-client that polls Unleash: created seeded with the last known flags, its failed polls told
 * apart (unreachable, an error status, a refused token), and replaced by a new one when Unleash refused the
 * token (unleash-client stops polling then), after a wait that doubles on every refusal.
 */
export class UnleashClientSession {
  private client: Unleash | undefined;
  /** The current client holds flags and decides: from Unleash, or the last known ones it was seeded with. */
  private clientHasFlags = false;
  private token: string;
  private refusal: string | undefined;
  private downSince: Date | undefined;
  /** What the last failed poll said (refused connection, or the status Unleash answered with). */
  private failure: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** When retryTimer fires (the wait doubles on every refusal). */
  private retryAt = 0;
  private retryDelayMs: number;
  private stopped = false;
  private readonly errors: Counter<'reason'>;

  constructor(
    private readonly flags: UnleashFlagsConfig,
    private readonly logger: Logger,
    registry: Registry,
    private readonly hooks: ClientSessionHooks,
  ) {
    this.token = flags.clientToken;
    this.retryDelayMs = flags.refreshMs;
    this.errors = new Counter({
      name: 'strangler_flags_errors_total',
      help: 'Failed polls of Unleash: unauthorized (401/403, polling stops until fixed), unreachable (refused, reset or timed out), http-error (any other answer than 2xx or 304; on 404, 429 or 5xx unleash-client backs off).',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  get clientToken(): string {
    return this.token;
  }

  /** Why Unleash refuses the client token; undefined while it accepts it. */
  get unauthorized(): string | undefined {
    return this.refusal;
  }

  get unreachableSince(): Date | undefined {
    return this.downSince;
  }

  get lastFailure(): string | undefined {
    return this.failure;
  }

  /** The client, once it holds flags (from Unleash, or the ones it was seeded with). */
  get clientWithFlags(): Unleash | undefined {
    return this.clientHasFlags ? this.client : undefined;
  }

  /** `onFirstAnswer` runs once, when Unleash first answers (flags, or a refusal of the token). */
  start(onFirstAnswer: () => void): void {
    this.createClient(onFirstAnswer);
  }

  setClientToken(token: string): void {
    this.token = token;
    if (this.refusal) this.recreateClient();
  }

  nextRetry(): string {
    if (!this.retryTimer) return 'retrying now';
    return `next retry in ${Math.max(1, Math.ceil((this.retryAt - Date.now()) / 1000))} s`;
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.client) destroyClient(this.client);
    this.client = undefined;
  }

  /**
   * The client is seeded with the last known flags, so it decides from the start, as it will once Unleash
   * answers: the flag's other strategies (the testers), its groupId and stickiness hold while Unleash is down
   * or refuses the token.
   */
  private createClient(onFirstAnswer?: () => void): void {
    const { flags, logger } = this;
    let firstAnswer = onFirstAnswer;
    const settle = (): void => {
      firstAnswer?.();
      firstAnswer = undefined;
    };
    const seed = seedOf(this.hooks.lastKnown());
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
      customHeadersFunction: async () => ({ authorization: this.token }),
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
      this.hooks.flagsReceived({ features: client.getFeatureToggleDefinitions() as UnleashFeature[], segments: segmentsOf(client) });
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
      this.hooks.unchanged();
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
    const { reason, what } = describeFailure(failure, this.flags.url);
    this.errors.labels(reason).inc();
    if (!this.downSince) this.logger.warn({ err: what }, 'Unleash unreachable: serving the last known flags');
    this.downSince ??= new Date();
    this.failure = what;
  }

  /** Unleash answered (flags or 304): an outage or a refused token, if there was one, is over. */
  private pollSucceeded(): void {
    const { logger } = this;
    if (this.downSince) {
      logger.info({ since: this.downSince.toISOString(), lastFailure: this.failure }, 'Unleash reachable again: flags are current');
    }
    if (this.refusal) logger.info({ url: redactUrl(this.flags.url) }, 'Unleash accepts the client token again: flags are current');
    this.refusal = undefined;
    this.downSince = undefined;
    this.failure = undefined;
  }

  private onUnauthorized(status: number): void {
    this.refusal = `Unleash refused the client token (${status})`;
    this.errors.labels('unauthorized').inc();
    this.logger.error({ status, url: redactUrl(this.flags.url) }, `${this.refusal}: unleash-client stopped polling; flags frozen until the token works`);
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
}

/** The flags (and segments) a new client starts from; undefined when none are known. */
function seedOf(known: KnownFlags): { features: ClientFeature[]; segments: UnleashSegment[] } | undefined {
  if (known.features.length === 0) return undefined;
  // A bootstrap file's flag may leave out its strategies; unleash-client reports that as an error.
  const features = known.features.map((feature) => ({ ...feature, strategies: feature.strategies ?? [] }) as ClientFeature);
  return { features, segments: known.segments };
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
