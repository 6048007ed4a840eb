import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { compareResponses, compileDiffOptions, describeBytes, headerValue, normaliseHeaderValue, UndecodableBodiesError, type DiffOptions, type HttpSnapshot } from '../../diff-reader/engine';

const JSON_TYPE = 'application/json; charset=utf-8';

function snap(body: unknown, headers: HttpSnapshot['headers'] = { 'content-type': JSON_TYPE }, status = 200): HttpSnapshot {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { status, headers, body: buffer };
}

const compare = (legacy: HttpSnapshot, candidate: HttpSnapshot, options: DiffOptions = {}) => compareResponses(legacy, candidate, compileDiffOptions(options));

const order = { id: 42, items: [{ sku: 'a', price: 9.99 }, { sku: 'b', price: 5 }], total: 14.99, createdAt: '2024-05-01T10:00:00Z' };
const orderText = JSON.stringify(order);

describe('status and headers', () => {
  test('identical responses: no differences', () => {
    expect(compare(snap(order), snap(order))).toEqual([]);
  });

  test('status difference at path status, values as JSON numbers', () => {
    expect(compare(snap(order), snap(order, undefined, 201))).toEqual([{ path: 'status', kind: 'changed', legacy: '200', candidate: '201' }]);
  });

  test('content-type is compared by default, after normalisation', () => {
    expect(compare(snap(order), snap(order, { 'content-type': 'application/json;charset=UTF-8' }))).toEqual([]);
    expect(compare(snap(order), snap(order, { 'content-type': 'application/problem+json' }))).toEqual([
      { path: 'header.content-type', kind: 'changed', legacy: '"application/json; charset=utf-8"', candidate: '"application/problem+json"' },
    ]);
  });

  test('a header only on one side is added/removed', () => {
    const options = { headers: ['cache-control', 'content-type'] };
    expect(compare(snap(order), snap(order, { 'content-type': JSON_TYPE, 'cache-control': 'no-store' }), options)).toEqual([
      { path: 'header.cache-control', kind: 'added', candidate: '"no-store"' },
    ]);
    expect(compare(snap(order, { 'content-type': JSON_TYPE, 'cache-control': 'max-age=60' }), snap(order), options)).toEqual([
      { path: 'header.cache-control', kind: 'removed', legacy: '"max-age=60"' },
    ]);
  });

  test('header names are found in any case; array values are joined', () => {
    const legacy = snap(order, { 'Content-Type': JSON_TYPE, Vary: ['accept', 'origin'] });
    const candidate = snap(order, { 'content-type': JSON_TYPE, vary: 'accept, origin' });
    expect(compare(legacy, candidate, { headers: ['content-type', 'Vary'] })).toEqual([]);
    expect(headerValue({ 'X-A': ['1', '2'] }, 'x-a')).toBe('1, 2');
    expect(headerValue({}, 'x-a')).toBeUndefined();
  });

  test('other header values are compared exactly, apart from white space around , and ;', () => {
    expect(normaliseHeaderValue('x-list', ' b ,  A ')).toBe('b,A');
    expect(normaliseHeaderValue('content-type', 'text/HTML; Charset="UTF-8"')).toBe('text/html;charset=utf-8');
    expect(compare(snap(order, { 'content-type': JSON_TYPE, etag: '"A"' }), snap(order, { 'content-type': JSON_TYPE, etag: '"a"' }), { headers: ['etag'] })).toEqual([
      { path: 'header.etag', kind: 'changed', legacy: '"\\"A\\""', candidate: '"\\"a\\""' },
    ]);
  });

  test('Cache-Control, Vary, Allow and the CORS lists: their items in any order and case are the same', () => {
    expect(normaliseHeaderValue('vary', ' Origin ,  accept-encoding ')).toBe(normaliseHeaderValue('vary', 'Accept-Encoding, Origin'));
    const headers = ['cache-control', 'vary', 'allow'];
    const legacy = snap(order, { 'content-type': JSON_TYPE, 'cache-control': 'private, max-age=60', vary: 'Accept-Encoding, Origin', allow: 'GET, HEAD' });
    const same = snap(order, { 'content-type': JSON_TYPE, 'cache-control': 'Max-Age=60,private', vary: 'origin, accept-encoding', allow: 'HEAD, GET' });
    expect(compare(legacy, same, { headers })).toEqual([]);
    const other = snap(order, { 'content-type': JSON_TYPE, 'cache-control': 'public, max-age=60', vary: 'Origin', allow: 'GET, HEAD' });
    expect(compare(legacy, other, { headers }).map((d) => d.path)).toEqual(['header.cache-control', 'header.vary']);
  });

  test('no headers configured: none compared', () => {
    expect(compare(snap(order), snap(order, { 'content-type': 'text/plain' }), { headers: [] })).toEqual([]);
  });

  test('status, headers, then body, in that order', () => {
    const ds = compare(snap(order), snap({ ...order, total: 15 }, { 'content-type': 'text/json' }, 500));
    expect(ds.map((d) => d.path)).toEqual(['status', 'header.content-type', '$.total']);
  });
});

