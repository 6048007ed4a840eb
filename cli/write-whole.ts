import { renameSync, writeFileSync } from 'node:fs';
import { CliError } from './output';

/** Writes a file whole or not at all (a temporary file renamed into place); errors name the --out flag. */
export function writeWhole(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch (err) {
    throw new CliError(`--out ${file}: cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
