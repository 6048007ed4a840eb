import { runCli, tempDir, writeConfig } from '../helpers/proxy-process';

/** `strangler config validate FILE [--json]` run as a process: stdout, stderr and the exit code. */

const GOOD_YAML = [
  'listen: { host: 127.0.0.1, port: 8181 }',
  'admin: { port: 9191, token: "validate-admin-token" }',
  'upstreams:',
  '  legacy: { url: "http://127.0.0.1:3000/" }',
  '  orders: { url: "http://127.0.0.1:4000", timeoutMs: 2000 }',
  'routes:',
  '  - name: orders',
  '    match: { path: /api/orders/, methods: [get, POST] }',
  '    service: orders',
  '    stage: canary',
  '    percent: 25',
  '    stickiness: header:X-User-Id',
  '  - name: reports',
  '    match: { path: /reports }',
  '    deprecated: { sunset: "2027-06-01T00:00:00Z" }',
  '',
].join('\n');

/** The secrets the config below holds; none may appear in any output of `config validate`. */
const SECRETS = {
  adminToken: 'admin-token-from-env-s3cr3t',
  pgPassword: 'pg-pa55word-s3cr3t',
  pgQueryPassword: 'pg-query-pa55word-s3cr3t',
  unleashClientToken: 'default:development.client-s3cr3t-token',
  unleashAdminToken: '*:*.unleash-admin-s3cr3t-token',
  unleashUrlPassword: 'unleash-basic-s3cr3t',
  upstreamPassword: 'upstream-basic-s3cr3t',
};

const SECRET_YAML = [
  'admin: { token: ${VALIDATE_ADMIN_TOKEN} }',
  `state: { url: "postgres://strangler:${SECRETS.pgPassword}@db.internal:5432/strangler?sslmode=require&sslpassword=${SECRETS.pgQueryPassword}", pollMs: 250 }`,
  'flags:',
  '  provider: unleash',
  `  url: "http://ops:${SECRETS.unleashUrlPassword}@unleash.internal:4242/api"`,
  '  clientToken: ${VALIDATE_UNLEASH_CLIENT_TOKEN}',
  `  adminToken: "${SECRETS.unleashAdminToken}"`,
  'upstreams:',
  '  legacy: { url: "https://legacy.internal:8443" }',
  'routes: []',
  '',
].join('\n');

const SECRET_ENV = { VALIDATE_ADMIN_TOKEN: SECRETS.adminToken, VALIDATE_UNLEASH_CLIENT_TOKEN: SECRETS.unleashClientToken };

function expectNoSecret(output: string): void {
  for (const [name, secret] of Object.entries(SECRETS)) expect([name, output.includes(secret)]).toEqual([name, false]);
}

