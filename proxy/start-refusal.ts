import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ADMIN_API_HEADER } from '../core/admin-api';
import type { RouteConfig } from '../core/config/types';
import { UNMATCHED_ROUTE } from '../core/metric-names';
import type { ServerHandlers } from './bound-server';
import { rawProxyError, sendProxyError, type ProxyErrorBody } from './error-response';
import { normaliseTarget } from './path';
import { RouteTable } from './route-table';

/** How a start ended without serving: it failed (the state store did not open…), or a signal stopped it. */
export type StartEnd = 'failed' | 'stopped';

const REASONS: Record<StartEnd, string> = {
  failed: 'the proxy could not start and is exiting',
  stopped: 'the proxy was stopped while starting',
};

/**
 * The data port's answer to the requests that waited for a start that will not finish: 503 in the proxy's
 * JSON error shape, naming the route the request would have taken, and the connection closed. A load
 * balancer retries it on another replica; a connection reset would say less.
 */
export function dataPortRefusal(routes: RouteConfig[], end: StartEnd): ServerHandlers {
  const table = new RouteTable(routes);
  const body = (req: IncomingMessage): ProxyErrorBody => {
    const target = normaliseTarget(req.url ?? '/');
    const route = target ? table.match(target.path, req.method ?? 'GET') : undefined;
    const fromClient = req.headers['x-request-id'];
    const requestId = typeof fromClient === 'string' && fromClient !== '' ? fromClient : randomUUID();
    return { error: REASONS[end], route: route?.name ?? UNMATCHED_ROUTE, target: 'none', requestId };
  };
  return {
    request(req: IncomingMessage, res: ServerResponse): void {
      sendProxyError(res, 503, body(req), true);
    },
    upgrade(req: IncomingMessage, socket: Duplex): void {
      answerAndClose(socket, rawProxyError(503, body(req)));
    },
  };
}

/** The admin port's: 503 with the admin API's error shape (`{ "error": … }`), the connection closed. */
export function adminPortRefusal(end: StartEnd): ServerHandlers {
  const payload = JSON.stringify({ error: REASONS[end] });
  return {
    request(_req: IncomingMessage, res: ServerResponse): void {
      res.writeHead(503, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(payload),
        'cache-control': 'no-store',
        connection: 'close',
        [ADMIN_API_HEADER]: '1',
      });
      res.end(payload);
    },
  };
}

/** A socket node has handed over is half-open: it is closed once the answer is written. */
function answerAndClose(socket: Duplex, answer: Buffer): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(answer, () => socket.destroy());
}