describe('JSON bodies', () => {
  test('structural differences at templated paths', () => {
    const candidate = { ...order, items: [{ sku: 'a', price: 9.99 }, { sku: 'b', price: 6 }], currency: 'EUR' };
    expect(compare(snap(order), snap(candidate))).toEqual([
      { path: '$.items[*].price', kind: 'changed', legacy: '5', candidate: '6' },
      { path: '$.currency', kind: 'added', candidate: '"EUR"' },
    ]);
  });

  test('formatting and key order do not matter', () => {
    const pretty = JSON.stringify({ total: 14.99, createdAt: order.createdAt, items: order.items, id: 42 }, null, 2);
    expect(compare(snap(order), snap(pretty))).toEqual([]);
  });

  test('a JSON body is recognised by its look when the content type does not say so', () => {
    expect(compare(snap(order, {}), snap({ ...order, id: 43 }, {}), { headers: [] })).toEqual([{ path: '$.id', kind: 'changed', legacy: '42', candidate: '43' }]);
  });

  test('options reach the JSON diff: ignore, tolerance', () => {
    const candidate = { ...order, total: 14.991, createdAt: '2024-05-01T10:00:00.250Z' };
    expect(compare(snap(order), snap(candidate))).toHaveLength(2);
    expect(compare(snap(order), snap(candidate), { numericTolerance: 0.01, timestampToleranceMs: 1000 })).toEqual([]);
    expect(compare(snap(order), snap(candidate), { ignore: ['$.total', '$.createdAt'] })).toEqual([]);
  });

  test('ignoring $ skips the body, not status or headers', () => {
    expect(compare(snap(order), snap('<html>', { 'content-type': JSON_TYPE }, 503), { ignore: ['$'] })).toEqual([{ path: 'status', kind: 'changed', legacy: '200', candidate: '503' }]);
  });
});

