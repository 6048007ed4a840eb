import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * How an upgrade is answered: a WebSocket echoing `<name>:<frame>` (at once, or after 300 ms), no answer at
 * all, or that status (then the connection closes).
 */
export type UpgradeAnswer = 'echo' | 'slow-echo' | 'hang' | number;

export interface ScriptedWsUpstream {
  url: string;
  /** Path and headers of every upgrade that reached it, as they arrived. */
  upgrades: Array<{ url: string; headers: IncomingHttpHeaders }>;
  /** Its end of every upgrade's connection: to see when the proxy lets go of one. */
  sockets: Duplex[];
  close(): Promise<void>;
}

/** A WebSocket upstream on loopback answering each upgrade as `answer` says for its path. */
export async function startScriptedWsUpstream(name: string, answer: (path: string) => UpgradeAnswer = () => 'echo'): Promise<ScriptedWsUpstream> {
  const upgrades: ScriptedWsUpstream['upgrades'] = [];
  const sockets: Duplex[] = [];
  const server = createServer((_req, res) => res.writeHead(426, { connection: 'close' }).end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    sockets.push(socket);
    socket.on('error', () => undefined);
    const how = answer(req.url ?? '');
    if (how === 'hang') return;
    if (how === 'echo' || how === 'slow-echo') {
      const accept = (): void => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data) => ws.send(`${name}:${data.toString()}`)));
      if (how === 'echo') accept();
      else setTimeout(accept, 300).unref();
      return;
    }
    // Three digits, as a status line has them: 99 goes out as `099`.
    socket.end(`HTTP/1.1 ${String(how).padStart(3, '0')} X\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nconnection: close\r\n\r\nnope\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    upgrades,
    sockets,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface WsOutcome {
  /** The first frame back, `HTTP <status>` for a refused handshake, or `error: <message>`. */
  outcome: string;
  /** The headers of the 101 or of the refusal. */
  headers: IncomingHttpHeaders;
}

/** Opens a WebSocket through the proxy on `port` and sends `hi`: what came back, then the socket is closed. */
export function wsOutcome(port: number, path: string, headers: Record<string, string> = {}): Promise<WsOutcome> {
  const client = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
  return new Promise((resolve) => {
    let answered: IncomingHttpHeaders = {};
    client.once('upgrade', (res: IncomingMessage) => (answered = res.headers));
    client.once('unexpected-response', (req, res: IncomingMessage) => {
      resolve({ outcome: `HTTP ${res.statusCode}`, headers: res.headers });
      req.destroy();
    });
    client.on('error', (err) => resolve({ outcome: `error: ${err.message}`, headers: answered }));
    client.once('open', () => client.send('hi'));
    client.once('message', (data) => {
      resolve({ outcome: data.toString(), headers: answered });
      client.close(1000);
    });
  });
}
