import type { RouteMatch } from './config/types';

/** Two routes name the same path: as written, or in any letter case when either ignores case. */
export function samePath(a: RouteMatch, b: RouteMatch): boolean {
  return a.ignoreCase || b.ignoreCase ? a.path.toLowerCase() === b.path.toLowerCase() : a.path === b.path;
}
