/**
 * The JSONPath subset of the diff's `ignore`, `unordered` and `mapKeys` options, read once by the configuration check
 * and once by the diff engine that compiles it:
 *   `$`            the whole body (root)
 *   `.name`        object member `name` (any characters except `.` `[` `]` quotes and white space)
 *   `['name']`     object member, quoted with `'` or `"`; JSON-style escapes (`\'`, `\\`, `\n`, `\u00e9`)
 *   `[3]`          array element 3
 *   `[*]` / `.*`   wildcard: any member of an object or any element of an array (RFC 9535 semantics)
 * Not supported: recursive descent (`$..id`), filters (`[?…]`), slices (`[1:3]`), unions (`[1,2]`),
 * negative indices, paths not starting with `$`.
 */
export type PathStep = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

export class PathPatternError extends Error {}

/** Why `pattern` is not a path of the subset, or undefined when it is one. */
export function pathPatternProblem(pattern: string): string | undefined {
  try {
    parsePathPattern(pattern);
    return undefined;
  } catch (err) {
    if (err instanceof PathPatternError) return err.message;
    throw err;
  }
}

/** Parses one pattern into steps; throws a PathPatternError saying what is wrong (without the pattern). */
export function parsePathPattern(pattern: string): PathStep[] {
  // Declared with its type so that a call narrows like a `throw` does.
  const bad: (why: string) => never = (why) => {
    throw new PathPatternError(why);
  };
  if (pattern.length === 0 || pattern[0] !== '$') bad('a path must start with $');
  const steps: PathStep[] = [];
  let i = 1;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '.') {
      if (pattern[i + 1] === '.') bad('recursive descent ("..") is not supported; write the full path, e.g. $.items[*].id');
      let j = i + 1;
      while (j < pattern.length && pattern[j] !== '.' && pattern[j] !== '[') j++;
      const name = pattern.slice(i + 1, j);
      if (name === '') bad(`empty member name at offset ${i}`);
      if (name === '*') steps.push({ kind: 'wildcard' });
      else if (/[\]'"\s]/.test(name)) bad(`member name ${JSON.stringify(name)} needs brackets: ['…']`);
      else steps.push({ kind: 'key', key: name });
      i = j;
    } else if (c === '[') {
      const q = pattern[i + 1];
      if (q === '*' && pattern[i + 2] === ']') {
        steps.push({ kind: 'wildcard' });
        i += 3;
      } else if (q === "'" || q === '"') {
        let j = i + 2;
        let raw = '';
        while (j < pattern.length && pattern[j] !== q) {
          if (pattern[j] === '\\') {
            const e = pattern[j + 1];
            if (e === 'u') {
              const hex = pattern.slice(j + 2, j + 6);
              if (!/^[0-9a-fA-F]{4}$/.test(hex)) bad(`bad escape \\u${hex} at offset ${j}`);
              raw += String.fromCharCode(parseInt(hex, 16));
              j += 6;
              continue;
            }
            const map: Record<string, string> = { "'": "'", '"': '"', '\\': '\\', '/': '/', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };
            if (e === undefined || !(e in map)) bad(`bad escape at offset ${j}`);
            raw += map[e]!; // `e in map` was checked above
            j += 2;
          } else {
            raw += pattern[j];
            j++;
          }
        }
        if (j >= pattern.length || pattern[j + 1] !== ']') bad(`unterminated ['…'] at offset ${i}`);
        steps.push({ kind: 'key', key: raw });
        i = j + 2;
      } else {
        const close = pattern.indexOf(']', i);
        const inner = close < 0 ? pattern.slice(i + 1) : pattern.slice(i + 1, close);
        if (close < 0) bad(`unterminated [ at offset ${i}`);
        if (!/^\d+$/.test(inner) || (inner.length > 1 && inner[0] === '0') || inner.length > 9) {
          if (inner.startsWith('?')) bad('filter expressions ([?…]) are not supported');
          if (inner.includes(':')) bad('array slices ([a:b]) are not supported');
          if (inner.includes(',')) bad('unions ([a,b]) are not supported');
          bad(`unsupported selector [${inner}]; expected [*], [<index ≥ 0>] or ['name']`);
        }
        steps.push({ kind: 'index', index: Number(inner) });
        i = close + 1;
      }
    } else {
      bad(`unexpected ${JSON.stringify(c)} at offset ${i}; expected . or [`);
    }
  }
  return steps;
}
