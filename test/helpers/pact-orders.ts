import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The consumer side: how the `web` app calls the `orders` service. The consumer pact test exercises this. */
export interface Order {
  id: number;
  status: string;
  total: number;
}

export function ordersClient(baseUrl: string) {
  // A connection per call (no keep-alive pool shared across the mock servers each interaction starts), so a
  // socket pooled for an earlier mock can never be where a request goes.
  const call = <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = payload === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' };
      const req = request(baseUrl + path, { method, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
          } catch (err) {
            reject(new Error(`${method} ${path}: answer is not JSON (${(err as Error).message}): ${text.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      });
      req.on('error', (err) => reject(new Error(`${method} ${baseUrl}${path} failed: ${err.message}`)));
      req.end(payload);
    });
  return {
    getOrder: (id: number) => call<Order>('GET', `/orders/${id}`),
    listOrders: () => call<Pick<Order, 'id' | 'status'>[]>('GET', '/orders'),
    createOrder: (total: number) => call<Pick<Order, 'id' | 'status'>>('POST', '/orders', { total }),
  };
}

export interface StateCall {
  state: string;
  action: string;
  params: Record<string, unknown>;
}

export interface OrdersProvider {
  url: string;
  /** `POST {state, params, action}` here sets up a provider state. */
  statesUrl: string;
  stateCalls: StateCall[];
  close(): Promise<void>;
}

export interface OrdersProviderOptions {
  /** Answers `GET /orders/:id` with `state` where the pact expects `status` (the breaking change). */
  renameStatus?: boolean;
  /** The states endpoint answers 500. */
  failStates?: boolean;
}

/**
 * The `orders` provider: a real node:http server on 127.0.0.1 with an in-memory store. Order 7 exists
 * only after the provider state "order 7 exists" was set up through the states endpoint.
 */
export async function startOrdersProvider(options: OrdersProviderOptions = {}): Promise<OrdersProvider> {
  const orders = new Map<number, Order>();
  const stateCalls: StateCall[] = [];
  let nextId = 100;
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'POST' && path === '/_pact/states') {
      const call = JSON.parse(raw) as StateCall;
      stateCalls.push(call);
      if (options.failStates) return send(res, 500, { error: 'state store unavailable' });
      if (call.action === 'setup' && call.state === 'order 7 exists') {
        const id = Number(call.params['id'] ?? 7);
        orders.set(id, { id, status: 'open', total: 12.5 });
      } else if (call.action === 'teardown') {
        orders.clear();
      }
      return send(res, 200, {});
    }
    const one = /^\/orders\/(\d+)$/.exec(path);
    if (req.method === 'GET' && one) {
      const order = orders.get(Number(one[1]));
      if (!order) return send(res, 404, { error: 'no such order' });
      if (options.renameStatus) return send(res, 200, { id: order.id, state: order.status, total: order.total });
      return send(res, 200, order);
    }
    if (req.method === 'GET' && path === '/orders') {
      return send(res, 200, [{ id: 1, status: 'shipped' }, ...[...orders.values()].map(({ id, status }) => ({ id, status }))]);
    }
    if (req.method === 'POST' && path === '/orders') {
      const { total } = JSON.parse(raw || '{}') as { total?: number };
      if (typeof total !== 'number') return send(res, 400, { error: 'total must be a number' });
      const order = { id: nextId++, status: 'open', total };
      orders.set(order.id, order);
      return send(res, 201, { id: order.id, status: order.status });
    }
    send(res, 404, { error: 'not found' });
  };
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => handle(req, res, raw));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    statesUrl: `${url}/_pact/states`,
    stateCalls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
