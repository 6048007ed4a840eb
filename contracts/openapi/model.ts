/**
 * A spec normalised for comparison: operations keyed by method + path template (parameter names do not
 * matter for matching: `/pets/{id}` and `/pets/{petId}` are one path), with parameters merged from the
 * path item and the operation (the operation's win), request body, responses, headers, effective security
 * and deprecation metadata. Every `$ref` on the way is followed; schemas stay as references (`SchemaRef`)
 * so the schema walker can resolve them lazily and survive cycles.
 */
import { isObject } from '../../core/is-object';
import { AllOfFlatteningResolver } from './flatten-allof';
import { OpenApiLoadError, locationOf, readSpecFile } from './load';
import { Resolver } from './resolve';

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface SchemaRef {
  /** The schema as written (maybe a `$ref` object); resolve with `spec.resolver.deref(value, file)`. */
  value: unknown;
  file: string;
}

export interface Media {
  name: string;
  schema?: SchemaRef;
  node: object;
}

export interface Param {
  key: string;
  name: string;
  in: string;
  required: boolean;
  deprecated: boolean;
  extensions: Record<string, unknown>;
  schema?: SchemaRef;
  content: Map<string, Media>;
  style?: string;
  explode?: boolean;
  /** Declared on the path item (shared by every operation) rather than on the operation. */
  fromPathItem: boolean;
  node: object;
}

export interface Header {
  name: string;
  required: boolean;
  deprecated: boolean;
  schema?: SchemaRef;
  node: object;
}

export interface Response {
  status: string;
  headers: Map<string, Header>;
  content: Map<string, Media>;
  node: object;
}

export interface RequestBody {
  required: boolean;
  content: Map<string, Media>;
  node: object;
}

export type SecurityRequirement = Map<string, string[]>;

export interface Operation {
  method: string;
  path: string;
  node: Record<string, unknown>;
  operationId?: string;
  deprecated: boolean;
  extensions: Record<string, unknown>;
  tags: string[];
  parameters: Map<string, Param>;
  requestBody?: RequestBody;
  responses: Map<string, Response>;
  /** The operation's own `security`, or undefined when it inherits the document's. */
  ownSecurity?: SecurityRequirement[];
  /** What applies: the operation's own, else the document's. */
  security: SecurityRequirement[];
}

export interface PathEntry {
  path: string;
  node: object;
  params: Map<string, Param>;
  operations: Map<string, Operation>;
}

export interface Spec {
  file: string;
  root: Record<string, unknown>;
  resolver: Resolver;
  openapi: string;
  info: Record<string, unknown>;
  paths: Map<string, PathEntry>;
  webhooks: Map<string, PathEntry>;
  security?: SecurityRequirement[];
  securitySchemes: Map<string, Record<string, unknown>>;
  schemas: Map<string, SchemaRef>;
}

/** `/pets/{petId}` → `/pets/{}`: how paths are matched between base and revision. */
export function pathKey(path: string): string {
  return path.replace(/\{[^}]*\}/g, '{}');
}

/**
 * How parameters are matched: `in` + name (header names case-insensitively); a path parameter by its
 * position in the path template, so renaming `{id}` to `{petId}` is not a removal plus an addition.
 */
export function paramKey(location: string, name: string, path?: string): string {
  if (location === 'path' && path) {
    const names = [...path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
    const index = names.indexOf(name);
    if (index >= 0) return `path:#${index}`;
  }
  return `${location}:${location === 'header' ? name.toLowerCase() : name}`;
}

export function extensionsOf(node: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k.startsWith('x-')) out[k] = v;
  return out;
}

export interface LoadOptions {
  /** oasdiff's `--flatten-allof`: schemas are compared with their allOf parts merged (see flatten-allof.ts). */
  flattenAllOf?: boolean;
}

export function loadSpec(file: string, options: LoadOptions = {}): Spec {
  const loaded = readSpecFile(file);
  return buildSpec(file, loaded.root, options);
}

export function buildSpec(file: string, rootValue: unknown, options: LoadOptions = {}): Spec {
  if (!isObject(rootValue)) throw new OpenApiLoadError(file, locationOf(rootValue)?.line ?? 1, 'not an OpenAPI document: the top level is not a mapping');
  const root = rootValue;
  const version = root.openapi;
  if (typeof version !== 'string' || !/^3\.[01]\b/.test(version)) {
    const why =
      root.swagger !== undefined
        ? 'Swagger 2.0 is not supported, only OpenAPI 3.0 and 3.1'
        : typeof version === 'string'
          ? `unsupported openapi version ${JSON.stringify(version)} (3.0 or 3.1 expected)`
          : version === undefined
            ? 'not an OpenAPI 3.x document (no "openapi" field)'
            : typeof version === 'number'
              ? '"openapi" must be a string such as "3.0.3", got a number: quote it (YAML reads an unquoted 3.0 as a number)'
              : `"openapi" must be a string such as "3.0.3", got ${JSON.stringify(version)}`;
    throw new OpenApiLoadError(file, locationOf(root)?.line ?? 1, why);
  }
  const resolver = options.flattenAllOf ? new AllOfFlatteningResolver(file, root) : new Resolver(file, root);
  resolver.checkRefs(root, file);
  const components = isObject(root.components) ? root.components : {};
  const security = Array.isArray(root.security) ? parseSecurity(root.security) : undefined;
  const spec: Spec = {
    file,
    root,
    resolver,
    openapi: version,
    info: isObject(root.info) ? root.info : {},
    paths: new Map(),
    webhooks: new Map(),
    security,
    securitySchemes: new Map(),
    schemas: new Map(),
  };
  if (isObject(components.securitySchemes)) {
    for (const [name, raw] of Object.entries(components.securitySchemes)) {
      const scheme = resolver.deref(raw, file).value;
      if (isObject(scheme)) spec.securitySchemes.set(name, scheme);
    }
  }
  if (isObject(components.schemas)) {
    for (const [name, raw] of Object.entries(components.schemas)) spec.schemas.set(name, { value: raw, file });
  }
  if (isObject(root.paths)) {
    for (const [path, raw] of Object.entries(root.paths)) {
      if (!path.startsWith('/')) continue;
      const entry = buildPath(spec, path, raw, file);
      if (entry) spec.paths.set(pathKey(path), entry);
    }
  }
  if (isObject(root.webhooks)) {
    for (const [name, raw] of Object.entries(root.webhooks)) {
      const entry = buildPath(spec, name, raw, file);
      if (entry) spec.webhooks.set(name, entry);
    }
  }
  return spec;
}

