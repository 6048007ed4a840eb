import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { PassThrough, Readable } from 'node:stream';
import { UpstreamPool, type ExchangeController, type ExchangeOptions } from '../../proxy/http1';
import { eventually } from '../helpers/eventually';
import { unacceptingListener } from '../helpers/unaccepting-listener';

/**
 * The proxy's HTTP/1.1 client against scripted upstreams on loopback: plain TCP servers that answer with
 * exactly the bytes a test wants, so keep-alive, framing and failure cases are real, not simulated.
 */

interface Received {
  /** Index of the connection (in accept order) the request came on. */
  connection: number;
  head: string;
  body: Buffer;
}

type Answer = (socket: Socket, request: Received, indexOnConnection: number) => void;

interface ScriptedUpstream {
  origin: string;
  received: Received[];
  connections: Socket[];
  /** Data events per connection: requests written together arrive in one. */
  reads: number[];
  close(): Promise<void>;
}

/** Parses requests off each connection (Content-Length or chunked bodies) and hands them to `answer`. */
async function scriptedUpstream(answer: Answer): Promise<ScriptedUpstream> {
  const received: Received[] = [];
  const connections: Socket[] = [];
  const reads: number[] = [];
  const server: Server = createServer((socket) => {
    const connection = connections.push(socket) - 1;
    reads[connection] = 0;
    let buffer = Buffer.alloc(0);
    let onConnection = 0;
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      reads[connection]!++;
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1');
        const length = /\r\ncontent-length: *(\d+)/i.exec(head);
        let body: Buffer;
        let consumed: number;
        if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
          const parsed = dechunk(buffer.subarray(end + 4));
          if (!parsed) return;
          body = parsed.body;
          consumed = end + 4 + parsed.consumed;
        } else {
          const size = length ? Number(length[1]) : 0;
          if (buffer.length < end + 4 + size) return;
          body = buffer.subarray(end + 4, end + 4 + size);
          consumed = end + 4 + size;
        }
        buffer = buffer.subarray(consumed);
        const request = { connection, head, body };
        received.push(request);
        answer(socket, request, onConnection++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    connections,
    reads,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function dechunk(data: Buffer): { body: Buffer; consumed: number } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const line = data.indexOf('\r\n', at);
    if (line < 0) return undefined;
    const size = parseInt(data.subarray(at, line).toString('latin1'), 16);
    if (data.length < line + 2 + size + 2) return undefined;
    if (size === 0) return { body: Buffer.concat(parts), consumed: line + 4 };
    parts.push(data.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
}

const ok = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

interface Outcome {
  status?: number;
  headers?: string[];
  body: string;
  trailers?: string[];
  error?: NodeJS.ErrnoException;
}

function send(
  pool: UpstreamPool,
  options: Partial<ExchangeOptions> = {},
  hooks: { onStart?: (controller: ExchangeController) => void; onData?: (controller: ExchangeController, chunk: Buffer) => void } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const outcome: Outcome = { body: '' };
    pool.dispatch(
      { method: 'GET', path: '/x', headers: ['host', 'upstream'], body: null, timeoutMs: 2000, ...options },
      {
        onRequestStart: hooks.onStart,
        onResponseStart(_c, status, headers) {
          outcome.status = status;
          outcome.headers = headers;
        },
        onResponseData(controller, chunk) {
          chunks.push(chunk);
          hooks.onData?.(controller, chunk);
        },
        onResponseEnd(_c, trailers) {
          outcome.body = Buffer.concat(chunks).toString();
          outcome.trailers = trailers;
          resolve(outcome);
        },
        onResponseError(_c, error) {
          outcome.body = Buffer.concat(chunks).toString();
          outcome.error = error as NodeJS.ErrnoException;
          resolve(outcome);
        },
      },
    );
  });
}

const pools: UpstreamPool[] = [];
const upstreams: ScriptedUpstream[] = [];

function pool(upstream: ScriptedUpstream, options: Partial<ConstructorParameters<typeof UpstreamPool>[1]> = {}): UpstreamPool {
  const created = new UpstreamPool(upstream.origin, { connections: 8, connectTimeoutMs: 2000, idleTimeoutMs: 4000, ...options });
  pools.push(created);
  return created;
}

async function upstream(answer: Answer): Promise<ScriptedUpstream> {
  const started = await scriptedUpstream(answer);
  upstreams.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('UpstreamPool: keep-alive and limits', () => {
  test('sequential exchanges reuse one connection; the request line and headers go out as given', async () => {
    const up = await upstream((socket, request) => socket.write(ok(`echo ${request.head.split('\r\n')[0]}`)));
    const p = pool(up);
    for (let i = 0; i < 5; i++) {
      const reply = await send(p, { path: `/orders/${i}?q=${i}`, headers: ['Host', 'svc.internal', 'X-Trace', `t${i}`] });
      expect(reply).toMatchObject({ status: 200, body: `echo GET /orders/${i}?q=${i} HTTP/1.1` });
    }
    expect(up.connections).toHaveLength(1);
    expect(up.received[4]!.head).toBe('GET /orders/4?q=4 HTTP/1.1\r\nHost: svc.internal\r\nX-Trace: t4');
  });

  test('never more connections than the limit; waiting exchanges run in order as connections free up', async () => {
    const held: Array<() => void> = [];
    const up = await upstream((socket, request) => held.push(() => socket.write(ok(request.head.split(' ')[1]!))));
    const p = pool(up, { connections: 2 });
    const replies = Array.from({ length: 6 }, (_, i) => send(p, { path: `/${i}` }));
    await eventually(() => up.received.length >= 2);
    // Nothing is answered yet: this pause gives a third connection, if the limit did not hold, time to show up.
    await sleep(50);
    expect(up.connections).toHaveLength(2);
    expect(up.received.map((r) => r.head.split(' ')[1])).toEqual(['/0', '/1']);
    while (up.received.length < 6 || held.length > 0) {
      held.shift()?.();
      await sleep(10);
    }
    expect((await Promise.all(replies)).map((r) => r.body)).toEqual(['/0', '/1', '/2', '/3', '/4', '/5']);
    expect(up.received.map((r) => r.head.split(' ')[1])).toEqual(['/0', '/1', '/2', '/3', '/4', '/5']);
    expect(up.connections).toHaveLength(2);
  });

  test('Connection: close and HTTP/1.0 answers are not reused; a body delimited by the close is read whole', async () => {
    const up = await upstream((socket, _request, _n) => {
      if (up.received.length === 1) socket.write(ok('closing', 'Connection: close\r\n'));
      else socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
    });
    const p = pool(up);
    expect(await send(p)).toMatchObject({ status: 200, body: 'closing' });
    expect(await send(p)).toMatchObject({ status: 200, body: 'until the end' });
    expect(up.connections).toHaveLength(2);
    await eventually(() => p.size === 0, 1000, 10);
  });

  test('Keep-Alive: timeout=N makes the pool drop an idle connection a second before the upstream would', async () => {
    const up = await upstream((socket) => socket.write(ok('hint', 'Keep-Alive: timeout=2\r\n')));
    const p = pool(up);
    await send(p);
    expect(p.size).toBe(1);
    // Closed after ~1 s idle (the hint less a second), long before the pool's own 4 s.
    const closedAfter = await eventually(() => p.size === 0, 3000, 20);
    expect(closedAfter).toBeGreaterThanOrEqual(900);
    const once = await upstream((socket) => socket.write(ok('no reuse', 'Keep-Alive: timeout=1\r\n')));
    const q = pool(once);
    await send(q);
    await send(q);
    expect(once.connections).toHaveLength(2);
  });

  test('an idle connection is closed after idleTimeoutMs', async () => {
    const up = await upstream((socket) => socket.write(ok('x')));
    const p = pool(up, { idleTimeoutMs: 150 });
    await send(p);
    expect(p.size).toBe(1);
    const closedAfter = await eventually(() => p.size === 0, 3000, 10);
    expect(closedAfter).toBeGreaterThanOrEqual(140);
  });
});

describe('UpstreamPool: a kept-alive connection the upstream closed', () => {
  // The upstream answers the first request, then closes the connection the moment the next one arrives
  // without answering it: what a server whose keep-alive timeout expires as the request goes out does.
  const closesAfterFirst: Answer = (socket, request, n) => {
    if (n === 0) socket.write(ok(`first on ${request.connection}`));
    else socket.destroy();
  };

  test('a GET is sent once more on a fresh connection and succeeds', async () => {
    const up = await upstream(closesAfterFirst);
    const p = pool(up);
    expect(await send(p)).toMatchObject({ body: 'first on 0' });
    expect(await send(p, { path: '/again' })).toMatchObject({ status: 200, body: 'first on 1' });
    expect(up.received.map((r) => [r.connection, r.head.split(' ')[1]])).toEqual([
      [0, '/x'],
      [0, '/again'],
      [1, '/again'],
    ]);
  });

  test('a POST is not sent again: it fails with the connection error', async () => {
    const up = await upstream(closesAfterFirst);
    const p = pool(up);
    await send(p);
    const reply = await send(p, { method: 'POST', body: Buffer.from('{"pay":1}'), headers: ['host', 'u', 'content-type', 'application/json'] });
    expect(reply.error?.code).toMatch(/^(UPSTREAM_CLOSED|ECONNRESET|EPIPE)$/);
    expect(up.received.filter((r) => r.head.startsWith('POST'))).toHaveLength(1);
  });

  test('a GET on a fresh connection that is closed unanswered is not retried', async () => {
    const up = await upstream((socket) => socket.destroy());
    const p = pool(up);
    const reply = await send(p);
    expect(reply.error?.code).toMatch(/^(UPSTREAM_CLOSED|ECONNRESET)$/);
    expect(up.received).toHaveLength(1);
  });
});

describe('UpstreamPool: framing', () => {
  test('bytes after a complete response poison the connection: the next request gets its own answer on a new one', async () => {
    const up = await upstream((socket, request) => {
      if (request.connection === 0) socket.write(ok('mine') + ok('NOT YOURS'));
      else socket.write(ok('yours'));
    });
    const p = pool(up);
    expect(await send(p)).toMatchObject({ status: 200, body: 'mine' });
    // The stray bytes came in the same write as the answer; once the pool has seen them it closes the connection.
    await eventually(() => p.size === 0, 1000, 10);
    expect(await send(p)).toMatchObject({ status: 200, body: 'yours' });
    expect(up.connections).toHaveLength(2);
  });

  test('HEAD, 204 and 304 answers carry no body even with a Content-Length', async () => {
    const up = await upstream((socket, request) => {
      const path = request.head.split(' ')[1];
      if (path === '/head') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
      else if (path === '/304') socket.write('HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n');
      else socket.write('HTTP/1.1 204 No Content\r\n\r\n');
    });
    const p = pool(up);
    expect(await send(p, { method: 'HEAD', path: '/head' })).toMatchObject({ status: 200, body: '' });
    expect(await send(p, { path: '/304' })).toMatchObject({ status: 304, body: '' });
    expect(await send(p, { path: '/204' })).toMatchObject({ status: 204, body: '' });
    expect(up.connections).toHaveLength(1);
  });

  test('1xx informational answers are skipped; the final answer is delivered', async () => {
    const up = await upstream((socket) => socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' + ok('final')));
    const reply = await send(pool(up));
    expect(reply).toMatchObject({ status: 200, body: 'final' });
    expect(reply.headers).toEqual(['Content-Length', '5']);
  });

  test('a 101 to a plain request, and bytes that are not HTTP, are protocol errors', async () => {
    const switching = await upstream((socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n'));
    expect((await send(pool(switching))).error?.code).toBe('UPSTREAM_PROTOCOL_ERROR');
    const garbage = await upstream((socket) => socket.write('SSH-2.0-OpenSSH_9.2\r\n'));
    expect((await send(pool(garbage))).error?.code).toBe('UPSTREAM_PROTOCOL_ERROR');
    const smuggled = await upstream((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'));
    expect((await send(pool(smuggled))).error?.code).toBe('UPSTREAM_PROTOCOL_ERROR');
  });

  test('a long head (over 32 header lines) arriving in pieces, a chunked body and trailers', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `X-H${i}`);
    const up = await upstream(async (socket) => {
      const head = `HTTP/1.1 200 OK\r\n${names.map((n) => `${n}: v`).join('\r\n')}\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n`;
      for (let i = 0; i < head.length; i += 50) {
        socket.write(head.slice(i, i + 50));
        await sleep(2);
      }
      socket.write('5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: abc\r\n\r\n');
    });
    const reply = await send(pool(up));
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('hello world');
    expect(reply.headers!.filter((_, i) => i % 2 === 0).slice(0, 40)).toEqual(names);
    expect(reply.trailers).toEqual(['X-Sum', 'abc']);
  });
  test('a handler that throws fails its own exchange (onResponseError), not the process; the pool carries on', async () => {
    const up = await upstream((socket) => socket.write(ok('fine')));
    const p = pool(up);
    const failed = await new Promise<Error>((resolve) => {
      p.dispatch({ method: 'GET', path: '/', headers: ['host', 'u'], body: null, timeoutMs: 1000 }, {
        onResponseStart() {
          throw new TypeError('Invalid character in header content');
        },
        onResponseData() {},
        onResponseEnd() {},
        onResponseError: (_c, error) => resolve(error),
      });
    });
    expect(failed.message).toBe('Invalid character in header content');
    expect(await send(p)).toMatchObject({ status: 200, body: 'fine' });
  });
});

describe('UpstreamPool: pipelining (shadow copies)', () => {
  const pathOf = (request: Received): string => request.head.split(' ')[1]!;
  /** Answers once the first `count` requests are in, all in one write, each naming its path; later ones at once. */
  const answerAllAt = (count: number, answer = (request: Received): string => ok(pathOf(request))): Answer => {
    const pending: Array<{ socket: Socket; request: Received }> = [];
    let held = true;
    return (socket, request) => {
      pending.push({ socket, request });
      if (held && pending.length < count) return;
      held = false;
      const bySocket = new Map<Socket, string>();
      for (const held of pending.splice(0)) bySocket.set(held.socket, (bySocket.get(held.socket) ?? '') + answer(held.request));
      for (const [target, bytes] of bySocket) target.write(bytes);
    };
  };

  test('GETs dispatched in one turn go out on one connection, the first at once and the rest in one write; answers in one chunk reach their own exchange', async () => {
    const up = await upstream(answerAllAt(5));
    const p = pool(up, { pipelining: 16 });
    const replies = await Promise.all(['/0', '/1', '/2', '/3', '/4'].map((path) => send(p, { path })));
    expect(replies.map((r) => r.body)).toEqual(['/0', '/1', '/2', '/3', '/4']);
    expect(up.connections).toHaveLength(1);
    expect(up.reads[0]).toBeLessThanOrEqual(2);
    // The connection is kept and reused for the next turn's requests.
    const again = await Promise.all(['/5', '/6'].map((path) => send(p, { path }).then((r) => r.body)));
    expect(again).toEqual(['/5', '/6']);
    expect(up.connections).toHaveLength(1);
  });

  test('without pipelining each request has a connection of its own', async () => {
    const up = await upstream(answerAllAt(3));
    const p = pool(up);
    expect((await Promise.all(['/0', '/1', '/2'].map((path) => send(p, { path })))).map((r) => r.body)).toEqual(['/0', '/1', '/2']);
    expect(up.connections).toHaveLength(3);
  });

  test('at most `pipelining` requests per connection; HEAD and 204 answers (no body) between others are framed right', async () => {
    const up = await upstream(
      answerAllAt(5, (request) => {
        if (request.head.startsWith('HEAD')) return 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n';
        if (pathOf(request) === '/204') return 'HTTP/1.1 204 No Content\r\n\r\n';
        return ok(pathOf(request));
      }),
    );
    const p = pool(up, { pipelining: 2 });
    const replies = await Promise.all([
      send(p, { path: '/0' }),
      send(p, { method: 'HEAD', path: '/head' }),
      send(p, { path: '/2' }),
      send(p, { path: '/204' }),
      send(p, { path: '/4' }),
    ]);
    expect(replies.map((r) => [r.status, r.body])).toEqual([[200, '/0'], [200, ''], [200, '/2'], [204, ''], [200, '/4']]);
    expect(up.connections).toHaveLength(3);
    expect(up.received.map((r) => [r.connection, pathOf(r)])).toEqual([[0, '/0'], [0, '/head'], [1, '/2'], [1, '/204'], [2, '/4']]);
  });

  test('a POST is never pipelined, nor is anything sent behind it', async () => {
    const up = await upstream(answerAllAt(3));
    const p = pool(up, { pipelining: 16 });
    const replies = await Promise.all([
      send(p, { method: 'POST', path: '/post', body: Buffer.from('{}') }),
      send(p, { path: '/1' }),
      send(p, { path: '/2' }),
    ]);
    expect(replies.map((r) => r.body)).toEqual(['/post', '/1', '/2']);
    expect(up.received.map((r) => [r.connection, pathOf(r)])).toEqual([[0, '/post'], [1, '/1'], [1, '/2']]);
  });

  test('an upstream that answers the first and closes (Connection: close, or not a word): the others are sent once more, each alone', async () => {
    for (const closeHow of ['header', 'silent'] as const) {
      let served = 0;
      const up = await upstream((socket, request, n) => {
        if (request.connection === 0 && n === 0) {
          const last = ok(pathOf(request), closeHow === 'header' ? 'Connection: close\r\n' : '');
          if (closeHow === 'header') socket.end(last);
          else socket.write(last, () => socket.destroy());
          served++;
          return;
        }
        if (request.connection === 0) return; // read, never answered: the connection is going
        socket.write(ok(`${pathOf(request)} again`));
        served++;
      });
      const p = pool(up, { pipelining: 16 });
      const replies = await Promise.all(['/0', '/1', '/2'].map((path) => send(p, { path })));
      expect(replies.map((r) => r.body)).toEqual(['/0', '/1 again', '/2 again']);
      expect(served).toBe(3);
      // Retried requests go on fresh connections, one each: a server that drops pipelined requests gets none.
      expect(up.received.filter((r) => r.connection > 0).map((r) => [r.connection, pathOf(r)])).toEqual([[1, '/1'], [2, '/2']]);
    }
  });

  test('a pipelined exchange aborted while it waits its turn: the connection ends at its turn, the one behind goes again alone', async () => {
    const up = await upstream(answerAllAt(3));
    const p = pool(up, { pipelining: 16 });
    let middle: ExchangeController | undefined;
    const first = send(p, { path: '/0' });
    const aborted = send(p, { path: '/1' }, { onStart: (c) => (middle = c) });
    const last = send(p, { path: '/2' });
    middle!.abort(new Error('copy abandoned'));
    expect((await aborted).error?.message).toBe('copy abandoned');
    expect([(await first).body, (await last).body]).toEqual(['/0', '/2']);
    expect(await send(p, { path: '/3' }).then((r) => r.body)).toBe('/3');
    expect(up.received.map((r) => [r.connection, pathOf(r)])).toEqual([[0, '/0'], [0, '/1'], [0, '/2'], [1, '/2'], [1, '/3']]);
  });

  test('no answer to the first within timeoutMs: it fails with the timeout; those behind it, never answered, are sent again alone', async () => {
    const up = await upstream((socket, request) => {
      if (request.connection > 0) socket.write(ok(`${pathOf(request)} alone`));
    });
    const p = pool(up, { pipelining: 16 });
    const replies = await Promise.all(['/0', '/1', '/2'].map((path) => send(p, { path, timeoutMs: 150 })));
    expect(replies.map((r) => r.error?.code ?? r.body)).toEqual(['UPSTREAM_HEADERS_TIMEOUT', '/1 alone', '/2 alone']);
    expect(up.received.map((r) => [r.connection, pathOf(r)])).toEqual([[0, '/0'], [0, '/1'], [0, '/2'], [1, '/1'], [2, '/2']]);
  });

  test('a malformed answer (a 204 with a body) fails its own exchange; those behind it are sent again alone', async () => {
    const up = await upstream((socket, request) => {
      if (request.connection === 0 && pathOf(request) === '/0') socket.write('HTTP/1.1 204 No Content\r\n\r\nsurprise');
      else if (request.connection > 0) socket.write(ok(pathOf(request)));
    });
    const p = pool(up, { pipelining: 16 });
    const replies = await Promise.all(['/0', '/1', '/2'].map((path) => send(p, { path })));
    expect(replies.map((r) => r.error?.code ?? r.body)).toEqual(['', '/1', '/2']);
    expect(replies[0]!.status).toBe(204);
  });

  test('node:http answers HEAD without a length: the connection is kept, and the answers behind it are framed right', async () => {
    const server = createHttpServer((req, res) => res.end(req.url));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sockets = new Set<number>();
    server.on('connection', (socket: Socket) => sockets.add(socket.remotePort ?? 0));
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const piped = new UpstreamPool(origin, { connections: 8, connectTimeoutMs: 2000, idleTimeoutMs: 4000, pipelining: 16 });
      const plain = new UpstreamPool(origin, { connections: 8, connectTimeoutMs: 2000, idleTimeoutMs: 4000 });
      pools.push(piped, plain);
      const replies = await Promise.all([send(piped, { path: '/0' }), send(piped, { method: 'HEAD', path: '/1' }), send(piped, { path: '/2' }), send(piped, { method: 'HEAD', path: '/3' }), send(piped, { path: '/4' })]);
      expect(replies.map((r) => [r.status, r.body, r.error?.code])).toEqual([[200, '/0', undefined], [200, '', undefined], [200, '/2', undefined], [200, '', undefined], [200, '/4', undefined]]);
      expect(sockets.size).toBe(1);
      // One at a time too: three HEADs in a row reuse one connection.
      for (const path of ['/5', '/6', '/7']) expect(await send(plain, { method: 'HEAD', path })).toMatchObject({ status: 200, body: '' });
      expect(sockets.size).toBe(2);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('an answer sent twice: the next request, seeing the echo of the one before, is not given it; it and those behind go again alone', async () => {
    const answer = (request: Received): string => ok(pathOf(request), `x-request-id: ${/\r\nx-request-id: (\S+)/i.exec(request.head)![1]}\r\n`);
    const up = await upstream(
      answerAllAt(4, (request) => (request.connection === 0 && pathOf(request) === '/1' ? answer(request) + answer(request) : answer(request))),
    );
    const p = pool(up, { pipelining: 16 });
    const withId = (path: string): Promise<Outcome> => send(p, { path, headers: ['host', 'u', 'x-request-id', `id${path}`], echo: { name: 'x-request-id', value: `id${path}` } });
    const replies = await Promise.all(['/0', '/1', '/2', '/3'].map(withId));
    expect(replies.map((r) => r.body)).toEqual(['/0', '/1', '/2', '/3']);
    expect(up.received.filter((r) => r.connection > 0).map((r) => pathOf(r))).toEqual(['/2', '/3']);
    // A service that sets its own x-request-id (not one the connection carried) is not taken for out of step.
    const own = await upstream(answerAllAt(2, (request) => ok(pathOf(request), 'x-request-id: generated-by-the-service\r\n')));
    const q = pool(own, { pipelining: 16 });
    const sendOwn = (path: string): Promise<Outcome> => send(q, { path, echo: { name: 'x-request-id', value: `id${path}` } });
    expect((await Promise.all([sendOwn('/a'), sendOwn('/b')])).map((r) => r.body)).toEqual(['/a', '/b']);
    expect(own.connections).toHaveLength(1);
  });

  test('a copy abandoned while it waits its turn, whose answer never ends: the connection is closed at its turn; the rest go again alone', async () => {
    const up = await upstream((socket, request) => {
      if (request.connection === 0 && pathOf(request) === '/stream') socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nevent\r\n');
      else socket.write(ok(pathOf(request)));
    });
    const p = pool(up, { pipelining: 16, connections: 1 });
    let stream: ExchangeController | undefined;
    const first = send(p, { path: '/0' }, { onStart: () => stream?.abort(new Error('client left')) });
    const streamed = send(p, { path: '/stream' }, { onStart: (c) => (stream = c) });
    const last = send(p, { path: '/2' });
    stream!.abort(new Error('client left'));
    expect((await streamed).error?.message).toBe('client left');
    expect([(await first).body, (await last).body]).toEqual(['/0', '/2']);
    await eventually(() => up.connections[0]!.destroyed || up.connections[0]!.readableEnded, 2000, 10);
    expect(await send(p, { path: '/3' }).then((r) => r.body)).toBe('/3');
    expect(up.received.map((r) => [r.connection, pathOf(r)])).toEqual([[0, '/0'], [0, '/stream'], [0, '/2'], [1, '/2'], [1, '/3']]);
  });

  test('copies sent again after waiting behind another still say so (their time includes the wait)', async () => {
    const up = await upstream((socket, request) => {
      if (request.connection === 0 && pathOf(request) === '/0') socket.end(ok('/0', 'Connection: close\r\n'));
      else if (request.connection > 0) socket.write(ok(pathOf(request)));
    });
    const p = pool(up, { pipelining: 16 });
    const controllers: ExchangeController[] = [];
    const replies = await Promise.all(['/0', '/1', '/2'].map((path) => send(p, { path }, { onStart: (c) => controllers.push(c) })));
    expect(replies.map((r) => r.body)).toEqual(['/0', '/1', '/2']);
    expect(controllers.map((c) => c.pipelinedBehind)).toEqual([false, true, true]);
  });

  test('requests with the same echo value are never pipelined together: answers to them could not be told apart', async () => {
    const up = await upstream(answerAllAt(4));
    const p = pool(up, { pipelining: 16 });
    const withId = (path: string, id: string): Promise<Outcome> => send(p, { path, echo: { name: 'x-request-id', value: id } });
    const replies = await Promise.all([withId('/0', 'page-42'), withId('/1', 'page-42'), withId('/2', 'other'), withId('/3', 'PAGE-42')]);
    expect(replies.map((r) => r.body)).toEqual(['/0', '/1', '/2', '/3']);
    const byConnection = new Map<number, string[]>();
    for (const r of up.received) byConnection.set(r.connection, [...(byConnection.get(r.connection) ?? []), pathOf(r)]);
    expect([...byConnection.values()]).toEqual([['/0'], ['/1', '/2'], ['/3']]);
  });

  test('an answer repeated a few answers late is still caught (the connection remembers the ids it answered)', async () => {
    const answer = (path: string): string => ok(path, `x-request-id: id${path}\r\n`);
    const up = await upstream(
      answerAllAt(4, (request) => {
        if (request.connection > 0) return answer(pathOf(request));
        return pathOf(request) === '/2' ? answer('/0') + answer('/2') : answer(pathOf(request));
      }),
    );
    const p = pool(up, { pipelining: 16 });
    const withId = (path: string): Promise<Outcome> => send(p, { path, echo: { name: 'x-request-id', value: `id${path}` } });
    const replies = await Promise.all(['/0', '/1', '/2', '/3'].map(withId));
    expect(replies.map((r) => r.body)).toEqual(['/0', '/1', '/2', '/3']);
    expect(up.received.filter((r) => r.connection > 0).map(pathOf)).toEqual(['/2', '/3']);
  });

  /** Answers in order, as a server must: after a request it never answers, nothing more on that connection. */
  const stallsAt = (path: string): Answer => {
    const stalled = new Set<number>();
    return (socket, request) => {
      if (pathOf(request) === path) stalled.add(request.connection);
      if (!stalled.has(request.connection)) socket.write(ok(pathOf(request)));
    };
  };

  test('a pipelined request that times out itself is not sent again (the new service was slow); those behind it are', async () => {
    const up = await upstream(stallsAt('/slow'));
    const p = pool(up, { pipelining: 16 });
    const replies = await Promise.all(['/0', '/slow', '/2'].map((path) => send(p, { path, timeoutMs: 150 })));
    expect(replies.map((r) => r.error?.code ?? r.body)).toEqual(['/0', 'UPSTREAM_HEADERS_TIMEOUT', '/2']);
    expect(up.received.map((r) => [r.connection, pathOf(r)])).toEqual([[0, '/0'], [0, '/slow'], [0, '/2'], [1, '/2']]);
  });

  test('copies sent again take an idle connection first, and keep their order when they must wait', async () => {
    const up = await upstream(stallsAt('/hang'));
    const two = pool(up, { pipelining: 16, connections: 2 });
    const hung = Promise.all(['/hang', '/b', '/c'].map((path) => send(two, { path, timeoutMs: 150 })));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await send(two, { path: '/d', timeoutMs: 150 }).then((r) => r.body)).toBe('/d');
    expect((await hung).map((r) => r.error?.code ?? r.body)).toEqual(['UPSTREAM_HEADERS_TIMEOUT', '/b', '/c']);
    const one = pool(up, { pipelining: 16, connections: 1 });
    const lined = await Promise.all(['/hang', '/e', '/f', '/g'].map((path) => send(one, { path, timeoutMs: 150 })));
    expect(lined.map((r) => r.error?.code ?? r.body)).toEqual(['UPSTREAM_HEADERS_TIMEOUT', '/e', '/f', '/g']);
    expect(up.received.map(pathOf).slice(-3)).toEqual(['/e', '/f', '/g']);
  });

  test('a HEAD answer without a length or keep-alive is not trusted to end there: stray bytes do not become the next answer', async () => {
    const up = await upstream((socket, request) => {
      if (request.head.startsWith('HEAD')) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n');
        setTimeout(() => socket.end('a body a naive server sends anyway'), 20);
      } else socket.write(ok(pathOf(request)));
    });
    const p = pool(up);
    expect(await send(p, { method: 'HEAD', path: '/h' })).toMatchObject({ status: 200, body: '' });
    expect(await send(p, { path: '/next' })).toMatchObject({ status: 200, body: '/next' });
    expect(up.received.map((r) => [r.connection, pathOf(r)])).toEqual([[0, '/h'], [1, '/next']]);
  });

  test('at its connection limit, exchanges that wait are not overtaken by later ones; they go out together when a connection frees', async () => {
    const up = await upstream((socket, request) => setImmediate(() => socket.write(ok(pathOf(request)))));
    const p = pool(up, { pipelining: 2, connections: 1 });
    const replies: Array<Promise<Outcome>> = [];
    for (let turn = 0; turn < 6; turn++) {
      for (let i = 0; i < 3; i++) replies.push(send(p, { path: `/${turn}-${i}`, timeoutMs: 1000 }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const paths = Array.from({ length: 6 }, (_, turn) => [0, 1, 2].map((i) => `/${turn}-${i}`)).flat();
    expect((await Promise.all(replies)).map((r) => r.error?.code ?? r.body)).toEqual(paths);
    expect(up.received.map(pathOf)).toEqual(paths);
    expect(up.connections).toHaveLength(1);
  });
});

describe('UpstreamPool: request bodies', () => {
  test('a Buffer body gets a Content-Length; a stream without one goes chunked; with one, as is', async () => {
    const up = await upstream((socket, request) => socket.write(ok(`${request.body.length}:${request.body.toString()}`)));
    const p = pool(up);
    const buffered = await send(p, { method: 'POST', body: Buffer.from('abc') });
    expect(buffered.body).toBe('3:abc');
    expect(up.received[0]!.head).toMatch(/\r\ncontent-length: 3$/);

    const stream = new PassThrough();
    const streamed = send(p, { method: 'POST', body: stream });
    stream.write('part one, ');
    await sleep(20);
    stream.end('part two');
    expect((await streamed).body).toBe('18:part one, part two');
    expect(up.received[1]!.head).toMatch(/\r\ntransfer-encoding: chunked$/);

    const sized = await send(p, { method: 'PUT', headers: ['host', 'u', 'Content-Length', '5'], body: Readable.from([Buffer.from('12'), Buffer.from('345')]) });
    expect(sized.body).toBe('5:12345');
    expect(up.received[2]!.head).not.toMatch(/transfer-encoding/i);
    expect(up.connections).toHaveLength(1);
  });

  test('an answer that arrives before the upload ends is delivered, and the connection is not reused', async () => {
    const early = await scriptedEarlyAnswer();
    const p = pool(early.upstream);
    const stream = new PassThrough();
    const reply = send(p, { method: 'POST', body: stream });
    stream.write('the start of a large upload');
    expect(await reply).toMatchObject({ status: 413, body: 'too large' });
    await eventually(() => p.size === 0, 1000, 10);
    expect(stream.listenerCount('data')).toBe(0);
    expect(early.upstream.connections).toHaveLength(1);
  });

  test('a request body that fails midway aborts the exchange', async () => {
    const up = await upstream(() => undefined);
    const stream = new PassThrough();
    const reply = send(pool(up), { method: 'POST', body: stream });
    stream.write('half');
    await sleep(20);
    stream.destroy(new Error('client went away'));
    expect((await reply).error?.message).toBe('the client request body ended early');
  });
});

/** An upstream that answers 413 as soon as a request head arrives, before reading its body. */
async function scriptedEarlyAnswer(): Promise<{ upstream: ScriptedUpstream }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.write(ok('too large').replace('200 OK', '413 Payload Too Large')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scripted: ScriptedUpstream = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: [],
    connections: [],
    reads: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  server.on('connection', (s) => scripted.connections.push(s));
  upstreams.push(scripted);
  return { upstream: scripted };
}

describe('UpstreamPool: timeouts, aborts and shutdown', () => {
  test('no answer within timeoutMs → UPSTREAM_HEADERS_TIMEOUT; a body that stalls → UPSTREAM_BODY_TIMEOUT', async () => {
    const up = await upstream((socket, request) => {
      if (request.head.startsWith('GET /stall')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf');
    });
    const p = pool(up);
    expect((await send(p, { timeoutMs: 150 })).error?.code).toBe('UPSTREAM_HEADERS_TIMEOUT');
    const stalled = await send(p, { path: '/stall', timeoutMs: 150 });
    expect(stalled).toMatchObject({ status: 200, body: 'half' });
    expect(stalled.error?.code).toBe('UPSTREAM_BODY_TIMEOUT');
  });

  test('a paused reader (a slow client) is not timed out; the body completes after resume', async () => {
    const up = await upstream((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nfirst');
      setTimeout(() => socket.write('end'), 50);
    });
    let paused = false;
    const reply = await send(pool(up), { timeoutMs: 150 }, {
      onData(controller) {
        if (paused) return;
        paused = true;
        controller.pause();
        setTimeout(() => controller.resume(), 500);
      },
    });
    expect(reply).toMatchObject({ status: 200, body: 'firstend' });
    expect(reply.error).toBeUndefined();
  });

  test('abort: while waiting for a connection, and mid-response (the connection is closed, not reused)', async () => {
    const held: Array<() => void> = [];
    const up = await upstream((socket) => held.push(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial')));
    const p = pool(up, { connections: 1 });
    let first: ExchangeController | undefined;
    let queued: ExchangeController | undefined;
    let partialArrived = false;
    const running = send(p, {}, { onStart: (c) => (first = c), onData: () => (partialArrived = true) });
    const waiting = send(p, { path: '/queued' }, { onStart: (c) => (queued = c) });
    if (!first || !queued) throw new Error('onRequestStart was not called within dispatch');
    // /x is on the only connection, so /queued is waiting for it.
    await eventually(() => held.length === 1);
    queued.abort(new Error('client left while queued'));
    expect((await waiting).error?.message).toBe('client left while queued');
    held.shift()!();
    await eventually(() => partialArrived);
    first.abort(new Error('client left mid-response'));
    const reply = await running;
    expect(reply).toMatchObject({ status: 200, body: 'partial' });
    expect(reply.error?.message).toBe('client left mid-response');
    await eventually(() => p.size === 0, 1000, 10);
    expect(up.received.map((r) => r.head.split(' ')[1])).toEqual(['/x']);
  });

  test('an exchange waits for a busy pool at most its timeoutMs, then fails as a queue timeout; the running one is untouched', async () => {
    const held: Array<() => void> = [];
    const up = await upstream((socket) => held.push(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')));
    const p = pool(up, { connections: 1 });
    const running = send(p, { timeoutMs: 2000 });
    const started = performance.now();
    const waiting = await send(p, { path: '/queued', timeoutMs: 150 });
    const waited = performance.now() - started;
    expect(waiting.error?.code).toBe('UPSTREAM_QUEUE_TIMEOUT');
    expect(waiting.error?.message).toMatch(/no free connection within 150 ms \(all 1 busy\)$/);
    expect(waited).toBeGreaterThanOrEqual(140);
    held.shift()!();
    expect(await running).toMatchObject({ status: 200, body: 'ok' });
    expect(up.received.map((r) => r.head.split(' ')[1])).toEqual(['/x']);
  });

  test('destroy fails running and waiting exchanges, closes every connection, and refuses new ones', async () => {
    const up = await upstream(() => undefined);
    const p = pool(up, { connections: 1 });
    const running = send(p);
    const waiting = send(p);
    await eventually(() => up.received.length === 1); // the first is on the wire, the second waits
    await p.destroy();
    expect((await running).error?.code).toBe('UPSTREAM_CLOSED');
    expect((await waiting).error?.code).toBe('UPSTREAM_POOL_CLOSED');
    expect((await send(p)).error?.code).toBe('UPSTREAM_POOL_CLOSED');
    expect(p.size).toBe(0);
  });

  test('nothing listening → ECONNREFUSED', async () => {
    const up = await upstream(() => undefined);
    const origin = up.origin;
    await up.close();
    upstreams.pop();
    const p = new UpstreamPool(origin, { connections: 1, connectTimeoutMs: 1000, idleTimeoutMs: 1000 });
    pools.push(p);
    expect((await send(p)).error?.code).toBe('ECONNREFUSED');
  });

  test('a connect that hangs → UPSTREAM_CONNECT_TIMEOUT after connectTimeoutMs, not the exchange timeoutMs', async () => {
    const listener = await unacceptingListener();
    try {
      await listener.fill();
      const p = new UpstreamPool(`http://127.0.0.1:${listener.port}`, { connections: 1, connectTimeoutMs: 300, idleTimeoutMs: 4000 });
      pools.push(p);
      const started = performance.now();
      const reply = await send(p, { timeoutMs: 10000 });
      const elapsed = performance.now() - started;
      expect(reply.error?.code).toBe('UPSTREAM_CONNECT_TIMEOUT');
      expect(reply.error?.message).toContain('no connection within 300 ms');
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2000);
      await eventually(() => p.size === 0, 1000, 10); // the hung socket is closed, not kept
    } finally {
      await listener.close();
    }
  });
});

describe('UpstreamPool: https upstreams', () => {
  test('speak TLS with SNI and verify the certificate: a self-signed one is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strangler-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      const servernames: string[] = [];
      const server = createTlsServer({
        key: readFileSync(join(dir, 'key.pem')),
        cert: readFileSync(join(dir, 'cert.pem')),
        SNICallback: (servername, callback) => {
          servernames.push(servername);
          callback(null);
        },
      });
      server.on('tlsClientError', () => undefined);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const p = new UpstreamPool(`https://localhost:${(server.address() as AddressInfo).port}`, { connections: 1, connectTimeoutMs: 2000, idleTimeoutMs: 1000 });
      pools.push(p);
      const reply = await send(p);
      expect(reply.error?.code).toBe('UPSTREAM_TLS_ERROR');
      expect(reply.error?.message).toMatch(/TLS handshake failed: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
      expect((reply.error?.cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(servernames).toEqual(['localhost']);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
