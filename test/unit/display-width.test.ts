import { choiceWithoutValue, table } from '../../cli/output';
import { displayWidth, truncateToWidth } from '../../core/display-width';
import { normalisationNote } from '../../core/unicode-form';

describe('displayWidth: terminal columns', () => {
  test.each([
    ['route-a', 7, 'ASCII'],
    ['名前', 4, 'CJK ideographs: 2 each'],
    ['한국어', 6, 'Hangul syllables'],
    ['ｶﾀｶﾅ', 4, 'halfwidth katakana: 1 each'],
    ['ＡＢ', 4, 'fullwidth Latin'],
    ['Ōtani', 5, 'precomposed (NFC)'],
    ['Ōtani'.normalize('NFD'), 5, 'decomposed (NFD): the combining macron takes no column'],
    ['👍', 2, 'an emoji'],
    ['👨‍👩‍👧', 2, 'a ZWJ family: one emoji'],
    ['🇯🇵', 2, 'a flag: two regional indicators, one emoji'],
    ['❤️', 2, 'a text pictograph with VS16: an emoji'],
    ['❤', 1, 'the same pictograph without it: text'],
    ['a\u200bb', 2, 'a zero-width space'],
  ])('%j is %d columns: %s', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });

  test('truncateToWidth cuts by columns, never inside a character, and ends with …', () => {
    expect(truncateToWidth('名前名前名前', 5)).toBe('名前…');
    expect(truncateToWidth('abcdef', 4)).toBe('abc…');
    expect(truncateToWidth('名前', 4)).toBe('名前');
    expect(truncateToWidth('👨‍👩‍👧👨‍👩‍👧', 3)).toBe('👨‍👩‍👧…');
  });

  test('the CLI table pads by columns: a CJK or emoji cell does not shift the next column', () => {
    const lines = table(['ROUTE', 'STAGE'], [['orders', 'live'], ['注文', 'shadow'], ['🚀', 'canary']]);
    expect(lines).toEqual(['ROUTE   STAGE', 'orders  live', '注文    shadow', '🚀      canary']);
  });
});

describe('normalisationNote', () => {
  test('two values equal but for Unicode normalisation say which forms; anything else says nothing', () => {
    const nfc = '"Ōtani Shōhei"';
    expect(normalisationNote(nfc, nfc.normalize('NFD'))).toBe('same text, different Unicode normalisation: NFC vs NFD');
    expect(normalisationNote(nfc.normalize('NFD'), nfc)).toBe('same text, different Unicode normalisation: NFD vs NFC');
    expect(normalisationNote(nfc, nfc)).toBeUndefined();
    expect(normalisationNote(nfc, '"Otani"')).toBeUndefined();
    expect(normalisationNote(nfc, null)).toBeUndefined();
    expect(normalisationNote(undefined, nfc)).toBeUndefined();
  });
});

describe('choiceWithoutValue', () => {
  test('a flag with choices given no value is said as the flag and its choices; other messages are kept', () => {
    expect(choiceWithoutValue('Invalid values:\n  Argument: format, Given: true, Choices: "text", "markdown", "html", "json"')).toBe('--format: needs a value: text, markdown, html or json');
    const wrong = 'Invalid values:\n  Argument: format, Given: "pdf", Choices: "text", "json"';
    expect(choiceWithoutValue(wrong)).toBe(wrong);
  });
});
