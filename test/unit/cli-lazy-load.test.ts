/**
 * What a `strangler proxy` process loads: only the command it runs, and only the drivers its configuration
 * names. Checked in a fresh node process (jest's module registry is not node's).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { COMMAND_LOADERS } from '../../cli/main';

const DIST = resolve(__dirname, '../../dist');

/** Requires `modules` in a fresh node and returns which of `packages` ended up in require.cache. */
function loadedAfter(modules: string[], packages: string[]): string[] {
  const script = `
    for (const m of ${JSON.stringify(modules)}) require(m);
    const loaded = Object.keys(require.cache);
    process.stdout.write(JSON.stringify(${JSON.stringify(packages)}.filter((p) => loaded.some((f) => f.includes(p)))));
  `;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: DIST });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as string[];
}

const HEAVY = ['/@electric-sql/pglite/', '/unleash-client/', '/@pact-foundation/', '/dist/contracts/', '/ajv-formats/', '/yargs/'];

describe('lazy loading', () => {
  test('each command loader gives the command of its name', () => {
    for (const [name, load] of Object.entries(COMMAND_LOADERS)) expect(String(load().command).split(' ')[0]).toBe(name);
  });

  test('the proxy command and the proxy itself load neither PGlite, unleash-client, pact nor the contract engines', () => {
    expect(loadedAfter([`${DIST}/cli/commands/proxy.js`, `${DIST}/proxy/start.js`], HEAVY)).toEqual([]);
  });

  test('a postgres:// state URL loads pg, not PGlite', () => {
    const script = `
      const { openDatabase } = require('./core/db/open');
      openDatabase('postgres://nobody@127.0.0.1:1/none').then((db) => {
        const loaded = Object.keys(require.cache);
        process.stdout.write(JSON.stringify([loaded.some((f) => f.includes('/node_modules/pg/')), loaded.some((f) => f.includes('/@electric-sql/pglite/'))]));
        return db.close();
      });
    `;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: DIST });
    expect(JSON.parse(result.stdout)).toEqual([true, false]);
  });
});
