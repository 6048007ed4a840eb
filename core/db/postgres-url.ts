/**
 * pg 8 reads `sslmode=prefer|require|verify-ca` as `verify-full` (and prints a multi-line SECURITY WARNING on
 * stderr) unless the URL also says `uselibpqcompat=true`; with it, sslmode means what it means to libpq/psql.
 * `no-verify` is pg's own mode (encrypted, certificate not checked), which libpq mode would read as verify-full.
 */
const LIBPQ_COMPAT = 'uselibpqcompat';
const PG_ONLY_SSLMODE = 'no-verify';

/** `url` with `uselibpqcompat=true` added when it sets a libpq `sslmode` and says nothing about libpq compatibility; else unchanged. */
export function withLibpqSslModes(url: string): string {
  const query = queryOf(url);
  if (query === undefined) return url;
  const { parameters, start, end } = query;
  const sslmode = parameters.get('sslmode');
  if (sslmode === null || sslmode === PG_ONLY_SSLMODE || parameters.has(LIBPQ_COMPAT)) return url;
  const separator = end === start || url[end - 1] === '&' ? '' : '&';
  return `${url.slice(0, end)}${separator}${LIBPQ_COMPAT}=true${url.slice(end)}`;
}

/** libpq's environment variables for what a URL may also say; the URL wins where it says it. */
const SSL_ENVIRONMENT: ReadonlyArray<[parameter: string, variable: string]> = [
  ['sslmode', 'PGSSLMODE'],
  ['sslrootcert', 'PGSSLROOTCERT'],
  ['sslcert', 'PGSSLCERT'],
  ['sslkey', 'PGSSLKEY'],
];

/**
 * `url` with the TLS settings the environment gives (PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY) added where
 * the URL has none, as libpq reads them: pg reads PGSSLMODE alone, with its own meanings (`require` checks
 * the certificate), which withLibpqSslModes can put right only once the mode is in the URL.
 */
export function withEnvironmentSsl(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const present = queryOf(url)?.parameters;
  const added = new URLSearchParams();
  for (const [parameter, variable] of SSL_ENVIRONMENT) {
    const value = env[variable];
    if (value !== undefined && value !== '' && !present?.has(parameter)) added.set(parameter, value);
  }
  if (added.size === 0) return url;
  const fragment = url.indexOf('#', Math.max(0, url.indexOf('?')));
  const end = fragment < 0 ? url.length : fragment;
  const head = url.slice(0, end);
  const separator = !head.includes('?') ? '?' : head.endsWith('?') || head.endsWith('&') ? '' : '&';
  return `${head}${separator}${added.toString()}${url.slice(end)}`;
}

/** The sslmode values libpq knows, and pg's own `no-verify`. */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', PG_ONLY_SSLMODE];
/** libpq 16's `sslrootcert=system`: trust the authorities the system trusts. */
const SYSTEM_ROOTS = 'system';

/** What is wrong with the TLS parameters of a postgres:// URL (one phrase naming the parameter), or undefined. */
export function sslParametersProblem(url: string): string | undefined {
  const parameters = queryOf(url)?.parameters;
  const mode = parameters?.get('sslmode') ?? null;
  if (mode !== null && !SSL_MODES.includes(mode)) return `sslmode=${mode} is not an sslmode; expected one of ${SSL_MODES.join(', ')}`;
  if (parameters?.get('sslrootcert') === SYSTEM_ROOTS && mode !== null && mode !== 'verify-full') {
    // As libpq: any host can get a certificate from a public authority, so only the host name check makes it safe.
    return `sslrootcert=system needs sslmode=verify-full (or no sslmode), not sslmode=${mode}`;
  }
  return undefined;
}

/**
 * `url` as pg must be given it for `sslrootcert=system`, which pg would read as a file named "system": the
 * parameter goes, so Node's default trust store decides (its bundled authorities plus NODE_EXTRA_CA_CERTS,
 * or the system's own store under --use-openssl-ca), and the mode is verify-full, as libpq makes it.
 * Throws on a weaker mode, as libpq refuses one, and on an sslmode libpq does not know (PGSSLMODE is not checked with the configuration).
 */
export function withSystemRootCert(url: string): string {
  const problem = sslParametersProblem(url);
  if (problem) throw new Error(problem);
  const query = queryOf(url);
  if (query?.parameters.get('sslrootcert') !== SYSTEM_ROOTS) return url;
  const { parameters, start, end } = query;
  parameters.delete('sslrootcert');
  parameters.set('sslmode', 'verify-full');
  return `${url.slice(0, start)}${parameters.toString()}${url.slice(end)}`;
}

/** The `sslmode` a URL sets, or null. */
export function sslModeOf(url: string): string | null {
  return queryOf(url)?.parameters.get('sslmode') ?? null;
}

/** A URL's query parameters, and where its query text starts (after `?`) and ends (before any `#`); undefined without a query. */
function queryOf(url: string): { parameters: URLSearchParams; start: number; end: number } | undefined {
  const mark = url.indexOf('?');
  if (mark < 0) return undefined;
  const fragment = url.indexOf('#', mark);
  const end = fragment < 0 ? url.length : fragment;
  return { parameters: new URLSearchParams(url.slice(mark + 1, end)), start: mark + 1, end };
}

/** `url` with its `sslmode` set to `mode` (the URL must set one). */
export function withSslMode(url: string, mode: string): string {
  return url.replace(/([?&]sslmode=)[^&#]*/, `$1${mode}`);
}
