import { StranglerError } from '../../core/errors';

/**
 * An event contract input that cannot be used: an unreadable or malformed schema file, a directory without
 * schemas, an unresolvable `$ref`, an unreadable events file. `message` is one line and starts with the file
 * (and `:line:column` for syntax errors), e.g. `events/order-placed.json:4:3: invalid JSON: …`.
 */
export class EventContractError extends StranglerError {
  constructor(
    readonly file: string,
    detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    const where = line === undefined ? file : column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
    super('STRANGLER_ERR_EVENT_CONTRACT', `${where}: ${detail.replace(/\s*\n\s*/g, '; ')}`);
    this.name = 'EventContractError';
  }
}

/** `ENOENT: no such file or directory, open 'x'` → `no such file or directory`. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
  };
  if (e?.code && known[e.code]) return known[e.code]!;
  return String(e?.message ?? err).replace(/, \w+ '.*'$/, '');
}
