import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  formatConfigIssue,
  interpolate,
  loadConfig,
  parseConfig,
  redactConfig,
  redactUrl,
  validateConfigFile,
  validateConfigText,
  type StranglerConfig,
} from '../../core/config';
import { validateConfig, type ConfigNode } from '../../core/config/schema';

const FILE = 'strangler.yaml';
const TOKEN = 'correct-horse-battery';
const ENV = { STRANGLER_ADMIN_TOKEN: TOKEN };

/** The example from DESIGN.md, verbatim. */
const DESIGN_EXAMPLE = `listen: { port: 8080 }
admin:  { port: 9090, host: 127.0.0.1, token: \${STRANGLER_ADMIN_TOKEN} }
state:  { url: embedded:./.strangler }          # or postgres://…  (shared by every replica)
flags:  { provider: embedded }                   # or { provider: unleash, url, clientToken, adminToken }
upstreams:
  legacy: { url: http://127.0.0.1:3000 }
  orders: { url: http://127.0.0.1:4000, timeoutMs: 2000 }
routes:
  - name: orders
    match: { path: /api/orders, methods: [GET, POST, PUT] }
    service: orders
    stage: canary                                # initial state: legacy|shadow|canary|live|retired
    percent: 25                                  # share sent to the new service in canary
    stickiness: header:x-user-id                 # cookie:sid | query:uid | random
    shadow: { sample: 1.0, methods: [GET], ignore: [$.meta.generatedAt], maxBodyBytes: 1048576 }
    fallback: { on: [connect-error, 5xx], methods: [GET, HEAD] }
  - name: reports-v1
    match: { path: /v1/reports }
    deprecated: { sunset: 2027-06-01T00:00:00Z, link: /v2/reports }
`;

/** The smallest valid file, lines 1–4; tests append routes from line 5 on. */
const BASE = `admin: { token: \${STRANGLER_ADMIN_TOKEN} }
upstreams:
  legacy: { url: http://127.0.0.1:3000 }
  orders: { url: http://127.0.0.1:4000 }
`;

/** The formatted issues of a text that must not load, checked to arrive as a ConfigError. */
function messagesOf(text: string, env: NodeJS.ProcessEnv = ENV): string[] {
  let error: unknown;
  try {
    parseConfig(text, FILE, env);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const configError = error as ConfigError;
  expect(configError.code).toBe('STRANGLER_ERR_CONFIG');
  const lines = configError.issues.map(formatConfigIssue);
  expect(configError.message).toBe(lines.join('\n'));
  return lines;
}

function messageOf(text: string, env: NodeJS.ProcessEnv = ENV): string {
  const lines = messagesOf(text, env);
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

function route(text: string, env: NodeJS.ProcessEnv = ENV): StranglerConfig['routes'][number] {
  const config = parseConfig(BASE + text, FILE, env);
  expect(config.routes).toHaveLength(1);
  return config.routes[0] as StranglerConfig['routes'][number];
}

describe('parseConfig: the DESIGN.md example', () => {
  it('produces the typed config with every default applied', () => {
    const config = parseConfig(DESIGN_EXAMPLE, FILE, ENV);
    expect(config).toEqual({
      file: FILE,
      listen: { host: '0.0.0.0', port: 8080, maxHeaderBytes: 16384, drainTimeoutMs: 10000, keepAliveTimeoutMs: 75000, shutdownDelayMs: 0, sendTimeoutMs: 60000, trustedProxies: [] },
      admin: { host: '127.0.0.1', port: 9090, token: TOKEN },
      state: { url: 'embedded:./.strangler', pollMs: 500, keepComparisons: 100000, keepCountsDays: 30, keepMatches: false },
      flags: { provider: 'embedded' },
      upstreams: {
        legacy: { name: 'legacy', url: 'http://127.0.0.1:3000', timeoutMs: 30000, connections: 128, preserveHost: false, shadowPipelining: 1 },
        orders: { name: 'orders', url: 'http://127.0.0.1:4000', timeoutMs: 2000, connections: 128, preserveHost: false, shadowPipelining: 1 },
      },
      routes: [
        {
          name: 'orders',
          match: { path: '/api/orders', methods: ['GET', 'POST', 'PUT'] },
          service: 'orders',
          legacy: 'legacy',
          stage: 'canary',
          percent: 25,
          stickiness: { kind: 'header', name: 'x-user-id' },
          stickyFallback: 'random',
          flag: 'strangler.orders',
          shadow: { sample: 1, methods: ['GET'], ignore: ['$.meta.generatedAt'], maxBodyBytes: 1048576, maxDecodedBytes: 16777216, maxInFlight: 64, noiseSample: 0.1, noiseThresholds: { relative: 0.2, absolute: 3 }, unordered: false, mapKeys: [], numericTolerance: 0, headers: ['content-type'], onCanary: false },
          fallback: { on: ['connect-error', '5xx'], methods: ['GET', 'HEAD'] },
        },
        {
          name: 'reports-v1',
          match: { path: '/v1/reports' },
          legacy: 'legacy',
          stage: 'legacy',
          percent: 0,
          stickiness: { kind: 'random' },
          stickyFallback: 'random',
          flag: 'strangler.reports-v1',
          deprecated: { sunset: '2027-06-01T00:00:00Z', link: '/v2/reports' },
        },
      ],
    });
    // Absent optional parts are absent, not present-and-undefined.
    expect(Object.keys(config.routes[1] ?? {})).not.toContain('service');
    expect(Object.keys(config.routes[1] ?? {})).not.toContain('shadow');
    expect(Object.keys(config.routes[1]?.match ?? {})).not.toContain('methods');
  });

  it('fills in the defaults of the smallest valid file', () => {
    const config = parseConfig(BASE, FILE, ENV);
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080, maxHeaderBytes: 16384, drainTimeoutMs: 10000, keepAliveTimeoutMs: 75000, shutdownDelayMs: 0, sendTimeoutMs: 60000, trustedProxies: [] });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 9090, token: TOKEN });
    expect(config.state).toEqual({ url: 'embedded:./.strangler', pollMs: 500, keepComparisons: 100000, keepCountsDays: 30, keepMatches: false });
    expect(config.flags).toEqual({ provider: 'embedded' });
    expect(config.routes).toEqual([]);
  });

  it('fills in the defaults of optional route blocks', () => {
    const r = route(`routes:
  - name: orders
    match: { path: /api/orders/ }
    service: orders
    shadow: {}
    fallback: {}
`);
    expect(r.match).toEqual({ path: '/api/orders' });
    expect(r.shadow).toEqual({ sample: 1, methods: ['GET', 'HEAD'], ignore: [], maxBodyBytes: 1048576, maxDecodedBytes: 16777216, maxInFlight: 64, noiseSample: 0.1, noiseThresholds: { relative: 0.2, absolute: 3 }, unordered: false, mapKeys: [], numericTolerance: 0, headers: ['content-type'], onCanary: false });
    expect(r.fallback).toEqual({ on: ['connect-error'], methods: ['GET', 'HEAD'] });
  });

  it('a route with a service and no shadow block shadows with the defaults (stage shadow must copy); one without a service has none', () => {
    const r = route(`routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    stage: shadow
`);
    const defaults = route(`routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    shadow: {}
`).shadow;
    expect(r.shadow).toEqual(defaults);
    expect(route(`routes:
  - name: reports
    match: { path: /v1/reports }
    stage: retired
    deprecated: { sunset: 2027-06-01T00:00:00Z }
`).shadow).toBeUndefined();
  });

  it('accepts every field written out, normalising methods, header names and trailing slashes', () => {
    const config = parseConfig(
      `listen:
  host: 127.0.0.1
  port: 0
  maxHeaderBytes: 32768
  drainTimeoutMs: 0
  keepAliveTimeoutMs: 65000
  shutdownDelayMs: 5000
  sendTimeoutMs: 120000
  trustedProxies: [10.0.0.0/8, 192.0.2.7, 'fd00::/8']
admin:
  host: 0.0.0.0
  port: 0
  token: abcdefgh
state:
  url: postgres://strangler:pw@db.internal:5432/strangler
  pollMs: 50
  keepComparisons: 5000
flags:
  provider: embedded
upstreams:
  legacy:
    url: https://legacy.internal/
    timeoutMs: 1
    connections: 10000
    preserveHost: true
    shadowPipelining: 16
  orders-v2:
    url: http://10.0.0.7:4000
routes:
  - name: root
    match: { path: /, methods: [get, Head] }
    service: orders-v2
    legacy: legacy
    stage: retired
    percent: 100
    stickiness: header:X-User-ID
    stickyFallback: legacy
    flag: "team:orders.root_v2"
  - name: by-cookie
    match: { path: /a/b/ }
    service: orders-v2
    stickiness: cookie:sid
  - name: by-query
    match: { path: /a/c, methods: [POST] }
    service: orders-v2
    stickiness: query:uid
    deprecated: { sunset: "2027-06-01T12:30:00.5+02:00", since: 2026-12-01T00:00:00Z }
`,
      'conf/prod.yaml',
      {},
    );
    expect(config.file).toBe('conf/prod.yaml');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 0, maxHeaderBytes: 32768, drainTimeoutMs: 0, keepAliveTimeoutMs: 65000, shutdownDelayMs: 5000, sendTimeoutMs: 120000, trustedProxies: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'] });
    expect(config.admin).toEqual({ host: '0.0.0.0', port: 0, token: 'abcdefgh' });
    expect(config.state).toEqual({ url: 'postgres://strangler:pw@db.internal:5432/strangler', pollMs: 50, keepComparisons: 5000, keepCountsDays: 30, keepMatches: false });
    expect(config.upstreams.legacy).toEqual({
      name: 'legacy',
      url: 'https://legacy.internal',
      timeoutMs: 1,
      connections: 10000,
      preserveHost: true,
      shadowPipelining: 16,
    });
    expect(config.upstreams['orders-v2']!.shadowPipelining).toBe(1);
    const [root, byCookie, byQuery] = config.routes;
    expect(root).toMatchObject({
      match: { path: '/', methods: ['GET', 'HEAD'] },
      stage: 'retired',
      percent: 100,
      stickiness: { kind: 'header', name: 'x-user-id' },
      stickyFallback: 'legacy',
      flag: 'team:orders.root_v2',
    });
    expect(byCookie).toMatchObject({ match: { path: '/a/b' }, stickiness: { kind: 'cookie', name: 'sid' } });
    expect(byQuery).toMatchObject({
      stickiness: { kind: 'query', name: 'uid' },
      deprecated: { sunset: '2027-06-01T12:30:00.5+02:00', since: '2026-12-01T00:00:00Z' },
    });
  });
});