describe('content-encoding', () => {
  const gz = { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' };
  const br = { 'content-type': JSON_TYPE, 'content-encoding': 'br' };
  const deflate = { 'content-type': JSON_TYPE, 'content-encoding': 'deflate' };

  test('gzip, br and deflate bodies equal the plain one after decoding', () => {
    const plain = snap(order);
    for (const candidate of [snap(gzipSync(orderText), gz), snap(brotliCompressSync(orderText), br), snap(deflateSync(orderText), deflate)]) {
      expect(candidate.body.equals(plain.body)).toBe(false);
      expect(compare(plain, candidate)).toEqual([]);
      expect(compare(candidate, plain)).toEqual([]);
    }
    expect(compare(snap(gzipSync(orderText), gz), snap(brotliCompressSync(orderText), br))).toEqual([]);
  });

  test('differences inside compressed bodies are found', () => {
    const changed = JSON.stringify({ ...order, id: 7 });
    expect(compare(snap(gzipSync(orderText), gz), snap(brotliCompressSync(changed), br))).toEqual([{ path: '$.id', kind: 'changed', legacy: '42', candidate: '7' }]);
  });

  test('content-encoding is not a compared header unless asked', () => {
    expect(compare(snap(order), snap(gzipSync(orderText), gz), { headers: ['content-encoding'] })).toEqual([
      { path: 'header.content-encoding', kind: 'added', candidate: '"gzip"' },
    ]);
  });

  test('a broken gzip body is reported as a body difference, not thrown', () => {
    const broken = snap(Buffer.from('this is not gzip'), gz);
    const ds = compare(snap(order), broken);
    expect(ds).toEqual([{ path: 'body', kind: 'changed', legacy: expect.stringMatching(/^"115 bytes: \{\\"id\\":42/), candidate: expect.stringMatching(/^"undecodable body \(16 bytes\): gzip: .*header/) }]);
  });

  test('both sides broken the same way: equal bytes, nothing to report', () => {
    const broken = Buffer.from('this is not gzip');
    expect(compare(snap(broken, gz), snap(Buffer.from(broken), gz))).toEqual([]);
  });

  test('Set-Cookie: each cookie its own field; line order, attribute order and attribute-name case mean nothing; the later of two lines wins', () => {
    const cookies = (...lines: string[]): HttpSnapshot => ({ status: 200, headers: { 'set-cookie': lines }, body: Buffer.alloc(0) });
    const options: DiffOptions = { headers: ['set-cookie'] };
    const session = 'session=abc; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT';
    expect(compare(cookies(session, 'theme=dark', 'lang=en'), cookies('lang=en', session, 'theme=dark'), options)).toEqual([]);
    expect(compare(cookies('sid=1; Path=/; HttpOnly; Secure'), cookies('sid=1; httponly; secure; path=/'), options)).toEqual([]);
    expect(compare(cookies(session, 'theme=dark', 'XSRF-TOKEN=t'), cookies('theme=light', session, 'locale=de'), options)).toEqual([
      { path: 'header.set-cookie.theme', kind: 'changed', legacy: '"dark"', candidate: '"light"' },
      { path: 'header.set-cookie.XSRF-TOKEN', kind: 'removed', legacy: '"t"' },
      { path: 'header.set-cookie.locale', kind: 'added', candidate: '"de"' },
    ]);
    // The later line of one cookie wins in a browser: swapping them changes the outcome.
    expect(compare(cookies('a=1', 'a=2'), cookies('a=2', 'a=1'), options)).toEqual([{ path: 'header.set-cookie.a', kind: 'changed', legacy: '"2"', candidate: '"1"' }]);
  });

  test("a broken body on one side is that side's body difference (the service sent it broken)", () => {
    const ds = compare(snap(Buffer.from('not gzip at all'), gz), snap(order));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ path: 'body', kind: 'changed', legacy: expect.stringMatching(/^"undecodable body \(15 bytes\): gzip: /) });
  });

  test("a body this comparer cannot decode (a coding it lacks, past maxDecodedBytes) leaves the bodies uncompared: an error, not a mismatch", () => {
    const unsupported = (): unknown => compare(snap(order, { 'content-type': JSON_TYPE, 'content-encoding': 'compress' }), snap(order));
    expect(unsupported).toThrow(UndecodableBodiesError);
    expect(unsupported).toThrow(`bodies not compared: legacy's could not be decoded here (unsupported content-encoding "compress")`);
    const big = JSON.stringify({ data: 'x'.repeat(2000) });
    const overCap = (): unknown => compare(snap(big), snap(gzipSync(big), gz), { maxDecodedBytes: 1024 });
    expect(overCap).toThrow(`bodies not compared: the new service's could not be decoded here (gzip: decoded body larger than 1024 bytes)`);
  });

  test('neither body decodable (and not the same bytes): UndecodableBodiesError, not a difference', () => {
    const call = (): unknown => compare(snap(Buffer.from('not gzip'), gz), snap(Buffer.from('not gzip either'), { ...gz, 'content-encoding': 'compress' }));
    expect(call).toThrow(UndecodableBodiesError);
    expect(call).toThrow(/^neither body could be decoded \(legacy: gzip: .+; new service: unsupported content-encoding "compress"\)$/);
  });

  test('bodies not compared, but the status or a header differs: that difference is reported (a 503 is still a mismatch)', () => {
    const zstd = { 'content-type': JSON_TYPE, 'content-encoding': 'compress' };
    const ds = compare(snap(order, zstd), { ...snap(Buffer.from('other'), { ...zstd, 'content-type': 'text/html' }), status: 503 }, { headers: ['content-type'] });
    expect(ds).toEqual([
      { path: 'status', kind: 'changed', legacy: '200', candidate: '503' },
      { path: 'header.content-type', kind: 'changed', legacy: JSON.stringify(JSON_TYPE), candidate: '"text/html"' },
    ]);
  });
});

describe('non-JSON bodies, byte-wise', () => {
  const html = { 'content-type': 'text/html' };

  test('equal bytes are equal, JSON or not', () => {
    expect(compare(snap('<p>hi</p>', html), snap('<p>hi</p>', html))).toEqual([]);
    expect(compare(snap('{broken', { 'content-type': JSON_TYPE }), snap('{broken', { 'content-type': JSON_TYPE }))).toEqual([]);
  });

  test('text in one part (no line end, no tag): sizes and an excerpt from just before the first difference', () => {
    const a = 'x'.repeat(112) + 'Total: 17 items';
    const b = 'x'.repeat(112) + 'Total: 18 items';
    const [d, ...rest] = compare(snap(a, { 'content-type': 'text/plain' }), snap(b, { 'content-type': 'text/plain' }));
    expect(rest).toEqual([]);
    expect(d?.path).toBe('body');
    expect(d?.kind).toBe('changed');
    // first difference at byte 120 (the 7/8); the excerpt starts 8 bytes before it
    expect(d?.legacy).toBe(`"${a.length} bytes, first difference at byte 120: …Total: 17 items"`);
    expect(d?.candidate).toBe(`"${b.length} bytes, first difference at byte 120: …Total: 18 items"`);
  });

  test('text of as many parts (lines, tags) on both sides: each differing part at body[i], so one varying token stays one field', () => {
    const page = (token: string, total: string): string => `<html><head><meta name="csrf" content="${token}"></head>\n<body><p>Total: ${total}</p></body></html>`;
    expect(compare(snap(page('a1', '17'), html), snap(page('b2', '18'), html))).toEqual([
      { path: 'body[2]', kind: 'changed', legacy: '"<meta name=\\"csrf\\" content=\\"a1\\">"', candidate: '"<meta name=\\"csrf\\" content=\\"b2\\">"' },
      { path: 'body[7]', kind: 'changed', legacy: '"Total: 17</p>"', candidate: '"Total: 18</p>"' },
    ]);
    // Another number of parts (an error page): aligned first, so the parts both have are no difference.
    const error = '<html><body><h1>Something went wrong</h1></body></html>';
    expect(compare(snap(page('a1', '17'), html), snap(error, html))).toEqual([
      { path: 'body[1]', kind: 'removed', legacy: '"<head><meta name=\\"csrf\\" content=\\"a1\\"></head>"' },
      { path: 'body[6]', kind: 'changed', legacy: '"<p>"', candidate: '"<h1>"' },
      { path: 'body[7]', kind: 'changed', legacy: '"Total: 17</p>"', candidate: '"Something went wrong</h1>"' },
    ]);
  });

  test("text of another number of parts (a list one item longer): aligned, so the parts after the insertion keep legacy's indices", () => {
    const list = (items: string[], token: string): string => `<html>\n<meta csrf="${token}">\n<ul>\n${items.map((i) => `<li>${i}</li>\n`).join('')}</ul>\n<p>footer</p>\n</html>`;
    // One token differs at legacy's body[2], as between two legacy answers; the inserted item is one addition.
    expect(compare(snap(list(['a', 'b', 'c'], 't1'), html), snap(list(['a', 'x', 'b', 'c'], 't2'), html))).toEqual([
      { path: 'body[2]', kind: 'changed', legacy: '"<meta csrf=\\"t1\\">"', candidate: '"<meta csrf=\\"t2\\">"' },
      { path: 'body[8]', kind: 'added', candidate: '"<li>x</li>"' },
    ]);
    // A changed item and two more at the end: one change, and one addition holding both.
    expect(compare(snap(list(['a', 'b', 'c'], 't1'), html), snap(list(['a', 'B', 'c', 'd', 'e'], 't1'), html))).toEqual([
      { path: 'body[10]', kind: 'changed', legacy: '"b</li>"', candidate: '"B</li>"' },
      { path: 'body[14]', kind: 'added', candidate: '"<li>d</li>\\n<li>e</li>"' },
    ]);
  });

  test('texts too far apart to align within its budget (over a million table cells) are one difference at body', () => {
    const lines = (prefix: string, n: number): string => Array.from({ length: n }, (_, i) => `${prefix}${i}\n`).join('');
    const [d, ...rest] = compare(snap(lines('a', 1100), { 'content-type': 'text/plain' }), snap(lines('b', 1000), { 'content-type': 'text/plain' }));
    expect(rest).toEqual([]);
    expect(d!.path).toBe('body');
    // Within it, the same kind of texts align.
    expect(compare(snap(lines('a', 900), { 'content-type': 'text/plain' }), snap(lines('b', 1000), { 'content-type': 'text/plain' }), { maxDifferences: 5 }).map((x) => x.path)).toEqual([
      'body[0]',
      'body[1]',
      'body[2]',
      'body[3]',
      'body[4]',
    ]);
  });

  test('binary: hex', () => {
    const a = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]);
    const b = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 4, 5]);
    const [d] = compare(snap(a, { 'content-type': 'image/png' }), snap(b, { 'content-type': 'image/png' }));
    expect(d).toEqual({ path: 'body', kind: 'changed', legacy: '"8 bytes, first difference at byte 7: hex 89504e4700010203"', candidate: '"9 bytes, first difference at byte 7: hex 89504e470001020405"' });
  });

  test('JSON against non-JSON (an HTML error page) is a body difference', () => {
    const ds = compare(snap(order), snap('<h1>502 Bad Gateway</h1>', { 'content-type': JSON_TYPE }));
    expect(ds.map((d) => d.path)).toEqual(['body']);
    expect(ds[0]?.candidate).toMatch(/^"24 bytes, first difference at byte \d+: <h1>502/);
  });

  test('an empty body against a full one', () => {
    const [d] = compare(snap('', html), snap('hello', html));
    expect(d).toEqual({ path: 'body', kind: 'changed', legacy: '"0 bytes"', candidate: '"5 bytes, first difference at byte 0: hello"' });
  });

  test('excerpts are truncated to maxValueLength', () => {
    const [d] = compare(snap('a'.repeat(5000), html), snap('b'.repeat(5000), html), { maxValueLength: 30 });
    expect(d?.legacy).toHaveLength(30);
    expect(d?.legacy!.endsWith('…')).toBe(true);
    expect(describeBytes(Buffer.from('abc'), 0, 200)).toBe('"3 bytes, first difference at byte 0: abc"');
    // Never half a character: the excerpt starts on the ß, not inside it.
    expect(describeBytes(Buffer.from('Grüße 😀 A'), 13, 200)).toBe('"14 bytes, first difference at byte 13: …ße 😀 A"');
    expect(describeBytes(Buffer.from('abc'), 3, 200)).toBe('"3 bytes, the other body goes on after byte 3: abc"');
  });

  test("excerpts of a body in another charset show its characters (Latin-1's ü is no U+FFFD)", () => {
    const latin1 = (text: string, type: string): HttpSnapshot => ({ status: 200, headers: { 'content-type': type }, body: Buffer.from(text, 'latin1') });
    for (const type of ['text/plain; charset=iso-8859-1', 'text/plain']) {
      const [d] = compare(latin1('Zürich: 1', type), latin1('Zürich: 2', type));
      expect([d!.legacy, d!.candidate]).toEqual(['"9 bytes, first difference at byte 8: Zürich: 1"', '"9 bytes, first difference at byte 8: Zürich: 2"']);
    }
  });
});

