import { redactUrl, redactUrlsIn } from '../../core/config/redact';
import { StatusError } from '../../core/errors';
import type { UnleashStrategy } from './unleash-mapping';

export interface AdminEnvironment {
  name: string;
  enabled: boolean;
  strategies: Array<UnleashStrategy & { id: string }>;
}

export interface AdminFeature {
  name: string;
  environments: AdminEnvironment[];
  /** Parent flags (Unleash 5.7+). */
  dependencies?: unknown[];
}

/**
 * The flag as clients in `environment` are served it: its enabled state and strategies (disabled ones, which
 * the Admin API lists but clients never see, left out) and its parent flags; undefined without that environment.
 */
export function servedIn(feature: AdminFeature, environment: string): { enabled: boolean; strategies: AdminEnvironment['strategies']; dependencies?: unknown[] } | undefined {
  const env = feature.environments.find((e) => e.name === environment);
  if (!env) return undefined;
  const strategies = env.strategies.filter((s) => s.disabled !== true);
  return { enabled: env.enabled, strategies, ...(feature.dependencies?.length ? { dependencies: feature.dependencies } : {}) };
}

/** A segment as the Admin API answers (`GET /api/admin/segments/:id`): what clients are served, and more. */
export interface AdminSegment {
  id: number;
  name?: string;
  constraints: unknown[];
}

export interface UnleashAdminOptions {
  /** Base URL without `/api`. */
  url: string;
  token: string;
  project: string;
  environment: string;
  timeoutMs?: number;
}

type JsonPatch = Array<{ op: 'add' | 'replace' | 'remove' | 'test'; path: string; value?: unknown }>;

/**
 * What a failed request did to Unleash: `not-applied` when it never reached Unleash or Unleash answered
 * with an error (its handlers write in a transaction), `unknown` when a write was sent and no answer came.
 */
export type RequestOutcome = 'not-applied' | 'unknown';

/** A failed Admin API request, with the status the admin API should answer with. */
export class UnleashAdminError extends StatusError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly outcome: RequestOutcome,
  ) {
    super(status, code, message);
    this.name = 'UnleashAdminError';
  }
}

/** Failures of the connection itself: the request was never sent, so Unleash cannot have applied it. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const ARCHIVED_NAME = /archived/i;

/** The parts of Unleash's Admin API that strangler writes with: flags, their strategy, on/off. */
export class UnleashAdminApi {
  constructor(private readonly options: UnleashAdminOptions) {}

  private get featuresPath(): string {
    return `/api/admin/projects/${encodeURIComponent(this.options.project)}/features`;
  }

  private environmentPath(flag: string): string {
    return `${this.featuresPath}/${encodeURIComponent(flag)}/environments/${encodeURIComponent(this.options.environment)}`;
  }

  private strategyPath(flag: string, strategyId: string): string {
    return `${this.environmentPath(flag)}/strategies/${encodeURIComponent(strategyId)}`;
  }

  async getFeature(flag: string): Promise<AdminFeature | undefined> {
    const response = await this.request('GET', `${this.featuresPath}/${encodeURIComponent(flag)}`, undefined, [404]);
    return response === undefined ? undefined : (response as AdminFeature);
  }

  /** The segment as Unleash holds it now; undefined when there is no such segment. */
  async getSegment(id: number): Promise<AdminSegment | undefined> {
    const response = await this.request('GET', `/api/admin/segments/${encodeURIComponent(String(id))}`, undefined, [404]);
    return response === undefined ? undefined : (response as AdminSegment);
  }

  /** True when Unleash keeps an archived flag of that name (in any project): it must be revived, not created. */
  async isArchived(flag: string): Promise<boolean> {
    try {
      await this.request('POST', '/api/admin/features/validate', { name: flag });
      return false;
    } catch (err) {
      if (err instanceof UnleashAdminError && err.status === 409 && ARCHIVED_NAME.test(err.message)) return true;
      throw err;
    }
  }

  async createFeature(flag: string, description: string): Promise<void> {
    await this.request('POST', this.featuresPath, { name: flag, type: 'release', description, impressionData: false });
  }

