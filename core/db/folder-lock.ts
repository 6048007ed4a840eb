import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StranglerError } from '../errors';

const LOCK_FILE = 'strangler.pid';

/** Folders this process holds now: a pid file with our own pid is otherwise taken for a stale one. */
const heldHere = new Set<string>();

/**
 * PGlite is one session in one process: a second process opening the same folder would corrupt it.
 * A pid file claims the folder; a stale one (its process gone) is taken over. A file with this process's
 * own pid is stale too (a container restarts its proxy as pid 1 again), unless this process holds the
 * folder right now: a second open in the same process is refused like one from another process.
 */
export function lockFolder(folder: string): () => void {
  const file = join(folder, LOCK_FILE);
  const key = resolve(file);
  if (heldHere.has(key)) {
    throw new StranglerError('STRANGLER_ERR_STATE_LOCKED', `embedded state ${folder} is already open in this process: one embedded store per folder`);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(key);
      return () => {
        heldHere.delete(key);
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new StranglerError(
          'STRANGLER_ERR_STATE_LOCKED',
          `embedded state ${folder} is in use by process ${owner}: one process owns an embedded store (use a postgres:// state.url for several proxies)`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new StranglerError('STRANGLER_ERR_STATE_LOCKED', `cannot claim embedded state ${folder}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
