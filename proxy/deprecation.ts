import type { DeprecationConfig, RedirectStatus } from '../core/config/types';

/**
 * The response headers of a deprecated route: Deprecation (RFC 9745: `@<epoch seconds>` from `since`; the
 * RFC has no form without a date, so none without `since`), Sunset (RFC 8594, an HTTP-date) and a Link to
 * the successor.
 */
export function deprecationHeaders(deprecated: DeprecationConfig): string[] {
  const headers = deprecated.since ? ['deprecation', `@${Math.floor(Date.parse(deprecated.since) / 1000)}`] : [];
  headers.push('sunset', new Date(deprecated.sunset).toUTCString());
  if (deprecated.link) headers.push('link', `<${deprecated.link}>; rel="successor-version"`);
  return headers;
}

/**
 * Where a retired route redirects (`deprecated.redirect`), or undefined when it answers 410. The request's
 * query string goes along unless the successor's URL has one of its own.
 */
export function retiredRedirect(deprecated: DeprecationConfig | undefined, query: string): { status: RedirectStatus; location: string } | undefined {
  if (!deprecated?.redirect || !deprecated.link) return undefined;
  const location = query && !deprecated.link.includes('?') ? deprecated.link + query : deprecated.link;
  return { status: deprecated.redirect, location };
}
