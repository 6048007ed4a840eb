/**
 * Request-target normalisation: dot-segments must never let a request cross a route prefix
 * (`/api/orders/../admin` is `/api/admin`, matched and forwarded as such), nor may an encoding the
 * monolith decodes (`/api/%6Frders` is `/api/orders`, RFC 3986 §6.2.2.2).
 */

export interface RequestTarget {
  path: string;
  /** Including the leading `?`, or empty. */
  query: string;
}

/** Returns undefined when the target is not acceptable (escapes the root, ambiguous encodings, a fragment). */
export function normaliseTarget(url: string): RequestTarget | undefined {
  // A request target has no fragment (RFC 9112 §3.2); servers that strip one would read another path than the one matched.
  if (url.includes('#')) return undefined;
  let target = url;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const absolute = absoluteFormPath(target);
    if (absolute === undefined) return undefined;
    target = absolute;
  }
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  if (!needsNormalising(rawPath)) return { path: rawPath, query };
  const path = resolveDotSegments(rawPath.includes('%') ? rawPath.replace(ENCODED_UNRESERVED, decodeOne) : rawPath);
  return path === undefined ? undefined : { path, query };
}

/** A percent-encoded unreserved character (letters, digits, `-`, `.`, `_`, `~`): the same as the character itself. */
const ENCODED_UNRESERVED = /%(?:2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])/g;

function decodeOne(escape: string): string {
  return String.fromCharCode(parseInt(escape.slice(1), 16));
}

function needsNormalising(path: string): boolean {
  return path.includes('/.') || path.includes('//') || path.includes('%') || path.includes('\\') || path.includes(';');
}

function resolveDotSegments(rawPath: string): string | undefined {
  if (/%2f|%5c|\\/i.test(rawPath) && /\.|%2e/i.test(rawPath)) return undefined;
  const out: string[] = [];
  const segments = rawPath.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const decoded = segment.replace(/%2e/gi, '.');
    // Servlet containers read `..;x` as `..`: a classic way past a proxy's prefix rules, so refuse it.
    if (decoded.includes(';') && /^\.{1,2}$/.test(decoded.slice(0, decoded.indexOf(';')))) return undefined;
    const last = i === segments.length - 1;
    if (decoded === '.' || (segment === '' && !last)) {
      if (last) out.push('');
      continue;
    }
    if (decoded === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(segment);
  }
  return '/' + out.join('/');
}

/** `http://host/path?q` → `/path?q`; anything else (`*`, authority-form) is not a path we route. */
/**
 * The authority of an absolute-form target (`http://shop.example:8080/x` → `shop.example:8080`, userinfo
 * dropped); undefined for origin-form. RFC 9112 §3.2.2: it replaces the Host header.
 */
export function absoluteFormAuthority(target: string): string | undefined {
  if (target.charCodeAt(0) === 47 /* / */) return undefined;
  const authority = /^https?:\/\/([^/?#]*)/i.exec(target)?.[1];
  if (!authority) return undefined;
  return authority.slice(authority.lastIndexOf('@') + 1) || undefined;
}

function absoluteFormPath(target: string): string | undefined {
  const match = /^https?:\/\/[^/?#]*(.*)$/i.exec(target);
  if (!match) return undefined;
  const rest = match[1]!;
  return rest === '' || rest.startsWith('?') ? '/' + rest : rest;
}
