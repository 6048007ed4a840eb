import type { RouteConfig } from '../core/config/types';

/** Longest path prefix on segment boundaries, then the method set; unmatched → undefined (legacy). */
export class RouteTable {
  private readonly routes: RouteConfig[];

  constructor(routes: RouteConfig[]) {
    this.routes = [...routes].sort((a, b) => b.match.path.length - a.match.path.length);
  }

  match(path: string, method: string): RouteConfig | undefined {
    // Servlet containers drop `;params` from every segment: `/api/orders;jsessionid=1/7` is `/api/orders/7` there.
    const matched = path.includes(';') ? path.replace(PATH_PARAMETERS, '') : path;
    for (const route of this.routes) {
      if (!prefixMatches(route.match.path, matched)) continue;
      if (route.match.methods && !route.match.methods.includes(method)) continue;
      return route;
    }
    return undefined;
  }
}

const PATH_PARAMETERS = /;[^/]*/g;

function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* / */;
}
