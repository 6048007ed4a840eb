/**
 * When two different primitives still count as equal: numeric tolerance and timestamp tolerance.
 * Only reached for pairs that are not `===`, so none of this runs for equal values.
 */
import { distance, toNumber, type JsonNumber } from './exact-decimal';
import type { CompiledDiffOptions } from './options';

/** Floating-point slack (a few ULPs of the larger magnitude) added to a NON-zero tolerance, so that
 * `1.00` vs `1.01` with `absolute: 0.01` is within it although `1.01 − 1.00` is `0.010000000000000009`. */
const ULP_SLACK = 4 * Number.EPSILON;

/** 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z in ms: the window in which an integer may be epoch ms. */
export const EPOCH_MS_MIN = 946_684_800_000;
export const EPOCH_MS_MAX = 4_102_444_800_000;

/**
 * An object key that names a time. Case-insensitive whole keys `time`, `timestamp`, `ts`, `date`,
 * `datetime`, `created`, `updated`, `modified`, `deleted`, `expires`, `expiry`; camelCase suffixes `At`,
 * `Time`, `Timestamp`, `Ts`, `Date`, `DateTime` after a lower-case letter or digit (`createdAt`,
 * `lastModifiedDate`), optionally followed by `Ms`/`Millis`; snake/kebab suffixes `_at`, `_time`,
 * `_timestamp`, `_ts`, `_date`, `_datetime` (any case), optionally followed by `_ms`/`_millis`.
 * Durations such as `responseTime: 12` also match, which is why numbers must also be epoch ms (≥ year 2000).
 */
const TIME_KEY_WHOLE = /^(?:time|timestamp|ts|date|datetime|created|updated|modified|deleted|expires|expiry)$/i;
const TIME_KEY_CAMEL = /[a-z0-9](?:At|Time|Timestamp|Ts|Date|DateTime)(?:Ms|Millis)?$/;
const TIME_KEY_SNAKE = /[_-](?:at|time|timestamp|ts|date|datetime)(?:[_-](?:ms|millis))?$/i;

export function isTimeLikeKey(key: string | undefined): boolean {
  if (key === undefined) return false;
  return TIME_KEY_WHOLE.test(key) || TIME_KEY_CAMEL.test(key) || TIME_KEY_SNAKE.test(key);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/** Milliseconds since the epoch of a full ISO-8601 date-time WITH a time zone, or `undefined`. */
export function parseIsoTimestamp(text: string): number | undefined {
  // Cheap gate before the regex: YYYY-MM-DDThh:mm is at least 16 characters, with '-' at 4.
  if (text.length < 17 || text.length > 40 || text.charCodeAt(4) !== 45) return undefined;
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const year = +m[1]!; // groups 1-5 are not optional
  const month = +m[2]!;
  const day = +m[3]!;
  const hour = +m[4]!;
  const minute = +m[5]!;
  const second = m[6] === undefined ? 0 : +m[6];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  let ms = utcMs(year, month - 1, day, hour, minute, Math.min(second, 59)) + fraction;
  if (new Date(utcMs(year, month - 1, day, 0, 0, 0)).getUTCDate() !== day) return undefined; // 2024-02-30
  if (m[8] === undefined) {
    const offsetHours = +m[10]!; // without Z, the sign and both offset groups matched
    const offsetMinutes = +m[11]!;
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
    ms += m[9] === '+' ? -offset : offset;
  }
  return ms;
}

/** Two different numbers equal under the numeric tolerance, or as epoch-ms timestamps under a time-like key. */
export function numbersClose(a: number, b: number, key: string | undefined, options: CompiledDiffOptions): boolean {
  const distance = Math.abs(a - b);
  const magnitude = Math.max(Math.abs(a), Math.abs(b));
  const tolerance = Math.max(options.absoluteTolerance, options.relativeTolerance * magnitude);
  if (tolerance > 0 && distance <= tolerance + magnitude * ULP_SLACK) return true;
  const ts = options.timestampToleranceMs;
  return (
    ts >= 0 &&
    distance <= ts &&
    Number.isInteger(a) &&
    Number.isInteger(b) &&
    a >= EPOCH_MS_MIN &&
    a < EPOCH_MS_MAX &&
    b >= EPOCH_MS_MIN &&
    b < EPOCH_MS_MAX &&
    isTimeLikeKey(key)
  );
}

/**
 * Two different numbers a double cannot hold (an integer beyond 2^53 against another integer, or an
 * ExactDecimal against any number) equal under the numeric tolerance. Their distance is exact, and no
 * floating-point slack is added: at 10^19 a few ULPs would be thousands. Never a timestamp.
 */
export function exactlyClose(a: JsonNumber, b: JsonNumber, options: CompiledDiffOptions): boolean {
  const magnitude = Math.max(Math.abs(toNumber(a)), Math.abs(toNumber(b)));
  const tolerance = Math.max(options.absoluteTolerance, options.relativeTolerance * magnitude);
  return tolerance > 0 && distance(a, b) <= tolerance;
}

/** Two different strings equal as ISO-8601 timestamps under the timestamp tolerance. */
export function stringsClose(a: string, b: string, options: CompiledDiffOptions): boolean {
  const ts = options.timestampToleranceMs;
  if (ts < 0) return false;
  const x = parseIsoTimestamp(a);
  if (x === undefined) return false;
  const y = parseIsoTimestamp(b);
  return y !== undefined && Math.abs(x - y) <= ts;
}

/** 400 Gregorian years, leap days included: the calendar repeats after them. */
const FOUR_CENTURIES_MS = 146_097 * 86_400_000;

/** Date.UTC, except that years 0–99 stay years 0–99 (Date.UTC reads them as 1900–1999). */
function utcMs(year: number, monthIndex: number, day: number, hour: number, minute: number, second: number): number {
  if (year >= 100) return Date.UTC(year, monthIndex, day, hour, minute, second);
  return Date.UTC(year + 400, monthIndex, day, hour, minute, second) - FOUR_CENTURIES_MS;
}