describe('integers beyond 2^53 (ids, 20-digit amounts) are compared exactly', () => {
  test('ids one apart and amounts that a double rounds alike are changed values, shown exactly', () => {
    expect(compare(snap('{"id": 9007199254740993, "amount": 12345678901234567890}'), snap('{"id": 9007199254740992, "amount": 12345678901234567000}'))).toEqual([
      { path: '$.id', kind: 'changed', legacy: '9007199254740993', candidate: '9007199254740992' },
      { path: '$.amount', kind: 'changed', legacy: '12345678901234567890', candidate: '12345678901234567000' },
    ]);
  });

  test('the same integer written the same way, or as another number of that value, is equal', () => {
    expect(compare(snap('{"id": 9007199254740993}'), snap('{ "id":9007199254740993 }'))).toEqual([]);
    expect(compare(snap('{"n": 100000000000000000000}'), snap('{"n": 1e20}'))).toEqual([]);
    // As a serialiser of BigDecimal may write the same integer.
    expect(compare(snap('{"n": 12345678901234567}'), snap('{"n": 12345678901234567.0}'))).toEqual([]);
    expect(compare(snap('{"n": 12345678901234567}'), snap('{"n": 1.2345678901234567E16}'))).toEqual([]);
    expect(compare(snap('{"n": 12345678901234567}'), snap('{"n": 1.2345678901234568E16}'))).toEqual([
      { path: '$.n', kind: 'changed', legacy: '12345678901234567', candidate: '12345678901234568' },
    ]);
    expect(compare(snap('{"ids": [18014398509481985, 18014398509481987]}'), snap('{"ids": [18014398509481987, 18014398509481985]}'), { unordered: true })).toEqual([]);
    expect(compare(snap('{"ids": [18014398509481985]}'), snap('{"ids": [18014398509481984]}'), { unordered: true })).toEqual([
      { path: '$.ids[*]', kind: 'removed', legacy: '18014398509481985' },
      { path: '$.ids[*]', kind: 'added', candidate: '18014398509481984' },
    ]);
  });

  test('numeric tolerance measures the exact distance, with no floating-point slack to hide a difference', () => {
    expect(compare(snap('{"n": 12345678901234567890}'), snap('{"n": 12345678901234567891}'), { numericTolerance: 0.5 })).toEqual([
      { path: '$.n', kind: 'changed', legacy: '12345678901234567890', candidate: '12345678901234567891' },
    ]);
    expect(compare(snap('{"n": 12345678901234567890}'), snap('{"n": 12345678901234567891}'), { numericTolerance: 1 })).toEqual([]);
  });

  test('digits inside strings stay strings; another type is a type difference', () => {
    expect(compare(snap('{"id": "9007199254740993", "n": 9007199254740993}'), snap('{"id": "9007199254740993", "n": "9007199254740993"}'))).toEqual([
      { path: '$.n', kind: 'type', legacy: '9007199254740993', candidate: '"9007199254740993"' },
    ]);
    expect(compare(snap('{"s": "a\\"12345678901234567890"}'), snap('{"s": "a\\"12345678901234567890"}'))).toEqual([]);
  });

  test('16 significant digits around a decimal point, and numbers beyond a double, are exact too', () => {
    expect(compare(snap('[9.007199254740993e15]'), snap('[9.007199254740992e15]'))).toEqual([{ path: '$[*]', kind: 'changed', legacy: '9007199254740993', candidate: '9007199254740992' }]);
    expect(compare(snap('[9.007199254740993e15]'), snap('[9007199254740993]'))).toEqual([]);
    expect(compare(snap('[1e400]'), snap('[2e400]'))).toEqual([expect.objectContaining({ path: '$[*]', kind: 'changed' })]);
    expect(compare(snap('[-1e400]'), snap('[1e400]'))).toEqual([expect.objectContaining({ legacy: expect.stringMatching(/^-1000/), candidate: expect.stringMatching(/^1000/) })]);
    expect(compare(snap('[1e400]'), snap('[10e399]'))).toEqual([]);
  });

  test('thousands of levels deep they stay exact, and white space alone is no difference', () => {
    const nested = (levels: number, inner: string) => '['.repeat(levels) + inner + ']'.repeat(levels);
    expect(compare(snap(nested(4000, '12345678901234567')), snap(nested(4000, ' 12345678901234567 ')))).toEqual([]);
    expect(compare(snap(nested(4000, '12345678901234567')), snap(nested(4000, '12345678901234568')))).toEqual([expect.objectContaining({ kind: 'changed' })]);
  });

  test('one past 10^400 they are still exact, and as cheap: an exponent is not multiplied out', () => {
    expect(compare(snap('[1e401]'), snap('[2e401]'))).toEqual([{ path: '$[*]', kind: 'changed', legacy: '1e+401', candidate: '2e+401' }]);
    expect(compare(snap('[1e401]'), snap('[100e399]'))).toEqual([]);
    expect(compare(snap('[1e999999999]'), snap('[2e999999999]'))).toEqual([{ path: '$[*]', kind: 'changed', legacy: '1e+999999999', candidate: '2e+999999999' }]);
  });

  test('invalid JSON with long digit runs is still not JSON', () => {
    expect(compare(snap('{"n": 12345678901234567890', { 'content-type': JSON_TYPE }), snap('{"n": 1}'))).toEqual([
      expect.objectContaining({ path: 'body' }),
    ]);
  });
});

