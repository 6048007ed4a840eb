import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { CliError } from './output';

const WHY: Readonly<Record<string, string>> = {
  ENOENT: 'its folder does not exist',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

/** Writes a file whole or not at all (a temporary file renamed into place); errors name the --out flag and leave nothing behind. */
export function writeWhole(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch (err) {
    rmSync(temporary, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`--out ${file}: cannot write: ${(code && WHY[code]) ?? code ?? (err as Error).message}${code && WHY[code] ? ` (${code})` : ''}`);
  }
}

/** `--out ""` is a mistake, not "no file": refused before anything is asked of the admin API. */
export function checkOut(out: string | undefined): void {
  if (out !== undefined && out.trim() === '') throw new CliError('--out: must be a file path, got ""', 2);
}
