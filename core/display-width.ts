/**
 * How many terminal columns text takes, so tables of values from production traffic (CJK names, emoji)
 * stay aligned. Per user-perceived character (grapheme cluster, by Intl.Segmenter): 2 for East Asian Wide
 * and Fullwidth characters (UAX #11) and emoji shown as emoji, 0 for combining marks and format characters
 * alone, 1 otherwise; what wcwidth-based terminals show, near enough. A table of ranges rather than a
 * dependency: the wide blocks change little between Unicode versions, and emoji come from the regex
 * property Node keeps current.
 */

/** East Asian Wide (W) and Fullwidth (F) blocks, code point ranges, ascending (UAX #11, blocks merged). */
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2329, 0x232a], // angle brackets
  [0x2e80, 0x303e], // CJK radicals, Kangxi radicals, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed and compatibility
  [0x3400, 0x4dbf], // CJK unified ideographs extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x16fe4], // ideographic symbols
  [0x17000, 0x18cff], // Tangut, Khitan
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x2fffd], // CJK extensions B–F, compatibility supplement
  [0x30000, 0x3fffd], // CJK extensions G, H
];

const EMOJI = /\p{Emoji_Presentation}/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff]/u;
const PLAIN_ASCII = /^[\x20-\x7e]*$/;
const EMOJI_SELECTOR = '\ufe0f';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function isWide(codePoint: number): boolean {
  let low = 0;
  let high = WIDE_RANGES.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [first, last] = WIDE_RANGES[middle]!;
    if (codePoint < first) high = middle - 1;
    else if (codePoint > last) low = middle + 1;
    else return true;
  }
  return false;
}

function characterWidth(character: string): number {
  if (ZERO_WIDTH.test(character)) return 0;
  return isWide(character.codePointAt(0)!) || EMOJI.test(character) ? 2 : 1;
}

/** A grapheme's columns: its widest character's (a ZWJ sequence or a flag shows as one emoji). */
function graphemeWidth(grapheme: string): number {
  // A text-style pictograph followed by VS16 (U+FE0F) is shown as an emoji: ❤️, ☺️.
  if (grapheme.includes(EMOJI_SELECTOR) && PICTOGRAPH.test(grapheme)) return 2;
  let widest = 0;
  for (const character of grapheme) widest = Math.max(widest, characterWidth(character));
  return widest;
}

/** Terminal columns `text` takes (see the module comment). */
export function displayWidth(text: string): number {
  if (PLAIN_ASCII.test(text)) return text.length;
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** `text` cut to at most `max` columns, ending with `…` when cut; never inside a grapheme. */
export function truncateToWidth(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  const room = Math.max(0, max - 1);
  let width = 0;
  let kept = '';
  for (const { segment } of graphemes.segment(text)) {
    const next = graphemeWidth(segment);
    if (width + next > room) break;
    width += next;
    kept += segment;
  }
  return `${kept}…`;
}

/** `text` padded with spaces to `width` columns, on the right (`left`-aligned) or on the left. */
export function padToWidth(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}
