import type { RouteConfig } from '../core/config/types';
import { samePath } from '../core/route-match';

interface TableEntry {
  route: RouteConfig;
  /** The route's path prefix; lower case when the route ignores case. */
  prefix: string;
  ignoreCase: boolean;
  methods: ReadonlySet<string> | undefined;
}

/**
 * Longest path prefix on segment boundaries (in any letter case for a route with `ignoreCase`), then the
 * method set; unmatched → undefined (legacy). A route listing GET takes HEAD too (a HEAD is a GET without
 * the body, and frameworks route it so), unless a route on the same path lists HEAD itself.
 */
export class RouteTable {
  private readonly routes: TableEntry[];

  constructor(routes: RouteConfig[]) {
    const listingHead = routes.filter((r) => r.match.methods?.includes('HEAD'));
    this.routes = [...routes]
      .sort((a, b) => b.match.path.length - a.match.path.length)
      .map((route) => {
        const ignoreCase = route.match.ignoreCase === true;
        const prefix = ignoreCase ? route.match.path.toLowerCase() : route.match.path;
        const listed = route.match.methods;
        if (!listed) return { route, prefix, ignoreCase, methods: undefined };
        const methods = new Set(listed);
        if (methods.has('GET') && !listingHead.some((other) => samePath(other.match, route.match))) methods.add('HEAD');
        return { route, prefix, ignoreCase, methods };
      });
  }

  match(path: string, method: string): RouteConfig | undefined {
    // Servlet containers drop `;params` from every segment: `/api/orders;jsessionid=1/7` is `/api/orders/7` there.
    const matched = path.includes(';') ? path.replace(PATH_PARAMETERS, '') : path;
    let lowerCase: string | undefined;
    for (const { route, prefix, ignoreCase, methods } of this.routes) {
      if (!prefixMatches(prefix, ignoreCase ? (lowerCase ??= matched.toLowerCase()) : matched)) continue;
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