describe('fractions a double would round are compared exactly', () => {
  test('a new service that loses digits of a fraction is a changed value, shown with every digit', () => {
    expect(compare(snap('{"rate": 0.123456789012345678}'), snap('{"rate": 0.123456789012345679}'))).toEqual([
      { path: '$.rate', kind: 'changed', legacy: '0.123456789012345678', candidate: '0.123456789012345679' },
    ]);
    expect(compare(snap('{"amount": 12345678901234567.5}'), snap('{"amount": 12345678901234568}'))).toEqual([
      { path: '$.amount', kind: 'changed', legacy: '12345678901234567.5', candidate: '12345678901234568' },
    ]);
    // What the double of the long fraction would be, written by a service that parsed it as one.
    expect(compare(snap('{"rate": 0.123456789012345678}'), snap(`{"rate": ${String(0.123456789012345678)}}`))).toEqual([
      { path: '$.rate', kind: 'changed', legacy: '0.123456789012345678', candidate: '0.12345678901234568' },
    ]);
  });

  test('below a double’s range a value is not zero', () => {
    expect(compare(snap('[1.5e-400]'), snap('[0]'))).toEqual([{ path: '$[*]', kind: 'changed', legacy: '1.5e-400', candidate: '0' }]);
    expect(compare(snap('[1.2345678e-320]'), snap('[1.2345679e-320]'))).toEqual([expect.objectContaining({ kind: 'changed', legacy: '1.2345678e-320' })]);
  });

  test('the same value written another way is equal', () => {
    expect(compare(snap('{"r": 0.123456789012345678}'), snap('{"r": 1.23456789012345678e-1}'))).toEqual([]);
    expect(compare(snap('{"r": 0.1234567890123456780000}'), snap('{"r": 123456789012345678E-18}'))).toEqual([]);
    expect(compare(snap('{"r": 0.5000000000000000000}'), snap('{"r": 0.5}'))).toEqual([]);
    expect(compare(snap('{"r": -0.123456789012345678}'), snap('{"r": 0.123456789012345678}'))).toEqual([
      { path: '$.r', kind: 'changed', legacy: '-0.123456789012345678', candidate: '0.123456789012345678' },
    ]);
  });

  test('numeric tolerance measures the exact distance', () => {
    const legacy = snap('{"r": 1.00000000000000000001}');
    expect(compare(legacy, snap('{"r": 1.00000000000000000003}'), { numericTolerance: 1e-20 })).toEqual([expect.objectContaining({ path: '$.r' })]);
    expect(compare(legacy, snap('{"r": 1.00000000000000000003}'), { numericTolerance: 2e-20 })).toEqual([]);
    expect(compare(legacy, snap('{"r": 1.01000000000000000001}'), { numericTolerance: 0.01 })).toEqual([]);
    expect(compare(legacy, snap('{"r": 1.1}'), { numericTolerance: 0.01 })).toEqual([expect.objectContaining({ path: '$.r', candidate: '1.1' })]);
  });

  test('unordered arrays pair them by value, and an object holding them is no plain object to pair', () => {
    const a = snap('{"xs": [0.123456789012345678, 0.223456789012345678, 1e21]}');
    expect(compare(a, snap('{"xs": [1000000000000000000000, 0.2234567890123456780, 1.23456789012345678e-1]}'), { unordered: true })).toEqual([]);
    expect(compare(a, snap('{"xs": [0.223456789012345678, 1e21, 0.123456789012345677]}'), { unordered: true })).toEqual([
      { path: '$.xs[*]', kind: 'removed', legacy: '0.123456789012345678' },
      { path: '$.xs[*]', kind: 'added', candidate: '0.123456789012345677' },
    ]);
    expect(compare(snap('[{"coefficient": 1, "exponent": 2}, 0.123456789012345678]'), snap('[0.123456789012345679, {"coefficient": 1, "exponent": 2}]'), { unordered: true })).toEqual([
      { path: '$[*]', kind: 'removed', legacy: '0.123456789012345678' },
      { path: '$[*]', kind: 'added', candidate: '0.123456789012345679' },
    ]);
  });

  test('a string of the same digits is another type', () => {
    expect(compare(snap('{"r": 0.123456789012345678}'), snap('{"r": "0.123456789012345678"}'))).toEqual([
      { path: '$.r', kind: 'type', legacy: '0.123456789012345678', candidate: '"0.123456789012345678"' },
    ]);
    expect(compare(snap('{"r": 0.123456789012345678}'), snap('{"r": {"coefficient": 123456789012345678, "exponent": -18}}'))).toEqual([
      expect.objectContaining({ path: '$.r', kind: 'type' }),
    ]);
  });

  test('beyond the depth compared field by field, values are still exact', () => {
    const nested = (levels: number, inner: string) => '['.repeat(levels) + inner + ']'.repeat(levels);
    expect(compare(snap(nested(200, '0.123456789012345678')), snap(nested(200, '1.23456789012345678e-1')))).toEqual([]);
    expect(compare(snap(nested(200, '0.123456789012345678')), snap(nested(200, '0.123456789012345679')))).toEqual([expect.objectContaining({ kind: 'changed' })]);
    expect(compare(snap(nested(200, '1e21')), snap(nested(200, '1000000000000000000000')))).toEqual([]);
  });
});

