/**
 * JSON text that PostgreSQL's json and jsonb accept. JSON.stringify writes a lone surrogate (a key or value
 * cut from broken UTF-16) as `\udxxx` and NUL as `\u0000`; PostgreSQL refuses both, and one such text fails
 * the statement with everything else in it. Both become U+FFFD, as a UTF-8 decoder does with bytes it
 * cannot read. JSON.stringify writes surrogate pairs as characters, so every `\ud800`–`\udfff` escape it
 * leaves is a lone one.
 */
export function jsonForPostgres(value: unknown): string {
  const text = JSON.stringify(value);
  return REFUSED_HINT.test(text) ? text.replace(REFUSED_ESCAPE, (_escape, backslashes: string) => `${backslashes}\\ufffd`) : text;
}

const REFUSED_HINT = /\\u(?:d[89a-f]|0000)/i;
/** The escape itself, not a literal backslash before `u` (an even run of backslashes stays as it is). */
const REFUSED_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:d[89a-f][0-9a-f]{2}|0000)/gi;
