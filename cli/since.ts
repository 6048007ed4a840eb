import { sinceTime } from '../core/since';
import { CliError } from './output';

/** `--since`: a duration back from now (`90s`, `30m`, `1h`, `7d`) (at most ten years) or an ISO-8601 time, taken as given. */
export function parseSince(text: string, now = new Date()): Date {
  const time = sinceTime(text, now);
  if (typeof time === 'string') throw new CliError(`--since: ${time}`, 2);
  return time;
}
