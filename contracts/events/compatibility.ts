/**
 * Compatibility modes, as Confluent's schema registry names them. A mode says which directions a revision
 * must keep:
 *   backward:  the new schema reads events written with the old one (old events replayed against it);
 *   forward:   the old schema reads events written with the new one (consumers not yet upgraded).
 * FULL (the default) keeps both; NONE keeps neither. The `_TRANSITIVE` modes check a new version of an event
 * against every earlier version, the others against the latest earlier one only.
 *
 * A change that breaks only directions the mode does not keep is listed at INFO with a note saying so, and
 * carries `ruleLevel` (its level under a mode that checks it) and `breaks`: the gate fails only on what the
 * mode forbids.
 */
import type { CompatibilityDirection, EventChange, EventChangeLevel } from './rules';

export const COMPATIBILITY_MODES = ['BACKWARD', 'FORWARD', 'FULL', 'BACKWARD_TRANSITIVE', 'FORWARD_TRANSITIVE', 'FULL_TRANSITIVE', 'NONE'] as const;
export type CompatibilityMode = (typeof COMPATIBILITY_MODES)[number];

export const DEFAULT_COMPATIBILITY: CompatibilityMode = 'FULL';

/** `backward`, `Full_Transitive` → the mode; undefined when it names none. */
export function parseCompatibility(text: string): CompatibilityMode | undefined {
  const upper = text.trim().toUpperCase();
  return COMPATIBILITY_MODES.find((mode) => mode === upper);
}

export function checkedDirections(mode: CompatibilityMode): readonly CompatibilityDirection[] {
  if (mode === 'NONE') return [];
  if (mode.startsWith('BACKWARD')) return ['backward'];
  if (mode.startsWith('FORWARD')) return ['forward'];
  return ['backward', 'forward'];
}

/** Whether a new version is checked against every earlier version, not just the latest one. */
export function isTransitive(mode: CompatibilityMode): boolean {
  return mode.endsWith('_TRANSITIVE');
}

/** A change as the walk finds it, with the directions it breaks (none for an additive change). */
export interface FoundChange {
  change: EventChange;
  breaks: readonly CompatibilityDirection[];
}

/** The change as `mode` rates it: unchanged when it breaks a direction the mode checks (or nothing). */
export function rateChange({ change, breaks }: FoundChange, mode: CompatibilityMode): EventChange {
  const checked = checkedDirections(mode);
  if (breaks.length === 0 || breaks.some((direction) => checked.includes(direction))) return change;
  const ruleLevel: EventChangeLevel = change.level;
  const only = mode === 'NONE' ? '' : ' only';
  return {
    ...change,
    level: 'INFO',
    text: `${change.text} (not checked under ${mode}: breaks ${breaks.join(' and ')} compatibility${only})`,
    ruleLevel,
    breaks: [...breaks],
  };
}
