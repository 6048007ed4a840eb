import type { StranglerConfig } from '../core/config/types';

/**
 * Route settings the configuration accepts (they are part of the format) that this version of the data
 * path does not act on yet. The proxy says so once at start, so nobody relies on them unknowingly.
 */
export function settingsNotApplied(config: StranglerConfig): string[] {
  const notes: string[] = [];
  config.routes.forEach((route, index) => {
    const at = `routes[${index}] (${route.name})`;
    if (route.fallback) notes.push(`${at}.fallback is not applied yet: a failed request to the new service is not retried on legacy`);
    if (route.deprecated) notes.push(`${at}.deprecated is not applied yet: no Sunset or Deprecation headers are sent`);
    if (route.stage === 'retired' && !route.service) notes.push(`${at} stage retired is not applied yet for a route without service: legacy still answers (no 410)`);
  });
  return notes;
}
