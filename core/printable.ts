/**
 * Makes text from outside (production traffic, contract files) safe to print: control characters (ESC, CR,
 * LF, …, C1) and bidi overrides become `\uXXXX`, so a value can neither break a line or a table nor send
 * terminal escapes or reorder what a page shows.
 */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
