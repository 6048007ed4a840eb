import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
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

function cannotWrite(file: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = whyNotWritten(file, code);
  return new CliError(`--out ${file}: cannot write: ${why ?? code ?? (err as Error).message}${why && code ? ` (${code})` : ''}`);
}

/** Removes a temporary file if there is one: the error it reports is the write's, not this (ENOTDIR where its path cannot be). */
function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // nothing was written there
  }
}

/**
 * How `--out` is written: a stream (a terminal, /dev/null, a named pipe) as it is; a file by replacing the real
 * one (`existing`: the file there now, if any).
 */
type OutTarget = { kind: 'stream' } | { kind: 'file'; path: string; existing: Stats | undefined };

/** Symbolic links a chain may have before it counts as a loop (as Linux's own limit). */
const MAX_LINKS = 40;

/** The kind of a file that is neither a regular file nor a stream, in words, for a refusal. */
function otherKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isSocket()) return 'a socket';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * What `--out FILE` names, past symbolic links. A character device or a named pipe is written to as it is:
 * there is nothing to make atomic, and replacing it would swap the device or the pipe for a plain file.
 * A regular file (or none yet) is replaced whole: at the end of its links, so a link keeps pointing at it.
 * Anything else (a folder, a socket, a block device) is refused.
 */
function outTarget(file: string): OutTarget {
  let stats: Stats | undefined;
  try {
    stats = statSync(file);
  } catch (err) {
    // No file there yet (or a link to none): it is created.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotWrite(file, err);
  }
  if (stats && (stats.isCharacterDevice() || stats.isFIFO())) return { kind: 'stream' };
  if (stats && !stats.isFile()) throw new CliError(`--out ${file}: is ${otherKind(stats)}; give a regular file (or a device or named pipe to write to)`, 2);
  return { kind: 'file', path: endOfLinks(file), existing: stats };
}

/** The path a chain of symbolic links ends at, existing or not (a link to a file not written yet). */
function endOfLinks(file: string): string {
  let path = file;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    let isLink: boolean;
    try {
      isLink = lstatSync(path).isSymbolicLink();
    } catch {
      return path;
    }
    if (!isLink) return path;
    const link = readlinkSync(path);
    // Relative to the folder the link is really in: `..` in it is read as the kernel reads it.
    path = isAbsolute(link) ? link : join(realpathSync(dirname(path)), link);
  }
  throw cannotWrite(file, Object.assign(new Error('too many symbolic links'), { code: 'ELOOP' }));
}

/**
 * Writes `--out FILE` whole or not at all (a temporary file beside it, renamed into place); a device or a
 * named pipe is written to directly. Errors name the --out flag and leave nothing behind.
 */
export function writeWhole(file: string, text: string): void {
  const target = outTarget(file);
  if (target.kind === 'stream') {
    try {
      writeFileSync(file, text);
    } catch (err) {
      throw cannotWrite(file, err);
    }
    return;
  }
  // An unguessable name, created only if nothing has it ('wx': O_CREAT|O_EXCL never follows a link), so a link
  // planted at a predictable name in a shared folder cannot make this write somewhere else.
  const temporary = join(dirname(target.path), `${basename(target.path)}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const replaced = target.existing;
    // A new file gets what the umask gives a file; one replacing another is private until it has that one's permissions.
    writeFileSync(temporary, text, { flag: 'wx', mode: replaced ? 0o600 : 0o666 });
    created = true;
    if (replaced) keepAccessOf(temporary, replaced);
    renameSync(temporary, target.path);
  } catch (err) {
    if (created) removeQuietly(temporary);
    throw cannotWrite(file, err);
  }
}

/** The new file gets the replaced one's permissions (a private 0600 export stays private) and, as root, its owner. */
function keepAccessOf(temporary: string, replaced: Stats): void {
  chmodSync(temporary, replaced.mode & 0o7777);
  if (process.getuid?.() === 0 && (replaced.uid !== 0 || replaced.gid !== 0)) chownSync(temporary, replaced.uid, replaced.gid);
}

/** The same file: one path, or two paths to one inode (a link, `./x` and `x`). */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const [one, other] = [statSync(a), statSync(b)];
    return one.dev === other.dev && one.ino === other.ino;
  } catch {
    return false;
  }
}

/**
 * Refused before anything is asked of the admin API: `--out ""` (a mistake, not "no file"), `--out dir/`,
 * a folder, socket or block device, and `configFile`, the configuration the command reads, which the output
 * would replace.
 */
export function checkOut(out: string | undefined, configFile: string | undefined): void {
  if (out === undefined) return;
  if (out.trim() === '') throw new CliError('--out: must be a file path, got ""', 2);
  if (out.endsWith('/') || out.endsWith(sep)) throw new CliError(`--out ${out}: must be a file path, got a folder (it ends with "${out.slice(-1)}")`, 2);
  if (configFile !== undefined && sameFile(out, configFile)) throw new CliError(`--out ${out}: is the configuration file this command reads (${configFile}); write to another file`, 2);
  outTarget(out);
}
