import type { DeprecationConfig } from '../core/config/types';

/**
 * The response headers of a deprecated route: Deprecation (RFC 9745: `@<epoch seconds>` from `since`;
 * the draft's `true` without it), Sunset (RFC 8594, an HTTP-date) and a Link to the successor.
 */
export function deprecationHeaders(deprecated: DeprecationConfig): string[] {
  const headers = ['deprecation', deprecated.since ? `@${Math.floor(Date.parse(deprecated.since) / 1000)}` : 'true', 'sunset', new Date(deprecated.sunset).toUTCString()];
  if (deprecated.link) headers.push('link', `<${deprecated.link}>; rel="successor-version"`);
  return headers;
}
