/**
 * Type and format compatibility, following oasdiff's lattice: `integer` is within `number`; formats widen
 * `float`→`double`, `int32`→`int64`/`bigint`, `int64`→`bigint`, `date`/`time`→`date-time`; removing a format
 * or a type constraint widens. In a media type that is not strongly typed (anything but JSON) every value
 * can also be read as a string, so a change *to* string is safe there. Requests are contravariant (the
 * revision must accept what the base accepted), responses covariant (the revision must return only what
 * the base could).
 */

/** Non-null types of a schema (OpenAPI 3.1 `type: [string, 'null']` counts as `string`). */
export function typesOf(schema: Record<string, unknown>): string[] {
  const t = schema.type;
  const list = typeof t === 'string' ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : [];
  return [...new Set(list.filter((x) => x !== 'null'))].sort();
}

export function isNullable(schema: Record<string, unknown>): boolean {
  if (schema.nullable === true) return true;
  const t = schema.type;
  return t === 'null' || (Array.isArray(t) && t.includes('null'));
}

export function isStronglyTyped(mediaType: string | undefined): boolean {
  if (!mediaType) return true;
  const base = mediaType.split(';')[0]!.trim().toLowerCase();
  return base === 'application/json' || base.endsWith('+json');
}

function isSubtype(sub: string, sup: string): boolean {
  return sub === sup || (sub === 'integer' && sup === 'number');
}

/** Every type of `sub` is covered by one of `sup` (both non-empty). */
export function typeSetSubset(sub: string[], sup: string[]): boolean {
  if (sub.length === 0 || sup.length === 0) return false;
  return sub.every((t) => sup.some((s) => isSubtype(t, s)));
}

function typeContained(to: string[], from: string[], strong: boolean): boolean {
  if (to.length === 1 && from.length === 1 && isSubtype(from[0]!, to[0]!)) return true;
  if (!strong) return to.length === 0 || (to.length === 1 && to[0] === 'string');
  return false;
}

function formatContained(toTypes: string[], to: string, from: string): boolean {
  if (to === '') return true;
  if (toTypes.length !== 1) return false;
  switch (toTypes[0]) {
    case 'number':
      return to === 'double' && from === 'float';
    case 'integer':
      return (to === 'int64' && from === 'int32') || (to === 'bigint' && (from === 'int32' || from === 'int64'));
    case 'string':
      return to === 'date-time' && (from === 'date' || from === 'time');
  }
  return false;
}

export interface TypeChange {
  baseTypes: string[];
  revTypes: string[];
  baseFormat: string;
  revFormat: string;
  typeChanged: boolean;
  formatChanged: boolean;
}

export function typeChange(b: Record<string, unknown>, r: Record<string, unknown>): TypeChange | undefined {
  const baseTypes = typesOf(b);
  const revTypes = typesOf(r);
  const baseFormat = typeof b.format === 'string' ? b.format : '';
  const revFormat = typeof r.format === 'string' ? r.format : '';
  const typeChanged = baseTypes.join(',') !== revTypes.join(',');
  const formatChanged = baseFormat !== revFormat;
  if (!typeChanged && !formatChanged) return undefined;
  return { baseTypes, revTypes, baseFormat, revFormat, typeChanged, formatChanged };
}

function core(added: string[] | undefined, deleted: string[], fromFormat: string | undefined, toFormat: string, strong: boolean, toTypes: string[]): boolean {
  if (added !== undefined && toTypes.length === 0) return false;
  const typeBreaking = added !== undefined && !typeContained(added, deleted, strong);
  const formatBreaking = fromFormat !== undefined && !formatContained(toTypes, toFormat, fromFormat);
  return typeBreaking || formatBreaking;
}

function added(c: TypeChange): string[] {
  return c.revTypes.filter((t) => !c.baseTypes.includes(t));
}
function deleted(c: TypeChange): string[] {
  return c.baseTypes.filter((t) => !c.revTypes.includes(t));
}

/** Is this change breaking for something the client sends? */
export function requestTypeBreaking(c: TypeChange, strong: boolean): boolean {
  const widening = c.typeChanged && typeSetSubset(c.baseTypes, c.revTypes);
  const typeAxis = c.typeChanged && !widening;
  return core(typeAxis ? added(c) : undefined, deleted(c), c.formatChanged ? c.baseFormat : undefined, c.revFormat, strong, c.revTypes);
}

/** Is this change breaking for something the client receives? (The request check, reversed.) */
export function responseTypeBreaking(c: TypeChange, strong: boolean): boolean {
  const narrowing = c.typeChanged && typeSetSubset(c.revTypes, c.baseTypes);
  const typeAxis = c.typeChanged && !narrowing;
  return core(typeAxis ? deleted(c) : undefined, added(c), c.formatChanged ? c.revFormat : undefined, c.baseFormat, strong, c.baseTypes);
}

/** Request: is the change a real widening (as opposed to a swap that is only safe because the media type is loose)? */
export function requestIsWidening(c: TypeChange): boolean {
  return requestTypeBreaking(c, true) === false;
}

/** Response: the revision's type set covers the base's and more (integer → number): `…-type-generalized`. */
export function responseTypeWidened(c: TypeChange): boolean {
  return c.typeChanged && typeSetSubset(c.baseTypes, c.revTypes);
}

/** Response: non-breaking and a true narrowing (number → integer), as opposed to a loose-media swap. */
export function responseIsNarrowing(c: TypeChange): boolean {
  return responseTypeBreaking(c, true) === false;
}

export function describeType(types: string[], format: string): string {
  const t = types.length ? types.join(', ') : 'any';
  return format ? `${t}/${format}` : t;
}
