import { readFileSync } from 'node:fs';
import { isObject } from '../is-object';
import { printable } from '../printable';
import { cut } from './excerpt';

/** A flag as an Unleash bootstrap file holds it: what every reader needs; the rest is Unleash's. */
export interface BootstrapFeature {
  name: string;
  enabled: boolean;
}

/** One condition of a segment, as Unleash's client API serves it. */
export interface BootstrapConstraint {
  contextName: string;
  operator: string;
  values?: string[];
  value?: string | number;
  inverted?: boolean;
  caseInsensitive?: boolean;
}

/** A segment (a reusable set of constraints that strategies name by id), as Unleash's client API serves it. */
export interface BootstrapSegment {
  id: number;
  name?: string;
  constraints: BootstrapConstraint[];
}

/** What an Unleash bootstrap file holds: the flags and the segments their strategies name (none in a bare list). */
export interface BootstrapFile {
  features: BootstrapFeature[];
  segments: BootstrapSegment[];
}

/** A strategy's reference to a segment the file does not hold: unleash-client lets no one through that strategy. */
export interface UnknownSegment {
  flag: string;
  segment: unknown;
}

const FORMAT = `Unleash's client features format {"version": 2, "features": [{"name", "enabled", "strategies"}]}`;
const SEGMENTS_FORMAT = `a list of Unleash segments [{"id", "constraints": [{"contextName", "operator", "values"}]}]`;

/**
 * The flags and segments of an Unleash bootstrap file (`{"version": 2, "features": [...], "segments": [...]}`,
 * or the bare list of flags), read once by `config validate` and once by the provider at start. Throws an Error
 * saying what is wrong (and in which field), without the path.
 */
export function readBootstrapFile(path: string): BootstrapFile {
  const parsed = readJson(path);
  if (Array.isArray(parsed)) return { features: checkedFeatures(parsed), segments: [] };
  const file = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { features?: unknown; segments?: unknown };
  return { features: checkedFeatures(file.features), segments: checkedSegments(file.segments) };
}

/** Every segment id a strategy names that `file` does not hold, with its flag. */
export function unknownSegments(file: BootstrapFile): UnknownSegment[] {
  const held = new Set(file.segments.map((segment) => segment.id));
  const unknown: UnknownSegment[] = [];
  for (const feature of file.features as Array<BootstrapFeature & { strategies?: Array<{ segments?: unknown[] }> }>) {
    for (const strategy of feature.strategies ?? []) {
      for (const segment of strategy.segments ?? []) if (!held.has(segment as number)) unknown.push({ flag: feature.name, segment });
    }
  }
  return unknown;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error('no such file');
    if (code === 'EISDIR') throw new Error(`is a folder, expected a file in ${FORMAT}`);
    if (code) throw new Error(`cannot be read (${code})`);
    // JSON.parse quotes the text around the mistake, line breaks and all: one line, and short.
    throw new Error(`not JSON (${cut(printable((err as Error).message), 160)})`);
  }
}

function checkedFeatures(features: unknown): BootstrapFeature[] {
  if (!Array.isArray(features) || !features.every(isFeature)) throw new Error(`expected ${FORMAT}`);
  return features;
}

function isFeature(value: unknown): value is BootstrapFeature {
  const f = value as BootstrapFeature | null;
  return typeof f === 'object' && f !== null && typeof f.name === 'string' && typeof f.enabled === 'boolean';
}

/** A file without segments (written before they were exported, or for flags that use none) has none. */
function checkedSegments(segments: unknown): BootstrapSegment[] {
  if (segments === undefined) return [];
  if (!Array.isArray(segments)) throw fieldError('segments', `expected ${SEGMENTS_FORMAT}`, segments);
  const seen = new Map<number, number>();
  segments.forEach((segment: unknown, index) => {
    const field = `segments[${index}]`;
    checkSegment(segment, field);
    const id = (segment as BootstrapSegment).id;
    const first = seen.get(id);
    if (first !== undefined) throw new Error(`${field}.id: segment ${id} is already segments[${first}]`);
    seen.set(id, index);
  });
  return segments as BootstrapSegment[];
}

function checkSegment(segment: unknown, field: string): void {
  if (!isObject(segment)) throw fieldError(field, 'expected a segment {"id", "constraints"}', segment);
  if (!Number.isSafeInteger(segment.id)) throw fieldError(`${field}.id`, 'expected the segment id (a whole number)', segment.id);
  if (segment.name !== undefined && typeof segment.name !== 'string') throw fieldError(`${field}.name`, 'expected text', segment.name);
  if (!Array.isArray(segment.constraints)) throw fieldError(`${field}.constraints`, 'expected a list of constraints [{"contextName", "operator", "values"}]', segment.constraints);
  segment.constraints.forEach((constraint: unknown, index) => checkConstraint(constraint, `${field}.constraints[${index}]`));
}

function checkConstraint(constraint: unknown, field: string): void {
  if (!isObject(constraint)) throw fieldError(field, 'expected a constraint {"contextName", "operator", "values"}', constraint);
  const { contextName, operator, values, value, inverted, caseInsensitive } = constraint;
  if (typeof contextName !== 'string' || contextName === '') throw fieldError(`${field}.contextName`, 'expected a context field name', contextName);
  if (typeof operator !== 'string' || operator === '') throw fieldError(`${field}.operator`, 'expected an operator such as "IN"', operator);
  if (values !== undefined && !(Array.isArray(values) && values.every((v) => typeof v === 'string'))) throw fieldError(`${field}.values`, 'expected a list of texts', values);
  if (value !== undefined && typeof value !== 'string' && typeof value !== 'number') throw fieldError(`${field}.value`, 'expected text or a number', value);
  if (inverted !== undefined && typeof inverted !== 'boolean') throw fieldError(`${field}.inverted`, 'expected true or false', inverted);
  if (caseInsensitive !== undefined && typeof caseInsensitive !== 'boolean') throw fieldError(`${field}.caseInsensitive`, 'expected true or false', caseInsensitive);
}

function fieldError(field: string, expected: string, got: unknown): Error {
  return new Error(`${field}: ${expected}, got ${shown(got)}`);
}

/** A value as it reads in the file, cut short: the message stays one line. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
