import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { connectionTokens, isHopByHop } from '../../proxy/hop-by-hop';
import { upgradeRequestHeaders, upstreamRequestHeaders as headersFor, withUpstreamHost } from '../../proxy/request-headers';
import { TrustedProxies } from '../../proxy/trusted-proxies';
import { clientResponseHeaders, headersFromRaw, trailerObject } from '../../proxy/response-headers';
import type { Upstream } from '../../proxy/upstreams';

/** A fake IncomingMessage: rawHeaders as sent, headers as node would fold them. */
function fakeReq(raw: string[], options: { remoteAddress?: string; encrypted?: boolean } = {}): IncomingMessage {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (name === 'set-cookie') headers[name] = [...(existing as string[]), value];
    else headers[name] = `${existing}, ${value}`;
  }
  const socket = { remoteAddress: 'remoteAddress' in options ? options.remoteAddress : '10.0.0.1', encrypted: options.encrypted };
  return { rawHeaders: raw, headers, socket } as unknown as IncomingMessage;
}

const NOBODY = new TrustedProxies([]);

/** The headers for a request from a peer that is not a trusted proxy (unless `trusted` says otherwise). */
function upstreamRequestHeaders(req: IncomingMessage, to: Upstream, requestId: string, trusted = NOBODY): string[] {
  return headersFor(req, to, requestId, trusted);
}

function upstream(extra: Partial<Upstream> = {}): Upstream {
  return { name: 'orders', origin: 'http://orders:4000', host: 'orders:4000', timeoutMs: 1000, preserveHost: false, ...extra } as Upstream;
}

/** [name, value, …] → list of [name, value] pairs. */
function pairs(flat: string[]): Array<[string, string]> {
  expect(flat.length % 2).toBe(0);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function valuesOf(flat: string[], name: string): string[] {
  return pairs(flat)
    .filter(([n]) => n.toLowerCase() === name)
    .map(([, v]) => v);
}

describe('isHopByHop', () => {
  test.each(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'transfer-encoding', 'upgrade', 'expect'])(
    '%s is hop-by-hop',
    (name) => expect(isHopByHop(name)).toBe(true),
  );

  test.each(['host', 'trailer', 'content-length', 'authorization', 'cookie', 'x-forwarded-for', 'Connection'])('%s is not (expects lower case)', (name) => {
    expect(isHopByHop(name)).toBe(false);
  });
});

describe('connectionTokens', () => {
  test('undefined or empty → undefined', () => {
    expect(connectionTokens(undefined)).toBeUndefined();
    expect(connectionTokens('')).toBeUndefined();
    expect(connectionTokens([])).toBeUndefined();
  });

  test('close and keep-alive are not header names → undefined when alone', () => {
    expect(connectionTokens('close')).toBeUndefined();
    expect(connectionTokens('Keep-Alive')).toBeUndefined();
    expect(connectionTokens('keep-alive, close')).toBeUndefined();
    expect(connectionTokens(' , ,, ')).toBeUndefined();
    expect(connectionTokens(['close', 'CLOSE'])).toBeUndefined();
  });

  test('lists other tokens, trimmed and lower-cased', () => {
    expect(connectionTokens('Keep-Alive, X-Secret ,  x-Trace-Id,close')).toEqual(new Set(['x-secret', 'x-trace-id']));
  });

  test('joins an array of Connection headers', () => {
    expect(connectionTokens(['close, X-A', 'x-b', 'Upgrade'])).toEqual(new Set(['x-a', 'x-b', 'upgrade']));
  });

  test('deduplicates', () => {
    expect(connectionTokens('x-a, X-A, x-a')).toEqual(new Set(['x-a']));
  });
});

