import { sinceTime } from '../core/since';
import { CliError } from './output';

/**
 * `--since`: a duration back from now (`90s`, `30m`, `1h`, `7d`) (at most ten years) or an ISO-8601 time,
 * taken as given, but not after now: a window that starts later holds nothing, and a report of nothing would
 * pass for a clean one. (The admin API's `?since=` takes a later time: the proxy's clock need not be this one's.)
 */
export function parseSince(text: string, now = new Date()): Date {
  const time = sinceTime(text, now);
  if (typeof time === 'string') throw new CliError(`--since: ${time}`, 2);
  if (time.getTime() > now.getTime()) throw new CliError(`--since: ${JSON.stringify(text)} is in the future (now is ${now.toISOString()}); give a time before now`, 2);
  return time;
}