describe('strangler config validate', () => {
  let dir: ReturnType<typeof tempDir>;
  let good: string;

  beforeAll(() => {
    dir = tempDir('strangler-validate-');
    good = writeConfig(dir.path, GOOD_YAML);
  });

  afterAll(() => dir.remove());

  test('a good file: exit 0, one line on stdout with the route and upstream counts, nothing on stderr', () => {
    const result = runCli(['config', 'validate', good]);
    expect(result).toEqual({ status: 0, stdout: `${good}: ok (2 routes, 2 upstreams)\n`, stderr: '' });
    // The file is named as it was given on the command line.
    const relative = runCli(['config', 'validate', 'strangler.yaml'], {}, dir.path);
    expect(relative).toEqual({ status: 0, stdout: 'strangler.yaml: ok (2 routes, 2 upstreams)\n', stderr: '' });
  });

  test('--json on a good file: {ok: true, config} with every default applied, pretty-printed; exit 0', () => {
    const result = runCli(['config', 'validate', good, '--json']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const parsed: unknown = JSON.parse(result.stdout);
    expect(result.stdout).toBe(JSON.stringify(parsed, null, 2) + '\n');
    expect(parsed).toEqual({
      ok: true,
      config: {
        file: good,
        listen: { host: '127.0.0.1', port: 8181, maxHeaderBytes: 16384, drainTimeoutMs: 10000, keepAliveTimeoutMs: 75000, shutdownDelayMs: 0, sendTimeoutMs: 60000, trustedProxies: [] },
        admin: { host: '127.0.0.1', port: 9191, token: '***' },
        state: { url: 'embedded:./.strangler', pollMs: 500, keepComparisons: 100000, keepCountsDays: 30, keepMatches: false },
        flags: { provider: 'embedded' },
        upstreams: {
          legacy: { name: 'legacy', url: 'http://127.0.0.1:3000', timeoutMs: 30000, connections: 128, preserveHost: false, shadowPipelining: 1 },
          orders: { name: 'orders', url: 'http://127.0.0.1:4000', timeoutMs: 2000, connections: 128, preserveHost: false, shadowPipelining: 1 },
        },
        routes: [
          {
            name: 'orders',
            match: { path: '/api/orders', methods: ['GET', 'POST'] },
            service: 'orders',
            legacy: 'legacy',
            stage: 'canary',
            percent: 25,
            stickiness: { kind: 'header', name: 'x-user-id' },
            stickyFallback: 'random',
            flag: 'strangler.orders',
            // No shadow block: the defaults, so that stage shadow copies.
            shadow: {
              sample: 1,
              methods: ['GET', 'HEAD'],
              ignore: [],
              maxBodyBytes: 1048576,
              maxDecodedBytes: 16777216,
              maxInFlight: 64,
              noiseSample: 0.1,
              noiseThresholds: { relative: 0.2, absolute: 3 },
              unordered: false,
              mapKeys: [],
              numericTolerance: 0,
              headers: ['content-type'],
              onCanary: false,
            },
          },
          {
            name: 'reports',
            match: { path: '/reports' },
            legacy: 'legacy',
            stage: 'legacy',
            percent: 0,
            stickiness: { kind: 'random' },
            stickyFallback: 'random',
            flag: 'strangler.reports',
            deprecated: { sunset: '2027-06-01T00:00:00Z' },
          },
        ],
      },
    });
  });

  test('--json on a bad file: {ok: false, issues} with file, line, field and message of each problem, in line order; exit 1', () => {
    const bad = writeConfig(
      dir.path,
      ['listen: { port: 99999 }', 'admin: { token: short }', 'upstreams:', '  orders: { url: "http://127.0.0.1:4000/api" }', ''].join('\n'),
      'bad.yaml',
    );
    const result = runCli(['config', 'validate', bad, '--json']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      JSON.stringify(
        {
          ok: false,
          issues: [
            { file: bad, line: 1, path: 'listen.port', message: 'must be an integer from 0 to 65535, got 99999' },
            { file: bad, line: 2, path: 'admin.token', message: 'must be at least 8 characters long (got 5 characters)' },
            {
              file: bad,
              line: 4,
              path: 'upstreams.orders.url',
              message: 'must be an http:// or https:// origin such as http://127.0.0.1:3000, without path, query or fragment, got "http://127.0.0.1:4000/api"',
            },
            // Reported on the line where the upstreams mapping starts (its first entry).
            { file: bad, line: 4, path: 'upstreams', message: 'must define "legacy", the upstream that serves the monolith (defined: orders)' },
          ],
        },
        null,
        2,
      ) + '\n',
    );
    // Without --json the same problems go to stderr, one line each, and stdout stays empty.
    const text = runCli(['config', 'validate', bad]);
    expect(text.status).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr.trim().split('\n')).toEqual([
      `${bad}:1 listen.port: must be an integer from 0 to 65535, got 99999`,
      `${bad}:2 admin.token: must be at least 8 characters long (got 5 characters)`,
      `${bad}:4 upstreams.orders.url: must be an http:// or https:// origin such as http://127.0.0.1:3000, without path, query or fragment, got "http://127.0.0.1:4000/api"`,
      `${bad}:4 upstreams: must define "legacy", the upstream that serves the monolith (defined: orders)`,
    ]);
  });

  test('--json on a file that cannot be read or parsed: one issue, without a line when there is none; exit 1', () => {
    const missing = `${dir.path}/none.yaml`;
    const unreadable = runCli(['config', 'validate', missing, '--json']);
    expect(unreadable.status).toBe(1);
    expect(unreadable.stderr).toBe('');
    expect(JSON.parse(unreadable.stdout)).toEqual({
      ok: false,
      issues: [{ file: missing, path: '', message: 'cannot read file: ENOENT: no such file or directory' }],
    });
    const empty = writeConfig(dir.path, '# nothing here\n', 'empty.yaml');
    const emptyResult = runCli(['config', 'validate', empty, '--json']);
    expect(emptyResult.status).toBe(1);
    expect(JSON.parse(emptyResult.stdout)).toEqual({
      ok: false,
      issues: [{ file: empty, path: '', message: 'the file is empty (expected a mapping with at least admin and upstreams)' }],
    });
  });

  test('--json on a good file with secrets prints the config with every secret masked, and none of their values', () => {
    const file = writeConfig(dir.path, SECRET_YAML, 'secrets.yaml');
    const result = runCli(['config', 'validate', file, '--json'], SECRET_ENV);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expectNoSecret(result.stdout);
    const parsed = JSON.parse(result.stdout) as { ok: boolean; config: Record<string, unknown> };
    expect(parsed.ok).toBe(true);
    expect(parsed.config).toMatchObject({
      admin: { token: '***' },
      state: { url: 'postgres://strangler:***@db.internal:5432/strangler?sslmode=require&sslpassword=***', pollMs: 250, keepComparisons: 100000, keepCountsDays: 30, keepMatches: false },
      flags: {
        provider: 'unleash',
        url: 'http://ops:***@unleash.internal:4242',
        clientToken: '***',
        adminToken: '***',
        environment: 'development',
        project: 'default',
        appName: 'strangler',
      },
      upstreams: { legacy: { url: 'https://legacy.internal:8443' } },
    });
    // The text form names only the file and the counts.
    const text = runCli(['config', 'validate', file], SECRET_ENV);
    expect(text).toEqual({ status: 0, stdout: `${file}: ok (0 routes, 1 upstream)\n`, stderr: '' });
  });

  test("a client token for another Unleash environment than flags.environment: one line naming the field, the secret not echoed", () => {
    const file = writeConfig(dir.path, SECRET_YAML.replace('  adminToken:', '  environment: production\n  adminToken:'), 'other-environment.yaml');
    const result = runCli(['config', 'validate', file], SECRET_ENV);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines.filter((line) => line.includes('flags.clientToken'))).toEqual([
      `${file}:6 flags.clientToken: is for Unleash environment "development", but flags.environment is "production": the proxy would read "development"'s flags while rollout set changes "production"'s (use a token for "production" or "*")`,
    ]);
    expectNoSecret(result.stdout + result.stderr);
    // A token for every environment fits any.
    const anyEnvironment = runCli(['config', 'validate', file], { ...SECRET_ENV, VALIDATE_UNLEASH_CLIENT_TOKEN: '*:*.client-token-for-all-environments' });
    expect(anyEnvironment.status).toBe(0);
  });

  test('--json on a bad file with secrets: the issues never echo a secret either', () => {
    const yaml = SECRET_YAML.replace('pollMs: 250', 'pollMs: 1')
      .replace('${VALIDATE_ADMIN_TOKEN}', '${VALIDATE_SHORT_TOKEN}')
      .replace('https://legacy.internal', `https://monolith:${SECRETS.upstreamPassword}@legacy.internal`)
      .replace('routes: []', `  orders: { url: "mysql://root:${SECRETS.upstreamPassword}@db.internal/orders" }\nroutes: []`);
    const file = writeConfig(dir.path, yaml, 'bad-secrets.yaml');
    const result = runCli(['config', 'validate', file, '--json'], { ...SECRET_ENV, VALIDATE_SHORT_TOKEN: 's3cr3t' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    expectNoSecret(result.stdout);
    expect(result.stdout).not.toContain('s3cr3t');
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      issues: [
        { file, line: 1, path: 'admin.token', message: 'must be at least 8 characters long (value from environment variable VALIDATE_SHORT_TOKEN)' },
        { file, line: 2, path: 'state.pollMs', message: 'must be an integer from 50 to 60000, got 1' },
        {
          file,
          line: 9,
          path: 'upstreams.legacy.url',
          message: "must not contain credentials (user:password@): the proxy would not send them (it forwards each client's own Authorization header)",
        },
        {
          file,
          line: 10,
          path: 'upstreams.orders.url',
          message: 'must be an http:// or https:// origin such as http://127.0.0.1:3000, got "mysql://root:***@db.internal/orders"',
        },
      ],
    });
  });
});
