import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The new orders service the demo migrates /api/orders to. */
const ORDERS = [
  { id: 1, customer: 'ada', total: 42.5, status: 'shipped' },
  { id: 2, customer: 'grace', total: 17.0, status: 'pending' },
];

export function ordersServiceHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://orders');
  const send = (status: number, body: unknown): void => {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': 'orders-service', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
  if (url.pathname === '/api/orders' && req.method === 'GET') return send(200, { servedBy: 'orders-service', orders: ORDERS });
  const order = /^\/api\/orders\/(\d+)$/.exec(url.pathname);
  if (order && req.method === 'GET') {
    const found = ORDERS.find((o) => o.id === Number(order[1]));
    return found ? send(200, { ...found, servedBy: 'orders-service' }) : send(404, { error: 'no such order' });
  }
  if (url.pathname === '/api/orders' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => send(201, { received: Buffer.concat(chunks).length, servedBy: 'orders-service' }));
    return;
  }
  send(404, { error: 'not found', servedBy: 'orders-service' });
}

export async function startOrdersService(port = 0, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const server = createServer(ordersServiceHandler);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}` };
}
