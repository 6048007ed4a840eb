import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { answeredAt, listen, readBody, sendJson } from './http-json';
import { ORDERS } from './legacy-monolith';

/**
 * The new orders service the demo migrates /api/orders to. It has one real difference from the
 * monolith, for the shadow diff to find: `total` is a string ("42.50") where legacy has a number.
 */
const NEW_ORDERS = ORDERS.map((order) => ({ ...order, total: order.total.toFixed(2) }));

export function ordersServiceHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://orders');
  const send = (status: number, body: unknown): void => sendJson(res, 'orders-service', status, body);
  const generatedAt = answeredAt();
  if (url.pathname === '/api/orders' && req.method === 'GET') return send(200, { servedBy: 'orders-service', orders: NEW_ORDERS, generatedAt });
  const order = /^\/api\/orders\/(\d+)$/.exec(url.pathname);
  if (order && req.method === 'GET') {
    const found = NEW_ORDERS.find((o) => o.id === Number(order[1]));
    return found ? send(200, { servedBy: 'orders-service', ...found, generatedAt }) : send(404, { error: 'no such order' });
  }
  if (url.pathname === '/api/orders' && req.method === 'POST') {
    return readBody(req, (body) => send(201, { servedBy: 'orders-service', received: body.length }));
  }
  send(404, { servedBy: 'orders-service', error: 'not found' });
}

export function startOrdersService(port = 0, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  return listen(ordersServiceHandler, port, host);
}
