/** The code of the error parseJsonBody throws for a key given twice (the others are fastify's own). */
export const KEY_GIVEN_TWICE = 'STRANGLER_ERR_JSON_KEY_GIVEN_TWICE';

/**
 * The admin API's JSON bodies: JSON.parse (which never calls a setter, so `__proto__` is a plain key that the
 * route's field check names), and a key given twice is refused: `{"percent": 30, "percent": 40}` is a typo or a
 * template gone wrong, and taking the last one silently would apply a change nobody read. Errors carry the
 * code fastify's own JSON parser gives the same failure, so they are answered alike.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw codedError('body is empty', 'FST_ERR_CTP_EMPTY_JSON_BODY');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw codedError((err as Error).message, 'FST_ERR_CTP_INVALID_JSON_BODY');
  }
  const twice = firstKeyGivenTwice(text);
  if (twice !== undefined) throw codedError(`body gives the key ${JSON.stringify(twice)} twice`, KEY_GIVEN_TWICE);
  return parsed;
}

function codedError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** The first key an object of `json` (valid JSON) has twice, or undefined. */
export function firstKeyGivenTwice(json: string): string | undefined {
  // The keys seen so far of each open object; undefined for an open array.
  const open: Array<Set<string> | undefined> = [];
  let expectingKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      if (expectingKey && keys) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectingKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      open.push(c === '{' ? new Set() : undefined);
      expectingKey = c === '{';
    } else if (c === '}' || c === ']') {
      open.pop();
    } else if (c === ',') {
      expectingKey = open[open.length - 1] !== undefined;
    }
  }
  return undefined;
}
