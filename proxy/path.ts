/**
 * Request-target normalisation: dot-segments must never let a request cross a route prefix
 * (`/api/orders/../admin` is `/api/admin`, matched and forwarded as such).
 */

export interface RequestTarget {
  path: string;
  /** Including the leading `?`, or empty. */
  query: string;
}

/** Returns undefined when the target is not acceptable (escapes the root, ambiguous encodings). */
export function normaliseTarget(url: string): RequestTarget | undefined {
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
  const path = resolveDotSegments(rawPath);
  return path === undefined ? undefined : { path, query };
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
function absoluteFormPath(target: string): string | undefined {
  const match = /^https?:\/\/[^/?#]*(.*)$/i.exec(target);
  if (!match) return undefined;
  const rest = match[1]!;
  return rest === '' || rest.startsWith('?') ? '/' + rest : rest;
}
