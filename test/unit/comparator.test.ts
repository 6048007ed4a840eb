import { gzipSync } from 'node:zlib';
import type { ShadowConfig } from '../../core/config/types';
import { Comparator, type ComparisonInput } from '../../diff-reader/comparator';
import { routeConfig, shadowConfig } from '../helpers/config';

const SHADOW = shadowConfig({ noiseSample: 0.5, headers: ['content-type'] });
const AT = new Date('2026-03-01T12:00:00.000Z');
const JSON_TYPE = { 'content-type': 'application/json' };

function answer(body: unknown, status = 200, ms = 1.234): { status: number; headers: Record<string, string>; body: Buffer; ms: number } {
  return { status, headers: JSON_TYPE, body: Buffer.from(JSON.stringify(body)), ms };
}

function input(requestId: string, legacy: unknown, candidate: unknown, secondary?: unknown, shadow: ShadowConfig = SHADOW): ComparisonInput {
  return {
    route: routeConfig('orders', '/api/orders', { stage: 'shadow', shadow }),
    shadow,
    requestId,
    method: 'GET',
    target: '/api/orders/7?x=1',
    at: AT,
    legacy: answer(legacy),
    candidate: answer(candidate, 200, 5.678),
    ...(secondary === undefined ? {} : { secondary: answer(secondary) }),
  };
}

