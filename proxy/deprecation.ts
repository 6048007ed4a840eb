import type { DeprecationConfig, RedirectStatus } from '../core/config/types';

/**
 * The response headers of a deprecated route: Deprecation (RFC 9745: `@<epoch seconds>` from `since`;
 * the draft's `true` without it), Sunset (RFC 8594, an HTTP-date) and a Link to the successor.
 */
export function deprecationHeaders(deprecated: DeprecationConfig): string[] {
  const headers = ['deprecation', deprecated.since ? `@${Math.floor(Date.parse(deprecated.since) / 1000)}` : 'true', 'sunset', new Date(deprecated.sunset).toUTCString()];
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
