/**
 * JSON paths as people read them: `$` is the event's data, `.name` a property (`['odd name']` when it is not
 * an identifier), `[*]` every array item, `[2]` one tuple position, `.*` every value of a map
 * (`additionalProperties` schema).
 */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export const ROOT_PATH = '$';

export function propertyPath(parent: string, name: string): string {
  if (IDENTIFIER.test(name)) return `${parent}.${name}`;
  return `${parent}['${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function itemsPath(parent: string): string {
  return `${parent}[*]`;
}

export function mapValuesPath(parent: string): string {
  return `${parent}.*`;
}

/** Splits a JSON Pointer (RFC 6901) into its unescaped tokens; `''` is the root. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * An instance location as ajv reports it (`/payload/items/0/price`) → `$.payload.items[0].price`. Tokens made
 * of digits are array positions (ajv's instancePath does not say whether a token indexes an array or names a
 * property, so pass `data` to tell them apart exactly).
 */
export function instancePathToJsonPath(instancePath: string, data?: unknown): string {
  let path = ROOT_PATH;
  let node: unknown = data;
  const known = data !== undefined;
  for (const token of pointerTokens(instancePath)) {
    const isIndex = known ? Array.isArray(node) : /^(0|[1-9][0-9]*)$/.test(token);
    path = isIndex ? indexPath(path, Number(token)) : propertyPath(path, token);
    if (known) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[token] : undefined;
  }
  return path;
}
