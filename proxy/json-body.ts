/**
 * The admin API's JSON bodies: JSON.parse (which never calls a setter, so `__proto__` is a plain key that the
 * route's field check names), and a key given twice is refused: `{"percent": 30, "percent": 40}` is a typo or a
 * template gone wrong, and taking the last one silently would apply a change nobody read.
 */
export class JsonBodyError extends Error {
  readonly code = 'STRANGLER_ERR_JSON_BODY';
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw Object.assign(new Error('body is empty'), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw Object.assign(new Error((err as Error).message), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
  }
  const twice = firstKeyGivenTwice(text);
  if (twice !== undefined) throw new JsonBodyError(`body gives the key ${JSON.stringify(twice)} twice`);
  return parsed;
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
