import { parseSince } from '../../cli/since';
import { CliError } from '../../cli/output';

/** A fixed "now" so every duration has one exact answer. */
const NOW = new Date('2025-06-01T12:00:00.000Z');

function rejection(text: string): CliError {
  try {
    parseSince(text, NOW);
  } catch (error) {
    if (error instanceof CliError) return error;
    throw new Error(`parseSince(${JSON.stringify(text)}) threw ${String(error)}, not a CliError`);
  }
  throw new Error(`parseSince(${JSON.stringify(text)}) accepted the text`);
}

/** The text is quoted as JSON: a newline in it shows as \n and the message stays one line. */
function message(text: string): string {
  return `--since: must be a duration such as 30m, 1h, 7d or an ISO-8601 time, got ${JSON.stringify(text)}`;
}

describe('parseSince: a duration back from now', () => {
  test.each([
    ['90s', '2025-06-01T11:58:30.000Z'], // 90 × 1 000 ms
    ['30m', '2025-06-01T11:30:00.000Z'], // 30 × 60 000 ms
    ['1h', '2025-06-01T11:00:00.000Z'], // 1 × 3 600 000 ms
    ['36h', '2025-05-31T00:00:00.000Z'], // hours past a day boundary
    ['7d', '2025-05-25T12:00:00.000Z'], // 7 × 86 400 000 ms
  ])('%s: each unit s, m, h, d', (text, expected) => {
    expect(parseSince(text, NOW).toISOString()).toBe(expected);
  });

  test.each([
    ['1.5h', '2025-06-01T10:30:00.000Z'],
    ['0.5d', '2025-06-01T00:00:00.000Z'],
    ['2.25m', '2025-06-01T11:57:45.000Z'],
  ])('%s: a decimal amount', (text, expected) => {
    expect(parseSince(text, NOW).toISOString()).toBe(expected);
  });

  test('0s is now itself, and leading zeros are just a number', () => {
    expect(parseSince('0s', NOW).toISOString()).toBe(NOW.toISOString());
    expect(parseSince('01h', NOW).toISOString()).toBe('2025-06-01T11:00:00.000Z');
  });

  test('whitespace around a duration is ignored (a quoted shell argument)', () => {
    expect(parseSince(' 2h ', NOW).toISOString()).toBe('2025-06-01T10:00:00.000Z');
    expect(parseSince('\t30m\n', NOW).toISOString()).toBe('2025-06-01T11:30:00.000Z');
  });

  test('a new Date each time; the given now is not changed', () => {
    const result = parseSince('1h', NOW);
    expect(result).not.toBe(NOW);
    expect(NOW.toISOString()).toBe('2025-06-01T12:00:00.000Z');
  });

  test('without a now, the duration counts back from the real clock', () => {
    const before = Date.now();
    const since = parseSince('1h').getTime();
    const after = Date.now();
    expect(since).toBeGreaterThanOrEqual(before - 3_600_000);
    expect(since).toBeLessThanOrEqual(after - 3_600_000);
  });
});

describe('parseSince: an ISO-8601 time', () => {
  test.each([
    ['2025-06-01', '2025-06-01T00:00:00.000Z'], // a date alone is UTC midnight
    ['2025-06-01T08:00:00Z', '2025-06-01T08:00:00.000Z'],
    ['2025-06-01T08:00:00.123Z', '2025-06-01T08:00:00.123Z'],
    ['2025-06-01T08:00:00+02:00', '2025-06-01T06:00:00.000Z'], // 08:00 at +02:00 is 06:00 UTC
    ['2025-05-31T08:00:00.5-05:30', '2025-05-31T13:30:00.500Z'], // 08:00:00.5 at -05:30 is 13:30:00.5 UTC
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'], // a leap day
  ])('%s', (text, expected) => {
    expect(parseSince(text, NOW).toISOString()).toBe(expected);
  });

  test('a date and time without an offset is local time, with a T or a space', () => {
    const local = new Date(2025, 4, 31, 8, 0, 0).getTime(); // 2025-05-31 08:00 in this machine's zone (before NOW in any)
    expect(parseSince('2025-05-31T08:00:00', NOW).getTime()).toBe(local);
    expect(parseSince('2025-05-31 08:00', NOW).getTime()).toBe(local);
  });

  test('the time is taken as given up to now; a time after now is refused (its report would be empty and pass), not clamped', () => {
    expect(parseSince('2000-01-01T00:00:00Z', NOW).toISOString()).toBe('2000-01-01T00:00:00.000Z');
    expect(parseSince(NOW.toISOString(), NOW).toISOString()).toBe(NOW.toISOString());
    const error = rejection('2030-01-01T00:00:00Z');
    expect(error.message).toBe(`--since: "2030-01-01T00:00:00Z" is in the future (now is ${NOW.toISOString()}); give a time before now`);
    expect(error.exitCode).toBe(2);
    expect(rejection('2025-06-01T12:00:00.001Z').exitCode).toBe(2);
  });
});

