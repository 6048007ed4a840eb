import type { RouteConfig } from '../../core/config/types';
import { RouteTable } from '../../proxy/route-table';
import { routeConfig } from '../helpers/config';

function names(table: RouteTable, method: string, paths: string[]): Array<string | undefined> {
  return paths.map((path) => table.match(path, method)?.name);
}

describe('RouteTable', () => {
  describe('longest prefix wins', () => {
    const routes: RouteConfig[] = [
      routeConfig('api', '/api'),
      routeConfig('orders', '/api/orders'),
      routeConfig('order-items', '/api/orders/items'),
      routeConfig('users', '/api/users'),
    ];

    test.each([
      ['config order', routes],
      ['reversed order', [...routes].reverse()],
      ['shuffled order', [routes[2]!, routes[0]!, routes[3]!, routes[1]!]],
    ])('regardless of %s', (_label, ordered) => {
      const table = new RouteTable(ordered);
      expect(names(table, 'GET', ['/api/orders/items/3', '/api/orders/items', '/api/orders/7', '/api/users/1', '/api/other', '/api'])).toEqual([
        'order-items',
        'order-items',
        'orders',
        'users',
        'api',
        'api',
      ]);
    });

    test('returns the same RouteConfig object that was configured', () => {
      const table = new RouteTable(routes);
      expect(table.match('/api/orders/1', 'GET')).toBe(routes[1]);
    });

    test('does not reorder or mutate the array it was given', () => {
      const given = [...routes];
      new RouteTable(given);
      expect(given).toEqual(routes);
      expect(given.map((r) => r.name)).toEqual(['api', 'orders', 'order-items', 'users']);
    });

    test('a longer prefix that is not on a segment boundary does not shadow a shorter one', () => {
      const table = new RouteTable([routeConfig('orders', '/api/orders'), routeConfig('orders-export', '/api/ordersexport')]);
      expect(table.match('/api/orders/1', 'GET')?.name).toBe('orders');
      expect(table.match('/api/ordersexport/1', 'GET')?.name).toBe('orders-export');
    });
  });

  describe('segment boundaries', () => {
    const table = new RouteTable([routeConfig('orders', '/api/orders')]);

    test.each(['/api/orders', '/api/orders/', '/api/orders/7', '/api/orders/7/items', '/api/orders//x'])('%s matches /api/orders', (path) => {
      expect(table.match(path, 'GET')?.name).toBe('orders');
    });

    test.each(['/api/ordersx', '/api/orders-old', '/api/orders.json', '/api', '/api/', '/api/order', '/', '/API/orders', '/v2/api/orders', ''])(
      '%j does not match /api/orders',
      (path) => {
        expect(table.match(path, 'GET')).toBeUndefined();
      },
    );
  });

  describe('path parameters', () => {
    const table = new RouteTable([routeConfig('orders', '/api/orders'), routeConfig('api', '/api')]);

    test.each([
      ['/api/orders;jsessionid=1/7', 'orders'],
      ['/api/orders;x', 'orders'],
      ['/api;v=2/orders/7', 'orders'],
      ['/api/ordersx;y/7', 'api'],
    ])('%s matches as a servlet container reads it (%s)', (path, name) => {
      expect(table.match(path, 'GET')?.name).toBe(name);
    });
  });

  describe('/ as a catch-all', () => {
    const table = new RouteTable([routeConfig('everything', '/'), routeConfig('orders', '/api/orders')]);

    test('takes every path that no longer prefix matches', () => {
      expect(names(table, 'GET', ['/', '/api', '/api/ordersx', '/x/y/z', '/api/orders/7'])).toEqual(['everything', 'everything', 'everything', 'everything', 'orders']);
    });

    test('takes even odd paths', () => {
      expect(table.match('', 'GET')?.name).toBe('everything');
      expect(table.match('*', 'OPTIONS')?.name).toBe('everything');
    });

    test('with a methods filter only catches those methods', () => {
      const reads = new RouteTable([routeConfig('reads', '/', { match: { path: '/', methods: ['GET', 'HEAD'] } })]);
      expect(reads.match('/anything', 'GET')?.name).toBe('reads');
      expect(reads.match('/anything', 'HEAD')?.name).toBe('reads');
      expect(reads.match('/anything', 'POST')).toBeUndefined();
    });
  });

  describe('methods filter', () => {
    test('falls through to a shorter prefix when the method is not listed', () => {
      const table = new RouteTable([
        routeConfig('api', '/api'),
        routeConfig('orders-write', '/api/orders', { match: { path: '/api/orders', methods: ['POST', 'PUT'] } }),
      ]);
      expect(table.match('/api/orders/1', 'POST')?.name).toBe('orders-write');
      expect(table.match('/api/orders/1', 'PUT')?.name).toBe('orders-write');
      expect(table.match('/api/orders/1', 'GET')?.name).toBe('api');
      expect(table.match('/api/orders/1', 'DELETE')?.name).toBe('api');
    });

    test('falls through to a same-prefix route with other methods, in either config order', () => {
      const reads = routeConfig('orders-read', '/api/orders', { match: { path: '/api/orders', methods: ['GET', 'HEAD'] } });
      const writes = routeConfig('orders-write', '/api/orders', { match: { path: '/api/orders', methods: ['POST'] } });
      for (const table of [new RouteTable([reads, writes]), new RouteTable([writes, reads])]) {
        expect(table.match('/api/orders', 'GET')?.name).toBe('orders-read');
        expect(table.match('/api/orders/2', 'HEAD')?.name).toBe('orders-read');
        expect(table.match('/api/orders/2', 'POST')?.name).toBe('orders-write');
        expect(table.match('/api/orders/2', 'PATCH')).toBeUndefined();
      }
    });

    test('a route listing GET takes HEAD too, unless a route on the same path lists HEAD itself', () => {
      const orders = routeConfig('orders', '/api/orders', { match: { path: '/api/orders', methods: ['GET', 'POST', 'PUT'] } });
      const table = new RouteTable([routeConfig('api', '/api'), orders]);
      expect(table.match('/api/orders/7', 'HEAD')?.name).toBe('orders');
      expect(new RouteTable([routeConfig('api', '/api'), routeConfig('writes', '/api/orders', { match: { path: '/api/orders', methods: ['POST'] } })]).match('/api/orders/7', 'HEAD')?.name).toBe('api');
      const heads = routeConfig('orders-head', '/api/orders', { match: { path: '/api/orders', methods: ['HEAD'] } });
      for (const both of [new RouteTable([orders, heads]), new RouteTable([heads, orders])]) {
        expect(both.match('/api/orders/7', 'HEAD')?.name).toBe('orders-head');
        expect(both.match('/api/orders/7', 'GET')?.name).toBe('orders');
      }
    });

    test('falls through several levels down to the catch-all', () => {
      const table = new RouteTable([
        routeConfig('root', '/'),
        routeConfig('api-get', '/api', { match: { path: '/api', methods: ['GET'] } }),
        routeConfig('orders-post', '/api/orders', { match: { path: '/api/orders', methods: ['POST'] } }),
      ]);
      expect(table.match('/api/orders/1', 'POST')?.name).toBe('orders-post');
      expect(table.match('/api/orders/1', 'GET')?.name).toBe('api-get');
      expect(table.match('/api/orders/1', 'DELETE')?.name).toBe('root');
    });

    test('methods are compared exactly (configured upper-case)', () => {
      const table = new RouteTable([routeConfig('orders', '/api/orders', { match: { path: '/api/orders', methods: ['GET'] } })]);
      expect(table.match('/api/orders', 'GET')?.name).toBe('orders');
      expect(table.match('/api/orders', 'get')).toBeUndefined();
    });

    test('an empty methods list matches no method', () => {
      const table = new RouteTable([routeConfig('none', '/api', { match: { path: '/api', methods: [] } })]);
      expect(table.match('/api', 'GET')).toBeUndefined();
    });
  });

  describe('ignoreCase', () => {
    test('a route with ignoreCase matches its path in any letter case; one without, only as written', () => {
      const table = new RouteTable([
        routeConfig('reports', '/api/Reports', { match: { path: '/api/Reports', ignoreCase: true } }),
        routeConfig('orders', '/api/orders'),
      ]);
      expect(names(table, 'GET', ['/api/reports/1', '/API/REPORTS', '/Api/rEpOrTs/x', '/api/reportsx', '/api/orders/1', '/API/orders/1', '/api/Orders'])).toEqual([
        'reports',
        'reports',
        'reports',
        undefined,
        'orders',
        undefined,
        undefined,
      ]);
    });

    test("a GET route keeps its HEAD when a HEAD route's path differs in case and neither ignores case", () => {
      const table = new RouteTable([
        routeConfig('rep', '/api/Rep', { match: { path: '/api/Rep', methods: ['GET'] } }),
        routeConfig('rep-lower', '/api/rep', { match: { path: '/api/rep', methods: ['HEAD'] } }),
      ]);
      expect(names(table, 'HEAD', ['/api/Rep', '/api/rep'])).toEqual(['rep', 'rep-lower']);
    });

    test('the longest prefix still wins across routes that do and do not ignore case', () => {
      const table = new RouteTable([
        routeConfig('api', '/api', { match: { path: '/api', ignoreCase: true } }),
        routeConfig('export', '/api/orders/export'),
        routeConfig('orders', '/api/orders', { match: { path: '/api/orders', ignoreCase: true, methods: ['GET'] } }),
      ]);
      expect(names(table, 'GET', ['/API/ORDERS/export', '/api/orders/export', '/API/Orders/7', '/API/other'])).toEqual(['orders', 'export', 'orders', 'api']);
      expect(names(table, 'HEAD', ['/Api/Orders'])).toEqual(['orders']);
      expect(names(table, 'POST', ['/API/ORDERS/export', '/api/orders/export'])).toEqual(['api', 'export']);
    });
  });

  describe('unmatched', () => {
    test('an empty table matches nothing', () => {
      const table = new RouteTable([]);
      expect(table.match('/', 'GET')).toBeUndefined();
      expect(table.match('/api/orders', 'POST')).toBeUndefined();
    });

    test('paths outside every prefix → undefined', () => {
      const table = new RouteTable([routeConfig('orders', '/api/orders'), routeConfig('users', '/users')]);
      expect(names(table, 'GET', ['/', '/api', '/usersx', '/static/app.js', '/api/orderz'])).toEqual([undefined, undefined, undefined, undefined, undefined]);
    });
  });
});