describe('character sets: nothing is decoded lossily', () => {
  const latin1 = (text: string) => Buffer.from(text, 'latin1');

  test('Latin-1 bodies that differ in one letter differ, declared or not', () => {
    for (const type of ['application/json', 'application/json; charset=iso-8859-1', 'application/json; charset=windows-1252']) {
      expect(compare(snap(latin1('{"city":"Zürich"}'), { 'content-type': type }), snap(latin1('{"city":"Zärich"}'), { 'content-type': type }))).toEqual([
        { path: '$.city', kind: 'changed', legacy: '"Zürich"', candidate: '"Zärich"' },
      ]);
    }
  });

  test('the same text in Latin-1 on one side and UTF-8 on the other is the same JSON', () => {
    expect(compare(snap(latin1('{"city":"Zürich"}'), { 'content-type': 'application/json; charset=ISO-8859-1' }), snap('{"city":"Zürich"}'), { headers: [] })).toEqual([]);
    expect(compare(snap(latin1('{"city":"Zürich"}'), { 'content-type': 'application/json' }), snap('{"city":"Zürich"}'), { headers: [] })).toEqual([]);
  });

  test('a charset the runtime cannot decode compares the bytes', () => {
    const type = { 'content-type': 'application/json; charset=x-unknown' };
    expect(compare(snap('{"a":1}', type), snap('{"a":2}', type))).toEqual([expect.objectContaining({ path: 'body' })]);
  });

  test('application/json with and without charset=utf-8 is the same content type (JSON is UTF-8)', () => {
    expect(compare(snap(order, { 'content-type': 'application/json' }), snap(order, { 'content-type': 'application/json; charset=utf-8' }))).toEqual([]);
    expect(compare(snap(order, { 'content-type': 'application/problem+json' }), snap(order, { 'content-type': 'application/problem+json;charset=UTF-8' }))).toEqual([]);
    expect(compare(snap(order, { 'content-type': 'text/html' }), snap(order, { 'content-type': 'text/html; charset=utf-8' }))).toHaveLength(1);
  });
});

test('a key with a lone surrogate is written escaped in the path, readable and storable', () => {
  expect(compare(snap('{"k\\ud800": 1}'), snap('{"k\\ud800": 2}'))).toEqual([{ path: "$['k\\ud800']", kind: 'changed', legacy: '1', candidate: '2' }]);
});