describe('parseSince: anything else is one CliError (exit code 2: a usage error) naming the text', () => {
  test.each([
    ['yesterday', 'a word'],
    ['', 'nothing'],
    ['   ', 'only spaces'],
    ['1H', 'an upper-case unit'],
    ['1 h', 'a space between amount and unit'],
    ['1hr', 'a longer unit name'],
    ['1w', 'weeks: not a unit'],
    ['1y', 'years: not a unit'],
    ['h', 'a unit without an amount'],
    ['30', 'an amount without a unit'],
    ['-1h', 'a negative duration'],
    ['+1h', 'a signed duration'],
    ['.5h', 'a decimal without its leading digit'],
    ['1.h', 'a decimal point without digits after it'],
    ['1,5h', 'a decimal comma'],
    ['1e3s', 'an exponent'],
    ['1h30m', 'two units together'],
    ['1717243200000', 'epoch milliseconds'],
    ['20250601', 'a basic-format date without dashes'],
    ['2025-6-1', 'a date without zero padding'],
    ['06/01/2025', 'a US-style date'],
    ['Sun, 01 Jun 2025 08:00:00 GMT', 'an RFC 7231 date (Date accepts it, --since does not)'],
    ['+002025-06-01', 'an expanded year'],
    ['2025-13-01', 'month 13'],
    ['2025-06-01T25:00:00Z', 'hour 25'],
    ['2025-06-01 garbage', 'a date followed by words'],
    [' 2025-06-01', 'a time with a leading space (only durations are trimmed)'],
    ['2025-06-01T08:00:00Z\n', 'a time with a trailing newline (only durations are trimmed)'],
  ])('%j: %s', (text) => {
    const error = rejection(text);
    expect(error.message).toBe(message(text));
    expect(error.exitCode).toBe(2);
  });

  test('the exact one-line message the CLI prints after "strangler: "', () => {
    const error = rejection('yesterday');
    expect(error.message).toBe('--since: must be a duration such as 30m, 1h, 7d or an ISO-8601 time, got "yesterday"');
    expect(error.message).not.toContain('\n');
    expect(error).toBeInstanceOf(Error);
  });

  test.each(['2025-06-01junk', '2025-02-30', '2025-02-31T00:00:00Z', '2025-06-01T24:00:00Z', '2025-06-01T12:00:00+25:00'])(
    '%j is not a real ISO-8601 time: rejected, not rolled over',
    (text) => {
      expect(rejection(text).message).toBe(message(text));
    },
  );

  test.each(['99999999999d', '9999999999999999999999s'])('%j reaches back beyond what a date can hold: rejected', (text) => {
    expect(rejection(text).message).toBe(message(text));
  });

  test('the text is quoted as JSON, so the message stays one line', () => {
    expect(rejection('1h\n2h').message).toBe('--since: must be a duration such as 30m, 1h, 7d or an ISO-8601 time, got "1h\\n2h"');
  });
});

describe('parseSince: times that cannot be meant', () => {
  test('more than ten years back is refused (a typo such as 100000d); exactly ten years is not', () => {
    expect(rejection('100000d').message).toBe('--since: "100000d" is more than ten years back (3650d)');
    expect(rejection('3651d').exitCode).toBe(2);
    expect(parseSince('3650d', NOW).toISOString()).toBe('2015-06-04T12:00:00.000Z');
  });
});
