import * as zlib from 'node:zlib';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { decodeBody, isJsonContentType, looksLikeJson, NOT_JSON, parseJsonBody } from '../../diff-reader/engine';

const text = '{"items":[{"id":1,"name":"café"}],"total":1}';
const raw = Buffer.from(text);

function decoded(result: ReturnType<typeof decodeBody>): string {
  if ('error' in result) throw new Error(`unexpected error: ${result.error}`);
  return result.body.toString('utf8');
}

describe('decodeBody', () => {
  test('no content-encoding, identity and empty header: the same buffer back', () => {
    for (const encoding of [undefined, 'identity', '']) {
      const result = decodeBody(raw, encoding);
      expect('body' in result && result.body).toBe(raw);
    }
  });

  test.each([
    ['gzip', gzipSync(raw)],
    ['x-gzip', gzipSync(raw)],
    ['GZIP', gzipSync(raw)],
    ['br', brotliCompressSync(raw)],
    ['deflate', deflateSync(raw)],
    ['deflate (raw, as some servers send it)', deflateRawSync(raw)],
    [' gzip , identity', gzipSync(raw)],
  ])('%s', (encoding, body) => {
    const header = encoding.startsWith('deflate') ? 'deflate' : encoding;
    expect(body.equals(raw)).toBe(false);
    expect(decoded(decodeBody(body, header))).toBe(text);
  });

  test('several codings are undone last first', () => {
    const body = gzipSync(deflateSync(raw)); // Content-Encoding: deflate, gzip
    expect(decoded(decodeBody(body, 'deflate, gzip'))).toBe(text);
    expect(decoded(decodeBody(brotliCompressSync(gzipSync(raw)), ['gzip', 'br']))).toBe(text);
  });

  test('an empty body stays empty whatever the header says', () => {
    expect(decoded(decodeBody(Buffer.alloc(0), 'gzip'))).toBe('');
  });

  test('a broken gzip body is an error value, not a throw', () => {
    const result = decodeBody(Buffer.from('definitely not gzip'), 'gzip');
    expect(result).toEqual({ error: expect.stringMatching(/^gzip: .*header/), limit: false });
    const truncated = gzipSync(raw).subarray(0, 20);
    expect(decodeBody(truncated, 'gzip')).toEqual({ error: expect.stringMatching(/^gzip: unexpected end of file/), limit: false });
  });

  test('broken br and deflate bodies are errors too', () => {
    expect('error' in decodeBody(Buffer.from([0xff, 0xff, 0xff, 0xff]), 'br')).toBe(true);
    expect(decodeBody(Buffer.from('nope, not deflate at all'), 'deflate')).toEqual({ error: expect.stringMatching(/^deflate: /), limit: false });
  });

  test('unknown codings are errors naming the coding', () => {
    expect(decodeBody(raw, 'compress')).toEqual({ error: 'unsupported content-encoding "compress"', limit: true });
    expect(decodeBody(gzipSync(raw), 'compress, gzip')).toEqual({ error: 'unsupported content-encoding "compress"', limit: true });
  });

  test('zstd is decoded where the runtime can (Node 22.15+); elsewhere the error says what it needs', () => {
    const compress = (zlib as unknown as { zstdCompressSync?: (body: Buffer) => Buffer }).zstdCompressSync;
    if (compress) expect(decoded(decodeBody(compress(raw), 'zstd'))).toBe(text);
    else expect(decodeBody(raw, 'zstd')).toEqual({ error: `content-encoding "zstd" needs Node 22.15 or later (this is ${process.version})`, limit: true });
  });

  test('the decoded size is capped (decompression bombs)', () => {
    const bomb = gzipSync(Buffer.alloc(1024 * 1024));
    expect(bomb.length).toBeLessThan(5000);
    expect(decodeBody(bomb, 'gzip', 64 * 1024)).toEqual({ error: 'gzip: decoded body larger than 65536 bytes', limit: true });
    // Raw deflate (no zlib wrapper) past the cap says so too, not the wrapper's "incorrect header check".
    expect(decodeBody(deflateRawSync(Buffer.alloc(1025)), 'deflate', 1024)).toEqual({ error: 'deflate: decoded body larger than 1024 bytes', limit: true });
    expect(decodeBody(bomb, 'gzip', 2 * 1024 * 1024)).toEqual({ body: Buffer.alloc(1024 * 1024) });
  });
});

describe('JSON detection', () => {
  test.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON;charset=UTF-8', true],
    ['application/problem+json', true],
    ['application/vnd.api+json; ext=bulk', true],
    ['text/json', true],
    ['text/html', false],
    ['application/jsonl', false],
    ['text/plain; note=+json', false],
    ['+json', false],
    [undefined, false],
  ])('content-type %s → %s', (contentType, expected) => {
    expect(isJsonContentType(contentType)).toBe(expected);
  });

  test.each([
    ['{"a":1}', true],
    ['  \n\t[1]', true],
    ['\ufeff{"a":1}', true],
    ['"a string"', false],
    ['42', false],
    ['<html>', false],
    ['', false],
    ['   ', false],
  ])('body %j looks like JSON: %s', (body, expected) => {
    expect(looksLikeJson(Buffer.from(body))).toBe(expected);
  });

  test('parseJsonBody: by content type or by looks', () => {
    expect(parseJsonBody(Buffer.from('{"a":1}'), 'text/plain')).toEqual({ a: 1 });
    expect(parseJsonBody(Buffer.from('42'), 'application/json')).toBe(42);
    expect(parseJsonBody(Buffer.from('"s"'), 'application/problem+json')).toBe('s');
    expect(parseJsonBody(Buffer.from('42'), 'text/plain')).toBe(NOT_JSON);
    expect(parseJsonBody(Buffer.from('\ufeff{"bom":true}'), 'application/json')).toEqual({ bom: true });
    expect(parseJsonBody(Buffer.from('{"café":"ü"}'), undefined)).toEqual({ café: 'ü' });
  });

  test('invalid JSON and empty bodies are NOT_JSON, never a throw', () => {
    expect(parseJsonBody(Buffer.from('{"a":'), 'application/json')).toBe(NOT_JSON);
    expect(parseJsonBody(Buffer.from('{not json}'), undefined)).toBe(NOT_JSON);
    expect(parseJsonBody(Buffer.alloc(0), 'application/json')).toBe(NOT_JSON);
  });
});
