/** How much of a value a message quotes: enough to recognise it, never a whole pasted file. */
const MAX_SHOWN = 80;

/** `text`, or its first `max` (80) characters and "…". */
export function cut(text: string, max = MAX_SHOWN): string {
  if (text.length <= max) return text;
  // Never end on half of a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(text[max - 1] ?? '') ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/** `text` as a JSON string, cut to 80 characters; a cut one says how long it is: `"aaa…" (20000000 characters)`. */
export function quoted(text: string): string {
  const shown = JSON.stringify(cut(text));
  return text.length <= MAX_SHOWN ? shown : `${shown} (${text.length} characters)`;
}
