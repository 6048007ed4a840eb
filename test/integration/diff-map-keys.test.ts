/**
 * A map keyed by user id, end to end: two real HTTP services answer, the proxy's Comparator (diff engine and
 * noise model) compares them, a ComparisonWriter stores comparisons and counts in PostgreSQL, and the report
 * read from there shows the map as one field.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComparisonRecord } from '../../core/comparison';
import { Comparator } from '../../diff-reader/comparator';
import type { HttpSnapshot } from '../../diff-reader/engine';
import { readDiffReport, renderHtml, renderMarkdown, renderText } from '../../diff-reader/report';
import { ComparisonWriter } from '../../diff-reader/store/comparison-writer';
import { SqlComparisonStore } from '../../diff-reader/store/sql-comparison-store';
import { routeConfig, shadowConfig } from '../helpers/config';
import { withMigratedDatabase } from '../helpers/postgres';

const USERS = 40;
const REQUESTS = 50;
/** Requests asked of legacy twice (noise samples): enough for the model to learn $.sessions.*. */
const SAMPLED = 5;

/**
 * `/users/<n>`: scores of 40 users keyed by id (`u100000`…), the user's name, and a session keyed by a new id
 * on every request whose value legacy itself changes on every call (noise). The new service gives users
 * n and n+1 another score on every fifth request, and another name on every tenth (n % 10 === 1).
 */
function users(candidate: boolean): Promise<{ server: Server; url: string }> {
  let calls = 0;
  const server = createServer((req, res) => {
    const n = Number(req.url!.split('/').pop());
    const scores: Record<string, number> = {};
    for (let u = 0; u < USERS; u++) scores[`u${100000 + u}`] = u % 7;
    const name = candidate && n % 10 === 1 ? 'Otani' : 'Ōtani';
    if (candidate && n % 5 === 0) {
      scores[`u${100000 + (n % USERS)}`]! += 10;
      scores[`u${100000 + ((n + 1) % USERS)}`]! += 10;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: n, name, scores, sessions: { [`sess_${500000 + n}`]: ++calls + (candidate ? 1000 : 0) } }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

async function snapshot(url: string): Promise<HttpSnapshot & { ms: number }> {
  const started = performance.now();
  const response = await fetch(url);
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: Object.fromEntries(response.headers), body, ms: performance.now() - started };
}

describe('a map keyed by ids, compared by the proxy\'s Comparator and stored by its ComparisonWriter', () => {
  let legacy: { server: Server; url: string };
  let candidate: { server: Server; url: string };

  beforeAll(async () => {
    [legacy, candidate] = await Promise.all([users(false), users(true)]);
  });

  afterAll(() => {
    legacy.server.close();
    candidate.server.close();
  });

  test('the report shows $.scores.* once per comparison with its share and the keys that differed; the session map is learned as noise', async () => {
    await withMigratedDatabase(async (db) => {
      const store = new SqlComparisonStore(db);
      const writer = new ComparisonWriter({ store, flushMs: 20 });
      const comparator = new Comparator();
      const route = routeConfig('users', '/users');
      const shadow = shadowConfig({ noiseSample: 1 });
      const records: ComparisonRecord[] = [];
      const start = Date.now() - 5 * 60_000;
      for (let n = 0; n < REQUESTS; n++) {
        const path = `/users/${n}`;
        const [first, second, other] = await Promise.all([snapshot(legacy.url + path), n < SAMPLED ? snapshot(legacy.url + path) : undefined, snapshot(candidate.url + path)]);
        const record = comparator.compare({
          route,
          shadow,
          requestId: `map-${n}`,
          method: 'GET',
          target: path,
          at: new Date(start + n * 1000),
          legacy: first,
          candidate: other,
          ...(second ? { secondary: second } : {}),
        });
        records.push(record);
        writer.add(record);
      }
      await writer.flush();

      // Every comparison differs in its session; after the samples that is noise, learned at $.sessions.*.
      expect(records.filter((r) => r.result === 'mismatch')).toHaveLength(15);
      expect(records[45]!.noise).toEqual([{ path: '$.sessions.*', location: '$.sessions.sess_500045', kind: 'changed', legacy: expect.any(String), candidate: expect.any(String) }]);

      const report = await readDiffReport(store, { route: 'users' }, { generatedAt: new Date() });
      const users = report.routes[0]!;
      // 10 of 50 requests differ at two keys of the map each: one field, counted once per comparison.
      expect(users.counts).toMatchObject({ comparisons: 50, mismatch: 15, noise: 35, match: 0 });
      expect(users.fields.map((f) => [f.path, f.count, f.share, f.noise])).toEqual([
        ['$.scores.*', 10, 0.2, 0],
        ['$.name', 5, 0.1, 0],
        ['$.sessions.*', 0, 0, 50],
      ]);
      expect(users.fields[0]!.examples[0]).toMatchObject({
        requestId: 'map-45',
        legacy: '5',
        candidate: '15',
        locations: ['$.scores.u100005', '$.scores.u100006'],
        moreLocations: 0,
      });

      const text = renderText(report, { maxFields: 1 });
      expect(text).toMatch(/\$\.scores\.\*\s+10\s+20\.0 %\s+0\s+changed\s+5 → 15\s+\(map-45, at \$\.scores\.u100005 \+1 more\)/);
      expect(text).toContain('… 2 more fields not shown, differing in 5 comparisons (10.0 %), 5 of them at no field shown');
      expect(renderMarkdown(report, { maxFields: 1 })).toContain('| `$.scores.*` | 10 | 20.0 % | 0 | `5` → `15` at `$.scores.u100005` +1 more | `map-45` |');
      expect(renderHtml(report, { maxFields: 1 })).toContain('… 2 more fields not shown, differing in 5 comparisons (10.0 %), 5 of them at no field shown.');
    });
  });
});
