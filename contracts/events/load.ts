/**
 * Event schemas from disk: one schema file, or a directory of them.
 *
 * Files: `*.json`, `*.yaml`, `*.yml` directly in the directory (not in sub-directories; names starting with
 * `.` are skipped). Each file is one JSON Schema (draft-07 or 2020-12) for one version of one event.
 *
 * Which event and version a schema is for, first rule that gives an answer wins:
 *   name:    1. the last segment of `$id` (split on `/` and `:`; fragment and query dropped; a trailing
 *               `v2` or `2` segment is the version, not the name; extensions and a `.v2` suffix are cut, as
 *               for file names), e.g. `https://acme.test/events/order-placed.v2.schema.json` → order-placed
 *               and `urn:acme:events:order-placed:v2` → order-placed;
 *            2. `title`, trimmed, as written;
 *            3. the file name without `.schema.json` / `.json` / `.schema.yaml` / `.yaml` / `.yml` and
 *               without a `.vN` suffix: `order-placed.json`, `order-placed.v2.schema.json` → order-placed.
 *   version: 1. `x-version` (a positive integer, or a string of digits);
 *            2. the version in `$id` (`…/v2`, `…:2`, `….v2.schema.json`);
 *            3. the version in the file name (`order-placed.v2.json`);
 *            4. otherwise 1.
 * Two files in one directory for the same event and version are an error.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EventContractError, describeFsError } from './errors';
import { parseDataText } from './json-text';

export type JsonObject = Record<string, unknown>;

export interface EventSchema {
  /** Event name, e.g. `order-placed`. */
  event: string;
  /** Schema version, 1 when nothing says otherwise. */
  version: number;
  /** The file it was read from. */
  file: string;
  /** The schema document as parsed. */
  schema: JsonObject;
}

export interface EventSchemaSet {
  /** The path given (file or directory). */
  path: string;
  kind: 'file' | 'directory';
  /** Sorted by event name, then version. */
  schemas: EventSchema[];
}

export const SCHEMA_FILE_EXTENSIONS = ['.json', '.yaml', '.yml'];

const EXTENSION = /(\.schema)?\.(json|ya?ml)$/i;
const VERSION_SUFFIX = /\.v([0-9]+)$/i;
const VERSION_SEGMENT = /^v?([0-9]+)$/i;

/** `order-placed v2`: how an event and version are shown to people. */
export function eventLabel(event: string, version: number | undefined): string {
  return version === undefined ? event : `${event} v${version}`;
}

/** A map key for an event and version. */
export function eventKey(event: string, version: number): string {
  return `${event}\u0000${version}`;
}

/** Name and version from a file or `$id` segment: `order-placed.v2.schema.json` → order-placed, 2. */
export function splitNameAndVersion(segment: string): { name: string; version?: number } {
  const bare = segment.replace(EXTENSION, '');
  const match = VERSION_SUFFIX.exec(bare);
  if (!match) return { name: bare };
  return { name: bare.slice(0, match.index), version: Number(match[1]) };
}

/** Name and version from `$id`, if it names one. */
export function identityFromId(id: string): { name?: string; version?: number } {
  const segments = id
    .replace(/[#?].*$/, '')
    .split(/[/:]/)
    .filter((s) => s !== '');
  let version: number | undefined;
  const last = segments[segments.length - 1];
  if (last !== undefined && VERSION_SEGMENT.test(last) && segments.length > 1) {
    version = Number(VERSION_SEGMENT.exec(last)![1]);
    segments.pop();
  }
  const segment = segments[segments.length - 1];
  if (segment === undefined) return { version };
  const split = splitNameAndVersion(segment);
  return { name: split.name || undefined, version: version ?? split.version };
}

function xVersion(schema: JsonObject, file: string): number | undefined {
  const raw = schema['x-version'];
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' && /^[0-9]+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new EventContractError(file, `x-version must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The event name and version a schema read from `file` is for (see the rules at the top of this file). */
export function eventIdentity(schema: JsonObject, file: string): { event: string; version: number } {
  const fromId = typeof schema.$id === 'string' ? identityFromId(schema.$id) : {};
  const fromFile = splitNameAndVersion(basename(file));
  const title = typeof schema.title === 'string' ? schema.title.trim() : '';
  const event = fromId.name ?? (title || fromFile.name);
  if (!event) throw new EventContractError(file, 'cannot tell the event name: give the schema an $id or a title, or name the file <event>.json');
  const version = xVersion(schema, file) ?? fromId.version ?? fromFile.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) throw new EventContractError(file, `the version must be a positive integer, got ${version}`);
  return { event, version };
}

/** Reads one schema file. */
export function loadEventSchemaFile(file: string): EventSchema {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EventContractError(file, `cannot read: ${describeFsError(err)}`);
  }
  const schema = parseDataText(text, file);
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    const got = schema === null ? 'null' : Array.isArray(schema) ? 'an array' : `a ${typeof schema}`;
    throw new EventContractError(file, `not a JSON Schema: expected an object at the top level, got ${got}`);
  }
  return { ...eventIdentity(schema as JsonObject, file), file, schema: schema as JsonObject };
}

export function compareEventSchemas(a: { event: string; version: number }, b: { event: string; version: number }): number {
  return a.event < b.event ? -1 : a.event > b.event ? 1 : a.version - b.version;
}

/** Reads a schema file or a directory of schema files. */
export function loadEventSchemas(path: string): EventSchemaSet {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (err) {
    throw new EventContractError(path, `cannot read: ${describeFsError(err)}`);
  }
  if (!isDirectory) return { path, kind: 'file', schemas: [loadEventSchemaFile(path)] };

  let names: string[];
  try {
    names = readdirSync(path, { withFileTypes: true })
      .filter((entry) => !entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .filter((name) => SCHEMA_FILE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext)))
      .sort();
  } catch (err) {
    throw new EventContractError(path, `cannot read: ${describeFsError(err)}`);
  }
  if (names.length === 0) throw new EventContractError(path, 'no event schemas in this directory (*.json, *.yaml, *.yml)');

  const byKey = new Map<string, EventSchema>();
  for (const name of names) {
    const schema = loadEventSchemaFile(join(path, name));
    const key = eventKey(schema.event, schema.version);
    const first = byKey.get(key);
    if (first) {
      throw new EventContractError(
        schema.file,
        `${eventLabel(schema.event, schema.version)} is already defined by ${first.file}: one schema per event and version`,
      );
    }
    byKey.set(key, schema);
  }
  return { path, kind: 'directory', schemas: [...byKey.values()].sort(compareEventSchemas) };
}
