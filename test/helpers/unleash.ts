/**
 * A real Unleash server (npm `unleash-server` 8) for integration tests, and an admin API client for it.
 *
 *   const unleash = await startUnleash();          // ~3-10 s: fresh database, migrations, listen
 *   const admin = unleash.admin;                    // or new UnleashAdmin(unleash.url, unleash.adminToken)
 *   await admin.createFlag('checkout');
 *   const id = await admin.addFlexibleRollout('checkout', { rollout: 25, stickiness: 'userId', groupId: 'checkout' });
 *   await admin.enable('checkout');
 *   const qa = await admin.createSegment('qa', [{ contextName: 'userId', operator: 'IN', values: ['qa1'] }]);
 *   await admin.addStrategy('checkout', { name: 'flexibleRollout', parameters: { rollout: '100', stickiness: 'userId', groupId: 'checkout' }, segments: [qa] });
 *   ...
 *   await unleash.stop();                           // stop any unleash-client BEFORE this (see PLATFORM.md)
 *
 * The server runs in a child process (test/helpers/unleash-server.mjs: unleash-server is ESM-only, jest here
 * is CommonJS) against a database of its own from createTestDatabase(), so it needs the PostgreSQL that
 * `node scripts/test-env.js -- jest …` starts. The child exits when its stdin closes, so it never outlives a
 * crashed jest worker.
 *
 * Tokens (Unleash's format <projects>:<environment>.<secret>):
 *   adminToken   `*:*.<hex>`                     admin token, all projects and environments
 *   clientToken  `default:development.<hex>`     backend ("client") token, project default, environment development
 * Both are created by `authentication.initApiTokens` on the first boot of the (empty) database.
 *
 * Unleash caches API tokens in memory and re-reads them from the database once a minute: a deleted token
 * keeps working until then. refreshTokenCache() runs that refresh at once.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDatabase, type TestDatabase } from './postgres';

export const UNLEASH_SERVER_SCRIPT = resolve(__dirname, 'unleash-server.mjs');
export const UNLEASH_PROJECT = 'default';
export const UNLEASH_ENVIRONMENT = 'development';

const START_TIMEOUT_MS = 60_000;
const COMMAND_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 8_000;
const STDERR_KEEP_CHARS = 20_000;

export interface UnleashHandle {
  /** http://127.0.0.1:PORT (the client API is url + '/api/client/…', unleash-client wants url + '/api'). */
  url: string;
  adminToken: string;
  clientToken: string;
  /** Admin API client with adminToken, project default, environment development. */
  admin: UnleashAdmin;
  /** Makes Unleash re-read its API tokens now (what its scheduler does once a minute). */
  refreshTokenCache(): Promise<void>;
  /** What the server wrote to stderr so far (its warnings and errors), the last 20k characters. */
  stderr(): string;
  /** Stops the server and drops its database. Safe to call twice. */
  stop(): Promise<void>;
}

interface ReadyLine {
  url: string;
  adminToken: string;
  clientToken: string;
}

interface ReplyLine {
  reply: string;
  error?: string;
}

/** NODE_OPTIONS without jest's --experimental-vm-modules (the server does not need it; it works with it too). */
function childNodeOptions(current: string | undefined): string {
  const kept = (current ?? '').split(/\s+/).filter((flag) => flag && flag !== '--experimental-vm-modules');
  // Unleash's pg use triggers a pg DeprecationWarning at every start: keep stderr for real problems.
  if (!kept.includes('--no-deprecation')) kept.push('--no-deprecation');
  return kept.join(' ');
}

function waitForExit(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolveExit(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolveExit(true);
    };
    child.once('exit', onExit);
  });
}

/** Ends the child: closes its stdin (it stops itself), then SIGTERM, then SIGKILL. */
async function endChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  child.stdin.end();
  if (await waitForExit(child, STOP_TIMEOUT_MS)) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, 2_000)) return;
  child.kill('SIGKILL');
  await waitForExit(child, 2_000);
}

