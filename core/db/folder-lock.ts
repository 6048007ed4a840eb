import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StranglerError } from '../errors';

/** The pid file an embedded store's owner keeps in its folder. */
export const LOCK_FILE = 'strangler.pid';

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
      const started = processStart(process.pid);
      writeSync(fd, started === undefined ? String(process.pid) : `${process.pid} ${started}`);
      closeSync(fd);
      heldHere.add(key);
      return () => {
        heldHere.delete(key);
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pidText = '', startedText] = readFileSync(file, 'utf8').trim().split(/\s+/);
      const owner = Number(pidText);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && ownerAlive(owner, startedText)) {
        throw new StranglerError(
          'STRANGLER_ERR_STATE_LOCKED',
          `embedded state ${folder} is in use by process ${owner}: one process owns an embedded store (use a postgres:// state.url for several proxies); ` +
            `if no strangler runs as process ${owner}, delete ${file}`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new StranglerError('STRANGLER_ERR_STATE_LOCKED', `cannot claim embedded state ${folder}`);
}

/**
 * Is the process that wrote the pid file still there? Where /proc tells (Linux), a zombie (a proxy killed
 * but not yet reaped by its parent) holds nothing, and a process started at another time than the file
 * records is an unrelated one that was given the same pid.
 */
function ownerAlive(pid: number, startedText: string | undefined): boolean {
  const stat = procStat(pid);
  if (stat === undefined) return processAlive(pid);
  if (stat === 'gone' || stat.state === 'Z' || stat.state === 'X') return false;
  return startedText === undefined || startedText === stat.started;
}

/** The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), where /proc exists. */
function processStart(pid: number): string | undefined {
  const stat = procStat(pid);
  return stat === undefined || stat === 'gone' ? undefined : stat.started;
}

function procStat(pid: number): { state: string; started: string } | 'gone' | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    return existsSync('/proc/self/stat') ? 'gone' : undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields are counted after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const started = fields[19];
  return state !== undefined && started !== undefined ? { state, started } : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