describe('Comparator: exchanges into comparison records', () => {
  test('a match: the record names the request, both statuses and latencies (ms, two decimals)', () => {
    expect(new Comparator().compare(input('r1', { id: 7, total: 1.5 }, { total: 1.5, id: 7 }))).toEqual({
      requestId: 'r1',
      route: 'orders',
      method: 'GET',
      target: '/api/orders/7?x=1',
      at: '2026-03-01T12:00:00.000Z',
      result: 'match',
      legacyStatus: 200,
      candidateStatus: 200,
      legacyMs: 1.23,
      candidateMs: 5.68,
      differences: [],
      noise: [],
    });
  });

  test('a copy that waited behind others on a pipelined connection: compared as any, but its time is no latency sample', () => {
    const record = new Comparator().compare({ ...input('r1', { id: 7 }, { id: 8 }), candidateWaited: true });
    expect(record).toMatchObject({ result: 'mismatch', legacyMs: 1.23, candidateStatus: 200 });
    expect(record.candidateMs).toBeUndefined();
    const failed = new Comparator().compare({ ...input('r1', {}, {}), candidate: { error: 'new service did not answer within 100 ms', ms: 100 }, candidateWaited: true });
    expect(failed).toMatchObject({ result: 'error', legacyMs: 1.23 });
    expect(failed.candidateMs).toBeUndefined();
  });

  test('a mismatch lists the differences at templated paths', () => {
    const record = new Comparator().compare(input('r2', { items: [{ price: 1 }, { price: 2 }] }, { items: [{ price: 1 }, { price: 3 }] }));
    expect(record.result).toBe('mismatch');
    expect(record.differences).toEqual([{ path: '$.items[*].price', kind: 'changed', legacy: '2', candidate: '3' }]);
  });

  test('a new service that failed: result error with the reason, no candidate status', () => {
    const exchange: ComparisonInput = { ...input('r3', {}, {}), candidate: { error: 'new service refused the connection', ms: 0.5 } };
    const record = new Comparator().compare(exchange);
    expect(record).toMatchObject({ result: 'error', error: 'new service refused the connection', legacyStatus: 200, candidateMs: 0.5 });
    expect(record.candidateStatus).toBeUndefined();
  });

  test('neither body decodable (both zstd-encoded where the runtime has no zstd, say): an error naming both reasons, not a mismatch', () => {
    const encoded = (body: string): ComparisonInput['legacy'] => ({ status: 200, headers: { ...JSON_TYPE, 'content-encoding': 'compress' }, body: Buffer.from(body), ms: 2 });
    const exchange: ComparisonInput = { ...input('r3b', {}, {}), legacy: encoded('legacy bytes'), candidate: encoded('other bytes'), secondary: encoded('third bytes') };
    const record = new Comparator().compare(exchange);
    expect(record).toMatchObject({
      result: 'error',
      error: 'neither body could be decoded (legacy: unsupported content-encoding "compress"; new service: unsupported content-encoding "compress")',
      legacyStatus: 200,
      candidateStatus: 200,
      differences: [],
    });
    // The same undecodable bytes on both sides are still a match.
    expect(new Comparator().compare({ ...exchange, candidate: encoded('legacy bytes') }).result).toBe('match');
  });

  test('tolerant pairing past its work budget: an error comparison saying so, not a mismatch', () => {
    const tree = (depth: number, seed: number): unknown =>
      depth === 0 ? Array.from({ length: 98 }, (_, i) => (i * 7919 + seed) % 100003) : [tree(depth - 1, seed), tree(depth - 1, seed + 1)];
    const shadow = shadowConfig({ unordered: true, numericTolerance: 0.5 });
    const record = new Comparator().compare(input('r3d', tree(10, 0), tree(10, 1), undefined, shadow));
    expect(record).toMatchObject({ result: 'error', candidateStatus: 200, error: expect.stringMatching(/^comparison stopped after 1000000 element comparisons/) });
  });

  test("shadow.maxDecodedBytes bounds decoding: legacy's gzip past it leaves the bodies uncompared, an error saying so (the proxy's limit, not the service's fault)", () => {
    const shadow = shadowConfig({ maxDecodedBytes: 1024 });
    const text = JSON.stringify({ filler: 'x'.repeat(2000) });
    const exchange: ComparisonInput = {
      ...input('r3c', {}, {}, undefined, shadow),
      legacy: { status: 200, headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: gzipSync(text), ms: 1 },
      candidate: { status: 200, headers: JSON_TYPE, body: Buffer.from(text), ms: 1 },
    };
    expect(new Comparator().compare(exchange)).toMatchObject({
      result: 'error',
      error: "bodies not compared: legacy's could not be decoded here (gzip: decoded body larger than 1024 bytes)",
    });
    // With a status difference besides, that difference is the comparison's answer.
    const failing = new Comparator().compare({ ...exchange, candidate: { ...exchange.candidate, status: 503 } });
    expect(failing).toMatchObject({ result: 'mismatch', differences: [{ path: 'status', kind: 'changed', legacy: '200', candidate: '503' }] });
  });

  test('an HTML page whose CSRF token legacy varies: another token is noise, an error page with the same head is a mismatch', () => {
    const html = (token: string, body: string): ComparisonInput['legacy'] => ({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: Buffer.from(`<html><head><meta name="csrf" content="${token}"></head>\n<body>${body}</body></html>`),
      ms: 1,
    });
    const comparator = new Comparator();
    const exchange = (id: string, candidateBody: string): ComparisonInput => ({
      ...input(id, {}, {}),
      legacy: html(`t-${id}-1`, '<p>Total: 42.00 EUR</p>'),
      secondary: html(`t-${id}-2`, '<p>Total: 42.00 EUR</p>'),
      candidate: html(`t-${id}-3`, candidateBody),
    });
    expect(comparator.compare(exchange('h1', '<p>Total: 42.00 EUR</p>'))).toMatchObject({ result: 'noise', differences: [], noise: [{ path: 'body[2]' }] });
    const broken = comparator.compare(exchange('h2', '<h1>Something went wrong</h1>'));
    expect(broken.result).toBe('mismatch');
    expect(broken.differences.map((d) => d.path)).toEqual(['body[6]', 'body[7]']);
    expect(broken.noise.map((d) => d.path)).toEqual(['body[2]']);
  });

  test('an HTML list legacy answers one item longer at times: the same variation is noise, a lost footer is a mismatch', () => {
    const page = (items: string[], footer = '<p>footer</p>'): ComparisonInput['legacy'] => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: Buffer.from(`<html>\n<ul>\n${items.map((i) => `<li>${i}</li>\n`).join('')}</ul>\n${footer}\n</html>`),
      ms: 1,
    });
    const comparator = new Comparator();
    const exchange = (id: string, candidate: ComparisonInput['legacy']): ComparisonInput => ({
      ...input(id, {}, {}),
      legacy: page(['a', 'b']),
      secondary: page(['a', 'b', 'c']),
      candidate,
    });
    expect(comparator.compare(exchange('l1', page(['a', 'b', 'z'])))).toMatchObject({ result: 'noise', differences: [] });
    const broken = comparator.compare(exchange('l2', page(['a', 'b'], '<p>error</p>')));
    expect(broken.result).toBe('mismatch');
    expect(broken.differences.map((d) => [d.path, d.kind])).toEqual([['body[13]', 'changed']]);
  });

  test('noise: a field where the second legacy answer differs too is noise for that request', () => {
    const record = new Comparator().compare(input('r4', { id: 1, at: 't1' }, { id: 1, at: 't2' }, { id: 1, at: 't3' }));
    expect(record.result).toBe('noise');
    expect(record.noise.map((d) => d.path)).toEqual(['$.at']);
  });

  test('a second legacy answer with another status (503 under the doubled load) is no noise sample, now or later', () => {
    const comparator = new Comparator();
    const failingNew = (id: string, secondary?: { status: number; body: unknown }): ComparisonInput => ({
      ...input(id, { id: 1, total: 5 }, {}),
      candidate: answer({ error: 'boom' }, 500, 2),
      ...(secondary ? { secondary: answer(secondary.body, secondary.status) } : {}),
    });
    for (let n = 0; n < 5; n++) {
      const record = comparator.compare(failingNew(`e${n}`, { status: 503, body: { error: 'overloaded' } }));
      expect([record.result, record.noise]).toEqual(['mismatch', []]);
      expect(record.differences.map((d) => d.path)).toEqual(['status', '$.id', '$.total', '$.error']);
    }
    // Nothing was learned from them: the new service's 500 stays a mismatch where legacy agrees with itself or was not asked twice.
    expect(comparator.compare(failingNew('e5', { status: 200, body: { id: 1, total: 5 } })).result).toBe('mismatch');
    expect(comparator.compare(failingNew('e6')).result).toBe('mismatch');
  });

  test("the route's noiseThresholds decide when the learned model calls a field noise in requests without a second answer", () => {
    const learnsAfter = (shadow: ShadowConfig): number => {
      const comparator = new Comparator();
      for (let n = 1; n <= 5; n++) {
        comparator.compare(input(`s${n}`, { at: n }, { at: n + 100 }, { at: n + 200 }, shadow));
        if (comparator.compare(input(`p${n}`, { at: n }, { at: n + 100 }, undefined, shadow)).result === 'noise') return n;
      }
      return -1;
    };
    expect(learnsAfter(SHADOW)).toBe(3); // default: at least 3 times
    expect(learnsAfter({ ...SHADOW, noiseThresholds: { relative: 0.2, absolute: 1 } })).toBe(1);
    expect(learnsAfter({ ...SHADOW, noiseThresholds: { relative: 0.2, absolute: 6 } })).toBe(-1);
  });
});
