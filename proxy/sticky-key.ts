import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Stickiness } from '../core/config/types';

/** The value a sticky split hashes, or undefined when the request does not carry it. */
export function stickyValue(stickiness: Stickiness, req: IncomingMessage, query: string): string | undefined {
  switch (stickiness.kind) {
    case 'random':
      return undefined;
    case 'header': {
      const value = req.headers[stickiness.name];
      const first = Array.isArray(value) ? value[0] : value;
      return first ? utf8Text(first) : undefined;
    }
    case 'cookie':
      return cookieValue(req.headers.cookie, stickiness.name);
    case 'query':
      return queryValue(query, stickiness.name);
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value ? percentDecode(utf8Text(value)) : undefined;
    }
    start = end + 1;
  }
  return undefined;
}

/** `query` includes its leading `?` (or is empty). */
export function queryValue(query: string, name: string): string | undefined {
  if (query.length < 2) return undefined;
  for (const pair of query.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    const key = formDecode(eq === -1 ? pair : pair.slice(0, eq));
    if (key !== name) continue;
    const value = eq === -1 ? '' : formDecode(utf8Text(pair.slice(eq + 1)));
    return value ? value : undefined;
  }
  return undefined;
}

/** Query strings use form encoding (`+` is a space); cookies do not. */
function formDecode(text: string): string {
  return percentDecode(text.includes('+') ? text.replace(/\+/g, ' ') : text);
}

function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const NOT_ASCII = /[\u0080-\u00ff]/;

/**
 * node:http hands header values and the URL over as Latin-1, one character per byte, so a user id sent as
 * UTF-8 (`renée`) arrives as `renÃ©e`. Hashed that way it would land on another side than unleash-client
 * puts `renée` on; valid UTF-8 is therefore read as UTF-8. Other bytes stay as they came.
 */
export function utf8Text(text: string): string {
  if (!NOT_ASCII.test(text)) return text;
  const bytes = Buffer.from(text, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : text;
}
