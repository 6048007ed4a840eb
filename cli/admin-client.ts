import { existsSync } from 'node:fs';
import { ADMIN_API_HEADER } from '../core/admin-api';
import { loadConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { TOKEN_CHARACTERS_RULE, unsendableTokenCharacter } from '../core/header-token';
import { CliError } from './output';

export interface AdminTarget {
  url: string;
  token: string;
  /** Where the token came from (`--token`, `STRANGLER_ADMIN_TOKEN`, or the config file): said when it is refused. */
  tokenFrom?: string;
  /** How long to wait for each answer (`--timeout`, 10 s by default). */
  timeoutMs: number;
}

/** The flags every command that talks to a running proxy takes (declared in commands/common.ts). */
export interface AdminFlags {
  admin?: string;
  token?: string;
  config?: string;
  /** Seconds. */
  timeout?: number;
}

const DEFAULT_CONFIG = 'strangler.yaml';

/** How long the CLI waits for an answer from the admin API unless `--timeout` says otherwise, in seconds. */
export const DEFAULT_ANSWER_TIMEOUT_S = 10;

/** The configuration file the admin address and token may come from: `--config`, else ./strangler.yaml when it exists. */
export function configFileInUse(flags: Pick<AdminFlags, 'config'>): string | undefined {
  return flags.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
}

/** Admin URL and token: flags, then STRANGLER_ADMIN_URL / STRANGLER_ADMIN_TOKEN, then the config file. */
export function resolveAdminTarget(flags: AdminFlags, env: NodeJS.ProcessEnv = process.env): AdminTarget {
  for (const [flag, value] of [['--admin', flags.admin], ['--token', flags.token], ['--config', flags.config]] as const) {
    if (value !== undefined && value.trim() === '') throw new CliError(`${flag}: must not be empty`, 2);
  }
  let url = flags.admin ?? env.STRANGLER_ADMIN_URL;
  const urlFrom = flags.admin !== undefined ? '--admin' : env.STRANGLER_ADMIN_URL !== undefined ? 'STRANGLER_ADMIN_URL' : undefined;
  let token = flags.token ?? env.STRANGLER_ADMIN_TOKEN;
  let tokenFrom = flags.token !== undefined ? '--token' : env.STRANGLER_ADMIN_TOKEN !== undefined ? 'STRANGLER_ADMIN_TOKEN' : undefined;
  const configFile = configFileInUse(flags);
  if ((!url || !token) && configFile) {
    try {
      const config = loadConfig(configFile, env);
      if (!url && config.admin.port === 0) {
        throw new CliError(`${configFile} admin.port is 0 (a port chosen at start, which the file cannot tell): pass --admin URL or set STRANGLER_ADMIN_URL`, 2);
      }
      const host = config.admin.host === '0.0.0.0' || config.admin.host === '::' ? '127.0.0.1' : config.admin.host;
      url ??= `http://${host.includes(':') ? `[${host}]` : host}:${config.admin.port}`;
      if (token === undefined) {
        token = config.admin.token;
        tokenFrom = `${configFile} admin.token`;
      }
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(firstIssue(err, configFile));
      throw err;
    }
  }
  if (!url) throw new CliError('no admin API address: pass --admin URL, set STRANGLER_ADMIN_URL, or run where strangler.yaml is (or pass --config FILE)', 2);
  if (!token) throw new CliError('no admin token: pass --token, set STRANGLER_ADMIN_TOKEN, or give a config file with admin.token', 2);
  if (!/^https?:\/\//.test(url)) throw new CliError(`${urlFrom ?? '--admin'}: must be an http:// or https:// URL, got "${url}"`, 2);
  // The config file's token was checked as the file was read. Which character, never the token.
  const unsendable = unsendableTokenCharacter(token);
  if (unsendable !== undefined) throw new CliError(`${tokenFrom ?? '--token'}: ${TOKEN_CHARACTERS_RULE}: character ${unsendable} is not`, 2);
  const timeoutMs = Math.round((flags.timeout ?? DEFAULT_ANSWER_TIMEOUT_S) * 1000);
  return { url: url.replace(/\/+$/, ''), token, timeoutMs, ...(tokenFrom ? { tokenFrom } : {}) };
}

/** One line: the config's first problem, and how many more there are. */
function firstIssue(err: ConfigError, file: string): string {
  const lines = err.message.split('\n').filter((line) => line.trim() !== '');
  const more = lines.length - 1;
  return more > 0 ? `${lines[0]} (and ${more} more: strangler config validate ${file})` : lines[0]!;
}

/** Admin URLs that answered the open probe as a strangler admin API (one probe per URL and process). */
const confirmedAdminUrls = new Set<string>();

/**
 * Calls the admin API; every failure becomes a one-line CliError. The token is sent only to an address that
 * first answered an open `GET /healthz` as a strangler admin API: `--admin` pointed at the proxy's own port
 * would otherwise hand the token, and a PUT, to the monolith behind it.
 */
export async function adminRequest<T>(target: AdminTarget, method: 'GET' | 'PUT', path: string, body?: unknown, answersToo: readonly number[] = []): Promise<T> {
  if (!confirmedAdminUrls.has(target.url)) {
    const probe = await send(target, 'GET', '/healthz', { headers: {} });
    await probe.body?.cancel();
    if (probe.headers.get(ADMIN_API_HEADER) === null) {
      throw new CliError(
        `${target.url} is not a strangler admin API: it answered GET /healthz (${probe.status}) without the ${ADMIN_API_HEADER} header, ` +
          `so ${method} ${path} and the token were not sent; is --admin the proxy's own port instead of admin.port?`,
      );
    }
    confirmedAdminUrls.add(target.url);
  }
  const response = await send(target, method, path, {
    headers: { authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status === 401) {
    const from = target.tokenFrom ? `the token from ${target.tokenFrom}` : 'the token';
    throw new CliError(`the admin API at ${target.url} refused ${from} (401): check --token, STRANGLER_ADMIN_TOKEN (it wins over the config file) and admin.token`);
  }
  if (!response.ok && !answersToo.includes(response.status)) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      /* not JSON: use the text as it is */
    }
    throw new CliError(`${method} ${path} failed (${response.status}): ${message}`);
  }
  if (path === '/metrics') return text as T;
  return JSON.parse(text) as T;
}

async function send(target: AdminTarget, method: 'GET' | 'PUT', path: string, init: { headers: Record<string, string>; body?: string }): Promise<Response> {
  try {
    return await fetch(target.url + path, { method, ...init, signal: AbortSignal.timeout(target.timeoutMs) });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') {
      const applied = method === 'PUT' ? ': the change may have been applied, check with "strangler rollout get"' : '';
      throw new CliError(`the admin API at ${target.url} did not answer ${method} ${path} within ${target.timeoutMs / 1000} s (--timeout)${applied}`);
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (!cause) {
      // The request was never sent: fetch refused a header (its message quotes the value, which may be the token).
      throw new CliError(`cannot send ${method} ${path} to the admin API at ${target.url}: a header value cannot be sent (check the token's characters)`);
    }
    throw new CliError(`cannot reach the admin API at ${target.url}: ${cause.code ?? cause.message} (is "strangler proxy" running?)`);
  }
}
