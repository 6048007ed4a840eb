/**
 * Sample events against their schemas, with ajv: draft-07 (also draft-06 and schemas without `$schema`),
 * 2019-09 and 2020-12 by the schema's `$schema`; formats on (ajv-formats); every error, not just the first.
 * Unknown keywords (`x-version`, …) are allowed. Each schema is compiled up front, in an ajv of its own, so a
 * broken schema is an `EventContractError` naming its file even when no sample uses it.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json';
import { EventContractError } from './errors';
import { instancePathToJsonPath, propertyPath, ROOT_PATH } from './json-path';
import { eventKey, eventLabel, type EventSchema, type EventSchemaSet } from './load';
import type { SampleEvent } from './samples';

/** One problem with one sample event. */
export interface EventFailure {
  /** 0-based position of the event in the events file. */
  index: number;
  /** 1-based line in a JSON-lines file. */
  line?: number;
  /** The event name as given ('' when the entry has none). */
  event: string;
  /** The schema version used or asked for. */
  version?: number;
  /** Where in the event's data: `$.payload.items[0].price`; `$` for the whole event or entry. */
  path: string;
  message: string;
}

export interface ValidationResult {
  /** How many events were checked. */
  events: number;
  failures: EventFailure[];
}

type Dialect = 'draft-07' | 'draft-06' | '2019-09' | '2020-12';

/** The dialect a schema's `$schema` asks for; an `EventContractError` for one ajv does not speak. */
export function schemaDialect(schema: EventSchema): Dialect {
  const uri = schema.schema.$schema;
  if (uri === undefined) return 'draft-07';
  if (typeof uri !== 'string') throw new EventContractError(schema.file, '$schema must be a string (a JSON Schema dialect URI)');
  if (/draft-07/.test(uri)) return 'draft-07';
  if (/draft-06/.test(uri)) return 'draft-06';
  if (/2019-09/.test(uri)) return '2019-09';
  if (/2020-12/.test(uri)) return '2020-12';
  throw new EventContractError(schema.file, `$schema ${JSON.stringify(uri)} is not supported: use draft-07 or 2020-12 (also draft-06, 2019-09)`);
}

const OPTIONS: Options = { allErrors: true, strict: false, verbose: true, validateFormats: true };

function newAjv(dialect: Dialect): Ajv | Ajv2019 | Ajv2020 {
  const ajv = dialect === '2020-12' ? new Ajv2020(OPTIONS) : dialect === '2019-09' ? new Ajv2019(OPTIONS) : new Ajv(OPTIONS);
  if (dialect === 'draft-06') ajv.addMetaSchema(draft06);
  addFormats(ajv);
  return ajv;
}

/** Compiles one schema; an `EventContractError` naming the file when ajv refuses it. */
export function compileEventSchema(schema: EventSchema): ValidateFunction {
  const ajv = newAjv(schemaDialect(schema));
  if (!ajv.validateSchema(schema.schema)) {
    const first = ajv.errors?.[0];
    const where = first ? `#${first.instancePath}` : '#';
    throw new EventContractError(schema.file, `invalid schema at ${where}: ${first?.message ?? 'does not match its meta-schema'}`);
  }
  try {
    return ajv.compile(schema.schema);
  } catch (err) {
    throw new EventContractError(schema.file, `invalid schema: ${(err as Error).message}`);
  }
}

/** ajv errors → failures with a JSON path and a message that says what was expected (and found). */
export function describeAjvErrors(errors: readonly ErrorObject[], data: unknown): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const at = instancePathToJsonPath(error.instancePath, data);
    const params = error.params as Record<string, unknown>;
    let path = at;
    let message = error.message ?? error.keyword;
    switch (error.keyword) {
      case 'required':
      case 'dependentRequired':
      case 'dependencies':
        if (typeof params.missingProperty === 'string') {
          path = propertyPath(at, params.missingProperty);
          message = 'is required';
        }
        break;
      case 'additionalProperties':
      case 'unevaluatedProperties': {
        const name = params.additionalProperty ?? params.unevaluatedProperty;
        if (typeof name === 'string') {
          path = propertyPath(at, name);
          message = `is not allowed (${error.keyword}: false)`;
        }
        break;
      }
      case 'type':
        message = `must be ${String(params.type).split(',').join(' or ')}, got ${jsonType(error.data)}`;
        break;
      case 'enum':
        message = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${shortJson(error.data)}`;
        break;
      case 'const':
        message = `must be ${JSON.stringify(params.allowedValue)}, got ${shortJson(error.data)}`;
        break;
      case 'format':
        message = `must be a valid ${String(params.format)}, got ${shortJson(error.data)}`;
        break;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Validates sample events against a set of event schemas. */
export class EventValidator {
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly versions = new Map<string, number[]>();

  constructor(readonly schemas: EventSchemaSet) {
    for (const schema of schemas.schemas) {
      this.compiled.set(eventKey(schema.event, schema.version), compileEventSchema(schema));
      const list = this.versions.get(schema.event) ?? [];
      list.push(schema.version);
      this.versions.set(schema.event, list.sort((a, b) => a - b));
    }
  }

  validate(sample: SampleEvent): EventFailure[] {
    const { index, line, entry } = sample;
    const where = line === undefined ? { index } : { index, line };
    const fail = (event: string, version: number | undefined, path: string, message: string): EventFailure[] => [
      { ...where, event, ...(version === undefined ? {} : { version }), path, message },
    ];

    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      return fail('', undefined, ROOT_PATH, 'the entry must be an object {"event": name, "version"?: n, "data": {...}}');
    }
    const record = entry as Record<string, unknown>;
    if (typeof record.event !== 'string' || record.event === '') return fail('', undefined, ROOT_PATH, 'the entry has no "event" (the event name, a string)');
    const event = record.event;
    let version: number | undefined;
    if (record.version !== undefined) {
      if (typeof record.version !== 'number' || !Number.isSafeInteger(record.version) || record.version < 1) {
        return fail(event, undefined, ROOT_PATH, `"version" must be a positive integer, got ${shortJson(record.version)}`);
      }
      version = record.version;
    }
    if (!('data' in record)) return fail(event, version, ROOT_PATH, 'the entry has no "data" (the event itself)');

    const known = this.versions.get(event);
    if (!known) return fail(event, version, ROOT_PATH, `unknown event "${event}": no schema for it in ${this.schemas.path}`);
    const chosen = version ?? known[known.length - 1]!;
    const validateFn = this.compiled.get(eventKey(event, chosen));
    if (!validateFn) {
      return fail(event, chosen, ROOT_PATH, `no schema for ${eventLabel(event, chosen)} in ${this.schemas.path} (known versions: ${known.join(', ')})`);
    }
    if (validateFn(record.data)) return [];
    return describeAjvErrors(validateFn.errors ?? [], record.data).map(({ path, message }) => ({ ...where, event, version: chosen, path, message }));
  }

  validateAll(samples: readonly SampleEvent[]): ValidationResult {
    return { events: samples.length, failures: samples.flatMap((sample) => this.validate(sample)) };
  }
}

/** Validates sample events against a set of event schemas. */
export function validateEvents(schemas: EventSchemaSet, samples: readonly SampleEvent[]): ValidationResult {
  return new EventValidator(schemas).validateAll(samples);
}
