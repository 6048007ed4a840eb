/** A printable copy of the configuration, with its secrets masked. */
import type { StranglerConfig } from './types';

const MASK = '***';

/** Query parameters that carry secrets (libpq's `password`/`sslpassword`, tokens, API keys); `sslkey` is a path. */
const SECRET_PARAMETER = /pass|pwd|token|secret|api[_-]?key|auth/i;

/**
 * `scheme://user:secret@host` → `scheme://user:***@host`, and `?password=secret` → `?password=***` (pg reads
 * a password from the query too); anything else is returned unchanged.
 */
export function redactUrl(url: string): string {
  // The authority runs to the first "/", "?" or "#"; its last "@" ends the userinfo.
  const masked = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i, (whole, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon < 0 ? whole : `${scheme}${userinfo.slice(0, colon)}:${MASK}@`;
  });
  const query = masked.indexOf('?');
  if (query < 0) return masked;
  const fragment = masked.indexOf('#', query);
  const end = fragment < 0 ? masked.length : fragment;
  const parameters = masked
    .slice(query + 1, end)
    .split('&')
    .map((parameter) => {
      const equals = parameter.indexOf('=');
      return equals > 0 && SECRET_PARAMETER.test(parameter.slice(0, equals)) ? `${parameter.slice(0, equals)}=${MASK}` : parameter;
    });
  return `${masked.slice(0, query + 1)}${parameters.join('&')}${masked.slice(end)}`;
}

/** Every `scheme://user:secret@` inside a text (an error message quoting a URL) with its secret masked. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^/?#\s@:]*):[^/?#\s@]*@/gi, (_whole, scheme: string, user: string) => `${scheme}${user}:${MASK}@`);
}

/** A deep copy safe to print or log: the admin token and the passwords in URLs are masked. */
export function redactConfig(config: StranglerConfig): unknown {
  const copy = structuredClone(config);
  copy.admin.token = MASK;
  copy.state.url = redactUrl(copy.state.url);
  for (const upstream of Object.values(copy.upstreams)) upstream.url = redactUrl(upstream.url);
  if (copy.flags.provider === 'unleash') {
    copy.flags.clientToken = MASK;
    if (copy.flags.adminToken !== undefined) copy.flags.adminToken = MASK;
    copy.flags.url = redactUrl(copy.flags.url);
  }
  return copy;
}
