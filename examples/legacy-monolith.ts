import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { answeredAt, listen, readBody, sendJson } from './http-json';

/** A small legacy monolith: orders, users and reports, the routes the demo moves one at a time. */
export const ORDERS = [
  { id: 1, customer: 'ada', total: 42.5, status: 'shipped' },
  { id: 2, customer: 'grace', total: 17.0, status: 'pending' },
];
const USERS = [
  { id: 'ada', name: 'Ada Lovelace' },
  { id: 'grace', name: 'Grace Hopper' },
];

export function legacyMonolithHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://legacy');
  const send = (status: number, body: unknown): void => sendJson(res, 'legacy', status, body);
  // A timestamp that differs on every answer: the diff learns it is noise.
  const generatedAt = answeredAt();
  if (url.pathname === '/api/orders' && req.method === 'GET') return send(200, { servedBy: 'legacy', orders: ORDERS, generatedAt });
  const order = /^\/api\/orders\/(\d+)$/.exec(url.pathname);
  if (order && req.method === 'GET') {
    const found = ORDERS.find((o) => o.id === Number(order[1]));
    return found ? send(200, { servedBy: 'legacy', ...found, generatedAt }) : send(404, { error: 'no such order' });
  }
  if (url.pathname === '/api/orders' && req.method === 'POST') {
    return readBody(req, (body) => send(201, { servedBy: 'legacy', received: body.length }));
  }
  if (url.pathname === '/api/users') return send(200, { servedBy: 'legacy', users: USERS });
  if (url.pathname.startsWith('/reports')) return send(200, { servedBy: 'legacy', report: 'monthly', rows: 3 });
  if (url.pathname === '/') return send(200, { service: 'legacy monolith', try: ['/api/orders', '/api/users', '/reports'] });
  send(404, { servedBy: 'legacy', error: 'not found' });
}

export function startLegacyMonolith(port = 0, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  return listen(legacyMonolithHandler, port, host);
}