describe('parseConfig: one message per mistake, with its line', () => {
  it('rejects a quoted port: types are strict', () => {
    expect(messageOf(`listen: { port: "8080" }\n${BASE}`)).toBe(
      'strangler.yaml:1 listen.port: must be an integer from 0 to 65535, got "8080"',
    );
  });

  it('rejects a port out of range', () => {
    expect(messageOf(`${BASE}listen:\n  host: 0.0.0.0\n  port: 65536\n`)).toBe(
      'strangler.yaml:7 listen.port: must be an integer from 0 to 65535, got 65536',
    );
  });

  it('rejects maxHeaderBytes and pollMs out of range', () => {
    expect(messagesOf(`${BASE}state: { keepComparisons: 99 }\n`)).toEqual(['strangler.yaml:5 state.keepComparisons: must be an integer from 100 to 100000000, got 99']);
    expect(messagesOf(`${BASE}state: { keepCountsDays: 0 }\n`)).toEqual(['strangler.yaml:5 state.keepCountsDays: must be an integer from 1 to 3650, got 0']);
    expect(messagesOf(`${BASE}state: { keepCountsDays: 1.5 }\n`)).toEqual(['strangler.yaml:5 state.keepCountsDays: must be an integer from 1 to 3650, got 1.5']);
    expect(messagesOf(`${BASE}state: { keepMatches: yes-please }\n`)).toEqual([expect.stringMatching(/^strangler\.yaml:5 state\.keepMatches: must be (true or false|a boolean)/)]);
    expect(messagesOf(`${BASE}listen: { maxHeaderBytes: 512 }\nstate: { pollMs: 10 }\n`)).toEqual([
      'strangler.yaml:5 listen.maxHeaderBytes: must be an integer from 1024 to 1048576, got 512',
      'strangler.yaml:6 state.pollMs: must be an integer from 50 to 60000, got 10',
    ]);
  });

  it('rejects percent 101', () => {
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    percent: 101
`),
    ).toBe('strangler.yaml:9 routes[0].percent: must be an integer from 0 to 100, got 101');
  });

  describe('outside canary the stage sets the percentage', () => {
    const route = (lines: string): string => `${BASE}routes:\n  - name: orders\n    match: { path: /api/orders }\n    service: orders\n${lines}`;

    it.each([
      ['legacy', 0],
      ['shadow', 0],
      ['live', 100],
      ['retired', 100],
      ['canary', 0],
    ])('stage %s without percent: %i %%', (stage, percent) => {
      expect(parseConfig(route(`    stage: ${stage}\n`), FILE, ENV).routes[0]).toMatchObject({ stage, percent });
    });

    it('takes the implied percentage written out, and any percentage in canary', () => {
      expect(parseConfig(route('    stage: retired\n    percent: 100\n'), FILE, ENV).routes[0]).toMatchObject({ stage: 'retired', percent: 100 });
      expect(parseConfig(route('    stage: shadow\n    percent: 0\n'), FILE, ENV).routes[0]).toMatchObject({ stage: 'shadow', percent: 0 });
      expect(parseConfig(route('    stage: canary\n    percent: 30\n'), FILE, ENV).routes[0]).toMatchObject({ stage: 'canary', percent: 30 });
    });

    it.each([
      ['legacy', 30, 0, 10],
      ['shadow', 25, 0, 10],
      ['live', 50, 100, 10],
      ['retired', 0, 100, 10],
    ])('refuses stage %s with percent %i, naming the line', (stage, given, implied, line) => {
      expect(messageOf(route(`    stage: ${stage}\n    percent: ${given}\n`))).toBe(
        `strangler.yaml:${line} routes[0].percent: must be ${implied} in stage ${stage}, or left out (outside canary the stage sets the percentage; use stage: canary to send a share to the new service), got ${given}`,
      );
    });

    it('a percentage without a stage is refused too: the stage is legacy', () => {
      expect(messageOf(route('    percent: 25\n'))).toBe(
        'strangler.yaml:9 routes[0].percent: must be 0 in stage legacy, or left out (outside canary the stage sets the percentage; use stage: canary to send a share to the new service), got 25',
      );
    });
  });

  it('rejects percent 12.5', () => {
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    percent: 12.5
`),
    ).toBe('strangler.yaml:9 routes[0].percent: must be an integer from 0 to 100, got 12.5');
  });

  it('rejects an unknown stage', () => {
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    stage: beta
`),
    ).toBe('strangler.yaml:9 routes[0].stage: must be one of legacy, shadow, canary, live, retired, got "beta"');
    // A mistyped stage with a percent: one error, not a second one judging the percent against stage legacy.
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    stage: Canary
    percent: 25
`),
    ).toBe('strangler.yaml:9 routes[0].stage: must be one of legacy, shadow, canary, live, retired, got "Canary"');
  });

  it('rejects an unknown key at the top level', () => {
    expect(messageOf(`${BASE}listn: { port: 8080 }\n`)).toBe(
      'strangler.yaml:5: unknown key "listn" (expected one of: listen, admin, state, flags, upstreams, routes)',
    );
  });

  it('rejects an unknown key in a route', () => {
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    percnt: 5
`),
    ).toBe(
      'strangler.yaml:9 routes[0]: unknown key "percnt" (expected one of: name, match, service, legacy, stage, percent, ' +
        'stickiness, stickyFallback, flag, shadow, fallback, deprecated)',
    );
  });

  it('rejects an unknown key in match (and then misses the path)', () => {
    expect(
      messagesOf(`${BASE}routes:
  - name: orders
    match:
      pth: /api/orders
    service: orders
`),
    ).toEqual([
      'strangler.yaml:8 routes[0].match: unknown key "pth" (expected one of: path, methods, ignoreCase)',
      'strangler.yaml:8 routes[0].match.path: is required (a path prefix such as /api/orders)',
    ]);
  });

  it('rejects unknown keys in upstreams and in flags', () => {
    expect(
      messagesOf(`${BASE}  billing: { url: http://127.0.0.1:5000, timeout: 5 }\nflags: { provider: launchdarkly, sdkKey: x }\n`),
    ).toEqual([
      'strangler.yaml:5 upstreams.billing: unknown key "timeout" (expected one of: url, timeoutMs, connections, preserveHost, shadowPipelining, tls)',
      'strangler.yaml:6 flags: unknown key "sdkKey" (expected one of: provider, url, clientToken, adminToken, environment, project, appName, refreshMs, bootstrap)',
      'strangler.yaml:6 flags.provider: must be one of embedded, unleash, got "launchdarkly"',
    ]);
  });

  it('rejects a path that does not start with "/"', () => {
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: api/orders }
    service: orders
`),
    ).toBe('strangler.yaml:7 routes[0].match.path: must start with "/"');
  });

  it.each([
    ['/api/../admin', 'must not contain "." or ".." segments'],
    ['/api/./orders', 'must not contain "." or ".." segments'],
    ['/api/%2E%2e/admin', 'must not contain "." or ".." segments'],
    ['/api//orders', 'must not contain "//"'],
    ['/api/orders?x=1', 'must not contain "?" or "#" (only the path is matched)'],
    ['"/api/a b"', 'must not contain spaces or control characters'],
  ])('rejects the path %s', (path, message) => {
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match:
      path: ${path}
    service: orders
`),
    ).toBe(`strangler.yaml:8 routes[0].match.path: ${message}`);
  });

  it('rejects bad and duplicate methods', () => {
    expect(
      messagesOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders, methods: [GET, "P UT", get] }
    service: orders
  - name: other
    match: { path: /api/other, methods: [] }
    service: orders
`),
    ).toEqual([
      'strangler.yaml:7 routes[0].match.methods[1]: must be an HTTP method such as GET, got "P UT"',
      'strangler.yaml:10 routes[1].match.methods: must be a non-empty list of HTTP methods such as [GET, HEAD], got an empty list',
    ]);
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders, methods: [GET, get] }
    service: orders
`),
    ).toBe('strangler.yaml:7 routes[0].match.methods[1]: duplicates "GET"');
  });

  it.each([
    ['ip', 'must be random, header:<name>, cookie:<name> or query:<name>, got "ip"'],
    ['"header:"', 'must be header:<name> with a non-empty token as the name (such as x-user-id), got "header:"'],
    ['"cookie:a b"', 'must be cookie:<name> with a non-empty token as the name (such as x-user-id), got "cookie:a b"'],
    ['path:x', 'must be random, header:<name>, cookie:<name> or query:<name>, got "path:x"'],
  ])('rejects the stickiness %s', (value, message) => {
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    stickiness: ${value}
`),
    ).toBe(`strangler.yaml:9 routes[0].stickiness: ${message}`);
  });

  it('rejects a reference to an upstream that is not defined', () => {
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: ordrs
`),
    ).toBe('strangler.yaml:8 routes[0].service: upstream "ordrs" is not defined in upstreams (defined: legacy, orders)');
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    legacy: monolith
`),
    ).toBe('strangler.yaml:9 routes[0].legacy: upstream "monolith" is not defined in upstreams (defined: legacy, orders)');
  });

  it('rejects upstreams without legacy', () => {
    expect(
      messageOf(`admin: { token: abcdefghij }
