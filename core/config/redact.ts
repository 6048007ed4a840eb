/** A printable copy of the configuration, with its secrets masked. */
import type { StranglerConfig } from './types';

const MASK = '***';

/** `scheme://user:secret@host` → `scheme://user:***@host`; anything else is returned unchanged. */
export function redactUrl(url: string): string {
  // The authority runs to the first "/", "?" or "#"; its last "@" ends the userinfo.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i, (whole, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon < 0 ? whole : `${scheme}${userinfo.slice(0, colon)}:${MASK}@`;
  });
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
