/**
 * What the embedded state store (PGlite) costs in memory: RSS of a process after opening a state folder and
 * migrating it, side by side.
 *
 *   npm run build && node dist/bench/embedded-state.js          # ~15 s
 *
 * Contenders, each in its own fresh node process with bin/strangler's memory settings:
 * - node alone: the process before it opens anything;
 * - PGlite creating the folder in-process: `PGlite.create` on an empty folder in the measured process
 *   (what opening a fresh folder cost before strangler moved creation to a child process);
 * - strangler, fresh folder: `EmbeddedDatabase.open` on an empty folder (created by a short-lived child
 *   process, then opened by the worker thread), as on a container's first start with an empty volume;
 * - strangler, existing folder: `EmbeddedDatabase.open` on a folder made before, as on a restart.
 * RSS is read after the migrations and a 0.5 s pause. Ends with one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeLaunch } from './node-launch';

type Scenario = 'node-alone' | 'pglite-in-process' | 'strangler-fresh' | 'strangler-existing';

const LABELS: Record<Scenario, string> = {
  'node-alone': 'node alone',
  'pglite-in-process': 'PGlite creating the folder in-process',
  'strangler-fresh': 'strangler, fresh folder',
  'strangler-existing': 'strangler, existing folder',
};

/** The measured program, run by `node -e` so that nothing but it is loaded. */
function program(scenario: Scenario, folder: string): string {
  const dist = join(__dirname, '..');
  const open =
    scenario === 'pglite-in-process'
      ? `const { PGlite } = require(${JSON.stringify(require.resolve('@electric-sql/pglite'))});
         const db = await PGlite.create(${JSON.stringify(folder)});
         const { migrate } = require(${JSON.stringify(join(dist, 'rollout/migrations'))});
         await migrate({ kind: 'embedded', query: (sql, params) => db.query(sql, params), exec: (sql) => db.exec(sql),
           transaction: (fn) => db.transaction((tx) => fn({ query: (sql, params) => tx.query(sql, params) })) });
         const close = () => db.close();`
      : scenario === 'node-alone'
        ? 'const close = async () => undefined;'
        : `const { EmbeddedDatabase } = require(${JSON.stringify(join(dist, 'core/db/embedded'))});
           const { migrate } = require(${JSON.stringify(join(dist, 'rollout/migrations'))});
           const db = await EmbeddedDatabase.open(${JSON.stringify(folder)});
           await migrate(db);
           const close = () => db.close();`;
  return `(async () => {
    ${open}
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rss = process.memoryUsage().rss;
    await close();
    console.log(JSON.stringify({ rssMb: Math.round(rss / 1e5) / 10 }));
  })().catch((err) => { console.error(err.message); process.exit(1); });`;
}

function measure(scenario: Scenario, folder: string): number {
  const launch = nodeLaunch(false);
  const child = spawnSync(process.execPath, [...launch.nodeArgs, '-e', program(scenario, folder)], { env: launch.env, encoding: 'utf8', timeout: 180_000 });
  if (child.status !== 0) throw new Error(`bench/embedded-state: ${scenario} failed: ${child.stderr.trim() || child.error?.message || `exit ${child.status}`}`);
  return (JSON.parse(child.stdout.trim().split('\n').pop()!) as { rssMb: number }).rssMb;
}

function main(): void {
  const extra = process.argv.slice(2);
  if (extra.length > 0) {
    console.error(`bench/embedded-state: takes no options, got ${JSON.stringify(extra.join(' '))}`);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'strangler-bench-state-'));
  try {
    const results: Record<Scenario, number> = {
      'node-alone': measure('node-alone', join(dir, 'unused')),
      'pglite-in-process': measure('pglite-in-process', join(dir, 'in-process')),
      'strangler-fresh': measure('strangler-fresh', join(dir, 'state')),
      // The folder strangler-fresh created, opened again.
      'strangler-existing': measure('strangler-existing', join(dir, 'state')),
    };
    const reference = results['pglite-in-process'];
    console.log(`bench:embedded-state — node ${process.version}, ${nodeLaunch(false).label}; RSS after open + migrations`);
    console.log(`${'contender'.padEnd(40)} ${'RSS MB'.padStart(8)} ${'÷ in-process'.padStart(13)}`);
    for (const [scenario, rss] of Object.entries(results) as Array<[Scenario, number]>) {
      console.log(`${LABELS[scenario].padEnd(40)} ${rss.toFixed(1).padStart(8)} ${(rss / reference).toFixed(2).padStart(12)}×`);
    }
    console.log(JSON.stringify({ bench: 'embedded-state', node: process.version, rssMb: results }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
