import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** What `npm publish` would ship: the command and the compiled code, not tests, benchmarks or source maps. */
describe('the published package', () => {
  const root = join(__dirname, '..', '..');
  // --ignore-scripts: the build already ran (npm test compiles first); `prepare` would only compile again.
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const files = (JSON.parse(output) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);

  test('holds the strangler command, its entry points (the comparison worker too), what the demo reads and the licence', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/strangler', 'dist/cli/main.js', 'dist/diff-reader/compare-worker.js', 'dist/diff-reader/report/report-worker.js', 'dist/index.js', 'dist/index.d.ts', 'dist/examples/demo.js', 'examples/strangler.yaml', 'README.md', 'LICENSE', 'package.json']));
  });

  test('leaves out tests, benchmarks, source maps and TypeScript sources', () => {
    expect(files.filter((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });
});