  async addStrategy(flag: string, strategy: { name: string; parameters: Record<string, string> }): Promise<string> {
    const created = (await this.request('POST', `${this.environmentPath(flag)}/strategies`, { ...strategy, constraints: [] })) as { id: string };
    return created.id;
  }

  async deleteStrategy(flag: string, strategyId: string): Promise<void> {
    await this.request('DELETE', this.strategyPath(flag, strategyId));
  }

  /**
   * A JSON Patch of the strategy. Unleash honours `test` operations: when one fails it writes nothing and
   * this throws a 409 with code STRANGLER_ERR_UNLEASH_CHANGED.
   */
  async patchStrategy(flag: string, strategyId: string, patch: JsonPatch): Promise<void> {
    await this.request('PATCH', this.strategyPath(flag, strategyId), patch);
  }

  async setEnabled(flag: string, enabled: boolean): Promise<void> {
    await this.request('POST', `${this.environmentPath(flag)}/${enabled ? 'on' : 'off'}`);
  }

  private async request(method: string, path: string, body?: unknown, allowed: number[] = []): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.options.url + path, {
        method,
        headers: { authorization: this.options.token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw this.noAnswer(method, path, err);
    }
    if (allowed.includes(response.status)) return undefined;
    if (!response.ok) throw answerError(method, path, response.status, text);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 10000;
  }

  /** A read that failed changed nothing; so did a write that was never sent. A write that was sent may have been applied. */
  private noAnswer(method: string, path: string, err: unknown): UnleashAdminError {
    const url = redactUrl(this.options.url);
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (method === 'GET' || (code !== undefined && NOT_SENT.has(code))) {
      const cause = redactUrlsIn(String(code ?? (err as Error).message));
      return new UnleashAdminError(503, 'STRANGLER_ERR_UNLEASH_UNREACHABLE', `Unleash at ${url} is unreachable (${cause})`, 'not-applied');
    }
    const how = (err as Error).name === 'TimeoutError' ? `within ${this.timeoutMs / 1000} s` : `before the connection was lost (${redactUrlsIn(String(code ?? (err as Error).message))})`;
    return new UnleashAdminError(503, 'STRANGLER_ERR_UNLEASH_NO_ANSWER', `Unleash at ${url} did not answer ${method} ${path} ${how}: it may have applied it`, 'unknown');
  }
}

/**
 * The status that tells the truth about an error answer: 409 when Unleash's state is in the way (a name
 * taken, a patch whose `test` failed, a flag or strategy gone since it was read), 502 for the rest.
 */
function answerError(method: string, path: string, status: number, text: string): UnleashAdminError {
  const message = unleashMessage(text);
  if (status === 401 || status === 403) {
    return new UnleashAdminError(502, 'STRANGLER_ERR_UNLEASH_ADMIN_TOKEN', `Unleash refused the admin token (${status}) for ${method} ${path}: check flags.adminToken`, 'not-applied');
  }
  // Unleash 8 answers a failed JSON Patch test with a 500 that names it.
  if (method === 'PATCH' && status === 500 && message.includes('TEST_OPERATION_FAILED')) {
    return new UnleashAdminError(409, 'STRANGLER_ERR_UNLEASH_CHANGED', `Unleash refused ${method} ${path}: the strategy changed since it was read`, 'not-applied');
  }
  if (status === 409 || (status === 404 && method !== 'GET')) {
    return new UnleashAdminError(409, 'STRANGLER_ERR_UNLEASH_CONFLICT', `Unleash answered ${status} to ${method} ${path}: ${message}`, 'not-applied');
  }
  return new UnleashAdminError(502, 'STRANGLER_ERR_UNLEASH_ADMIN', `Unleash answered ${status} to ${method} ${path}: ${message}`, 'not-applied');
}

function unleashMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string; details?: Array<{ message?: string }> };
    return body.details?.[0]?.message ?? body.message ?? text;
  } catch {
    return text.slice(0, 200);
  }
}
