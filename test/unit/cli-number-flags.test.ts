import { readNumberFlag, type NumberRule } from '../../cli/commands/common';
import { CliError, oneLine, withoutCamelCaseTwins } from '../../cli/output';

const DAYS: NumberRule = { what: 'a whole number of days', min: 0, integer: true };
const SECONDS: NumberRule = { what: 'a number of seconds', min: 0, max: 300 };

describe('number flags are read as typed', () => {
  test.each([
    ['0', DAYS, 0],
    [' 14 ', DAYS, 14],
    ['2.5', SECONDS, 2.5],
    ['.5', SECONDS, 0.5],
    ['300', SECONDS, 300],
    [1, SECONDS, 1],
  ])('%j is %s', (text, rule, value) => {
    expect(readNumberFlag('--x', text, rule)).toBe(value);
  });

  test.each([
    ['abc', SECONDS, '--x: must be a number of seconds from 0 to 300, got "abc"'],
    ['', SECONDS, '--x: must be a number of seconds from 0 to 300, got ""'],
    ['301', SECONDS, '--x: must be a number of seconds from 0 to 300, got "301"'],
    ['1e3', SECONDS, '--x: must be a number of seconds from 0 to 300, got "1e3"'],
    ['2.5', DAYS, '--x: must be a whole number of days, 0 or more, got "2.5"'],
    ['-1', DAYS, '--x: must be a whole number of days, 0 or more, got "-1"'],
    // A flag given twice: yargs hands over both values.
    [['1', '2'], DAYS, '--x: must be a whole number of days, 0 or more, got ["1","2"]'],
  ])('%j is refused, echoing what was given, exit 2', (text, rule, message) => {
    let error: unknown;
    try {
      readNumberFlag('--x', text, rule);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ message, exitCode: 2 });
  });
});

describe('oneLine', () => {
  test('joins lines with "; ", and a heading ending in ":" with a space', () => {
    expect(oneLine('Invalid values:\n  Argument: stage, Given: "x"')).toBe('Invalid values: Argument: stage, Given: "x"');
    expect(oneLine('first\n  second\nthird')).toBe('first; second; third');
  });
});

describe('withoutCamelCaseTwins', () => {
  test('a dashed flag yargs also names camel-cased is named once, as typed', () => {
    expect(withoutCamelCaseTwins('Unknown arguments: fail-level, failLevel')).toBe('Unknown argument: fail-level');
    expect(withoutCamelCaseTwins('Unknown arguments: fail-level, failLevel, abc, x-y-z, xYZ')).toBe('Unknown arguments: fail-level, abc, x-y-z');
    expect(withoutCamelCaseTwins('Unknown argument: frobnicate')).toBe('Unknown argument: frobnicate');
    expect(withoutCamelCaseTwins('Not enough arguments following: window')).toBe('Not enough arguments following: window');
  });
});
