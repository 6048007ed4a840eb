import { resolve } from 'node:path';
import { readBootstrapFile, unknownSegments, type BootstrapFile } from '../../core/config/bootstrap-file';
import { StranglerError } from '../../core/errors';
import type { Logger } from '../../core/logging';
import type { KnownFlags, UnleashSegment } from './unleash-client-session';
import type { UnleashFeature } from './unleash-mapping';

/** The flags of flags.bootstrap (`file`, relative to `baseDir`), served until Unleash answers; undefined without one. */
export function readBootstrap(file: string | undefined, baseDir: string, logger: Logger): KnownFlags | undefined {
  if (!file) return undefined;
  const path = resolve(baseDir, file);
  let read: BootstrapFile;
  try {
    read = readBootstrapFile(path);
  } catch (err) {
    throw new StranglerError('STRANGLER_ERR_FLAGS_BOOTSTRAP', `flags.bootstrap ${path}: ${(err as Error).message}`);
  }
  noteUnknownSegments(path, read, logger);
  return { features: read.features as UnleashFeature[], segments: read.segments as UnleashSegment[] };
}

/** A file exported before segments were: the strategies naming them let no one in until Unleash answers. */
function noteUnknownSegments(path: string, file: BootstrapFile, logger: Logger): void {
  const unknown = unknownSegments(file);
  if (unknown.length === 0) return;
  logger.warn(
    { file: path, segments: unknown.map(({ flag, segment }) => `${flag}: segment ${String(segment)}`) },
    'flags.bootstrap names segments it does not hold: those strategies let no one in until Unleash answers (write the file again with strangler flags export)',
  );
}
