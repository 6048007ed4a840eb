import type { RouteConfig } from '../core/config/types';

/**
 * Longest path prefix on segment boundaries, then the method set; unmatched → undefined (legacy). A route
 * listing GET takes HEAD too (a HEAD is a GET without the body, and frameworks route it so), unless a
 * route on the same path lists HEAD itself.
 */
export class RouteTable {
  private readonly routes: Array<{ route: RouteConfig; methods: ReadonlySet<string> | undefined }>;

  constructor(routes: RouteConfig[]) {
    const headListed = new Set(routes.filter((r) => r.match.methods?.includes('HEAD')).map((r) => r.match.path));
    this.routes = [...routes]
      .sort((a, b) => b.match.path.length - a.match.path.length)
      .map((route) => {
        const listed = route.match.methods;
        if (!listed) return { route, methods: undefined };
        const methods = new Set(listed);
        if (methods.has('GET') && !headListed.has(route.match.path)) methods.add('HEAD');
        return { route, methods };
      });
  }

  match(path: string, method: string): RouteConfig | undefined {
    // Servlet containers drop `;params` from every segment: `/api/orders;jsessionid=1/7` is `/api/orders/7` there.
    const matched = path.includes(';') ? path.replace(PATH_PARAMETERS, '') : path;
    for (const { route, methods } of this.routes) {
      if (!prefixMatches(route.match.path, matched)) continue;
      if (methods && !methods.has(method)) continue;
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
