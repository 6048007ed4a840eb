/** oasdiff's check ids and their default levels, parsed once from checks-data.ts. */
import { CHECKS_DATA } from './checks-data';
import type { Level } from './types';

const LEVEL_BY_ID: ReadonlyMap<string, Level> = (() => {
  const map = new Map<string, Level>();
  for (const raw of CHECKS_DATA.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [id, level] = line.split(/\s+/);
    if (id && (level === 'ERR' || level === 'WARN' || level === 'INFO')) map.set(id, level);
  }
  return map;
})();

/** Is this one of oasdiff's check ids? Rules only ever emit ids that are. */
export function isCheckId(id: string): boolean {
  return LEVEL_BY_ID.has(id);
}

/** The default level of a check id; throws for an id oasdiff does not have (a bug in a rule). */
export function levelOf(id: string): Level {
  const level = LEVEL_BY_ID.get(id);
  if (!level) throw new Error(`unknown oasdiff check id: ${id}`);
  return level;
}

export function allCheckIds(): string[] {
  return [...LEVEL_BY_ID.keys()];
}