upstreams:
  orders: { url: http://127.0.0.1:4000 }
`),
    ).toBe('strangler.yaml:3 upstreams: must define "legacy", the upstream that serves the monolith (defined: orders)');
  });

  it('rejects a file without upstreams', () => {
    expect(messageOf('admin: { token: abcdefghij }\n')).toBe(
      'strangler.yaml:1 upstreams: is required (a mapping of upstream names to { url }, with at least legacy)',
    );
  });

  it.each([
    ['http://127.0.0.1:3000/api', 'must be an http:// or https:// origin such as http://127.0.0.1:3000, without path, query or fragment, got "http://127.0.0.1:3000/api"'],
    ['http://127.0.0.1:3000/?a=1', 'must be an http:// or https:// origin such as http://127.0.0.1:3000, without path, query or fragment, got "http://127.0.0.1:3000/?a=1"'],
    ['ftp://files', 'must be an http:// or https:// origin such as http://127.0.0.1:3000, got "ftp://files"'],
    ['http://host:99999', 'must be an http:// or https:// origin such as http://127.0.0.1:3000: port 99999 is not from 1 to 65535, got "http://host:99999"'],
    ['http://[::1]:70000/', 'must be an http:// or https:// origin such as http://127.0.0.1:3000: port 70000 is not from 1 to 65535, got "http://[::1]:70000/"'],
    ['https://svc:0', 'must be an http:// or https:// origin such as http://127.0.0.1:3000: port 0 is not from 1 to 65535, got "https://svc:0"'],
  ])('rejects the upstream url %s', (url, message) => {
    expect(messageOf(`admin: { token: abcdefghij }\nupstreams:\n  legacy: { url: "${url}" }\n`)).toBe(
      `strangler.yaml:3 upstreams.legacy.url: ${message}`,
    );
  });

  it('rejects a missing admin token on the line of the admin mapping', () => {
    expect(
      messageOf(`listen: { port: 8080 }
admin:
  port: 9090
upstreams:
  legacy: { url: http://127.0.0.1:3000 }
`),
    ).toBe('strangler.yaml:3 admin.token: is required (a string of at least 8 characters)');
    expect(messageOf('upstreams:\n  legacy: { url: http://127.0.0.1:3000 }\n')).toBe(
      'strangler.yaml:1 admin.token: is required (a string of at least 8 characters)',
    );
  });

  it('rejects a short token written in the file without echoing it', () => {
    const message = messageOf('admin: { token: hunter2 }\nupstreams: { legacy: { url: http://h } }\n');
    expect(message).toBe('strangler.yaml:1 admin.token: must be at least 8 characters long (got 7 characters)');
    expect(message).not.toContain('hunter2');
  });

  it('rejects a duplicate route name on the second route', () => {
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
  - name: orders
    match: { path: /api/orders2 }
    service: orders
`),
    ).toBe('strangler.yaml:9 routes[1].name: duplicates routes[0].name "orders"');
  });

  it('rejects a duplicate path when the methods overlap, not when they are disjoint', () => {
    expect(
      messagesOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
  - name: orders-read
    match: { path: /api/orders/, methods: [GET] }
    service: orders
  - name: orders-write
    match: { path: /api/orders/x, methods: [POST] }
    service: orders
  - name: orders-write2
    match: { path: /api/orders/x, methods: [PUT, post] }
    service: orders
  - name: orders-delete
    match: { path: /api/orders/x, methods: [DELETE] }
    service: orders
`),
    ).toEqual([
      'strangler.yaml:10 routes[1].match.path: duplicates routes[0].match.path "/api/orders"',
      'strangler.yaml:16 routes[3].match.path: duplicates routes[2].match.path "/api/orders/x"',
    ]);
  });

  it('match.ignoreCase: loaded when true, must be a boolean, and a path differing only in case duplicates an ignoreCase route', () => {
    const loaded = parseConfig(`${BASE}routes:\n  - name: orders\n    match: { path: /API/Orders, ignoreCase: true }\n    service: orders\n`, FILE, ENV);
    expect(loaded.routes[0]!.match).toEqual({ path: '/API/Orders', ignoreCase: true });
    const plain = parseConfig(`${BASE}routes:\n  - name: orders\n    match: { path: /api/orders, ignoreCase: false }\n    service: orders\n`, FILE, ENV);
    expect(plain.routes[0]!.match).toEqual({ path: '/api/orders' });
    expect(
      messagesOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders, ignoreCase: yes please }
    service: orders
  - name: reports
    match: { path: /api/reports, ignoreCase: true }
    service: orders
  - name: reports-upper
    match: { path: /API/Reports }
    service: orders
  - name: users
    match: { path: /api/users }
    service: orders
  - name: users-upper
    match: { path: /API/Users }
    service: orders
`),
    ).toEqual([
      'strangler.yaml:7 routes[0].match.ignoreCase: must be true or false, got "yes please"',
      'strangler.yaml:13 routes[2].match.path: duplicates routes[1].match.path "/API/Reports"',
    ]);
  });

  it('requires a service unless the route is deprecated, and a different one from legacy', () => {
    expect(
      messagesOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
  - name: loop
    match: { path: /loop }
    service: legacy
  - name: gone
    match: { path: /gone }
    stage: canary
    deprecated: { sunset: 2027-02-30T00:00:00Z, since: yesterday, link: "javascript:x" }
`),
    ).toEqual([
      'strangler.yaml:6 routes[0].service: is required unless the route is deprecated (the upstream of the new service)',
      'strangler.yaml:10 routes[1].service: must be a different upstream from legacy',
      'strangler.yaml:13 routes[2].stage: must be legacy or retired for a route without service, got "canary"',
      'strangler.yaml:14 routes[2].deprecated.sunset: must be an ISO-8601 date-time with a timezone, such as 2027-06-01T00:00:00Z, got "2027-02-30T00:00:00Z"',
      'strangler.yaml:14 routes[2].deprecated.since: must be an ISO-8601 date-time with a timezone, such as 2027-06-01T00:00:00Z, got "yesterday"',
      'strangler.yaml:14 routes[2].deprecated.link: must be a path starting with "/" or an http:// or https:// URL, got "javascript:x"',
    ]);
  });

  it('rejects a sunset without a timezone and a deprecated block without sunset', () => {
    expect(
      messagesOf(`${BASE}routes:
  - name: a
    match: { path: /a }
    deprecated: { sunset: 2027-06-01T00:00:00 }
  - name: b
    match: { path: /b }
    deprecated: { link: /c }
`),
    ).toEqual([
      'strangler.yaml:8 routes[0].deprecated.sunset: must be an ISO-8601 date-time with a timezone, such as 2027-06-01T00:00:00Z, got "2027-06-01T00:00:00"',
      'strangler.yaml:11 routes[1].deprecated.sunset: is required (an ISO-8601 date-time with a timezone, such as 2027-06-01T00:00:00Z)',
    ]);
  });

  it('checks deprecated.redirect: a redirect status, with a link to go to; a link without spaces or control characters', () => {
    expect(
      messagesOf(`${BASE}routes:
  - name: a
    match: { path: /a }
    deprecated: { sunset: 2027-06-01T00:00:00Z, link: /v2/a, redirect: 303 }
  - name: b
    match: { path: /b }
    deprecated: { sunset: 2027-06-01T00:00:00Z, redirect: 308 }
  - name: c
    match: { path: /c }
    deprecated: { sunset: 2027-06-01T00:00:00Z, link: "/v2/c\\r\\nset-cookie: x=1", redirect: "308" }
`),
    ).toEqual([
      'strangler.yaml:8 routes[0].deprecated.redirect: must be one of 301, 302, 307, 308 (the redirect to link once the route is retired), got 303',
      'strangler.yaml:11 routes[1].deprecated.redirect: needs link: the path or URL to redirect to',
      'strangler.yaml:14 routes[2].deprecated.link: must not contain spaces or control characters, got "/v2/c\\r\\nset-cookie: x=1"',
      'strangler.yaml:14 routes[2].deprecated.redirect: must be one of 301, 302, 307, 308 (the redirect to link once the route is retired), got "308"',
    ]);
    const config = parseConfig(`${BASE}routes:\n  - name: a\n    match: { path: /a }\n    stage: retired\n    deprecated: { sunset: 2027-06-01T00:00:00Z, link: "https://api.example.com/v2/a", redirect: 301 }\n`, FILE, ENV);
    expect(config.routes[0]?.deprecated).toEqual({ sunset: '2027-06-01T00:00:00Z', link: 'https://api.example.com/v2/a', redirect: 301 });
  });

  it('checks shadow and fallback blocks', () => {
    expect(
      messagesOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    shadow: { sample: 1.5, ignore: [meta.generatedAt], maxBodyBytes: -1 }
    fallback: { on: [timeout, 4xx] }
`),
    ).toEqual([
      'strangler.yaml:9 routes[0].shadow.sample: must be a number from 0 to 1, got 1.5',
      'strangler.yaml:9 routes[0].shadow.ignore[0]: must be a JSON path starting with "$", such as $.meta.generatedAt, got "meta.generatedAt"',
      'strangler.yaml:9 routes[0].shadow.maxBodyBytes: must be an integer from 0 to 104857600, got -1',
      'strangler.yaml:10 routes[0].fallback.on[1]: must be one of connect-error, timeout, 5xx, got "4xx"',
    ]);
  });

  it('rejects JSON paths outside the subset the diff compares by, with their line, as the proxy would at start', () => {
    expect(
      messagesOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    shadow:
      ignore: [$..id, "$.items[*"]
      unordered: ["$.items[?(@.x)]"]
`),
    ).toEqual([
      'strangler.yaml:10 routes[0].shadow.ignore[0]: is not a JSON path strangler compares by: recursive descent ("..") is not supported; write the full path, e.g. $.items[*].id, got "$..id"',
      'strangler.yaml:10 routes[0].shadow.ignore[1]: is not a JSON path strangler compares by: unterminated [ at offset 7, got "$.items[*"',
      'strangler.yaml:11 routes[0].shadow.unordered[0]: is not a JSON path strangler compares by: filter expressions ([?…]) are not supported, got "$.items[?(@.x)]"',
    ]);
  });

  it('rejects a bad route name, flag and state url', () => {
    expect(
      messagesOf(`${BASE}state: { url: "mysql://db" }
routes:
  - name: "-orders"
    match: { path: /api/orders }
    service: orders
    flag: "a flag"
`),
    ).toEqual([
      'strangler.yaml:5 state.url: must be embedded:<folder> or a postgres:// or postgresql:// URL, got "mysql://db"',
      'strangler.yaml:7 routes[0].name: must start with a letter or digit and contain only letters, digits, ".", "_" and "-", got "-orders"',
      'strangler.yaml:10 routes[0].flag: must contain only letters, digits, ".", "_", ":" and "-", got "a flag"',
    ]);
  });

  it('rejects an sslmode libpq does not know, and sslrootcert=system with a weaker mode', () => {
    expect(messageOf(`${BASE}state: { url: "postgres://u:pw@db/s?sslmode=verify_full" }\n`)).toBe(
      'strangler.yaml:5 state.url: sslmode=verify_full is not an sslmode; expected one of disable, allow, prefer, require, verify-ca, verify-full, no-verify, got "postgres://u:***@db/s?sslmode=verify_full"',
    );
    expect(messageOf(`${BASE}state: { url: "postgres://db/s?sslmode=require&sslrootcert=system" }\n`)).toBe(
      'strangler.yaml:5 state.url: sslrootcert=system needs sslmode=verify-full (or no sslmode), not sslmode=require, got "postgres://db/s?sslmode=require&sslrootcert=system"',
    );
  });

  it('rejects the admin port equal to the listen port', () => {
    expect(messageOf(`listen: { port: 8080 }\n${BASE.replace('{ token:', '{ port: 8080, token:')}`)).toBe(
      'strangler.yaml:2 admin.port: must differ from listen.port',
    );
  });

  /** BASE with the orders upstream written as a block, its extra fields from line 6 on. */
  const upstreamWith = (fields: string): string =>
    BASE.replace('  orders: { url: http://127.0.0.1:4000 }\n', `  orders:\n    url: http://127.0.0.1:4000\n${fields}`);

  it.each([
    ['0', 'got 0'],
    ['600001', 'got 600001'],
    ['-5', 'got -5'],
    ['1.5', 'got 1.5'],
    ['"1000"', 'got "1000"'],
    ['30s', 'got "30s"'],
    ['[1000]', 'got a list'],
  ])('rejects an upstream timeoutMs out of range or not an integer: timeoutMs: %s', (value, got) => {
    expect(messageOf(upstreamWith(`    timeoutMs: ${value}\n`))).toBe(
      `strangler.yaml:6 upstreams.orders.timeoutMs: must be an integer from 1 to 600000, ${got}`,
    );
  });

  it.each([
    ['0', 'got 0'],
    ['10001', 'got 10001'],
    ['2.5', 'got 2.5'],
    ['"64"', 'got "64"'],
    ['unlimited', 'got "unlimited"'],
  ])('rejects an upstream connections out of range or not an integer: connections: %s', (value, got) => {
    expect(messageOf(upstreamWith(`    connections: ${value}\n`))).toBe(
      `strangler.yaml:6 upstreams.orders.connections: must be an integer from 1 to 10000, ${got}`,
    );
  });

  it.each([
    ['0', 'got 0'],
    ['129', 'got 129'],
    ['1.5', 'got 1.5'],
    ['"8"', 'got "8"'],
    ['on', 'got "on"'],
  ])('rejects an upstream shadowPipelining out of range or not an integer: shadowPipelining: %s', (value, got) => {
    expect(messageOf(upstreamWith(`    shadowPipelining: ${value}\n`))).toBe(
      `strangler.yaml:6 upstreams.orders.shadowPipelining: must be an integer from 1 to 128, ${got}`,
    );
  });

  it.each([
    ['yes', 'got "yes"'],
    ['"true"', 'got "true"'],
    ['1', 'got 1'],
    ['[true]', 'got a list'],
    ['', 'got null'],
  ])('rejects a preserveHost that is not a boolean: preserveHost: %s', (value, got) => {
    expect(messageOf(upstreamWith(`    preserveHost:${value ? ` ${value}` : ''}\n`))).toBe(
      `strangler.yaml:6 upstreams.orders.preserveHost: must be true or false, ${got}`,
    );
  });

  it('reports each bad upstream field on its own line, in order, and on an inline upstream on its line', () => {
    expect(messagesOf(upstreamWith('    timeoutMs: 0\n    connections: 0\n    preserveHost: no\n'))).toEqual([
      'strangler.yaml:6 upstreams.orders.timeoutMs: must be an integer from 1 to 600000, got 0',
      'strangler.yaml:7 upstreams.orders.connections: must be an integer from 1 to 10000, got 0',
      'strangler.yaml:8 upstreams.orders.preserveHost: must be true or false, got "no"',
    ]);
    expect(messagesOf(`${BASE}  billing: { url: http://127.0.0.1:5000, timeoutMs: 2.5, connections: 10001, preserveHost: "false" }\n`)).toEqual([
      'strangler.yaml:5 upstreams.billing.timeoutMs: must be an integer from 1 to 600000, got 2.5',
      'strangler.yaml:5 upstreams.billing.connections: must be an integer from 1 to 10000, got 10001',
      'strangler.yaml:5 upstreams.billing.preserveHost: must be true or false, got "false"',
    ]);
  });

  it.each([
    ['sticky', 'got "sticky"'],
    ['Legacy', 'got "Legacy"'],
    ['new', 'got "new"'],
    ['true', 'got true'],
    ['[legacy]', 'got a list'],
  ])('rejects a stickyFallback other than random or legacy: stickyFallback: %s', (value, got) => {
    expect(
      messageOf(`${BASE}routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    stickiness: header:x-user-id
    stickyFallback: ${value}
`),
    ).toBe(`strangler.yaml:10 routes[0].stickyFallback: must be one of random, legacy, ${got}`);
  });

  it.each([
    ['drainTimeoutMs', '-1', '0 to 3600000', 'got -1'],
    ['drainTimeoutMs', '3600001', '0 to 3600000', 'got 3600001'],
    ['drainTimeoutMs', '1.5', '0 to 3600000', 'got 1.5'],
    ['drainTimeoutMs', '"5000"', '0 to 3600000', 'got "5000"'],
    ['drainTimeoutMs', '10s', '0 to 3600000', 'got "10s"'],
    ['keepAliveTimeoutMs', '999', '1000 to 3600000', 'got 999'],
    ['keepAliveTimeoutMs', '3600001', '1000 to 3600000', 'got 3600001'],
    ['keepAliveTimeoutMs', '75s', '1000 to 3600000', 'got "75s"'],
    ['shutdownDelayMs', '-1', '0 to 600000', 'got -1'],
    ['shutdownDelayMs', '600001', '0 to 600000', 'got 600001'],
    ['shutdownDelayMs', '5s', '0 to 600000', 'got "5s"'],
    ['sendTimeoutMs', '99', '100 to 3600000', 'got 99'],
    ['sendTimeoutMs', '3600001', '100 to 3600000', 'got 3600001'],
    ['sendTimeoutMs', '60s', '100 to 3600000', 'got "60s"'],
  ])('rejects a listen %s out of range or not an integer: %s', (key, value, range, got) => {
    expect(messageOf(`${BASE}listen:\n  port: 8080\n  ${key}: ${value}\n`)).toBe(`strangler.yaml:7 listen.${key}: must be an integer from ${range}, ${got}`);
  });

  it.each([
    ['[10.0.0.0/33]', '[0]', 'got "10.0.0.0/33"'],
    ['[lb.internal]', '[0]', 'got "lb.internal"'],
    ['[10.0.0.1, "fd00::/129"]', '[1]', 'got "fd00::/129"'],
    ['[10.0.0.0/x]', '[0]', 'got "10.0.0.0/x"'],
  ])('rejects the listen trustedProxies %s', (value, index, got) => {
    expect(messageOf(`${BASE}listen:\n  port: 8080\n  trustedProxies: ${value}\n`)).toBe(
      `strangler.yaml:7 listen.trustedProxies${index}: must be an IP address or a CIDR range such as 10.0.0.0/8 or fd00::/8, ${got}`,
    );
  });

  it('rejects listen trustedProxies that is not a list', () => {
    expect(messageOf(`${BASE}listen:\n  port: 8080\n  trustedProxies: 10.0.0.0/8\n`)).toBe(
      'strangler.yaml:7 listen.trustedProxies: must be a non-empty list of IP addresses or CIDR ranges such as [10.0.0.0/8], got "10.0.0.0/8"',
    );
  });

  it.each([
    ['8080', 'got 8080'],
    ['true', 'got true'],
    ['[127.0.0.1]', 'got a list'],
    ['{}', 'got an empty mapping'],
    ['', 'got null'],
  ])('rejects an admin host that is not a string: host: %s', (value, got) => {
    expect(
      messageOf(`admin:
  token: \${STRANGLER_ADMIN_TOKEN}
  host:${value ? ` ${value}` : ''}
upstreams:
  legacy: { url: http://127.0.0.1:3000 }
`),
    ).toBe(`strangler.yaml:3 admin.host: must be a host name or IP address, ${got}`);
  });

  it.each([['""'], ['"not a host"'], ['"http://127.0.0.1"'], ['"127.0.0.1:9090"']])('rejects a listen or admin host that names no host: %s', (value) => {
    const expected = `must be a host name or IP address such as 127.0.0.1, 0.0.0.0 or ::, got ${value}`;
    expect(messagesOf(`${BASE}listen: { host: ${value} }\n`)).toEqual([`strangler.yaml:5 listen.host: ${expected}`]);
    expect(messagesOf(BASE.replace('admin: {', `admin: { host: ${value},`))).toEqual([`strangler.yaml:1 admin.host: ${expected}`]);
  });

  it.each([['127.0.0.1'], ['0.0.0.0'], ['"::"'], ['"::1"'], ['localhost'], ['proxy.internal']])('accepts the listen host %s', (value) => {
    expect(parseConfig(`${BASE}listen: { host: ${value} }\n`, FILE, ENV).listen.host).toBe(value.replace(/"/g, ''));
  });

  it('rejects wrong shapes', () => {
    expect(messagesOf(`${BASE}listen: [8080]\nroutes: { name: x }\n`)).toEqual([
      'strangler.yaml:5 listen: must be a mapping, got a list',
      'strangler.yaml:6 routes: must be a list of routes, got a mapping',
    ]);
    expect(messageOf(`${BASE}listen:\n`)).toBe('strangler.yaml:5 listen: must be a mapping, got null');
    expect(messageOf('- listen\n')).toBe('strangler.yaml:1: must be a mapping, got a list');
  });

  it('rejects an empty file', () => {
    expect(messageOf('')).toBe('strangler.yaml: the file is empty (expected a mapping with at least admin and upstreams)');
    expect(messageOf('# nothing yet\n')).toBe(
      'strangler.yaml: the file is empty (expected a mapping with at least admin and upstreams)',
    );
  });
});

describe('parseConfig: YAML problems', () => {
  it('reports a syntax error with its line, and nothing else', () => {
    // The bad percent is not reported: nothing is checked while the YAML itself is broken.
    expect(messageOf(`${BASE}routes:\n  - name: orders\n    service: orders: x\n    percent: 1000\n`)).toBe(
      'strangler.yaml:7: invalid YAML: Nested mappings are not allowed in compact mappings',
    );
    expect(messageOf(`${BASE}listen:\n\tport: 8080\n`)).toBe('strangler.yaml:6: invalid YAML: Tabs are not allowed as indentation');
    expect(messageOf(`admin:\n  token: abcdefghij\n bad: indent\n`)).toBe(
      'strangler.yaml:3: invalid YAML: All mapping items must start at the same column',
    );
  });

  it('says how to fix a JSON path whose brackets end a [ ] list', () => {
    const shadow = (ignore: string): string => `${BASE}routes:\n  - name: orders\n    match: { path: /api/orders }\n    service: orders\n    shadow: { ignore: ${ignore} }\n`;
    expect(messageOf(shadow('[$.meta.generatedAt, $.items[*].etag]'))).toBe(
      'strangler.yaml:9: invalid YAML: Missing , or : between flow sequence items (JSON paths with [ ] inside a [ ] list must be quoted, such as "$.items[*].etag")',
    );
    expect(messageOf(shadow('[$.items[0]]'))).toMatch(/\(JSON paths with \[ \] inside a \[ \] list must be quoted, such as "\$\.items\[0\]"\)$/);
    expect(parseConfig(shadow('[$.meta.generatedAt, "$.items[*].etag"]'), FILE, ENV).routes[0]!.shadow!.ignore).toHaveLength(2);
    // Other syntax errors get no such hint.
    expect(messageOf(`${BASE}listen:\n\tport: 8080\n`)).not.toMatch(/quoted/);
  });

  it('reports a duplicate key on its second occurrence', () => {
    expect(
      messageOf(`admin:
  token: abcdefghij
  port: 9090
  port: 9091
upstreams: { legacy: { url: http://h } }
`),
    ).toBe('strangler.yaml:4 admin.port: duplicate key (first defined on line 3)');
  });

  it('reports an unresolved tag and a second document', () => {
    expect(messageOf(`${BASE}listen: { host: !foo x }\n`)).toBe('strangler.yaml:5: invalid YAML: Unresolved tag: !foo');
    expect(messageOf(`${BASE}---\nlisten: {}\n`)).toBe('strangler.yaml:5: invalid YAML: only one YAML document is allowed (remove the --- on line 5)');
    expect(messageOf(`${BASE}...\nlisten: {}\n`)).toBe('strangler.yaml:6: invalid YAML: only one YAML document is allowed (a second one starts on line 6)');
  });

  it('survives odd YAML: a recursive alias, a non-scalar key, a bare scalar', () => {
    expect(messagesOf(`${BASE}listen: &l { host: *l }\n`)).toEqual(['strangler.yaml:5 listen.host: alias *l cannot be resolved']);
    expect(messagesOf(`${BASE}? [a, b]\n: 1\n`)).toEqual(['strangler.yaml:5: keys must be plain words']);
    expect(messageOf('just text\n')).toBe('strangler.yaml:1: must be a mapping, got "just text"');
  });

  it('follows anchors and aliases', () => {
    const config = parseConfig(
      `${BASE}routes:
  - name: a
    match: { path: /a }
    service: orders
    fallback: &fb { on: [5xx] }
  - name: b
    match: { path: /b }
    service: orders
    fallback: *fb
`,
      FILE,
      ENV,
    );
    expect(config.routes[1]?.fallback).toEqual({ on: ['5xx'], methods: ['GET', 'HEAD'] });
  });
});

describe('parseConfig: environment variables', () => {
  it('reports an unset variable on the line that uses it', () => {
    expect(
      messageOf(`listen: { port: 8080 }
upstreams:
  legacy: { url: http://127.0.0.1:3000 }
admin:
  host: 127.0.0.1
  port: 9090
  token: \${STRANGLER_ADMIN_TOKEN}
`, {}),
    ).toBe('strangler.yaml:7 admin.token: environment variable STRANGLER_ADMIN_TOKEN is not set');
  });

  it('uses ${VAR:-default} when the variable is unset or empty, and the variable when set', () => {
    const text = `${BASE}listen: { host: "\${HOST:-127.0.0.1}", port: \${PORT:-8081} }\n`;
    expect(parseConfig(text, FILE, ENV).listen).toMatchObject({ host: '127.0.0.1', port: 8081 });
    expect(parseConfig(text, FILE, { ...ENV, HOST: '', PORT: '' }).listen).toMatchObject({ host: '127.0.0.1', port: 8081 });
    expect(parseConfig(text, FILE, { ...ENV, HOST: '::1', PORT: '7000' }).listen).toMatchObject({ host: '::1', port: 7000 });
  });

  it('substitutes inside a longer value, in flow and block style, but not in keys', () => {
    const config = parseConfig(
      `admin:
  token: "\${STRANGLER_ADMIN_TOKEN}"
upstreams:
  legacy: { url: "http://\${LEGACY_HOST}:\${LEGACY_PORT}" }
  orders:
    url: http://\${ORDERS_HOST:-127.0.0.1}:4000
`,
      FILE,
      { ...ENV, LEGACY_HOST: 'monolith.internal', LEGACY_PORT: '3000' },
    );
    expect(config.upstreams.legacy?.url).toBe('http://monolith.internal:3000');
    expect(config.upstreams.orders?.url).toBe('http://127.0.0.1:4000');
    expect(messageOf(`${BASE}\${X}: 1\n`, { ...ENV, X: 'listen' })).toBe(
      'strangler.yaml:5: unknown key "${X}" (expected one of: listen, admin, state, flags, upstreams, routes)',
    );
  });

  it('keeps $${ as a literal ${', () => {
    const r = route(`routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    shadow: { ignore: ["$['$\${NOT_A_VAR}'].id", "$['$$\${X}']"] }
`);
    expect(r.shadow?.ignore).toEqual(["$['${NOT_A_VAR}'].id", "$['$${X}']"]);
    expect(parseConfig(`admin: { token: tok3n-$\${b} }\nupstreams:\n  legacy: { url: http://127.0.0.1:3000 }\n`, FILE, ENV).admin.token).toBe('tok3n-${b}');
  });

  it('reports malformed references', () => {
    expect(messagesOf(`${BASE}listen: { host: "\${1X}" }\nstate: { url: "embedded:\${DIR" }\n`)).toEqual([
      'strangler.yaml:5 listen.host: invalid environment reference "${1X}" (expected ${NAME} or ${NAME:-default})',
      'strangler.yaml:6 state.url: unterminated "${" (write "$${" for a literal "${")',
    ]);
  });

  it('coerces numbers and booleans that come from the environment', () => {
    const config = parseConfig(
      `${BASE.replace('orders: { url: http://127.0.0.1:4000 }', 'orders: { url: http://127.0.0.1:4000, preserveHost: ${KEEP_HOST}, timeoutMs: ${TIMEOUT} }')}listen: { port: \${PORT} }
routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    stage: canary
    percent: \${ORDERS_PERCENT}
    shadow: { sample: \${SAMPLE} }
`,
      FILE,
      { ...ENV, PORT: '8088', ORDERS_PERCENT: '40', SAMPLE: '0.25', KEEP_HOST: 'true', TIMEOUT: ' 1500 ' },
    );
    expect(config.listen.port).toBe(8088);
    expect(config.routes[0]).toMatchObject({ percent: 40, shadow: { sample: 0.25 } });
    expect(config.upstreams.orders).toMatchObject({ preserveHost: true, timeoutMs: 1500 });
  });

  it('rejects env values that do not parse, without echoing them', () => {
    const secretish = 'abc-not-a-number';
    const lines = messagesOf(
      `${BASE}listen: { port: \${PORT} }
routes:
  - name: orders
    match: { path: /api/orders }
    service: orders
    percent: \${PERCENT}
    stage: \${STAGE}
    stickiness: \${STICKY}
`,
      { ...ENV, PORT: secretish, PERCENT: '12.5', STAGE: 'beta-secret', STICKY: 'ip-secret' },
    );
    expect(lines).toEqual([
      'strangler.yaml:5 listen.port: must be an integer from 0 to 65535 (value from environment variable PORT)',
      'strangler.yaml:10 routes[0].percent: must be an integer from 0 to 100 (value from environment variable PERCENT)',
      'strangler.yaml:11 routes[0].stage: must be one of legacy, shadow, canary, live, retired (value from environment variable STAGE)',
      'strangler.yaml:12 routes[0].stickiness: must be random, header:<name>, cookie:<name> or query:<name> (value from environment variable STICKY)',
    ]);
    expect(lines.join('\n')).not.toMatch(/abc-not|12\.5|beta-secret|ip-secret/);
  });

  it('never puts an env-provided secret in a message', () => {
    const secret = 'S3cr!t';
    const text = `admin: { token: \${STRANGLER_ADMIN_TOKEN} }
upstreams:
  legacy: { url: "http://user:\${LEGACY_PASSWORD}@127.0.0.1:3000/api" }
  orders: { url: http://127.0.0.1:4000 }
routes:
  - name: orders
    match: { path: /api/orders }
    service: \${SERVICE}
`;
    const lines = messagesOf(text, { STRANGLER_ADMIN_TOKEN: secret, LEGACY_PASSWORD: secret, SERVICE: secret });
    expect(lines).toEqual([
      'strangler.yaml:1 admin.token: must be at least 8 characters long (value from environment variable STRANGLER_ADMIN_TOKEN)',
      "strangler.yaml:3 upstreams.legacy.url: must not contain credentials (user:password@): the proxy would not send them (it forwards each client's own Authorization header)",
      'strangler.yaml:8 routes[0].service: upstream (value from environment variable SERVICE) is not defined in upstreams (defined: legacy, orders)',
    ]);
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('masks a password written in a URL when echoing it', () => {
    const message = messageOf(`${BASE}state: { url: "mysql://root:pa55word@db/x" }\n`);
    expect(message).toBe(
      'strangler.yaml:5 state.url: must be embedded:<folder> or a postgres:// or postgresql:// URL, got "mysql://root:***@db/x"',
    );
  });

  it('interpolate() resolves references on its own', () => {
    expect(interpolate('${A}-${B:-b}-$${C}-$D', { A: 'a' })).toEqual({ ok: true, value: 'a-b-${C}-$D', vars: ['A', 'B'], defaulted: false });
    expect(interpolate('${A}${A}', { A: 'x' })).toEqual({ ok: true, value: 'xx', vars: ['A'], defaulted: false });
    expect(interpolate('${A}', {})).toEqual({ ok: false, message: 'environment variable A is not set' });
    expect(interpolate('${A:-}', {})).toEqual({ ok: true, value: '', vars: ['A'], defaulted: true });
    expect(interpolate('x${A:-a}${B:-b}', { B: '' })).toEqual({ ok: true, value: 'xab', vars: ['A', 'B'], defaulted: true });
  });
});

describe('parseConfig: every issue at once', () => {
  it('reports all problems in line order, not just the first', () => {
    const error = (() => {
      try {
        parseConfig(
          `listen: { port: "8080" }
admin: { port: 9090 }
upstreams:
  legacy: { url: http://127.0.0.1:3000 }
  orders: { url: http://127.0.0.1:4000 }
routes:
  - name: orders
    match: { pth: /api/orders }
    service: ordrs
    stage: beta
    percent: 101
  - name: orders
    match: { path: api/reports }
    service: orders
    stickiness: \${STICKY}
`,
          FILE,
          {},
        );
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues).toEqual([
      { file: FILE, line: 1, path: 'listen.port', message: 'must be an integer from 0 to 65535, got "8080"' },
      { file: FILE, line: 2, path: 'admin.token', message: 'is required (a string of at least 8 characters)' },
      { file: FILE, line: 8, path: 'routes[0].match', message: 'unknown key "pth" (expected one of: path, methods, ignoreCase)' },
      { file: FILE, line: 8, path: 'routes[0].match.path', message: 'is required (a path prefix such as /api/orders)' },
      {
        file: FILE,
        line: 9,
        path: 'routes[0].service',
        message: 'upstream "ordrs" is not defined in upstreams (defined: legacy, orders)',
      },
      {
        file: FILE,
        line: 10,
        path: 'routes[0].stage',
        message: 'must be one of legacy, shadow, canary, live, retired, got "beta"',
      },
      { file: FILE, line: 11, path: 'routes[0].percent', message: 'must be an integer from 0 to 100, got 101' },
      { file: FILE, line: 12, path: 'routes[1].name', message: 'duplicates routes[0].name "orders"' },
      { file: FILE, line: 13, path: 'routes[1].match.path', message: 'must start with "/"' },
      { file: FILE, line: 15, path: 'routes[1].stickiness', message: 'environment variable STICKY is not set' },
    ]);
    expect(error.message.split('\n')[0]).toBe('strangler.yaml:1 listen.port: must be an integer from 0 to 65535, got "8080"');
  });
});

describe('loadConfig and validateConfigFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'strangler-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a file, naming it as given in the config and in messages', () => {
    const file = join(dir, 'strangler.yaml');
    writeFileSync(file, DESIGN_EXAMPLE);
    const config = loadConfig(file, ENV);
    expect(config.file).toBe(file);
    expect(config.routes.map((r) => r.name)).toEqual(['orders', 'reports-v1']);
    expect(validateConfigFile(file, ENV)).toEqual({ ok: true, config });
    expect(validateConfigFile(file, {})).toEqual({
      ok: false,
      issues: [{ file, line: 2, path: 'admin.token', message: 'environment variable STRANGLER_ADMIN_TOKEN is not set' }],
    });
  });

  it('turns a missing file into a one-line ConfigError', () => {
    const file = join(dir, 'missing.yaml');
    expect(() => loadConfig(file, ENV)).toThrow(ConfigError);
    expect(() => loadConfig(file, ENV)).toThrow(`${file}: cannot read file: ENOENT: no such file or directory`);
    expect(validateConfigFile(file, ENV)).toEqual({
      ok: false,
      issues: [{ file, path: '', message: 'cannot read file: ENOENT: no such file or directory' }],
    });
  });

  it('reads process.env when no env is given', () => {
    const file = join(dir, 'env.yaml');
    writeFileSync(file, BASE.replace('STRANGLER_ADMIN_TOKEN', 'STRANGLER_CONFIG_TEST_TOKEN'));
    process.env.STRANGLER_CONFIG_TEST_TOKEN = 'from-process-env';
    try {
      expect(loadConfig(file).admin.token).toBe('from-process-env');
    } finally {
      delete process.env.STRANGLER_CONFIG_TEST_TOKEN;
    }
  });
});

describe('redactConfig', () => {
  it('hides the admin token and URL passwords in a copy, leaving the config untouched', () => {
    const config = parseConfig(`${BASE}state: { url: "postgres://app:pgsecret@db:5432/strangler" }\n`, FILE, ENV);
    // strangler.yaml refuses credentials in an upstream url; a config built in code can still hold them.
    config.upstreams.billing = { ...config.upstreams.legacy!, name: 'billing', url: 'http://svc:hunter22@127.0.0.1:5000' };
    const redacted = redactConfig(config) as StranglerConfig;
    const printed = JSON.stringify(redacted);
    expect(redacted.admin.token).toBe('***');
    expect(redacted.upstreams.billing?.url).toBe('http://svc:***@127.0.0.1:5000');
    expect(redacted.upstreams.legacy?.url).toBe('http://127.0.0.1:3000');
    expect(redacted.state.url).toBe('postgres://app:***@db:5432/strangler');
    expect(printed).not.toContain(TOKEN);
    expect(printed).not.toContain('hunter22');
    expect(printed).not.toContain('pgsecret');
    expect(config.admin.token).toBe(TOKEN);
    expect(config.upstreams.billing?.url).toBe('http://svc:hunter22@127.0.0.1:5000');
  });

  it('redactUrl leaves URLs without a password alone', () => {
    expect(redactUrl('http://user@h:1/x')).toBe('http://user@h:1/x');
    expect(redactUrl('embedded:./.strangler')).toBe('embedded:./.strangler');
    expect(redactUrl('http://a:b@c@d/e@f')).toBe('http://a:***@d/e@f');
  });

  it('redactUrl masks secrets in the query string too (pg reads password= from it)', () => {
    expect(redactUrl('postgres://strangler@db/strangler?password=hunter2')).toBe('postgres://strangler@db/strangler?password=***');
    expect(redactUrl('postgres://u:p@db/s?sslmode=require&sslpassword=x&sslkey=/k.pem#f')).toBe('postgres://u:***@db/s?sslmode=require&sslpassword=***&sslkey=/k.pem#f');
    expect(redactUrl('https://unleash/api?token=abc&api_key=def&apiKey=ghi&page=2')).toBe('https://unleash/api?token=***&api_key=***&apiKey=***&page=2');
    expect(redactUrl('http://h/x?q=password')).toBe('http://h/x?q=password');
  });
});

describe('validateConfigText', () => {
  it('returns the config or the issues without throwing', () => {
    expect(validateConfigText(BASE, FILE, ENV)).toMatchObject({ ok: true, config: { file: FILE } });
    expect(validateConfigText('listen: 1\n', FILE, ENV)).toMatchObject({ ok: false });
  });
});

describe('flags: provider unleash', () => {
  const UNLEASH_ENV = { ...ENV, UNLEASH_CLIENT_TOKEN: 'default:development.client-secret-1', UNLEASH_ADMIN_TOKEN: '*:*.admin-secret-22' };
  const flags = (body: string): string => `${BASE}flags:\n${body}`;
  const MISSING_AND_BAD = [
    'strangler.yaml:6 flags.url: is required (the Unleash base URL, such as http://127.0.0.1:4242)',
    'strangler.yaml:6 flags.clientToken: is required (an Unleash client token, e.g. ${UNLEASH_CLIENT_TOKEN})',
    'strangler.yaml:7 flags.refreshMs: must be an integer from 100 to 3600000, got 10',
    'strangler.yaml:8 flags.project: must contain only letters, digits, ".", "_", ":" and "-", got "a b"',
  ];

  it('loads with defaults, dropping a trailing /api from the URL', () => {
    const config = parseConfig(flags('  provider: unleash\n  url: http://127.0.0.1:4242/api/\n  clientToken: ${UNLEASH_CLIENT_TOKEN}\n'), FILE, UNLEASH_ENV);
    expect(config.flags).toEqual({
      provider: 'unleash',
      url: 'http://127.0.0.1:4242',
      clientToken: 'default:development.client-secret-1',
      environment: 'development',
      project: 'default',
      appName: 'strangler',
      refreshMs: 15000,
    });
  });

  it('takes every field, and redactConfig masks both tokens', () => {
    const folder = mkdtempSync(join(tmpdir(), 'strangler-bootstrap-'));
    writeFileSync(join(folder, 'flags.json'), '{"version": 2, "features": []}');
    const config = parseConfig(
      flags(
        [
          '  provider: unleash',
          '  url: https://unleash.example.com',
          '  clientToken: ${UNLEASH_CLIENT_TOKEN}',
          '  adminToken: ${UNLEASH_ADMIN_TOKEN}',
          '  environment: production',
          '  project: migration',
          '  appName: edge-proxy',
          '  refreshMs: 5000',
          '  bootstrap: ./flags.json',
          '',
        ].join('\n'),
      ),
      join(folder, 'strangler.yaml'),
      // A client token for the environment read (another one is refused).
      { ...UNLEASH_ENV, UNLEASH_CLIENT_TOKEN: 'migration:production.client-secret-1' },
    );
    expect(config.flags).toMatchObject({ adminToken: '*:*.admin-secret-22', environment: 'production', project: 'migration', appName: 'edge-proxy', refreshMs: 5000, bootstrap: './flags.json' });
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toContain('client-secret-1');
    expect(printed).not.toContain('admin-secret-22');
    expect(printed).toContain('"clientToken":"***"');
    rmSync(folder, { recursive: true, force: true });
  });

  it('with Unleash: a bootstrap file that is not there, a flag name Unleash refuses, and two routes on one flag are named with their line', () => {
    const routes = ['routes:', '  - { name: orders, match: { path: /api/orders }, service: orders }', '  - { name: orders-v2, match: { path: /api/v2/orders }, service: orders, flag: strangler.orders }', '  - { name: team, match: { path: /team }, service: orders, flag: "team:orders" }', ''].join('\n');
    const text = `${BASE}flags:\n  provider: unleash\n  url: http://127.0.0.1:4242\n  clientToken: \${UNLEASH_CLIENT_TOKEN}\n  bootstrap: ./missing.json\n${routes}`;
    const messages = messagesOf(text, UNLEASH_ENV);
    expect(messages).toEqual([
      expect.stringMatching(/^strangler\.yaml:9 flags\.bootstrap: \/.*\/missing\.json: no such file$/),
      'strangler.yaml:12 routes[1].flag: uses flag "strangler.orders" as routes[0] does: with Unleash each route needs its own flag (set flag: to tell them apart)',
      'strangler.yaml:13 routes[2].flag: must contain only letters, digits, ".", "_" and "-" (Unleash refuses other names), got "team:orders"',
    ]);
    // A file that is there but not a bootstrap file is refused as the proxy would refuse it at start.
    const folder = mkdtempSync(join(tmpdir(), 'strangler-bootstrap-'));
    try {
      writeFileSync(join(folder, 'bad.json'), 'not json');
      writeFileSync(join(folder, 'wrong.json'), '{"toggles": []}');
      const checked = (name: string): string[] => messagesOf(text.replace('./missing.json', join(folder, name)).replace(/^routes:[\s\S]*$/m, ''), UNLEASH_ENV).map((m) => m.replace(folder, 'DIR'));
      expect(checked('bad.json')[0]).toMatch(/^strangler\.yaml:9 flags\.bootstrap: DIR\/bad\.json: not JSON \(/);
      expect(checked('wrong.json')[0]).toBe(`strangler.yaml:9 flags.bootstrap: DIR/wrong.json: expected Unleash's client features format {"version": 2, "features": [{"name", "enabled", "strategies"}]}`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    // A problem in the flags block itself does not hide the routes' problems.
    const both = messagesOf(text.replace('  bootstrap: ./missing.json\n', '  bootstrap: ./missing.json\n  bogus: 1\n'), UNLEASH_ENV);
    expect(both.filter((m) => m.includes('routes['))).toHaveLength(2);
    expect(both.some((m) => m.includes('unknown key "bogus"'))).toBe(true);
    // The embedded store keeps state per route: there a shared flag only buckets users alike, and ":" is fine.
    expect(() => parseConfig(`${BASE}${routes}`, FILE, ENV)).not.toThrow();
  });

  it('reports missing url and clientToken on the flags line, and bad values at theirs', () => {
    expect(messagesOf(flags('  provider: unleash\n  refreshMs: 10\n  project: "a b"\n'), UNLEASH_ENV)).toEqual(MISSING_AND_BAD);
  });

  it('adminToken is optional: ${UNLEASH_ADMIN_TOKEN:-} with the variable unset or empty is none; an empty one written in the file is refused', () => {
    const text = flags('  provider: unleash\n  url: http://127.0.0.1:4242\n  clientToken: ${UNLEASH_CLIENT_TOKEN}\n  adminToken: ${UNLEASH_ADMIN_TOKEN:-}\n');
    const { UNLEASH_ADMIN_TOKEN: _set, ...unset } = UNLEASH_ENV;
    for (const env of [unset, { ...UNLEASH_ENV, UNLEASH_ADMIN_TOKEN: '' }]) expect(parseConfig(text, FILE, env).flags).not.toHaveProperty('adminToken');
    expect((parseConfig(text, FILE, UNLEASH_ENV).flags as { adminToken?: string }).adminToken).toBe(UNLEASH_ENV['UNLEASH_ADMIN_TOKEN']);
    expect(messagesOf(text.replace('${UNLEASH_ADMIN_TOKEN:-}', '""'), UNLEASH_ENV)).toEqual(['strangler.yaml:9 flags.adminToken: must be at least 8 characters long (got 0 characters)']);
  });

  it('never echoes a token, even a too-short one written in the file', () => {
    const messages = messagesOf(flags('  provider: unleash\n  url: ftp://x\n  clientToken: abc\n  adminToken: ${UNLEASH_SHORT}\n'), { ...UNLEASH_ENV, UNLEASH_SHORT: 'tiny' });
    expect(messages).toEqual([
      'strangler.yaml:7 flags.url: must be an http:// or https:// URL such as http://127.0.0.1:4242, got "ftp://x"',
      'strangler.yaml:8 flags.clientToken: must be at least 8 characters long (got 3 characters)',
      'strangler.yaml:9 flags.adminToken: must be at least 8 characters long (value from environment variable UNLEASH_SHORT)',
    ]);
    expect(messages.join('\n')).not.toMatch(/abc|tiny/);
  });

  it('Unleash settings with the embedded provider are a mistake, named at their line', () => {
    expect(messagesOf(flags('  provider: embedded\n  url: http://127.0.0.1:4242\n'))).toEqual([
      'strangler.yaml:7 flags.url: applies only with provider: unleash',
    ]);
  });
});

describe('shadow comparison settings', () => {
  const route = (shadow: string): string => `${BASE}routes:\n  - name: orders\n    match: { path: /api/orders }\n    service: orders\n    shadow: ${shadow}\n`;

  it('reads every setting', () => {
    const config = parseConfig(
      route('{ sample: 0.5, maxInFlight: 8, maxDecodedBytes: 4194304, noiseSample: 0.25, noiseThresholds: { relative: 0.5, absolute: 10 }, unordered: [$.items], mapKeys: [$.byRegion, "$.users[*].scores"], numericTolerance: 0.01, timestampToleranceMs: 1000, headers: [Content-Type, ETag], onCanary: true }'),
      FILE,
      ENV,
    );
    expect(config.routes[0]!.shadow).toEqual({
      sample: 0.5,
      methods: ['GET', 'HEAD'],
      ignore: [],
      maxBodyBytes: 1048576,
      maxDecodedBytes: 4194304,
      maxInFlight: 8,
      noiseSample: 0.25,
      noiseThresholds: { relative: 0.5, absolute: 10 },
      unordered: ['$.items'],
      mapKeys: ['$.byRegion', '$.users[*].scores'],
      numericTolerance: 0.01,
      timestampToleranceMs: 1000,
      headers: ['content-type', 'etag'],
      onCanary: true,
    });
    expect(parseConfig(route('{ unordered: true }'), FILE, ENV).routes[0]!.shadow!.unordered).toBe(true);
    expect(parseConfig(route('{ noiseThresholds: { absolute: 1 } }'), FILE, ENV).routes[0]!.shadow!.noiseThresholds).toEqual({ relative: 0.2, absolute: 1 });
  });

  it('noiseThresholds: a share and a count, each named when wrong', () => {
    expect(messagesOf(route('{ noiseThresholds: { relative: 20, absolute: 2.5 } }'))).toEqual([
      'strangler.yaml:9 routes[0].shadow.noiseThresholds.relative: must be a number from 0 to 1, got 20',
      'strangler.yaml:9 routes[0].shadow.noiseThresholds.absolute: must be an integer from 0 to 1000000, got 2.5',
    ]);
    expect(messagesOf(route('{ noiseThresholds: { share: 0.5 } }'))).toEqual([
      'strangler.yaml:9 routes[0].shadow.noiseThresholds: unknown key "share" (expected one of: relative, absolute)',
    ]);
    expect(messagesOf(route('{ noiseThresholds: 0.2 }'))).toEqual([expect.stringMatching(/^strangler\.yaml:9 routes\[0\]\.shadow\.noiseThresholds: must be a mapping/)]);
  });

  it('mapKeys: JSON paths of the subset ignore takes (a reported $.scores.* among them), each bad one named at its line', () => {
    expect(parseConfig(route('{ mapKeys: [$.scores, "$.users[*].byRegion", "$[\'名前\'].x"], ignore: [$.scores.*] }'), FILE, ENV).routes[0]!.shadow).toMatchObject({
      mapKeys: ['$.scores', '$.users[*].byRegion', "$['名前'].x"],
      ignore: ['$.scores.*'],
    });
    expect(messagesOf(route('{ mapKeys: [$..scores, scores] }'))).toEqual([
      'strangler.yaml:9 routes[0].shadow.mapKeys[0]: is not a JSON path strangler compares by: recursive descent ("..") is not supported; write the full path, e.g. $.items[*].id, got "$..scores"',
      'strangler.yaml:9 routes[0].shadow.mapKeys[1]: must be a JSON path starting with "$", such as $.meta.generatedAt, got "scores"',
    ]);
    expect(messagesOf(route('{ mapKeys: $.scores }'))).toEqual([
      'strangler.yaml:9 routes[0].shadow.mapKeys: must be a non-empty list of JSON paths of objects such as [$.byRegion], got "$.scores"',
    ]);
  });

  it('names each bad setting with what was expected', () => {
    expect(messagesOf(route('{ maxInFlight: 0, maxDecodedBytes: 16MiB, noiseSample: 2, unordered: maybe, numericTolerance: -1, headers: ["bad header"], onCanary: 1 }'))).toEqual([
      'strangler.yaml:9 routes[0].shadow.maxDecodedBytes: must be an integer from 1024 to 268435456, got "16MiB"',
      'strangler.yaml:9 routes[0].shadow.maxInFlight: must be an integer from 1 to 100000, got 0',
      'strangler.yaml:9 routes[0].shadow.noiseSample: must be a number from 0 to 1, got 2',
      'strangler.yaml:9 routes[0].shadow.unordered: must be true, false, or a list of JSON paths such as [$.items], got "maybe"',
      'strangler.yaml:9 routes[0].shadow.numericTolerance: must be a number from 0 to 9007199254740991, got -1',
      'strangler.yaml:9 routes[0].shadow.headers[0]: must be a header name, got "bad header"',
      'strangler.yaml:9 routes[0].shadow.onCanary: must be true or false, got 1',
    ]);
  });
});

describe('input no HTTP client could send, or that would be dropped', () => {
  const withToken = (token: string): string => BASE.replace('${STRANGLER_ADMIN_TOKEN}', JSON.stringify(token));
  const RULE = 'must contain only visible ASCII characters, without spaces (it is sent in an HTTP header)';

  it('refuses a token with characters outside visible ASCII, saying where but never what', () => {
    expect(messageOf(withToken('токен-секрет-12345'))).toBe(`strangler.yaml:1 admin.token: ${RULE}: character 1 is not`);
    expect(messageOf(withToken('abcdefgh\u0001zz'))).toBe(`strangler.yaml:1 admin.token: ${RULE}: character 9 is not`);
    expect(messageOf(withToken('abcdefgh 12345'))).toBe(`strangler.yaml:1 admin.token: ${RULE}: character 9 is not`);
    const fromEnv = messageOf(BASE, { STRANGLER_ADMIN_TOKEN: 'secret\ttoken-value' });
    expect(fromEnv).toBe(`strangler.yaml:1 admin.token: ${RULE}: character 7 is not (value from environment variable STRANGLER_ADMIN_TOKEN)`);
    // Every visible ASCII character is fine, punctuation included.
    expect(parseConfig(withToken('a!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~z'), FILE, ENV).admin.token).toBe('a!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~z');
  });

  it('refuses Unleash tokens the same way: they go in the Authorization header', () => {
    const unleash = `${BASE}flags: { provider: unleash, url: "http://127.0.0.1:4242", clientToken: "default:development.sécret", adminToken: "*:*.admin secret" }\n`;
    expect(messagesOf(unleash)).toEqual([
      `strangler.yaml:5 flags.clientToken: ${RULE}: character 22 is not`,
      `strangler.yaml:5 flags.adminToken: ${RULE}: character 10 is not`,
    ]);
  });

  it('refuses credentials in an upstream url (forwarding uses the origin alone), never echoing them', () => {
    const upstream = (url: string): string => BASE.replace('http://127.0.0.1:3000', url);
    const refused = "must not contain credentials (user:password@): the proxy would not send them (it forwards each client's own Authorization header)";
    expect(messageOf(upstream('http://alice:s3cretpw@127.0.0.1:3000'))).toBe(`strangler.yaml:3 upstreams.legacy.url: ${refused}`);
    // A bare user info is often a token.
    expect(messageOf(upstream('https://ghp_tokenvalue@127.0.0.1:3000'))).toBe(`strangler.yaml:3 upstreams.legacy.url: ${refused}`);
    // An "@" after the authority is no user info.
    expect(messageOf(upstream('http://127.0.0.1:3000/@x'))).toMatch(/without path, query or fragment, got "http:\/\/127\.0\.0\.1:3000\/@x"$/);
  });
});

describe('input that would hang, flood or garble the output', () => {
  it('stops an alias bomb at once, with one line', () => {
    const levels = ['a: &a [x,x,x,x,x,x,x,x,x,x]'];
    for (let i = 1; i <= 9; i += 1) levels.push(`b${i}: &b${i} [${Array(10).fill(i === 1 ? '*a' : `*b${i - 1}`).join(',')}]`);
    const text = `${levels.join('\n')}\nadmin: { token: *b9 }\nupstreams: { legacy: { url: "http://127.0.0.1:1" } }\n`;
    const started = Date.now();
    expect(messageOf(text)).toBe('strangler.yaml:5: invalid YAML: aliases expand to more than 100000 values (write the values out, or alias less)');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('still expands aliases used as they are meant: one shadow block for a thousand routes', () => {
    const routes = Array.from({ length: 1000 }, (_, i) => `  - { name: r${i}, match: { path: /r${i} }, service: orders, shadow: ${i === 0 ? '&shadow ' : '*shadow'}${i === 0 ? '{ sample: 0.5, ignore: [$.a, $.b, $.c], headers: [content-type, etag] }' : ''} }`);
    const config = parseConfig(`${BASE}routes:\n${routes.join('\n')}\n`, FILE, ENV);
    expect(config.routes).toHaveLength(1000);
    expect(config.routes[999]?.shadow).toMatchObject({ sample: 0.5, ignore: ['$.a', '$.b', '$.c'], headers: ['content-type', 'etag'] });
  });

  it('quotes at most 80 characters of a rejected value, with its length', () => {
    const long = 'a'.repeat(1000000);
    expect(messageOf(`${long}\n`)).toBe(`strangler.yaml:1: must be a mapping, got "${'a'.repeat(80)}…" (1000000 characters)`);
    expect(messageOf(`${BASE}listen: { host: "${'h'.repeat(300)}" }\n`)).toBe(
      `strangler.yaml:5 listen.host: must be a host name or IP address such as 127.0.0.1, 0.0.0.0 or ::, got "${'h'.repeat(80)}…" (300 characters)`,
    );
    expect(messageOf(`${BASE}${'k'.repeat(200)}: 1\n`)).toBe(
      `strangler.yaml:5: unknown key "${'k'.repeat(80)}…" (200 characters) (expected one of: listen, admin, state, flags, upstreams, routes)`,
    );
  });
});

describe('files that are not UTF-8 text', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'strangler-config-encoding-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function issuesOf(name: string, bytes: Buffer): unknown {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    expect(() => loadConfig(file, ENV)).toThrow(ConfigError);
    const result = validateConfigFile(file, ENV);
    return result.ok ? result : result.issues.map(formatConfigIssue);
  }

  it('says a UTF-16 file (with or without a byte order mark) or a binary file is not UTF-8 text, in one short line', () => {
    const utf16 = Buffer.from(`\ufeff${BASE}`, 'utf16le');
    expect(issuesOf('bom.yaml', utf16)).toEqual([`${join(dir, 'bom.yaml')}: not a UTF-8 text file (it starts with a UTF-16 byte order mark: save it as UTF-8)`]);
    expect(issuesOf('utf16.yaml', Buffer.from(BASE, 'utf16le'))).toEqual([`${join(dir, 'utf16.yaml')}: not a UTF-8 text file (it holds NUL bytes: UTF-16 text, or a binary file)`]);
    expect(issuesOf('binary.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0x0a, 0x41]))).toEqual([
      `${join(dir, 'binary.yaml')}: not a UTF-8 text file (it holds NUL bytes: UTF-16 text, or a binary file)`,
    ]);
    // Text handed over directly is checked too.
    expect(messageOf(`${BASE}\u0000`)).toBe('strangler.yaml: not a UTF-8 text file (it holds NUL bytes: UTF-16 text, or a binary file)');
  });

  it('names the first line that is not UTF-8 (a Latin-1 comment), and takes a UTF-8 byte order mark', () => {
    const latin1 = Buffer.concat([Buffer.from(BASE.slice(0, BASE.indexOf('\n') + 1)), Buffer.from('# caf\xe9\n', 'latin1'), Buffer.from(BASE.slice(BASE.indexOf('\n') + 1))]);
    expect(issuesOf('latin1.yaml', latin1)).toEqual([`${join(dir, 'latin1.yaml')}:2: not a UTF-8 text file (this line is not valid UTF-8: save the file as UTF-8)`]);
    const file = join(dir, 'utf8-bom.yaml');
    writeFileSync(file, `\ufeff${BASE}# café\n`);
    expect(loadConfig(file, ENV).upstreams.legacy?.url).toBe('http://127.0.0.1:3000');
  });
});

describe('messages that say what is wrong', () => {
  it('state.url: a port out of range, or no host after the credentials, without echoing the password', () => {
    const state = (url: string): string => messageOf(`${BASE}state: { url: "${url}" }\n`);
    expect(state('postgres://u:secretpw@h:99999/db')).toBe(
      'strangler.yaml:5 state.url: must be a URL such as postgres://user:password@host:5432/db: port 99999 is not from 1 to 65535, got "postgres://u:***@h:99999/db"',
    );
    expect(state('postgres://u:secretpw@h:0/db')).toBe(
      'strangler.yaml:5 state.url: must be a URL such as postgres://user:password@host:5432/db: port 0 is not from 1 to 65535, got "postgres://u:***@h:0/db"',
    );
    expect(state('postgresql://u:secretpw@/db')).toBe(
      'strangler.yaml:5 state.url: must be a URL such as postgres://user:password@host:5432/db: there is no host after "@", got "postgresql://u:***@/db"',
    );
    expect(state('postgres://u:secretpw@:5432/db')).toBe(
      'strangler.yaml:5 state.url: must be a URL such as postgres://user:password@host:5432/db: there is no host after "@", got "postgres://u:***@:5432/db"',
    );
    expect(state('postgres://u:secretpw@h:54x/db')).toBe(
      'strangler.yaml:5 state.url: must be a URL such as postgres://user:password@host:5432/db: the host or port cannot be read (characters such as @, / or # in a password must be percent-encoded), got "postgres://u:***@h:54x/db"',
    );
    // A socket URL without a host is libpq's, and stays valid.
    expect(parseConfig(`${BASE}state: { url: "postgres:///strangler" }\n`, FILE, ENV).state.url).toBe('postgres:///strangler');
  });

  it('a bad value that is the default written in the file is shown, and not blamed on the unset variable', () => {
    expect(messageOf(BASE.replace('admin: {', 'admin: { port: ${PORTX:-abc},'))).toBe(
      'strangler.yaml:1 admin.port: must be an integer from 0 to 65535, got "abc" (the default written in the file: PORTX is unset or empty)',
    );
    expect(messageOf(BASE.replace('admin: {', 'admin: { port: ${PORTX:-abc},'), { ...ENV, PORTX: '' })).toBe(
      'strangler.yaml:1 admin.port: must be an integer from 0 to 65535, got "abc" (the default written in the file: PORTX is unset or empty)',
    );
    // A default that is right reads as a number, as a value from the environment does.
    expect(parseConfig(BASE.replace('admin: {', 'admin: { port: ${PORTX:-9191},'), FILE, ENV).admin.port).toBe(9191);
    // A value the environment gave is still never echoed.
    expect(messageOf(BASE.replace('admin: {', 'admin: { port: ${PORTX:-abc},'), { ...ENV, PORTX: 'x9' })).toBe(
      'strangler.yaml:1 admin.port: must be an integer from 0 to 65535 (value from environment variable PORTX)',
    );
  });
});

describe('configuration that would mean nothing', () => {
  it('refuses deprecated.since later than sunset', () => {
    const deprecated = (block: string): string => `${BASE}routes:\n  - name: reports\n    match: { path: /v1/reports }\n    deprecated: ${block}\n`;
    expect(messageOf(deprecated('{ sunset: 2027-06-01T00:00:00Z, since: 2028-01-01T00:00:00Z }'))).toBe(
      'strangler.yaml:8 routes[0].deprecated.since: must not be later than sunset (2027-06-01T00:00:00Z): the route would be withdrawn before it was deprecated',
    );
    // Compared as instants, not as text.
    expect(messageOf(deprecated('{ sunset: 2027-06-01T00:00:00+02:00, since: 2027-05-31T23:00:00Z }'))).toMatch(/deprecated\.since: must not be later than sunset/);
    expect(route(`routes:\n  - name: reports\n    match: { path: /v1/reports }\n    deprecated: { sunset: 2027-06-01T00:00:00Z, since: 2027-06-01T00:00:00Z }\n`).deprecated).toEqual({
      sunset: '2027-06-01T00:00:00Z',
      since: '2027-06-01T00:00:00Z',
    });
  });

  it('refuses, on a route without a service, each key that concerns the new service', () => {
    const text = `${BASE}routes:
  - name: reports
    match: { path: /v1/reports }
    stage: retired
    percent: 100
    stickiness: header:x-user
    stickyFallback: legacy
    shadow: { sample: 0.5 }
    fallback: { on: [5xx] }
    deprecated: { sunset: 2027-06-01T00:00:00Z }
`;
    expect(messagesOf(text)).toEqual([
      'strangler.yaml:9 routes[0].percent: applies only to a route with a service: it is the share of a canary, and such a route is legacy (0%) or retired (100%)',
      'strangler.yaml:10 routes[0].stickiness: applies only to a route with a service: it keeps each user on one side of a canary',
      'strangler.yaml:11 routes[0].stickyFallback: applies only to a route with a service: it places the users of a canary that stickiness cannot tell apart',
      'strangler.yaml:12 routes[0].shadow: applies only to a route with a service: it copies requests to the new service',
      "strangler.yaml:13 routes[0].fallback: applies only to a route with a service: it sends the new service's failures to legacy",
    ]);
    // A route that forgot its service hears about the service alone.
    expect(messagesOf(`${BASE}routes:\n  - name: orders\n    match: { path: /api/orders }\n    shadow: {}\n`)).toEqual([
      'strangler.yaml:6 routes[0].service: is required unless the route is deprecated (the upstream of the new service)',
    ]);
  });
});

describe('many routes', () => {
  it('checks 20,000 routes for repeated names, paths and flags (indexed, not pairwise) and finds each repeat', () => {
    const scalar = (line: number, value: string): ConfigNode => ({ kind: 'scalar', line, value });
    const map = (line: number, entries: Array<[string, ConfigNode]>): ConfigNode => ({ kind: 'map', line, entries: entries.map(([key, value]) => ({ key, line, value })) });
    const routeNode = (line: number, name: string, path: string, extra: Array<[string, ConfigNode]> = [], flag: Array<[string, ConfigNode]> = []): ConfigNode =>
      map(line, [['name', scalar(line, name)], ['match', map(line, [['path', scalar(line, path)], ...extra])], ['service', scalar(line, 'orders')], ...flag]);
    const routes = Array.from({ length: 20000 }, (_, i) => routeNode(10 + i, `r${i}`, `/api/r${i}`));
    routes.push(routeNode(30010, 'r17', '/other'));
    routes.push(routeNode(30011, 'late', '/API/R19999', [['ignoreCase', { kind: 'scalar', line: 30011, value: true }]]));
    routes.push(routeNode(30012, 'flagged', '/flagged', [], [['flag', scalar(30012, 'strangler.r5')]]));
    const root = map(1, [
      ['admin', map(1, [['token', scalar(1, TOKEN)]])],
      ['flags', map(5, [['provider', scalar(5, 'unleash')], ['url', scalar(5, 'http://127.0.0.1:4242')], ['clientToken', scalar(5, 'default:development.client-secret')]])],
      ['upstreams', map(2, [['legacy', map(2, [['url', scalar(2, 'http://127.0.0.1:3000')]])], ['orders', map(3, [['url', scalar(3, 'http://127.0.0.1:4000')]])]])],
      ['routes', { kind: 'seq', line: 4, items: routes }],
    ]);
    const result = validateConfig(root, FILE);
    expect(result.ok ? [] : result.issues.map(formatConfigIssue)).toEqual([
      'strangler.yaml:30010 routes[20000].name: duplicates routes[17].name "r17"',
      'strangler.yaml:30010 routes[20000].name: uses flag "strangler.r17" as routes[17] does: with Unleash each route needs its own flag (set flag: to tell them apart)',
      'strangler.yaml:30011 routes[20001].match.path: duplicates routes[19999].match.path "/API/R19999"',
      'strangler.yaml:30012 routes[20002].flag: uses flag "strangler.r5" as routes[5] does: with Unleash each route needs its own flag (set flag: to tell them apart)',
    ]);
  });
});
