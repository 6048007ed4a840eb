import { mkdirSync, readdirSync, type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StranglerError } from '../errors';
import { LOCK_FILE } from './folder-lock';

/** The file PostgreSQL writes into every data directory it creates. */
export const DATA_DIR_MARKER = 'PG_VERSION';
/** What a fresh file system holds at its root: a volume mounted as the state folder is still empty. */
const EMPTY_VOLUME_ENTRIES = new Set(['lost+found']);

/**
 * Makes sure `folder` can hold an embedded store, before anything is written into it: a missing folder is
 * created, an empty one or a store's own (PG_VERSION, or the owner's pid file of a start interrupted while
 * creating it) is taken, and anything else is refused: PostgreSQL's ~25 entries must not be spread among
 * someone's files (`embedded:.` beside strangler.yaml). `field` names the setting in messages (`state.url`).
 */
export function prepareStateFolder(folder: string, field: string): void {
  const found = lookUp(folder, field);
  if (!found) return createFolder(folder, field);
  if (!found.isDirectory()) throw folderError(field, `${folder} is not a folder`);
  const entries = entriesOf(folder, field).filter((entry) => !EMPTY_VOLUME_ENTRIES.has(entry));
  if (entries.length === 0 || entries.includes(DATA_DIR_MARKER) || entries.includes(LOCK_FILE)) return;
  throw folderError(field, `${folder} is not empty and not a strangler state folder (no ${DATA_DIR_MARKER}): name a new or empty folder for the store`);
}

/**
 * Creates the missing levels one by one, from the nearest that exists. Node 20's recursive mkdirSync never
 * returns on some file systems (procfs: `/proc/nope`), holding the process where no signal can stop it.
 */
function createFolder(folder: string, field: string): void {
  const missing: string[] = [];
  for (let level = folder; !lookUp(level, field); level = dirname(level)) {
    missing.unshift(level);
    if (dirname(level) === level) break;
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (err) {
      const at = level === folder ? '' : ` (creating ${level})`;
      throw folderError(field, `cannot create the folder ${folder}: ${fileSystemFailure(err as NodeJS.ErrnoException, 'the file system refused it')}${at}`);
    }
  }
}

/** What is at `path`, undefined when nothing is. */
function lookUp(path: string, field: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    throw folderError(field, `cannot use the folder ${path}: ${fileSystemFailure(err as NodeJS.ErrnoException, 'cannot look it up')}`);
  }
}

function entriesOf(folder: string, field: string): string[] {
  try {
    return readdirSync(folder);
  } catch (err) {
    throw folderError(field, `cannot use the folder ${folder}: ${fileSystemFailure(err as NodeJS.ErrnoException, 'cannot list it')}`);
  }
}

/** `otherwise`: what to say of a failure without a more telling name. */
function fileSystemFailure(err: NodeJS.ErrnoException, otherwise: string): string {
  switch (err.code) {
    case 'ENOTDIR':
      return 'a part of its path is a file, not a folder (ENOTDIR)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${err.code})`;
    case 'EROFS':
      return 'the file system is read-only (EROFS)';
    default:
      return `${otherwise} (${err.code ?? err.message})`;
  }
}

function folderError(field: string, message: string): StranglerError {
  return new StranglerError('STRANGLER_ERR_STATE_FOLDER', `${field}: ${message}`);
}