/** Starts an Unleash server on a fresh database; resolves once its /health answers. */
export async function startUnleash(options: { timeoutMs?: number } = {}): Promise<UnleashHandle> {
  const timeoutMs = options.timeoutMs ?? START_TIMEOUT_MS;
  const database: TestDatabase = await createTestDatabase();
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(process.execPath, [UNLEASH_SERVER_SCRIPT, database.url], {
      env: { ...process.env, NODE_OPTIONS: childNodeOptions(process.env.NODE_OPTIONS) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    await database.drop();
    throw error;
  }

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP_CHARS);
  });
  child.stdin.on('error', () => {}); // EPIPE once the child is gone: its exit is what matters

  // stdout: the ready line first, then one reply per command.
  const replies: Array<(reply: ReplyLine) => void> = [];
  let onReady: ((ready: ReadyLine) => void) | null = null;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      stderr = (stderr + `(stdout) ${line}\n`).slice(-STDERR_KEEP_CHARS);
      return;
    }
    if (onReady) {
      const ready = onReady;
      onReady = null;
      ready(parsed as ReadyLine);
    } else {
      replies.shift()?.(parsed as ReplyLine);
    }
  });

  const exited = new Promise<string>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(signal ? `signal ${signal}` : `code ${code}`)),
  );
  child.once('error', (error) => {
    stderr += `\nspawn error: ${error.message}`;
  });

  let ready: ReadyLine;
  let timer: NodeJS.Timeout | undefined;
  try {
    ready = await Promise.race([
      new Promise<ReadyLine>((resolveReady) => {
        onReady = resolveReady;
      }),
      exited.then((how): never => {
        throw new Error(`Unleash exited (${how}) before it was ready; its stderr:\n${stderr}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Unleash was not ready within ${timeoutMs} ms; its stderr:\n${stderr}`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    await endChild(child);
    await database.drop();
    throw error;
  } finally {
    clearTimeout(timer);
  }

  let stopped: Promise<void> | null = null;
  const handle: UnleashHandle = {
    url: ready.url,
    adminToken: ready.adminToken,
    clientToken: ready.clientToken,
    admin: new UnleashAdmin(ready.url, ready.adminToken),
    stderr: () => stderr,
    async refreshTokenCache() {
      if (stopped) throw new Error('Unleash is stopped');
      const reply = await new Promise<ReplyLine>((resolveReply, reject) => {
        const timeout = setTimeout(() => reject(new Error(`no reply to refresh-tokens in ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
        replies.push((line) => {
          clearTimeout(timeout);
          resolveReply(line);
        });
        child.stdin.write('refresh-tokens\n');
      });
      if (reply.error) throw new Error(`refresh-tokens failed: ${reply.error}`);
    },
    stop() {
      stopped ??= (async () => {
        try {
          await endChild(child);
        } finally {
          lines.close();
          await database.drop();
        }
      })();
      return stopped;
    },
  };
  return handle;
}

// -------------------------------------------------------------------------------------------------------
// Admin API

export interface FlexibleRolloutOptions {
  /** 0..100 */
  rollout: number;
  /** 'default', 'userId', 'sessionId', 'random' or a context field. Default 'default'. */
  stickiness?: string;
  /** Default: the flag name. */
  groupId?: string;
  /** More parameters to store on the strategy (Unleash keeps them: values become strings). */
  extraParameters?: Record<string, string>;
  title?: string;
  variants?: StrategyVariant[];
  constraints?: unknown[];
}

export interface StrategyVariant {
  name: string;
  weight: number;
  weightType: 'variable' | 'fix';
  stickiness: string;
  payload?: { type: 'string' | 'json' | 'csv' | 'number'; value: string };
}

export interface AdminStrategy {
  id: string;
  name: string;
  title?: string | null;
  disabled?: boolean | null;
  constraints: unknown[];
  parameters: Record<string, string>;
  variants?: StrategyVariant[];
  segments?: number[];
  sortOrder?: number;
}

export interface AdminFlag {
  name: string;
  project: string;
  type: string;
  enabled?: boolean;
  environments: Array<{ name: string; enabled: boolean; strategies: AdminStrategy[]; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** One flag as GET /api/client/features returns it. */
export interface ClientFeature {
  name: string;
  enabled: boolean;
  strategies: Array<{
    name: string;
    constraints?: unknown[];
    parameters?: Record<string, string>;
    variants?: StrategyVariant[];
    [key: string]: unknown;
  }>;
  [key: string]: unknown;
}

export class UnleashHttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`Unleash ${method} ${path} answered ${status}: ${body.slice(0, 2000)}`);
  }
}

/** Admin API of one Unleash, with an admin token; project `default`, environment `development`. */
export class UnleashAdmin {
  constructor(
    readonly url: string,
    readonly adminToken: string,
    readonly project = UNLEASH_PROJECT,
    readonly environment = UNLEASH_ENVIRONMENT,
  ) {}

  private flagPath(flag: string): string {
    return `/api/admin/projects/${encodeURIComponent(this.project)}/features/${encodeURIComponent(flag)}`;
  }

  private envPath(flag: string): string {
    return `${this.flagPath(flag)}/environments/${encodeURIComponent(this.environment)}`;
  }

  /** Sends a request with the admin token; returns the parsed JSON body (undefined when empty); throws on non-2xx. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        Authorization: this.adminToken,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': contentType }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new UnleashHttpError(method, path, response.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Creates a release flag in the project (disabled, no strategies). */
  async createFlag(name: string, options: { type?: string; description?: string } = {}): Promise<void> {
    await this.request('POST', `/api/admin/projects/${encodeURIComponent(this.project)}/features`, {
      name,
      type: options.type ?? 'release',
      description: options.description ?? '',
    });
  }

  /** Adds any strategy to the flag in the environment; returns the strategy id. */
  async addStrategy(flag: string, strategy: Omit<AdminStrategy, 'id' | 'constraints'> & { constraints?: unknown[] }): Promise<string> {
    const created = await this.request<AdminStrategy>('POST', `${this.envPath(flag)}/strategies`, {
      constraints: [],
      ...strategy,
    });
    return created.id;
  }

  /** Adds a flexibleRollout strategy; returns its id. */
  async addFlexibleRollout(flag: string, options: FlexibleRolloutOptions): Promise<string> {
    return this.addStrategy(flag, {
      name: 'flexibleRollout',
      parameters: {
        rollout: String(options.rollout),
        stickiness: options.stickiness ?? 'default',
        groupId: options.groupId ?? flag,
        ...options.extraParameters,
      },
      ...(options.title === undefined ? {} : { title: options.title }),
      ...(options.variants === undefined ? {} : { variants: options.variants }),
      ...(options.constraints === undefined ? {} : { constraints: options.constraints }),
    });
  }

  /** Changes a flexibleRollout's percentage in place (JSON patch on /parameters/rollout). */
  async setRollout(flag: string, strategyId: string, rollout: number): Promise<void> {
    await this.request('PATCH', `${this.envPath(flag)}/strategies/${encodeURIComponent(strategyId)}`, [
      { op: 'replace', path: '/parameters/rollout', value: String(rollout) },
    ]);
  }

  /** Sets one parameter of a strategy in place, as an edit in the Unleash UI does (stickiness, groupId, …). */
  async setParameter(flag: string, strategyId: string, name: string, value: string): Promise<void> {
    await this.request('PATCH', `${this.envPath(flag)}/strategies/${encodeURIComponent(strategyId)}`, [
      { op: 'replace', path: `/parameters/${name}`, value },
    ]);
  }

  /**
   * Creates a segment (a named set of constraints, global: any project's strategy can name it); returns its
   * id, which a strategy names in its `segments`.
   */
  async createSegment(name: string, constraints: unknown[]): Promise<number> {
    const created = await this.request<{ id: number }>('POST', '/api/admin/segments', { name, description: '', constraints });
    return created.id;
  }

  async enable(flag: string): Promise<void> {
    await this.request('POST', `${this.envPath(flag)}/on`);
  }

  async disable(flag: string): Promise<void> {
    await this.request('POST', `${this.envPath(flag)}/off`);
  }

  /** The admin view of the flag: every environment with its strategies (ids, titles, variants). */
  async getFlag(flag: string): Promise<AdminFlag> {
    return this.request<AdminFlag>('GET', this.flagPath(flag));
  }

  /** Creates a backend (client) token for the project and environment; returns its secret. */
  async createClientToken(name: string): Promise<string> {
    const token = await this.request<{ secret: string }>('POST', '/api/admin/api-tokens', {
      tokenName: name,
      type: 'backend',
      environment: this.environment,
      projects: [this.project],
    });
    return token.secret;
  }

  /**
   * Deletes a token. Unleash answers 200 even for an unknown token, and a deleted legacy token stays in its
   * in-memory token cache until the next refresh (UnleashHandle.refreshTokenCache, or up to a minute).
   */
  async deleteToken(secret: string): Promise<void> {
    await this.request('DELETE', `/api/admin/api-tokens/${encodeURIComponent(secret)}`);
  }
}

/** GET /api/client/features with a client token: status and parsed body (null unless 200). */
export async function fetchClientFeatures(
  url: string,
  clientToken: string,
): Promise<{ status: number; features: ClientFeature[] | null; body: string }> {
  const response = await fetch(`${url}/api/client/features`, {
    headers: { Authorization: clientToken, Accept: 'application/json' },
  });
  const body = await response.text();
  const features = response.status === 200 ? (JSON.parse(body) as { features: ClientFeature[] }).features : null;
  return { status: response.status, features, body };
}
