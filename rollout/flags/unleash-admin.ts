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

export interface UnleashAdminOptions {
  /** Base URL without `/api`. */
  url: string;
  token: string;
  project: string;
  environment: string;
  timeoutMs?: number;
}

type JsonPatch = Array<{ op: 'add' | 'replace' | 'remove'; path: string; value?: unknown }>;

/** The parts of Unleash's Admin API that strangler writes with: flags, their strategy, on/off. */
export class UnleashAdminApi {
  constructor(private readonly options: UnleashAdminOptions) {}

  private get featuresPath(): string {
    return `/api/admin/projects/${encodeURIComponent(this.options.project)}/features`;
  }

  private environmentPath(flag: string): string {
    return `${this.featuresPath}/${encodeURIComponent(flag)}/environments/${encodeURIComponent(this.options.environment)}`;
  }

  async getFeature(flag: string): Promise<AdminFeature | undefined> {
    const response = await this.request('GET', `${this.featuresPath}/${encodeURIComponent(flag)}`, undefined, [404]);
    return response === undefined ? undefined : (response as AdminFeature);
  }

  async createFeature(flag: string, description: string): Promise<void> {
    await this.request('POST', this.featuresPath, { name: flag, type: 'release', description, impressionData: false });
  }

  async addStrategy(flag: string, strategy: { name: string; parameters: Record<string, string> }): Promise<string> {
    const created = (await this.request('POST', `${this.environmentPath(flag)}/strategies`, { ...strategy, constraints: [] })) as { id: string };
    return created.id;
  }

  async patchStrategy(flag: string, strategyId: string, patch: JsonPatch): Promise<void> {
    await this.request('PATCH', `${this.environmentPath(flag)}/strategies/${encodeURIComponent(strategyId)}`, patch);
  }

  async setEnabled(flag: string, enabled: boolean): Promise<void> {
    await this.request('POST', `${this.environmentPath(flag)}/${enabled ? 'on' : 'off'}`);
  }

  private async request(method: string, path: string, body?: unknown, allowed: number[] = []): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(this.options.url + path, {
        method,
        headers: { authorization: this.options.token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new StatusError(503, 'STRANGLER_ERR_UNLEASH_UNREACHABLE', `Unleash at ${redactUrl(this.options.url)} is unreachable (${redactUrlsIn(String(cause))}); nothing changed`);
    }
    const text = await response.text();
    if (allowed.includes(response.status)) return undefined;
    if (response.status === 401 || response.status === 403) {
      throw new StatusError(502, 'STRANGLER_ERR_UNLEASH_ADMIN_TOKEN', `Unleash refused the admin token (${response.status}) for ${method} ${path}: check flags.adminToken`);
    }
    if (!response.ok) {
      throw new StatusError(502, 'STRANGLER_ERR_UNLEASH_ADMIN', `Unleash answered ${response.status} to ${method} ${path}: ${unleashMessage(text)}`);
    }
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}

function unleashMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string; details?: Array<{ message?: string }> };
    return body.details?.[0]?.message ?? body.message ?? text;
  } catch {
    return text.slice(0, 200);
  }
}
