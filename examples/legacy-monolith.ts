import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A small legacy monolith: orders, users and reports, the routes the demo moves one at a time. */
const ORDERS = [
  { id: 1, customer: 'ada', total: 42.5, status: 'shipped' },
  { id: 2, customer: 'grace', total: 17.0, status: 'pending' },
];
const USERS = [
  { id: 'ada', name: 'Ada Lovelace' },
  { id: 'grace', name: 'Grace Hopper' },
];

export function legacyMonolithHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://legacy');
  const send = (status: number, body: unknown): void => {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': 'legacy', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
  if (url.pathname === '/api/orders' && req.method === 'GET') return send(200, { servedBy: 'legacy', orders: ORDERS });
  const order = /^\/api\/orders\/(\d+)$/.exec(url.pathname);
  if (order && req.method === 'GET') {
    const found = ORDERS.find((o) => o.id === Number(order[1]));
    return found ? send(200, { ...found, servedBy: 'legacy' }) : send(404, { error: 'no such order' });
  }
  if (url.pathname === '/api/orders' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => send(201, { received: Buffer.concat(chunks).length, servedBy: 'legacy' }));
    return;
  }
  if (url.pathname === '/api/users') return send(200, { users: USERS, servedBy: 'legacy' });
  if (url.pathname.startsWith('/reports')) return send(200, { report: 'monthly', rows: 3, servedBy: 'legacy' });
  if (url.pathname === '/') return send(200, { service: 'legacy monolith', try: ['/api/orders', '/api/users', '/reports'] });
  send(404, { error: 'not found', servedBy: 'legacy' });
}

export async function startLegacyMonolith(port = 0, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const server = createServer(legacyMonolithHandler);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}` };
}
