import { parseIsoTime } from '../core/iso-time';
import { CliError } from './output';

const UNITS: Record<string, number> = { s: 1000, m: 60000, h: 3600000, d: 86400000 };

/** `--since`: a duration back from now (`90s`, `30m`, `1h`, `7d`) or an ISO-8601 time. */
export function parseSince(text: string, now = new Date()): Date {
  const duration = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  const time = duration ? new Date(now.getTime() - Number(duration[1]) * UNITS[duration[2]!]!) : parseIsoTime(text);
  if (time && !Number.isNaN(time.getTime())) return time;
  throw new CliError(`--since: must be a duration such as 30m, 1h, 7d or an ISO-8601 time, got ${JSON.stringify(text)}`, 2);
}