describe('upstreamRequestHeaders', () => {
  test('a plain request: client headers in order, then forwarding headers, then Host', () => {
    const req = fakeReq(['Host', 'shop.example', 'Accept', 'application/json', 'User-Agent', 'curl/8']);
    expect(pairs(upstreamRequestHeaders(req, upstream(), 'rid-1'))).toEqual([
      ['Accept', 'application/json'],
      ['User-Agent', 'curl/8'],
      ['x-forwarded-for', '10.0.0.1'],
      ['x-forwarded-proto', 'http'],
      ['x-forwarded-host', 'shop.example'],
      ['x-request-id', 'rid-1'],
      ['host', 'orders:4000'],
    ]);
  });

  test('keeps the original name case and duplicate headers as separate entries', () => {
    const req = fakeReq(['Host', 'h', 'Cookie', 'a=1', 'cookie', 'b=2', 'X-Custom', 'one', 'x-custom', 'two']);
    const out = pairs(upstreamRequestHeaders(req, upstream(), 'r'));
    expect(out.slice(0, 4)).toEqual([
      ['Cookie', 'a=1'],
      ['cookie', 'b=2'],
      ['X-Custom', 'one'],
      ['x-custom', 'two'],
    ]);
  });

  describe('X-Forwarded-For', () => {
    test('is appended to across two incoming X-Forwarded-For headers, client IP last', () => {
      const req = fakeReq(['Host', 'h', 'X-Forwarded-For', '203.0.113.5', 'x-forwarded-for', '198.51.100.7, 192.0.2.1']);
      const out = upstreamRequestHeaders(req, upstream(), 'r');
      expect(valuesOf(out, 'x-forwarded-for')).toEqual(['203.0.113.5, 198.51.100.7, 192.0.2.1, 10.0.0.1']);
      // Exactly one XFF entry, in lower case (the incoming ones are not passed through).
      expect(out.filter((name) => name === 'X-Forwarded-For')).toHaveLength(0);
    });

    test('is set to the client IP when absent', () => {
      const out = upstreamRequestHeaders(fakeReq(['Host', 'h'], { remoteAddress: '::1' }), upstream(), 'r');
      expect(valuesOf(out, 'x-forwarded-for')).toEqual(['::1']);
    });
  });

  describe('X-Forwarded-Proto / X-Forwarded-Host', () => {
    test('are preserved when a trusted proxy in front set them, and not added again', () => {
      const trusted = new TrustedProxies(['10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
      for (const remoteAddress of ['10.1.2.3', '::ffff:10.9.9.9', 'fd00::1', '192.0.2.7']) {
        const req = fakeReq(['Host', 'internal:8080', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'shop.example.com'], { remoteAddress });
        const out = upstreamRequestHeaders(req, upstream(), 'r', trusted);
        expect([remoteAddress, valuesOf(out, 'x-forwarded-proto'), valuesOf(out, 'x-forwarded-host')]).toEqual([remoteAddress, ['https'], ['shop.example.com']]);
        expect(pairs(out)).toContainEqual(['X-Forwarded-Proto', 'https']);
        expect(pairs(out)).toContainEqual(['X-Forwarded-Host', 'shop.example.com']);
      }
    });

    test('from anyone else they are replaced by what strangler saw: a client cannot claim https', () => {
      const trusted = new TrustedProxies(['10.0.0.0/8', '192.0.2.7']);
      for (const [remoteAddress, proxies] of [['203.0.113.5', trusted], ['192.0.2.8', trusted], ['10.1.2.3', NOBODY]] as const) {
        const req = fakeReq(['Host', 'shop.example', 'X-Forwarded-Proto', 'https', 'x-forwarded-host', 'evil.example'], { remoteAddress });
        const out = upstreamRequestHeaders(req, upstream(), 'r', proxies);
        expect([remoteAddress, valuesOf(out, 'x-forwarded-proto'), valuesOf(out, 'x-forwarded-host')]).toEqual([remoteAddress, ['http'], ['shop.example']]);
        expect(valuesOf(out, 'x-forwarded-for')).toEqual([remoteAddress]);
      }
    });

    test('Forwarded, X-Forwarded-Ssl/-Port/-Scheme/-Prefix, X-Real-IP pass from a trusted proxy only', () => {
      const claims = ['Forwarded', 'for=1.2.3.4;proto=https', 'X-Forwarded-Ssl', 'on', 'X-Forwarded-Port', '443', 'X-Forwarded-Scheme', 'https', 'X-Forwarded-Prefix', '/admin', 'X-Real-IP', '1.2.3.4', 'Front-End-Https', 'on', 'X-Url-Scheme', 'https'];
      const trusted = new TrustedProxies(['10.0.0.0/8']);
      const from = (remoteAddress: string): string[] => upstreamRequestHeaders(fakeReq(['Host', 'shop.example', ...claims, 'X-App', 'kept'], { remoteAddress }), upstream(), 'r', trusted);
      const untrusted = from('203.0.113.5');
      for (let i = 0; i < claims.length; i += 2) expect([claims[i], valuesOf(untrusted, claims[i]!.toLowerCase())]).toEqual([claims[i], []]);
      expect(valuesOf(untrusted, 'x-app')).toEqual(['kept']);
      const fromProxy = pairs(from('10.0.0.9'));
      for (let i = 0; i < claims.length; i += 2) expect(fromProxy).toContainEqual([claims[i], claims[i + 1]]);
    });

    test('of two Host headers the first counts, as in node (req.headers.host)', () => {
      const out = upstreamRequestHeaders(fakeReq(['Host', 'a.example', 'Host', 'b.example']), upstream(), 'r');
      expect(valuesOf(out, 'x-forwarded-host')).toEqual(['a.example']);
      expect(valuesOf(out, 'host')).toEqual(['orders:4000']);
    });

    test('WebSocket upgrades: the same forwarded headers as a plain request, with the Connection and Upgrade the handshake needs', () => {
      const trusted = new TrustedProxies(['10.0.0.0/8']);
      const raw = ['Host', 'shop.example', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Port', '443', 'X-Forwarded-Host', 'evil.example', 'Forwarded', 'proto=https', 'X-Forwarded-Ssl', 'on', 'Sec-WebSocket-Key', 'k'];
      const upgrade = (remoteAddress: string): IncomingHttpHeaders => upgradeRequestHeaders(fakeReq(raw, { remoteAddress }), upstream(), 'r-1', trusted);
      expect(upgrade('203.0.113.5')).toEqual({
        host: 'orders:4000',
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': 'k',
        'x-forwarded-for': '203.0.113.5',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': 'shop.example',
        'x-request-id': 'r-1',
      });
      expect(upgrade('10.0.0.9')).toEqual({
        host: 'orders:4000',
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': 'k',
        'x-forwarded-for': '10.0.0.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '443',
        'x-forwarded-host': 'evil.example',
        forwarded: 'proto=https',
        'x-forwarded-ssl': 'on',
        'x-request-id': 'r-1',
      });
      // Over TLS to the proxy: https, not wss; preserveHost keeps the client's Host.
      expect(upgradeRequestHeaders(fakeReq(raw, { remoteAddress: '203.0.113.5', encrypted: true }), upstream({ preserveHost: true }), 'r-1', trusted)).toMatchObject({
        host: 'shop.example',
        'x-forwarded-proto': 'https',
      });
    });

    test('WebSocket upgrades: hop-by-hop headers and those named in Connection are not forwarded; repeated ones are joined as node joins them', () => {
      const req = fakeReq(
        ['Host', 'shop.example', 'Connection', 'Upgrade, X-Trace-Hop', 'Upgrade', 'websocket', 'Proxy-Authorization', 'Basic abc', 'TE', 'gzip', 'Keep-Alive', 'timeout=5', 'X-Trace-Hop', '1', 'Cookie', 'a=1', 'Cookie', 'b=2', 'X-App', 'one', 'X-App', 'two'],
        { remoteAddress: '10.0.0.9' },
      );
      const headers = upgradeRequestHeaders(req, upstream(), 'r', new TrustedProxies(['10.0.0.0/8']));
      expect(headers).toEqual({ host: 'orders:4000', connection: 'Upgrade', upgrade: 'websocket', cookie: 'a=1; b=2', 'x-app': 'one, two', 'x-forwarded-for': '10.0.0.9', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'shop.example', 'x-request-id': 'r' });
    });

    test('proto is https on a TLS socket, http otherwise', () => {
      expect(valuesOf(upstreamRequestHeaders(fakeReq(['Host', 'h'], { encrypted: true }), upstream(), 'r'), 'x-forwarded-proto')).toEqual(['https']);
      expect(valuesOf(upstreamRequestHeaders(fakeReq(['Host', 'h']), upstream(), 'r'), 'x-forwarded-proto')).toEqual(['http']);
    });

    test('no X-Forwarded-Host when the client sent no Host', () => {
      const out = upstreamRequestHeaders(fakeReq(['Accept', '*/*']), upstream(), 'r');
      expect(valuesOf(out, 'x-forwarded-host')).toEqual([]);
      expect(valuesOf(out, 'host')).toEqual(['orders:4000']);
    });
  });

  describe('Host', () => {
    test('is replaced by the upstream host', () => {
      const out = upstreamRequestHeaders(fakeReq(['Host', 'shop.example']), upstream(), 'r');
      expect(valuesOf(out, 'host')).toEqual(['orders:4000']);
      expect(pairs(out).at(-1)).toEqual(['host', 'orders:4000']);
    });

    test('is the client Host with preserveHost: true', () => {
      const out = upstreamRequestHeaders(fakeReq(['host', 'shop.example:8443']), upstream({ preserveHost: true }), 'r');
      expect(valuesOf(out, 'host')).toEqual(['shop.example:8443']);
      expect(valuesOf(out, 'x-forwarded-host')).toEqual(['shop.example:8443']);
    });

    test('preserveHost without a client Host falls back to the upstream host', () => {
      const out = upstreamRequestHeaders(fakeReq([]), upstream({ preserveHost: true }), 'r');
      expect(valuesOf(out, 'host')).toEqual(['orders:4000']);
    });
  });

  describe('hop-by-hop', () => {
    test('standard hop-by-hop headers are dropped, whatever their case', () => {
      const req = fakeReq([
        'Host', 'h',
        'Connection', 'keep-alive',
        'Keep-Alive', 'timeout=5',
        'Proxy-Connection', 'keep-alive',
        'Proxy-Authorization', 'Basic abc',
        'TE', 'trailers',
        'Transfer-Encoding', 'chunked',
        'Upgrade', 'h2c',
        'Expect', '100-continue',
        'Authorization', 'Bearer keep-me',
        'Trailer', 'x-checksum',
      ]);
      const out = pairs(upstreamRequestHeaders(req, upstream(), 'r'));
      const names = out.map(([n]) => n.toLowerCase());
      for (const dropped of ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'transfer-encoding', 'upgrade', 'expect']) {
        expect(names).not.toContain(dropped);
      }
      expect(out).toContainEqual(['Authorization', 'Bearer keep-me']);
      expect(out).toContainEqual(['Trailer', 'x-checksum']);
    });

    test('headers listed in Connection are dropped too, case-insensitively', () => {
      const req = fakeReq(['Host', 'h', 'Connection', 'close, X-Internal-Secret', 'X-Internal-Secret', 's3cr3t', 'x-internal-secret', 'again', 'X-Kept', 'k']);
      const out = pairs(upstreamRequestHeaders(req, upstream(), 'r'));
      expect(out.map(([n]) => n.toLowerCase())).not.toContain('x-internal-secret');
      expect(out).toContainEqual(['X-Kept', 'k']);
    });

    test('tokens from several Connection headers all count', () => {
      const req = fakeReq(['Host', 'h', 'Connection', 'x-a', 'Connection', 'X-B', 'X-A', '1', 'X-B', '2', 'X-C', '3']);
      const out = pairs(upstreamRequestHeaders(req, upstream(), 'r'));
      expect(out.filter(([n]) => n.startsWith('X-'))).toEqual([['X-C', '3']]);
    });
  });

  describe('x-request-id', () => {
    test('is added when the client sent none', () => {
      const out = upstreamRequestHeaders(fakeReq(['Host', 'h']), upstream(), 'generated-id');
      expect(valuesOf(out, 'x-request-id')).toEqual(['generated-id']);
    });

    test("is the client's own when it sent one, exactly once", () => {
      const out = upstreamRequestHeaders(fakeReq(['Host', 'h', 'X-Request-Id', 'client-id']), upstream(), 'client-id');
      expect(valuesOf(out, 'x-request-id')).toEqual(['client-id']);
    });

    test('survives a client naming it in Connection; an empty or repeated one becomes the single id the response carries', () => {
      const listed = upstreamRequestHeaders(fakeReq(['Host', 'h', 'Connection', 'x-request-id', 'X-Request-Id', 'client-id']), upstream(), 'client-id');
      expect(valuesOf(listed, 'x-request-id')).toEqual(['client-id']);
      const empty = upstreamRequestHeaders(fakeReq(['Host', 'h', 'X-Request-Id', '']), upstream(), 'generated-id');
      expect(valuesOf(empty, 'x-request-id')).toEqual(['generated-id']);
      // node joins repeated x-request-id headers into req.headers (what the server takes as the id).
      const twice = upstreamRequestHeaders(fakeReq(['Host', 'h', 'X-Request-Id', 'a', 'x-request-id', 'b']), upstream(), 'a, b');
      expect(valuesOf(twice, 'x-request-id')).toEqual(['a, b']);
    });
  });

  test("a client's own x-strangler-shadow never reaches an upstream: only the proxy marks a copy", () => {
    const out = upstreamRequestHeaders(fakeReq(['Host', 'h', 'X-Strangler-Shadow', '0', 'x-strangler-shadow', '1']), upstream(), 'r');
    expect(valuesOf(out, 'x-strangler-shadow')).toEqual([]);
  });

  test("underscore spellings of the headers the proxy sets or vouches for are dropped (CGI servers read them as the real ones); other underscore names pass", () => {
    const spoofed = ['X_Forwarded_Proto', 'https', 'x_forwarded_for', '1.2.3.4', 'X_Real_IP', '1.2.3.4', 'X_FORWARDED_HOST', 'evil', 'Forwarded_', 'x', 'X_Request_Id', 'spoof', 'x_strangler_shadow', '1'];
    for (const remoteAddress of ['203.0.113.5', '10.0.0.9']) {
      const out = pairs(upstreamRequestHeaders(fakeReq(['Host', 'h', ...spoofed, 'X_App_Version', '7'], { remoteAddress }), upstream(), 'r', new TrustedProxies(['10.0.0.0/8'])));
      expect(out.filter(([name]) => name.includes('_'))).toEqual([['Forwarded_', 'x'], ['X_App_Version', '7']]);
      expect(valuesOf(out.flat(), 'x-forwarded-proto')).toEqual(['http']);
      expect(valuesOf(out.flat(), 'x-request-id')).toEqual(['r']);
    }
  });

  test('does not modify rawHeaders', () => {
    const raw = ['Host', 'h', 'Connection', 'x-a', 'X-A', '1', 'X-Forwarded-For', '1.1.1.1'];
    const copy = [...raw];
    upstreamRequestHeaders(fakeReq(raw), upstream(), 'r');
    expect(raw).toEqual(copy);
  });
});

describe('withUpstreamHost (the headers a shadow copy sends)', () => {
  test("a copy of legacy's list with the other upstream's Host; everything else, x-request-id included, the same", () => {
    const req = fakeReq(['Host', 'shop.example', 'Accept', '*/*']);
    const legacyHeaders = upstreamRequestHeaders(req, upstream(), 'rid');
    const before = [...legacyHeaders];
    const copy = withUpstreamHost(legacyHeaders, req, upstream({ host: 'orders.internal:4000' }));
    expect(legacyHeaders).toEqual(before);
    expect(valuesOf(copy, 'host')).toEqual(['orders.internal:4000']);
    expect(pairs(copy).filter(([n]) => n !== 'host')).toEqual(pairs(legacyHeaders).filter(([n]) => n !== 'host'));
    expect(valuesOf(copy, 'x-request-id')).toEqual(['rid']);
  });

  test("preserveHost on the copy's upstream sends the client's Host", () => {
    const req = fakeReq(['host', 'shop.example:8443']);
    const legacyHeaders = upstreamRequestHeaders(req, upstream(), 'rid');
    expect(valuesOf(withUpstreamHost(legacyHeaders, req, upstream({ preserveHost: true, host: 'orders.internal' })), 'host')).toEqual(['shop.example:8443']);
    const noHost = fakeReq([]);
    expect(valuesOf(withUpstreamHost(upstreamRequestHeaders(noHost, upstream(), 'r'), noHost, upstream({ preserveHost: true, host: 'orders.internal' })), 'host')).toEqual(['orders.internal']);
  });
});

describe('clientResponseHeaders', () => {
  test("a 204's Content-Length is dropped (RFC 9110 §8.6); a 304's and a 200's are kept", () => {
    const raw = ['Content-Length', '5', 'ETag', '"v1"'];
    expect(pairs(clientResponseHeaders(raw, 'rid', false, 204))).toEqual([['ETag', '"v1"'], ['x-request-id', 'rid']]);
    expect(pairs(clientResponseHeaders(raw, 'rid', false, 304))).toContainEqual(['Content-Length', '5']);
    expect(pairs(clientResponseHeaders(raw, 'rid', false, 200))).toContainEqual(['Content-Length', '5']);
  });

  test('passes end-to-end headers with their case, adds x-request-id, no connection header when not closing', () => {
    const raw = ['Content-Type', 'application/json', 'Content-Length', '12', 'ETag', '"v1"'];
    expect(pairs(clientResponseHeaders(raw, 'rid', false))).toEqual([
      ['Content-Type', 'application/json'],
      ['Content-Length', '12'],
      ['ETag', '"v1"'],
      ['x-request-id', 'rid'],
    ]);
  });

  test('repeated headers such as set-cookie stay separate entries, in order', () => {
    const raw = ['Set-Cookie', 'a=1; Path=/', 'Vary', 'accept', 'set-cookie', 'b=2; HttpOnly', 'Set-Cookie', 'c=3; Expires=Wed, 21 Oct 2015 07:28:00 GMT'];
    const out = clientResponseHeaders(raw, 'rid', false);
    expect(valuesOf(out, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2; HttpOnly', 'c=3; Expires=Wed, 21 Oct 2015 07:28:00 GMT']);
    expect(valuesOf(out, 'vary')).toEqual(['accept']);
  });

  test('hop-by-hop headers and those listed in Connection (any case, any of several Connection lines) are dropped', () => {
    const raw = [
      'Connection', 'keep-alive, X-Upstream-Debug',
      'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked',
      'Upgrade', 'h2c',
      'Proxy-Authenticate', 'Basic',
      'TE', 'trailers',
      'x-upstream-debug', 'internal',
      'connection', 'X-Other',
      'X-OTHER', 'dropped too',
      'Cache-Control', 'no-store',
    ];
    expect(pairs(clientResponseHeaders(raw, 'rid', false))).toEqual([
      ['Cache-Control', 'no-store'],
      ['x-request-id', 'rid'],
    ]);
  });

  test("keeps the upstream's x-request-id (any case) and does not add another", () => {
    const out = clientResponseHeaders(['X-Request-Id', 'from-upstream', 'content-type', 'text/plain'], 'ours', false);
    expect(valuesOf(out, 'x-request-id')).toEqual(['from-upstream']);
  });

  test('connection: close is appended when closing, and only then', () => {
    const closing = pairs(clientResponseHeaders(['Connection', 'keep-alive', 'content-type', 'text/plain'], 'rid', true));
    expect(closing).toEqual([
      ['content-type', 'text/plain'],
      ['x-request-id', 'rid'],
      ['connection', 'close'],
    ]);
    const open = clientResponseHeaders(['Connection', 'close'], 'rid', false);
    expect(valuesOf(open, 'connection')).toEqual([]);
  });

  test('no headers at all still gets x-request-id', () => {
    expect(clientResponseHeaders([], 'rid', false)).toEqual(['x-request-id', 'rid']);
    expect(clientResponseHeaders([], 'rid', true)).toEqual(['x-request-id', 'rid', 'connection', 'close']);
  });
});

describe('trailerObject', () => {
  test('no trailers → undefined', () => {
    expect(trailerObject([])).toBeUndefined();
  });

  test('lower-cases names and joins repeated trailers with ", "', () => {
    expect(trailerObject(['Grpc-Status', '0', 'X-Checksum', 'abc', 'x-checksum', 'def'])).toEqual({
      'grpc-status': '0',
      'x-checksum': 'abc, def',
    });
  });
});

describe('headersFromRaw', () => {
  test('lower-case names; a repeated header becomes an array in order, a single one stays a string', () => {
    expect(headersFromRaw(['Content-Type', 'application/json', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'SET-COOKIE', 'c=3'])).toEqual({
      'content-type': 'application/json',
      'set-cookie': ['a=1', 'b=2', 'c=3'],
    });
    expect(headersFromRaw([])).toEqual({});
  });
});

describe('TrustedProxies.clientAddress: the address Unleash constraints on remoteAddress see', () => {
  const trusted = new TrustedProxies(['10.0.0.0/8']);
  const from = (remoteAddress: string, xff?: string): string | undefined => trusted.clientAddress(fakeReq(xff === undefined ? [] : ['X-Forwarded-For', xff], { remoteAddress }));

  test('a peer that is not a trusted proxy is the client, whatever it claims', () => {
    expect(from('203.0.113.5', '198.51.100.1')).toBe('203.0.113.5');
  });

  test('behind trusted proxies: the nearest X-Forwarded-For entry that is not one of them', () => {
    expect(from('10.0.0.2', '198.51.100.1, 203.0.113.5, 10.0.0.9')).toBe('203.0.113.5');
    expect(from('10.0.0.2', '10.0.0.7')).toBe('10.0.0.7');
    expect(from('10.0.0.2')).toBe('10.0.0.2');
    // Garbage in the chain stops the walk at the last address that was sure.
    expect(from('10.0.0.2', 'evil, 10.0.0.9')).toBe('10.0.0.9');
  });
});
