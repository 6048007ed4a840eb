import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { readBootstrapFile, unknownSegments } from '../../core/config/bootstrap-file';
import { parseConfig } from '../../core/config';

const QA_SEGMENT = { id: 7, name: 'qa', constraints: [{ contextName: 'userId', operator: 'IN', values: ['qa1', 'qa2'], inverted: false, caseInsensitive: false }] };
/** A flag as `flags export` writes it: strangler's strategy at 0 %, and one for the segment's users. */
const FEATURE = {
  name: 'strangler.orders',
  enabled: true,
  strategies: [
    { name: 'flexibleRollout', constraints: [], parameters: { rollout: '0', stickiness: 'userId', groupId: 'strangler.orders', stranglerStage: 'canary' } },
    { name: 'flexibleRollout', constraints: [], parameters: { rollout: '100', stickiness: 'userId', groupId: 'strangler.orders' }, segments: [7] },
  ],
};

let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'strangler-bootstrap-file-'));
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

function file(name: string, content: unknown): string {
  const path = join(folder, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('readBootstrapFile', () => {
  test('takes the segments of a file in the shape Unleash serves them, and a real unleash-client seeded with them lets their users in', async () => {
    const read = readBootstrapFile(file('with-segments.json', { version: 2, features: [FEATURE], segments: [QA_SEGMENT] }));
    expect(read).toEqual({ features: [FEATURE], segments: [QA_SEGMENT] });
    expect(unknownSegments(read)).toEqual([]);
    // Handed over as the provider hands them (bootstrap: { data, segments }); refreshInterval 0: it never polls.
    const client = new Unleash({
      url: 'http://127.0.0.1:9/api',
      appName: 'strangler-bootstrap-file-test',
      refreshInterval: 0,
      disableMetrics: true,
      storageProvider: new InMemStorageProvider(),
      bootstrap: { data: read.features as never, segments: read.segments as never },
    });
    try {
      await once(client, 'synchronized');
      expect(['qa1', 'qa2', 'qa3'].map((userId) => client.isEnabled(FEATURE.name, { userId }))).toEqual([true, true, false]);
    } finally {
      client.destroy();
    }
  });

  test('a file without segments keeps working: none, and the strategies that name one are told', () => {
    const read = readBootstrapFile(file('without-segments.json', { version: 2, features: [FEATURE] }));
    expect(read).toEqual({ features: [FEATURE], segments: [] });
    expect(unknownSegments(read)).toEqual([{ flag: 'strangler.orders', segment: 7 }]);
    expect(readBootstrapFile(file('bare-list.json', [FEATURE]))).toEqual({ features: [FEATURE], segments: [] });
    expect(readBootstrapFile(file('empty-segments.json', { version: 2, features: [], segments: [] }))).toEqual({ features: [], segments: [] });
  });

  test.each([
    ['not a list', { a: 1 }, 'segments: expected a list of Unleash segments [{"id", "constraints": [{"contextName", "operator", "values"}]}], got {"a":1}'],
    ['a segment that is not an object', ['qa'], 'segments[0]: expected a segment {"id", "constraints"}, got "qa"'],
    ['an id that is not a whole number', [{ ...QA_SEGMENT, id: '7' }], 'segments[0].id: expected the segment id (a whole number), got "7"'],
    ['no id', [{ constraints: [] }], 'segments[0].id: expected the segment id (a whole number), got nothing'],
    ['a name that is not text', [{ ...QA_SEGMENT, name: 3 }], 'segments[0].name: expected text, got 3'],
    ['no constraints', [{ id: 7 }], 'segments[0].constraints: expected a list of constraints [{"contextName", "operator", "values"}], got nothing'],
    ['a constraint that is not an object', [{ id: 7, constraints: [null] }], 'segments[0].constraints[0]: expected a constraint {"contextName", "operator", "values"}, got null'],
    ['a constraint without its context field', [{ id: 7, constraints: [{ operator: 'IN', values: ['qa1'] }] }], 'segments[0].constraints[0].contextName: expected a context field name, got nothing'],
    ['a constraint without operator', [{ id: 7, constraints: [{ contextName: 'userId', values: ['qa1'] }] }], 'segments[0].constraints[0].operator: expected an operator such as "IN", got nothing'],
    ['values that are not texts', [QA_SEGMENT, { id: 8, constraints: [{ contextName: 'userId', operator: 'IN', values: [1, 2] }] }], 'segments[1].constraints[0].values: expected a list of texts, got [1,2]'],
    ['a value that is neither text nor a number', [{ id: 7, constraints: [{ contextName: 'age', operator: 'NUM_GT', value: [18] }] }], 'segments[0].constraints[0].value: expected text or a number, got [18]'],
    ['inverted that is not true or false', [{ id: 7, constraints: [{ ...QA_SEGMENT.constraints[0], inverted: 'no' }] }], 'segments[0].constraints[0].inverted: expected true or false, got "no"'],
    ['one id twice', [QA_SEGMENT, { ...QA_SEGMENT, name: 'qa again' }], 'segments[1].id: segment 7 is already segments[0]'],
  ])('refuses segments with %s, naming the field in one line', (_what, segments, message) => {
    const path = file('bad-segments.json', { version: 2, features: [FEATURE], segments });
    expect(() => readBootstrapFile(path)).toThrow(new Error(message));
  });

  test('a long value is cut short: the message stays one line', () => {
    const path = file('long.json', { version: 2, features: [], segments: [{ id: 1, constraints: [{ contextName: 'userId', operator: 'IN', values: ['x'.repeat(200), 'a\nb'] }] }] });
    expect(() => readBootstrapFile(path)).not.toThrow();
    const bad = file('long-bad.json', { version: 2, features: [], segments: 'line one\n'.repeat(40) });
    let message = '';
    try {
      readBootstrapFile(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^segments: expected a list of Unleash segments .*, got "line one\\nline one.{30,}\.\.\.$/);
    expect(message.split('\n')).toHaveLength(1);
  });

  test('a file that is not JSON: one line, however many lines JSON.parse quotes from it', () => {
    expect(() => readBootstrapFile(file('not-json.json', 'not json\n'))).toThrow(new Error(`not JSON (Unexpected token 'o', "not json\\u000a" is not valid JSON)`));
    let message = '';
    try {
      readBootstrapFile(file('broken.json', `{"version": 2,\n"features": [\n${'{"name": "x", "enabled": true},\n'.repeat(50)}oops\n]}`));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^not JSON \(.+\)$/);
    expect(message).not.toMatch(/[\n\r]/);
    expect(message.length).toBeLessThanOrEqual('not JSON ()'.length + 161);
  });

  test('config validate names the file and the field of a malformed segment', () => {
    file('strangler-bad-segments.json', { version: 2, features: [FEATURE], segments: [{ id: 7, constraints: [{ contextName: 'userId', operator: 'IN', values: 'qa1' }] }] });
    const yaml = [
      'listen: { port: 8080 }',
      'flags:',
      '  provider: unleash',
      '  url: http://127.0.0.1:4242',
      '  clientToken: default:development.secret',
      '  bootstrap: ./strangler-bad-segments.json',
      'upstreams:',
      '  legacy: { url: "http://127.0.0.1:9001" }',
      'routes: []',
    ].join('\n');
    expect(() => parseConfig(yaml, join(folder, 'strangler.yaml'), {})).toThrow(
      `strangler.yaml:6 flags.bootstrap: ${join(folder, 'strangler-bad-segments.json')}: segments[0].constraints[0].values: expected a list of texts, got "qa1"`,
    );
  });
});