function buildPath(spec: Spec, path: string, raw: unknown, file: string): PathEntry | undefined {
  const { value: item, file: itemFile } = spec.resolver.deref(raw, file);
  if (!isObject(item)) return undefined;
  const params = buildParams(spec, path, item.parameters, itemFile, true);
  const entry: PathEntry = { path, node: item, params, operations: new Map() };
  for (const method of METHODS) {
    const op = item[method];
    if (!isObject(op)) continue;
    entry.operations.set(method.toUpperCase(), buildOperation(spec, path, method.toUpperCase(), op, itemFile, params));
  }
  return entry;
}

function buildParams(spec: Spec, path: string, raw: unknown, file: string, fromPathItem: boolean): Map<string, Param> {
  const out = new Map<string, Param>();
  if (!Array.isArray(raw)) return out;
  for (const entry of raw) {
    const { value: p, file: pFile } = spec.resolver.deref(entry, file);
    if (!isObject(p) || typeof p.name !== 'string' || typeof p.in !== 'string') continue;
    const key = paramKey(p.in, p.name, path);
    out.set(key, {
      key,
      name: p.name,
      in: p.in,
      required: p.in === 'path' ? true : p.required === true,
      deprecated: p.deprecated === true,
      extensions: extensionsOf(p),
      schema: p.schema !== undefined ? { value: p.schema, file: pFile } : undefined,
      content: buildContent(spec, p.content, pFile),
      style: typeof p.style === 'string' ? p.style : undefined,
      explode: typeof p.explode === 'boolean' ? p.explode : undefined,
      fromPathItem,
      node: p,
    });
  }
  return out;
}

function buildContent(spec: Spec, raw: unknown, file: string): Map<string, Media> {
  const out = new Map<string, Media>();
  if (!isObject(raw)) return out;
  for (const [name, m] of Object.entries(raw)) {
    const { value: media, file: mFile } = spec.resolver.deref(m, file);
    if (!isObject(media)) {
      out.set(name, { name, node: raw });
      continue;
    }
    out.set(name, { name, schema: media.schema !== undefined ? { value: media.schema, file: mFile } : undefined, node: media });
  }
  return out;
}

function buildOperation(spec: Spec, path: string, method: string, op: Record<string, unknown>, file: string, pathParams: Map<string, Param>): Operation {
  const parameters = new Map(pathParams);
  for (const [key, p] of buildParams(spec, path, op.parameters, file, false)) parameters.set(key, p);
  let requestBody: RequestBody | undefined;
  if (op.requestBody !== undefined) {
    const { value: body, file: bFile } = spec.resolver.deref(op.requestBody, file);
    if (isObject(body)) requestBody = { required: body.required === true, content: buildContent(spec, body.content, bFile), node: body };
  }
  const responses = new Map<string, Response>();
  if (isObject(op.responses)) {
    for (const [status, raw] of Object.entries(op.responses)) {
      if (status.startsWith('x-')) continue;
      const { value: res, file: rFile } = spec.resolver.deref(raw, file);
      if (!isObject(res)) continue;
      const headers = new Map<string, Header>();
      if (isObject(res.headers)) {
        for (const [name, h] of Object.entries(res.headers)) {
          const { value: header, file: hFile } = spec.resolver.deref(h, rFile);
          if (!isObject(header)) continue;
          headers.set(name.toLowerCase(), {
            name,
            required: header.required === true,
            deprecated: header.deprecated === true,
            schema: header.schema !== undefined ? { value: header.schema, file: hFile } : undefined,
            node: header,
          });
        }
      }
      responses.set(status.toUpperCase(), { status, headers, content: buildContent(spec, res.content, rFile), node: res });
    }
  }
  const ownSecurity = Array.isArray(op.security) ? parseSecurity(op.security) : undefined;
  return {
    method,
    path,
    node: op,
    operationId: typeof op.operationId === 'string' ? op.operationId : undefined,
    deprecated: op.deprecated === true,
    extensions: extensionsOf(op),
    tags: Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string') : [],
    parameters,
    requestBody,
    responses,
    ownSecurity,
    security: ownSecurity ?? spec.security ?? [],
  };
}

function parseSecurity(raw: unknown[]): SecurityRequirement[] {
  const out: SecurityRequirement[] = [];
  for (const req of raw) {
    if (!isObject(req)) continue;
    const m: SecurityRequirement = new Map();
    for (const [name, scopes] of Object.entries(req)) m.set(name, Array.isArray(scopes) ? scopes.map(String) : []);
    out.push(m);
  }
  return out;
}
