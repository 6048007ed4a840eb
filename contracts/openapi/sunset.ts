/**
 * Deprecation metadata the way oasdiff reads it: `deprecated: true` plus the `x-sunset` extension (a date,
 * `YYYY-MM-DD` or RFC 3339), and `x-stability-level` (draft < alpha < beta < stable). The sunset grace period
 * (`--deprecation-days-beta/-stable`) applies per stability level: none for draft and alpha, the beta
 * period for beta, the stable period for stable and for operations without a level.
 */
import type { DiffContext } from './context';

export const STABILITY_LEVELS = ['draft', 'alpha', 'beta', 'stable'] as const;
export type Stability = (typeof STABILITY_LEVELS)[number];

export type SunsetRead = { kind: 'none' } | { kind: 'date'; date: string } | { kind: 'invalid'; raw: unknown };

export function readSunset(extensions: Record<string, unknown>): SunsetRead {
  if (!Object.prototype.hasOwnProperty.call(extensions, 'x-sunset')) return { kind: 'none' };
  const raw = extensions['x-sunset'];
  const date = parseSunsetDate(raw);
  return date ? { kind: 'date', date } : { kind: 'invalid', raw };
}

/** `YYYY-MM-DD` for a valid civil date or RFC 3339 timestamp, else undefined. */
export function parseSunsetDate(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  const civil = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (civil) return validDate(+civil[1]!, +civil[2]!, +civil[3]!) ? text : undefined;
  const rfc = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!rfc || !validDate(+rfc[1]!, +rfc[2]!, +rfc[3]!) || +rfc[4]! > 23 || +rfc[5]! > 59 || +rfc[6]! > 60) return undefined;
  // oasdiff takes the date as written in the timestamp's own offset.
  return `${rfc[1]}-${rfc[2]}-${rfc[3]}`;
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

/** Whole days from `from` to `to` (both `YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export type StabilityRead = { kind: 'none' } | { kind: 'level'; level: Stability } | { kind: 'invalid'; raw: unknown };

export function readStability(extensions: Record<string, unknown>): StabilityRead {
  if (!Object.prototype.hasOwnProperty.call(extensions, 'x-stability-level')) return { kind: 'none' };
  const raw = extensions['x-stability-level'];
  return typeof raw === 'string' && (STABILITY_LEVELS as readonly string[]).includes(raw) ? { kind: 'level', level: raw as Stability } : { kind: 'invalid', raw };
}

/** The grace period the policy asks for, for an element of this stability (undefined level = stable). */
export function deprecationDays(ctx: DiffContext, stability: Stability | undefined): number {
  if (stability === 'draft' || stability === 'alpha') return 0;
  if (stability === 'beta') return ctx.deprecationDaysBeta;
  return ctx.deprecationDaysStable;
}
