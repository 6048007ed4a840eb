import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { CliError } from './output';

/** What each error of writing the temporary file or renaming it into place means for `--out FILE`. */
const WHY: Readonly<Record<string, string>> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied (to write in its folder, or to replace it)',
  EPERM: 'not permitted (to write in its folder, or to replace it)',
  EROFS: 'its folder is on a read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  ENAMETOOLONG: 'its name is too long',
  ELOOP: 'its path has too many symbolic links (a loop)',
  EEXIST: 'a file in its way could not be replaced',
  EXDEV: 'it cannot be renamed into place across file systems',
  EBUSY: 'it is busy (in use by the system)',
  EMFILE: 'too many open files',
};

/** Why `file` could not be written, in words, from the error's code; undefined for a code without words here. */
function whyNotWritten(file: string, code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  // In /proc, /sys and the like a folder exists but takes no new file, and says ENOENT.
  if (code === 'ENOENT' && existsSync(dirname(resolve(file)))) return 'its folder exists but takes no new files (as /proc and /sys do)';
  return WHY[code];
}

/** Removes a temporary file if there is one: the error it reports is the write's, not this (ENOTDIR where its path cannot be). */
function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // nothing was written there
  }
}

/** Writes a file whole or not at all (a temporary file renamed into place); errors name the --out flag and leave nothing behind. */
export function writeWhole(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch (err) {
    removeQuietly(temporary);
    const code = (err as NodeJS.ErrnoException).code;
    const why = whyNotWritten(file, code);
    throw new CliError(`--out ${file}: cannot write: ${why ?? code ?? (err as Error).message}${why && code ? ` (${code})` : ''}`);
  }
}

/** `--out ""` is a mistake, not "no file", and `--out dir/` names a folder: refused before anything is asked of the admin API. */
export function checkOut(out: string | undefined): void {
  if (out !== undefined && out.trim() === '') throw new CliError('--out: must be a file path, got ""', 2);
  if (out !== undefined && (out.endsWith('/') || out.endsWith(sep))) throw new CliError(`--out ${out}: must be a file path, got a folder (it ends with "${out.slice(-1)}")`, 2);
}
