import { parseIsoTime } from './iso-time';

const UNITS: Record<string, number> = { s: 1000, m: 60000, h: 3600000, d: 86400000 };

/** Ten years: a longer duration is a typo (`100000d`, read as 1753), not a window anyone keeps comparisons for. */
const LONGEST_MS = 3650 * UNITS.d!;

/**
 * A `since` (the CLI's `--since`, the admin API's `?since=`): a duration back from now (`90s`, `30m`, `1h`,
 * `7d`, at most ten years) or an ISO-8601 time, taken as given. A string: what is wrong with it.
 */
export function sinceTime(text: string, now = new Date()): Date | string {
  const duration = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  const time = duration ? new Date(now.getTime() - Number(duration[1]) * UNITS[duration[2]!]!) : parseIsoTime(text);
  if (!time || Number.isNaN(time.getTime())) return `must be a duration such as 30m, 1h, 7d or an ISO-8601 time, got ${JSON.stringify(text)}`;
  if (duration && now.getTime() - time.getTime() > LONGEST_MS) return `${JSON.stringify(text)} is more than ten years back (3650d)`;
  return time;
}
