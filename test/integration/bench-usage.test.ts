import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** bench/proxy refuses bad flags with one line and exit 2, before it starts or installs anything. */
describe('bench/proxy usage errors', () => {
  const bench = join(__dirname, '..', '..', 'dist', 'bench', 'proxy.js');
  const run = (...args: string[]): { status: number | null; stderr: string; stdout: string } => {
    const result = spawnSync(process.execPath, [bench, ...args], { encoding: 'utf8', timeout: 20000 });
    return { status: result.status, stderr: result.stderr, stdout: result.stdout };
  };

  test.each([
    [['--shadow-store', 'mysql://db/x'], 'bench/proxy: --shadow-store expects none, embedded or a postgres:// URL, got "mysql://db/x"'],
    [['--shadow-store', 'postgres://'], 'bench/proxy: --shadow-store expects none, embedded or a postgres:// URL, got "postgres://"'],
    [['--shadow-pipelining', '0'], 'bench/proxy: --shadow-pipelining expects an integer from 1 to 128, got "0"'],
    [['--shadow-pipelining', 'on'], 'bench/proxy: --shadow-pipelining expects an integer from 1 to 128, got "on"'],
    [['--only', 'strangler-copies'], 'bench/proxy: --only: unknown contender "strangler-copies" (known: direct, strangler, strangler-legacy, strangler-copy, strangler-shadow, http-proxy, reply-from, nginx)'],
  ])('%j', (args, message) => {
    const { status, stderr, stdout } = run(...args);
    expect(status).toBe(2);
    expect(stderr.trim()).toBe(message);
    expect(stdout).toBe('');
  });
});

describe('bench/embedded-state usage errors', () => {
  test('it takes no options: one line naming them, exit 2, nothing measured', () => {
    const bench = join(__dirname, '..', '..', 'dist', 'bench', 'embedded-state.js');
    const result = spawnSync(process.execPath, [bench, '--seconds', '3'], { encoding: 'utf8', timeout: 20000 });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe('bench/embedded-state: takes no options, got "--seconds 3"');
    expect(result.stdout).toBe('');
  });
});

describe('bench/diff-report usage errors', () => {
  const bench = join(__dirname, '..', '..', 'dist', 'bench', 'diff-report.js');
  test.each([
    [['--days', '1'], 'bench/diff-report: --days expects an integer from 2 to 90, got "1"'],
    [['--proxies'], 'bench/diff-report: --proxies expects an integer from 1 to 8, got ""'],
    [['--hours', '3'], 'bench/diff-report: unknown option "--hours"; usage: node dist/bench/diff-report.js [--days 2-90] [--proxies 1-8] [--routes 1-20] [--store embedded|postgres://…]'],
    [['--store', 'mysql://db/x'], 'bench/diff-report: --store expects embedded or a postgres:// URL, got "mysql://db/x"'],
    [['--store'], 'bench/diff-report: --store expects embedded or a postgres:// URL, got ""'],
    // Nothing listens on port 1: refused at once; the password stays out of the message.
    [['--store', 'postgres://bench:secret@127.0.0.1:1/x'], 'bench/diff-report: --store: cannot connect to postgres://bench:***@127.0.0.1:1/x: connect ECONNREFUSED 127.0.0.1:1'],
  ])('%j: one line, exit 2, nothing seeded', (args, message) => {
    const result = spawnSync(process.execPath, [bench, ...args], { encoding: 'utf8', timeout: 20000 });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(message);
    expect(result.stdout).toBe('');
  });
});

describe('bench/diff, bench/bucketing and bench/openapi-diff usage', () => {
  const run = (script: string, ...args: string[]): { status: number | null; stderr: string; stdout: string } => {
    const result = spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'bench', script), ...args], { encoding: 'utf8', timeout: 20000 });
    return { status: result.status, stderr: result.stderr, stdout: result.stdout };
  };

  test.each([
    [['diff.js', '--bogus'], 'bench/diff: unknown option "--bogus"; usage: node dist/bench/diff.js [--seconds S]'],
    [['diff.js', '--seconds'], 'bench/diff: --seconds needs a value; usage: node dist/bench/diff.js [--seconds S]'],
    [['diff.js', '--seconds', 'abc'], 'bench/diff: --seconds expects a number of seconds between 0 and 600, got "abc"'],
    [['bucketing.js', '--calls', '5'], 'bench/bucketing: unknown option "--calls"; usage: node dist/bench/bucketing.js (no options)'],
    [['openapi-diff.js', '--yml'], 'bench/openapi-diff: unknown option "--yml"; usage: node dist/bench/openapi-diff.js [--runs 1-50] [--yaml]'],
    [['openapi-diff.js', '--runs', '0'], 'bench/openapi-diff: --runs expects a whole number from 1 to 50, got "0"'],
  ])('%j: one line, exit 2, nothing measured', ([script, ...args], message) => {
    const { status, stderr, stdout } = run(script!, ...args);
    expect(status).toBe(2);
    expect(stderr.trim()).toBe(message);
    expect(stdout).toBe('');
  });

  test.each([['diff.js'], ['bucketing.js'], ['openapi-diff.js'], ['diff-report.js']])('%s --help prints its usage and measures nothing', (script) => {
    const { status, stdout } = run(script, '--help');
    expect(status).toBe(0);
    expect(stdout).toMatch(new RegExp(`^usage: node dist/bench/${script.replace('.', '\\.')} `));
  });
});
