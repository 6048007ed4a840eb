/**
 * The rules of strangler.yaml: a located YAML tree in, `StranglerConfig` with defaults applied (or issues)
 * out. The only files it reads are the PEM files an upstream's `tls` block names (relative to the config's
 * folder), and flags.bootstrap, so a missing or wrong one is reported with its line.
 */
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { DEFAULT_NOISE_THRESHOLDS, type NoiseThresholds } from '../comparison';
import type { ConfigIssue } from '../errors';
import { TOKEN_CHARACTERS_RULE, unsendableTokenCharacter } from '../header-token';
import { parseIpRange } from '../ip-range';
import { pathPatternProblem } from '../json-path-pattern';
import { samePath } from '../route-match';
import { impliedPercent, percentFitsStage } from '../stage-percent';
import { sslParametersProblem } from '../db/postgres-url';
import { cut, quoted } from './excerpt';
import { redactUrl } from './redact';
import { readBootstrapFile } from './bootstrap-file';
import { readPemFile, upstreamSecureContext, type PemKind } from './tls-files';
import { tokenEnvironmentMismatch } from './unleash-token';
import {
  MIN_TOKEN_LENGTH,
  STAGES,
  type AdminConfig,
  type DeprecationConfig,
  type FallbackConfig,
  type FlagsConfig,
  type ListenConfig,
  type RouteConfig,
  type RouteMatch,
  type ShadowConfig,
  type StateConfig,
  type Stickiness,
  type StickinessSource,
  type StranglerConfig,
  type UpstreamConfig,
  type UpstreamTlsConfig,
} from './types';

// ---------------------------------------------------------------------------------------------------------
// The tree the rules read: YAML nodes reduced to what messages need (a line, and where a value came from).

export interface ScalarNode {
  kind: 'scalar';
  line: number;
  value: string | number | boolean | null;
  /** Environment variables the value was built from; such a value is never echoed in a message. */
  env?: string[];
  /** Each of `env` was unset or empty: the value is the defaults written in the file (`${PORT:-8080}`), echoed as file text. */
  defaulted?: true;
  /** A `${…}` reference that could not be resolved; already reported, so the rules stay silent. */
  unresolved?: boolean;
}
export interface MapEntry {
  key: string;
  /** Line of the key. */
  line: number;
  value: ConfigNode;
}
export interface MapNode {
  kind: 'map';
  line: number;
  entries: MapEntry[];
}
export interface SeqNode {
  kind: 'seq';
  line: number;
  items: ConfigNode[];
}
export type ConfigNode = ScalarNode | MapNode | SeqNode;

export type ConfigResult = { ok: true; config: StranglerConfig } | { ok: false; issues: ConfigIssue[] };

/** `routes[1].match.path`; keys that are not plain words are quoted: `upstreams["a.b"]`. */
export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (!/^[A-Za-z0-9_-]+$/.test(key)) return `${parent}[${JSON.stringify(cut(key))}]`;
  return parent ? `${parent}.${key}` : key;
}

// ---------------------------------------------------------------------------------------------------------
// Reading typed values out of nodes, reporting what was expected.

type Read<T> = (node: ConfigNode, path: string) => T | undefined;

function describe(node: ConfigNode): string {
  if (node.kind === 'map') return node.entries.length ? 'a mapping' : 'an empty mapping';
  if (node.kind === 'seq') return node.items.length ? 'a list' : 'an empty list';
  if (typeof node.value === 'string') return quoted(redactUrl(node.value));
  return String(node.value);
}

function envSource(node: ConfigNode): string | undefined {
  if (node.kind !== 'scalar' || !node.env?.length || node.defaulted) return undefined;
  const noun = node.env.length === 1 ? 'variable' : 'variables';
  return `value from environment ${noun} ${node.env.join(', ')}`;
}

/** ` (the default written in the file: PORT is unset or empty)` for a value that fell back to its default, else ''. */
function defaultNote(node: ConfigNode): string {
  if (node.kind !== 'scalar' || !node.env?.length || !node.defaulted) return '';
  const which = node.env.length === 1 ? `${node.env[0]} is` : `${node.env.join(', ')} are`;
  return ` (the default written in the file: ${which} unset or empty)`;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NAME = /^[a-z0-9][a-z0-9._-]*$/i;
const NAME_RULE = 'must start with a letter or digit and contain only letters, digits, ".", "_" and "-"';

class Checker {
  readonly issues: ConfigIssue[] = [];

  constructor(private readonly file: string) {}

  report(line: number, path: string, message: string): undefined {
    this.issues.push({ file: this.file, line, path, message });
    return undefined;
  }

  /** Reports that `node` is not what was expected, saying what it was unless it came from the environment. */
  reject(node: ConfigNode, path: string, expected: string, showGot = true): undefined {
    const source = envSource(node);
    const message = source ? `${expected} (${source})` : showGot ? `${expected}, got ${describe(node)}${defaultNote(node)}` : `${expected}${defaultNote(node)}`;
    return this.report(node.line, path, message);
  }

  /** `"value"`, or the variables it came from when it must not be echoed. */
  quote(node: ConfigNode, value: string): string {
    const source = envSource(node);
    return source ? `(${source})` : quoted(redactUrl(value));
  }

  read<T>(node: ConfigNode, path: string, read: Read<T>): T | undefined {
    return node.kind === 'scalar' && node.unresolved ? undefined : read(node, path);
  }

  mapping(keys: readonly string[]): Read<Fields> {
    return (node, path) => {
      if (node.kind !== 'map') return this.reject(node, path, 'must be a mapping');
      for (const entry of node.entries) {
        if (!keys.includes(entry.key)) {
          this.report(entry.line, path, `unknown key ${quoted(entry.key)} (expected one of: ${keys.join(', ')})`);
        }
      }
      return new Fields(this, node, path);
    };
  }

  list<T>(what: string, item: Read<T>): Read<T[]> {
    return (node, path) => {
      if (node.kind !== 'seq' || node.items.length === 0) {
        return this.reject(node, path, `must be a non-empty list of ${what}`);
      }
      const values = node.items.map((child, index) => this.read(child, fieldPath(path, index), item));
      if (!values.every((value): value is T => value !== undefined)) return undefined;
      // Repeats are reported on the later entry.
      const seen = new Set<T>();
      let unique = true;
      values.forEach((value, index) => {
        if (seen.has(value)) {
          const child = node.items[index] as ConfigNode;
          this.report(child.line, fieldPath(path, index), `duplicates ${this.quote(child, String(value))}`);
          unique = false;
        }
        seen.add(value);
      });
      return unique ? values : undefined;
    };
  }

  string(expected = 'a string'): Read<string> {
    return (node, path) =>
      node.kind === 'scalar' && typeof node.value === 'string' ? node.value : this.reject(node, path, `must be ${expected}`);
  }

  /** A string that `check` accepts: it returns `{ value }` to keep, or the message saying what was expected. */
  text<T>(expected: string, check: (value: string) => { value: T } | string, showGot = true): Read<T> {
    const read = this.string(expected);
    return (node, path) => {
      const value = read(node, path);
      if (value === undefined) return undefined;
      const result = check(value);
      return typeof result === 'string' ? this.reject(node, path, result, showGot) : result.value;
    };
  }

  name(): Read<string> {
    return this.text('a name', (value) => (NAME.test(value) ? { value } : NAME_RULE));
  }

  oneOf<T extends string>(values: readonly T[]): Read<T> {
    const expected = `one of ${values.join(', ')}`;
    return this.text(expected, (value) =>
      (values as readonly string[]).includes(value) ? { value: value as T } : `must be ${expected}`,
    );
  }

  /** Numbers that came from the environment are strings by nature: they are accepted if they parse cleanly. */
  private numeric(node: ConfigNode): number | undefined {
    if (node.kind !== 'scalar') return undefined;
    if (typeof node.value === 'number') return node.value;
    if (typeof node.value === 'string' && node.env && NUMBER.test(node.value.trim())) return Number(node.value);
    return undefined;
  }

  integer(min: number, max: number): Read<number> {
    return (node, path) => {
      const value = this.numeric(node);
      if (value === undefined || !Number.isInteger(value) || value < min || value > max) {
        return this.reject(node, path, `must be an integer from ${min} to ${max}`);
      }
      return value;
    };
  }

  integerOf<T extends number>(values: readonly T[], what: string): Read<T> {
    return (node, path) => {
      const value = this.numeric(node);
      if (value === undefined || !(values as readonly number[]).includes(value)) return this.reject(node, path, `must be one of ${values.join(', ')} (${what})`);
      return value as T;
    };
  }

  number(min: number, max: number): Read<number> {
    return (node, path) => {
      const value = this.numeric(node);
      if (value === undefined || !Number.isFinite(value) || value < min || value > max) {
        return this.reject(node, path, `must be a number from ${min} to ${max}`);
      }
      return value;
    };
  }

  /** A path to a PEM file, resolved against the config file's folder; the file is read and checked. */
  pemFile(kind: PemKind): Read<string> {
    return this.text(`a path to a PEM file (${kind})`, (value) => {
      const path = resolve(dirname(this.file), value);
      try {
        readPemFile(path, kind);
      } catch (err) {
        return (err as Error).message;
      }
      return { value: path };
    }, false);
  }

  /** An Unleash bootstrap file, relative to the config file's folder, read and checked as the provider reads it; kept as written. */
  bootstrapFile(): Read<string> {
    return this.text('a path to an Unleash bootstrap file', (value) => {
      const path = resolve(dirname(this.file), value);
      try {
        readBootstrapFile(path);
      } catch (err) {
        return `${path}: ${(err as Error).message}`;
      }
      return { value };
    }, false);
  }

  boolean(): Read<boolean> {
    return (node, path) => {
      if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
      if (node.kind === 'scalar' && node.env && (node.value === 'true' || node.value === 'false')) {
        return node.value === 'true';
      }
      return this.reject(node, path, 'must be true or false');
    };
  }
}

/** The entries of one mapping, read by key. Duplicate keys were reported and dropped by the parser. */
class Fields {
  constructor(
    private readonly ck: Checker,
    readonly node: MapNode,
    readonly path: string,
  ) {}

  at(key: string): string {
    return fieldPath(this.path, key);
  }

  value(key: string): ConfigNode | undefined {
    return this.node.entries.find((entry) => entry.key === key)?.value;
  }

  has(key: string): boolean {
    return this.value(key) !== undefined;
  }

  /** Undefined when absent or invalid (reported). */
  get<T>(key: string, read: Read<T>): T | undefined {
    const node = this.value(key);
    return node && this.ck.read(node, this.at(key), read);
  }

  /** A missing key is reported on the line of this mapping. */
  require<T>(key: string, read: Read<T>, expected: string): T | undefined {
    if (!this.has(key)) return this.ck.report(this.node.line, this.at(key), `is required (${expected})`);
    return this.get(key, read);
  }

  /** Fields of an absent optional block, so its defaults apply. */
  empty(key: string): Fields {
    return new Fields(this.ck, { kind: 'map', line: this.node.line, entries: [] }, this.at(key));
  }
}

// ---------------------------------------------------------------------------------------------------------
// The sections of strangler.yaml.

const TOP_KEYS = ['listen', 'admin', 'state', 'flags', 'upstreams', 'routes'];
const LISTEN_KEYS = ['host', 'port', 'maxHeaderBytes', 'drainTimeoutMs', 'keepAliveTimeoutMs', 'shutdownDelayMs', 'sendTimeoutMs', 'trustedProxies'];
const ADMIN_KEYS = ['host', 'port', 'token'];
const STATE_KEYS = ['url', 'pollMs', 'keepComparisons', 'keepCountsDays', 'keepMatches'];
const FLAGS_KEYS = ['provider', 'url', 'clientToken', 'adminToken', 'environment', 'project', 'appName', 'refreshMs', 'bootstrap'];
const UNLEASH_ONLY_KEYS = FLAGS_KEYS.filter((key) => key !== 'provider');
const UPSTREAM_KEYS = ['url', 'timeoutMs', 'connections', 'preserveHost', 'shadowPipelining', 'tls'];
const UPSTREAM_TLS_KEYS = ['ca', 'cert', 'key', 'servername'];
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const ROUTE_KEYS = [
  'name',
  'match',
  'service',
  'legacy',
  'stage',
  'percent',
  'stickiness',
  'stickyFallback',
  'flag',
  'shadow',
  'fallback',
  'deprecated',
];
const MATCH_KEYS = ['path', 'methods', 'ignoreCase'];
const SHADOW_KEYS = [
  'sample',
  'methods',
  'ignore',
  'maxBodyBytes',
  'maxDecodedBytes',
  'maxInFlight',
  'noiseSample',
  'noiseThresholds',
  'unordered',
  'mapKeys',
  'numericTolerance',
  'timestampToleranceMs',
  'headers',
  'onCanary',
];
const NOISE_THRESHOLD_KEYS = ['relative', 'absolute'];
const FALLBACK_KEYS = ['on', 'methods'];
const DEPRECATED_KEYS = ['sunset', 'since', 'link', 'redirect'];
const REDIRECT_STATUSES = [301, 302, 307, 308] as const;
const FALLBACK_ON = ['connect-error', 'timeout', '5xx'] as const;
const STICKY_SOURCES: readonly StickinessSource[] = ['header', 'cookie', 'query'];
/** Route keys about the new service, and what each would do: without a service (stages legacy and retired only) nothing. */
const SERVICE_ONLY_KEYS: ReadonlyArray<[key: string, does: string]> = [
  ['percent', 'it is the share of a canary, and such a route is legacy (0%) or retired (100%)'],
  ['stickiness', 'it keeps each user on one side of a canary'],
  ['stickyFallback', 'it places the users of a canary that stickiness cannot tell apart'],
  ['shadow', 'it copies requests to the new service'],
  ['fallback', "it sends the new service's failures to legacy"],
];
const EMBEDDED = 'embedded:';

export function validateConfig(root: ConfigNode, file: string): ConfigResult {
  const ck = new Checker(file);
  const top = ck.mapping(TOP_KEYS)(root, '');
  if (!top) return { ok: false, issues: ck.issues };

  const block = (key: string, keys: readonly string[]): Fields | undefined =>
    top.has(key) ? top.get(key, ck.mapping(keys)) : top.empty(key);

  const listen = readListen(ck, block('listen', LISTEN_KEYS));
  const admin = readAdmin(ck, block('admin', ADMIN_KEYS), listen);
  const state = readState(ck, block('state', STATE_KEYS));
  const flagsFields = block('flags', FLAGS_KEYS);
  const flags = readFlags(ck, flagsFields);
  // As written, so the routes are checked for Unleash even when the flags block has problems of its own.
  const providerNode = flagsFields?.value('provider');
  const unleashFlags = flags ? flags.provider === 'unleash' : providerNode?.kind === 'scalar' && providerNode.value === 'unleash';
  const upstreamsNode = top.value('upstreams');
  const upstreams = upstreamsNode
    ? ck.read(upstreamsNode, 'upstreams', (node) => readUpstreams(ck, node))
    : ck.report(top.node.line, 'upstreams', 'is required (a mapping of upstream names to { url }, with at least legacy)');
  // References are checked against the names written, even if an upstream itself is invalid.
  const defined = upstreamsNode?.kind === 'map' ? upstreamsNode.entries.map((entry) => entry.key) : undefined;
  const routesNode = top.value('routes');
  const routes = routesNode ? ck.read(routesNode, 'routes', (node) => readRoutes(ck, node, defined, unleashFlags)) : [];

  if (ck.issues.length || !listen || !admin || !state || !flags || !upstreams || !routes) {
    return { ok: false, issues: ck.issues };
  }
  return { ok: true, config: { file, listen, admin, state, flags, upstreams, routes } };
}

function readListen(ck: Checker, f: Fields | undefined): ListenConfig | undefined {
  if (!f) return undefined;
  return {
    host: f.get('host', hostName(ck)) ?? '0.0.0.0',
    port: f.get('port', ck.integer(0, 65535)) ?? 8080,
    maxHeaderBytes: f.get('maxHeaderBytes', ck.integer(1024, 1048576)) ?? 16384,
    drainTimeoutMs: f.get('drainTimeoutMs', ck.integer(0, 3600000)) ?? 10000,
    keepAliveTimeoutMs: f.get('keepAliveTimeoutMs', ck.integer(1000, 3600000)) ?? 75000,
    shutdownDelayMs: f.get('shutdownDelayMs', ck.integer(0, 600000)) ?? 0,
    sendTimeoutMs: f.get('sendTimeoutMs', ck.integer(100, 3600000)) ?? 60000,
    trustedProxies: f.get('trustedProxies', ck.list('IP addresses or CIDR ranges such as [10.0.0.0/8]', proxyRange(ck))) ?? [],
  };
}

/** Where to listen: an IP address or a name that resolves to one. */
function hostName(ck: Checker): Read<string> {
  return ck.text('a host name or IP address', (value) =>
    isIP(value) || DNS_NAME.test(value) ? { value } : 'must be a host name or IP address such as 127.0.0.1, 0.0.0.0 or ::',
  );
}

function proxyRange(ck: Checker): Read<string> {
  return ck.text('an IP address or CIDR range', (value) =>
    parseIpRange(value) ? { value } : 'must be an IP address or a CIDR range such as 10.0.0.0/8 or fd00::/8',
  );
}

function readAdmin(ck: Checker, f: Fields | undefined, listen: ListenConfig | undefined): AdminConfig | undefined {
  if (!f) return undefined;
  const host = f.get('host', hostName(ck)) ?? '127.0.0.1';
  const port = f.get('port', ck.integer(0, 65535)) ?? 9090;
  // The token is a secret: its value is never echoed, not even when written in the file.
  const token = f.require('token', readToken(ck), `a string of at least ${MIN_TOKEN_LENGTH} characters`);
  const wildcard = (h: string): boolean => h === '0.0.0.0' || h === '::';
  if (listen && port !== 0 && port === listen.port && (host === listen.host || wildcard(host) || wildcard(listen.host))) {
    ck.report(f.value('port')?.line ?? f.node.line, f.at('port'), 'must differ from listen.port');
  }
  return token === undefined ? undefined : { host, port, token };
}

function readToken(ck: Checker): Read<string> {
  return (node, path) => {
    if (node.kind !== 'scalar' || typeof node.value !== 'string') {
      // Values from the environment are always strings, so only file content lands here.
      const got = node.kind === 'scalar' && node.value !== null ? `a ${typeof node.value}` : describe(node);
      return ck.report(node.line, path, `must be a string of at least ${MIN_TOKEN_LENGTH} characters, got ${got}`);
    }
    if (node.value.length < MIN_TOKEN_LENGTH) {
      const source = envSource(node);
      const got = source ? `(${source})` : `(got ${node.value.length} characters)`;
      return ck.report(node.line, path, `must be at least ${MIN_TOKEN_LENGTH} characters long ${got}`);
    }
    // Which character, never the character: the value is a secret.
    const unsendable = unsendableTokenCharacter(node.value);
    if (unsendable !== undefined) {
      const source = envSource(node);
      return ck.report(node.line, path, `${TOKEN_CHARACTERS_RULE}: character ${unsendable} is not${source ? ` (${source})` : ''}`);
    }
    return node.value;
  };
}

/** A token that may be left out: an empty value from the environment (`${UNLEASH_ADMIN_TOKEN:-}`) is none. */
function optionalToken(ck: Checker): Read<string> {
  const token = readToken(ck);
  return (node, path) => (node.kind === 'scalar' && node.value === '' && node.env?.length ? undefined : token(node, path));
}

function readState(ck: Checker, f: Fields | undefined): StateConfig | undefined {
  if (!f) return undefined;
  const url = ck.text('embedded:<folder> or a postgres:// URL', (value) => {
    if (value.startsWith(EMBEDDED) && value.length > EMBEDDED.length) return { value };
    if (/^postgres(ql)?:\/\//.test(value)) return postgresUrlProblem(value) ?? sslParametersProblem(value) ?? { value };
    return 'must be embedded:<folder> or a postgres:// or postgresql:// URL';
  });
  return {
    url: f.get('url', url) ?? `${EMBEDDED}./.strangler`,
    pollMs: f.get('pollMs', ck.integer(50, 60000)) ?? 500,
    keepComparisons: f.get('keepComparisons', ck.integer(100, 100000000)) ?? 100000,
    keepCountsDays: f.get('keepCountsDays', ck.integer(1, 3650)) ?? 30,
    keepMatches: f.get('keepMatches', ck.boolean()) ?? false,
  };
}

/** What is wrong with the host and port of a postgres:// URL (as upstream URLs say it), or undefined. */
function postgresUrlProblem(value: string): string | undefined {
  const example = 'postgres://user:password@host:5432/db';
  const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(value)?.[1] ?? '';
  const hostAndPort = authority.slice(authority.lastIndexOf('@') + 1);
  const port = originPort(authority);
  if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) return `must be a URL such as ${example}: port ${port} is not from 1 to 65535`;
  if (authority.includes('@') && /^(:|$)/.test(hostAndPort)) return `must be a URL such as ${example}: there is no host after "@"`;
  if (!URL.canParse(value)) return `must be a URL such as ${example}: the host or port cannot be read (characters such as @, / or # in a password must be percent-encoded)`;
  return undefined;
}

function readFlags(ck: Checker, f: Fields | undefined): FlagsConfig | undefined {
  if (!f) return undefined;
  const provider = f.has('provider') ? f.get('provider', ck.oneOf(['embedded', 'unleash'] as const)) : 'embedded';
  if (provider === undefined) return undefined;
  if (provider === 'embedded') {
    for (const key of UNLEASH_ONLY_KEYS) {
      const node = f.value(key);
      if (node) ck.report(node.line, f.at(key), 'applies only with provider: unleash');
    }
    return { provider };
  }
  const url = f.require('url', unleashUrl(ck), 'the Unleash base URL, such as http://127.0.0.1:4242');
  const clientToken = f.require('clientToken', readToken(ck), 'an Unleash client token, e.g. ${UNLEASH_CLIENT_TOKEN}');
  const adminToken = f.get('adminToken', optionalToken(ck));
  const identifier = ck.text('a name', (value) => (/^[A-Za-z0-9._:-]+$/.test(value) ? { value } : 'must contain only letters, digits, ".", "_", ":" and "-"'));
  const config: FlagsConfig = {
    provider,
    url: url ?? '',
    clientToken: clientToken ?? '',
    environment: f.get('environment', identifier) ?? 'development',
    project: f.get('project', identifier) ?? 'default',
    appName: f.get('appName', identifier) ?? 'strangler',
    refreshMs: f.get('refreshMs', ck.integer(100, 3600000)) ?? 15000,
  };
  if (adminToken !== undefined) config.adminToken = adminToken;
  const mismatch = clientToken === undefined ? undefined : tokenEnvironmentMismatch(clientToken, config.environment);
  if (mismatch) ck.report(f.value('clientToken')!.line, f.at('clientToken'), mismatch);
  const bootstrap = f.get('bootstrap', ck.bootstrapFile());
  if (bootstrap !== undefined) config.bootstrap = bootstrap;
  return url === undefined || clientToken === undefined ? undefined : config;
}

/** The base URL; a trailing `/api` (the client SDK's form) is accepted and dropped. */
function unleashUrl(ck: Checker): Read<string> {
  return ck.text('an http:// or https:// URL', (value) => {
    if (!/^https?:\/\//i.test(value) || !URL.canParse(value)) return 'must be an http:// or https:// URL such as http://127.0.0.1:4242';
    return { value: value.replace(/\/+$/, '').replace(/\/api$/, '') };
  });
}

function readUpstreams(ck: Checker, node: ConfigNode): Record<string, UpstreamConfig> | undefined {
  const example = 'a mapping of upstream names to { url }, with at least legacy';
  if (node.kind !== 'map') return ck.reject(node, 'upstreams', `must be ${example}`);
  const upstreams: Record<string, UpstreamConfig> = {};
  let valid = true;
  for (const entry of node.entries) {
    const path = fieldPath('upstreams', entry.key);
    if (!NAME.test(entry.key)) {
      ck.report(entry.line, path, `upstream name ${NAME_RULE}`);
      valid = false;
      continue;
    }
    const fields = ck.read(entry.value, path, ck.mapping(UPSTREAM_KEYS));
    const upstream = fields && readUpstream(ck, fields, entry.key);
    if (upstream) upstreams[entry.key] = upstream;
    else valid = false;
  }
  if (!node.entries.some((entry) => entry.key === 'legacy')) {
    const defined = node.entries.length ? node.entries.map((entry) => entry.key).join(', ') : 'none';
    ck.report(node.line, 'upstreams', `must define "legacy", the upstream that serves the monolith (defined: ${defined})`);
  }
  return valid ? upstreams : undefined;
}

function readUpstream(ck: Checker, f: Fields, name: string): UpstreamConfig | undefined {
  const url = f.require('url', upstreamUrl(ck), 'an origin such as http://127.0.0.1:3000');
  const timeoutMs = f.get('timeoutMs', ck.integer(1, 600000)) ?? 30000;
  const connections = f.get('connections', ck.integer(1, 10000)) ?? 128;
  const preserveHost = f.get('preserveHost', ck.boolean()) ?? false;
  const shadowPipelining = f.get('shadowPipelining', ck.integer(1, 128)) ?? 1;
  const base = { name, timeoutMs, connections, preserveHost, shadowPipelining };
  if (!f.has('tls')) return url === undefined ? undefined : { ...base, url };
  const tlsFields = f.get('tls', ck.mapping(UPSTREAM_TLS_KEYS));
  if (url !== undefined && !url.toLowerCase().startsWith('https:')) {
    ck.report(tlsFields?.node.line ?? f.node.line, f.at('tls'), `applies to https:// upstreams only (url is ${ck.quote(f.value('url')!, url)})`);
    return undefined;
  }
  const tls = tlsFields && readUpstreamTls(ck, tlsFields);
  return url === undefined || tls === undefined ? undefined : { ...base, url, tls };
}

function readUpstreamTls(ck: Checker, f: Fields): UpstreamTlsConfig | undefined {
  const before = ck.issues.length;
  const tls: UpstreamTlsConfig = {};
  const ca = f.get('ca', ck.pemFile('certificates'));
  const cert = f.get('cert', ck.pemFile('certificates'));
  const key = f.get('key', ck.pemFile('private key'));
  const servername = f.get(
    'servername',
    ck.text('a DNS name', (value) => (isIP(value) ? 'must be a DNS name (SNI carries no IP addresses)' : DNS_NAME.test(value) ? { value } : 'must be a DNS name such as orders.internal')),
  );
  if (f.has('cert') !== f.has('key')) {
    const [given, missing] = f.has('cert') ? ['cert', 'key'] : ['key', 'cert'];
    ck.report(f.node.line, f.at(missing), `is required with tls.${given} (a client certificate needs its private key, and the key its certificate)`);
  }
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  if (servername !== undefined) tls.servername = servername;
  if (ck.issues.length > before) return undefined;
  if (cert !== undefined && key !== undefined) {
    try {
      upstreamSecureContext(tls);
    } catch (err) {
      const keyNode = f.value('key')!;
      return ck.report(keyNode.line, f.at('key'), (err as Error).message);
    }
  }
  return tls;
}

function upstreamUrl(ck: Checker): Read<string> {
  const origin = 'an http:// or https:// origin such as http://127.0.0.1:3000';
  const read = ck.text(origin, (value) => {
    const parts = /^https?:\/\/([^/?#]+)(.*)$/i.exec(value);
    const port = parts ? originPort(parts[1]!) : undefined;
    if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) return `must be ${origin}: port ${port} is not from 1 to 65535`;
    if (!parts || !URL.canParse(value)) return `must be ${origin}`;
    if (parts[2] !== '' && parts[2] !== '/') return `must be ${origin}, without path, query or fragment`;
    return { value: value.endsWith('/') ? value.slice(0, -1) : value };
  });
  return (node, path) => {
    // Forwarding uses the origin alone, so user info would be dropped without a word. Not echoed: it may be a password or a token.
    if (node.kind === 'scalar' && typeof node.value === 'string' && /^https?:\/\/[^/?#]*@/i.test(node.value)) {
      return ck.report(node.line, path, `must not contain credentials (user:password@): the proxy would not send them (it forwards each client's own Authorization header)`);
    }
    return read(node, path);
  };
}

/** The port written in a URL's authority (after any user info and IPv6 brackets), as typed. */
function originPort(authority: string): string | undefined {
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return /^(?:\[[^\]]*\]|[^:]*):(\d+)$/.exec(host)?.[1];
}

// ---------------------------------------------------------------------------------------------------------
// Routes.

/** What the earlier routes claimed, so a later one that repeats a name or a path+methods is reported. */
interface Claimed {
  index: number;
  name?: string;
  match?: RouteMatch;
  flag?: string;
}

/** The claims of the earlier routes, indexed by name, path and flag: thousands of routes are checked in linear time. */
class Claims {
  private readonly names = new Map<string, Claimed>();
  /** By lower-cased path, where a route that ignores case meets every spelling of its path. */
  private readonly paths = new Map<string, Claimed[]>();
  private readonly flags = new Map<string, Claimed>();

  add(mine: Claimed): void {
    if (mine.name !== undefined && !this.names.has(mine.name)) this.names.set(mine.name, mine);
    if (!mine.match) return;
    const key = mine.match.path.toLowerCase();
    const samePath = this.paths.get(key);
    if (samePath) samePath.push(mine);
    else this.paths.set(key, [mine]);
  }

  /** The first earlier route named `name`. */
  named(name: string): Claimed | undefined {
    return this.names.get(name);
  }

  /** The first earlier route on `match`'s path (in any letter case) that `overlaps` says collides with it. */
  matching(match: RouteMatch, overlaps: (earlier: RouteMatch) => boolean): Claimed | undefined {
    return this.paths.get(match.path.toLowerCase())?.find((other) => other.match && overlaps(other.match));
  }

  /** Records `mine` as using `flag`; the first route that used it before, if any. */
  flag(mine: Claimed, flag: string): Claimed | undefined {
    mine.flag = flag;
    const earlier = this.flags.get(flag);
    if (!earlier) this.flags.set(flag, mine);
    return earlier;
  }
}

/** `unleash`: flags come from an Unleash server, where a flag is one route's state and names are URL-friendly. */
function readRoutes(ck: Checker, node: ConfigNode, upstreams: string[] | undefined, unleash: boolean): RouteConfig[] | undefined {
  if (node.kind !== 'seq') return ck.reject(node, 'routes', 'must be a list of routes');
  const claimed = new Claims();
  const routes = node.items.map((item, index) => {
    const path = fieldPath('routes', index);
    const fields = ck.read(item, path, ck.mapping(ROUTE_KEYS));
    return fields && readRoute(ck, fields, index, upstreams, claimed, unleash);
  });
  return routes.every((route): route is RouteConfig => route !== undefined) ? routes : undefined;
}

function readRoute(
  ck: Checker,
  f: Fields,
  index: number,
  upstreams: string[] | undefined,
  claimed: Claims,
  unleash: boolean,
): RouteConfig | undefined {
  const name = f.require('name', ck.name(), 'a name such as orders');
  const matchFields = f.require('match', ck.mapping(MATCH_KEYS), 'a mapping with path and optional methods');
  const match = matchFields && readMatch(ck, matchFields);
  const mine: Claimed = { index, name, match };
  if (name !== undefined) claimName(ck, f, mine, claimed);
  if (matchFields && match) claimMatch(ck, matchFields, mine, claimed);
  claimed.add(mine);

  const legacy = f.has('legacy') ? f.get('legacy', upstreamRef(ck, upstreams)) : 'legacy';
  const service = f.has('service')
    ? f.get('service', upstreamRef(ck, upstreams))
    : f.has('deprecated')
      ? undefined
      : ck.report(
          f.node.line,
          f.at('service'),
          'is required unless the route is deprecated (the upstream of the new service)',
        );
  if (service !== undefined && service === legacy) {
    ck.report(f.value('service')?.line ?? f.node.line, f.at('service'), `must be a different upstream from legacy`);
  }
  const givenStage = f.get('stage', ck.oneOf(STAGES));
  const stage = givenStage ?? 'legacy';
  const stageNode = f.value('stage');
  // A stage that is not one (reported above) is not legacy either: the percent is not judged against it.
  const stageKnown = givenStage !== undefined || !f.has('stage');
  if (!f.has('service') && stageNode && stage !== 'legacy' && stage !== 'retired') {
    ck.reject(stageNode, f.at('stage'), 'must be legacy or retired for a route without service');
  }
  // Deliberately without a service (deprecated); a forgotten service is reported above, and alone.
  const serviceless = !f.has('service') && f.has('deprecated');
  if (serviceless) {
    for (const [key, does] of SERVICE_ONLY_KEYS) {
      const node = f.value(key);
      if (node) ck.report(node.line, f.at(key), `applies only to a route with a service: ${does}`);
    }
  }
  const givenPercent = f.get('percent', ck.integer(0, 100));
  const implied = stage === 'canary' ? 0 : impliedPercent(stage);
  const percentNode = f.value('percent');
  if (givenPercent !== undefined && percentNode && stageKnown && !serviceless && !percentFitsStage(stage, givenPercent)) {
    ck.reject(
      percentNode,
      f.at('percent'),
      `must be ${implied} in stage ${stage}, or left out (outside canary the stage sets the percentage; use stage: canary to send a share to the new service)`,
    );
  }
  const percent = givenPercent ?? implied;
  const sticky = f.get('stickiness', stickiness(ck)) ?? { kind: 'random' };
  const stickyFallback = f.get('stickyFallback', ck.oneOf(['random', 'legacy'] as const)) ?? 'random';
  const flag = f.get('flag', unleash ? unleashFlagName(ck) : flagName(ck));
  if (unleash && name !== undefined) claimFlag(ck, f, mine, flag ?? `strangler.${name}`, claimed);
  const shadow = optionalBlock(ck, f, 'shadow', SHADOW_KEYS, readShadow);
  const fallback = optionalBlock(ck, f, 'fallback', FALLBACK_KEYS, readFallback);
  const deprecated = optionalBlock(ck, f, 'deprecated', DEPRECATED_KEYS, readDeprecated);

  if (name === undefined || !match || legacy === undefined || !shadow.ok || !fallback.ok || !deprecated.ok) {
    return undefined;
  }
  return {
    name,
    match,
    ...(service !== undefined ? { service } : {}),
    legacy,
    stage,
    percent,
    stickiness: sticky,
    stickyFallback,
    flag: flag ?? `strangler.${name}`,
    // A route that can reach shadow (it has a service) can shadow: without a block, with the defaults.
    ...(shadow.value ? { shadow: shadow.value } : service !== undefined ? { shadow: defaultShadowConfig() } : {}),
    ...(fallback.value ? { fallback: fallback.value } : {}),
    ...(deprecated.value ? { deprecated: deprecated.value } : {}),
  };
}

/** `ok` is false when the block is present but invalid (reported); `value` is undefined when it is absent. */
function optionalBlock<T>(
  ck: Checker,
  f: Fields,
  key: string,
  keys: readonly string[],
  read: (ck: Checker, fields: Fields) => T | undefined,
): { ok: boolean; value?: T } {
  if (!f.has(key)) return { ok: true };
  const fields = f.get(key, ck.mapping(keys));
  const value = fields && read(ck, fields);
  return value === undefined ? { ok: false } : { ok: true, value };
}

function claimName(ck: Checker, f: Fields, mine: Claimed, claimed: Claims): void {
  const earlier = mine.name === undefined ? undefined : claimed.named(mine.name);
  const node = f.value('name');
  if (earlier && node) {
    ck.report(node.line, f.at('name'), `duplicates routes[${earlier.index}].name ${ck.quote(node, mine.name ?? '')}`);
  }
}

/**
 * With Unleash a flag holds one route's state: two routes on one flag would move together, and `rollout set`
 * on one would move the other. (The embedded store keeps state per route; there a shared flag only makes
 * both routes bucket users alike, which can be the point.)
 */
function claimFlag(ck: Checker, f: Fields, mine: Claimed, flag: string, claimed: Claims): void {
  const earlier = claimed.flag(mine, flag);
  if (!earlier) return;
  const node = f.value('flag') ?? f.value('name');
  const at = f.has('flag') ? f.at('flag') : f.at('name');
  if (node) ck.report(node.line, at, `uses flag "${flag}" as routes[${earlier.index}] does: with Unleash each route needs its own flag (set flag: to tell them apart)`);
}

/** Same path (in any case when either ignores case) and overlapping methods (a route without methods overlaps every other). */
function claimMatch(ck: Checker, f: Fields, mine: Claimed, claimed: Claims): void {
  const overlaps = (a: RouteMatch, b: RouteMatch): boolean =>
    samePath(a, b) && (!a.methods || !b.methods || a.methods.some((method) => b.methods?.includes(method)));
  const mineMatch = mine.match;
  const earlier = mineMatch && claimed.matching(mineMatch, (other) => overlaps(other, mineMatch));
  const node = f.value('path');
  if (earlier && node && mine.match) {
    const what = `duplicates routes[${earlier.index}].match.path`;
    ck.report(node.line, f.at('path'), `${what} ${ck.quote(node, mine.match.path)}`);
  }
}

function readMatch(ck: Checker, f: Fields): RouteMatch | undefined {
  const path = f.require('path', routePath(ck), 'a path prefix such as /api/orders');
  const methods = f.get('methods', methodList(ck));
  const ignoreCase = f.get('ignoreCase', ck.boolean());
  if (path === undefined || (f.has('methods') && !methods) || (f.has('ignoreCase') && ignoreCase === undefined)) return undefined;
  return { path, ...(methods ? { methods } : {}), ...(ignoreCase ? { ignoreCase } : {}) };
}

function routePath(ck: Checker): Read<string> {
  return ck.text('a path such as /api/orders', (value) => {
    if (!value.startsWith('/')) return 'must start with "/"';
    if (/[?#]/.test(value)) return 'must not contain "?" or "#" (only the path is matched)';
    if (/[\s\x00-\x1f\x7f]/.test(value)) return 'must not contain spaces or control characters';
    if (value.includes('//')) return 'must not contain "//"';
    if (value.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
      return 'must not contain "." or ".." segments';
    }
    return { value: value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value };
  }, false);
}

function methodList(ck: Checker): Read<string[]> {
  const method = ck.text('an HTTP method such as GET', (value) =>
    TOKEN.test(value) ? { value: value.toUpperCase() } : 'must be an HTTP method such as GET',
  );
  return ck.list('HTTP methods such as [GET, HEAD]', method);
}

function upstreamRef(ck: Checker, upstreams: string[] | undefined): Read<string> {
  const read = ck.string('an upstream name');
  return (node, path) => {
    const name = read(node, path);
    if (name === undefined || !upstreams || upstreams.includes(name)) return name;
    const defined = upstreams.length ? upstreams.join(', ') : 'none';
    const which = envSource(node) ? `upstream (${envSource(node)})` : `upstream ${quoted(name)}`;
    return ck.report(node.line, path, `${which} is not defined in upstreams (defined: ${defined})`);
  };
}

function stickiness(ck: Checker): Read<Stickiness> {
  const forms = 'random, header:<name>, cookie:<name> or query:<name>';
  return ck.text<Stickiness>(forms, (value) => {
    if (value === 'random') return { value: { kind: 'random' } };
    const colon = value.indexOf(':');
    const kind = STICKY_SOURCES.find((source) => source === value.slice(0, colon));
    if (colon < 0 || !kind) return `must be ${forms}`;
    const name = value.slice(colon + 1);
    if (!TOKEN.test(name)) return `must be ${kind}:<name> with a non-empty token as the name (such as x-user-id)`;
    return { value: { kind, name: kind === 'header' ? name.toLowerCase() : name } };
  });
}

/** Unleash refuses names that are not URL-friendly (a ":" among them). */
function unleashFlagName(ck: Checker): Read<string> {
  return ck.text('an Unleash flag name', (value) =>
    /^[A-Za-z0-9._-]+$/.test(value) ? { value } : 'must contain only letters, digits, ".", "_" and "-" (Unleash refuses other names)',
  );
}

function flagName(ck: Checker): Read<string> {
  return ck.text('a flag name', (value) =>
    /^[A-Za-z0-9._:-]+$/.test(value)
      ? { value }
      : 'must contain only letters, digits, ".", "_", ":" and "-"',
  );
}

/** What `shadow: {}` means, and what a route with a service and no `shadow` block gets: stage shadow must copy. */
function defaultShadowConfig(): ShadowConfig {
  return {
    sample: 1,
    methods: ['GET', 'HEAD'],
    ignore: [],
    maxBodyBytes: 1048576,
    maxDecodedBytes: 16777216,
    maxInFlight: 64,
    noiseSample: 0.1,
    noiseThresholds: { ...DEFAULT_NOISE_THRESHOLDS },
    unordered: false,
    mapKeys: [],
    numericTolerance: 0,
    headers: ['content-type'],
    onCanary: false,
  };
}

function readShadow(ck: Checker, f: Fields): ShadowConfig | undefined {
  const jsonPath = ck.text('a JSON path such as $.meta.generatedAt', (value) => {
    if (!value.startsWith('$')) return 'must be a JSON path starting with "$", such as $.meta.generatedAt';
    const problem = pathPatternProblem(value);
    return problem === undefined ? { value } : `is not a JSON path strangler compares by: ${problem}`;
  });
  const headerName = ck.text('a header name', (value) => (TOKEN.test(value) ? { value: value.toLowerCase() } : 'must be a header name'));
  const defaults = defaultShadowConfig();
  const shadow = {
    sample: f.get('sample', ck.number(0, 1)),
    methods: f.has('methods') ? f.get('methods', methodList(ck)) : defaults.methods,
    ignore: f.has('ignore') ? f.get('ignore', ignoreList(ck, jsonPath)) : defaults.ignore,
    maxBodyBytes: f.get('maxBodyBytes', ck.integer(0, 104857600)),
    maxDecodedBytes: f.get('maxDecodedBytes', ck.integer(1024, 268435456)),
    maxInFlight: f.get('maxInFlight', ck.integer(1, 100000)),
    noiseSample: f.get('noiseSample', ck.number(0, 1)),
    noiseThresholds: optionalBlock(ck, f, 'noiseThresholds', NOISE_THRESHOLD_KEYS, readNoiseThresholds),
    unordered: f.has('unordered') ? f.get('unordered', unorderedSetting(ck, jsonPath)) : defaults.unordered,
    mapKeys: f.has('mapKeys') ? f.get('mapKeys', ck.list('JSON paths of objects such as [$.byRegion]', jsonPath)) : defaults.mapKeys,
    numericTolerance: f.get('numericTolerance', ck.number(0, Number.MAX_SAFE_INTEGER)),
    timestampToleranceMs: f.get('timestampToleranceMs', ck.integer(0, 86400000)),
    headers: f.has('headers') ? f.get('headers', ck.list('header names such as [content-type]', headerName)) : defaults.headers,
    onCanary: f.get('onCanary', ck.boolean()),
  };
  if (!shadow.methods || !shadow.ignore || shadow.unordered === undefined || !shadow.mapKeys || !shadow.headers || !shadow.noiseThresholds.ok) return undefined;
  const config: ShadowConfig = {
    sample: shadow.sample ?? defaults.sample,
    methods: shadow.methods,
    ignore: shadow.ignore,
    maxBodyBytes: shadow.maxBodyBytes ?? defaults.maxBodyBytes,
    maxDecodedBytes: shadow.maxDecodedBytes ?? defaults.maxDecodedBytes,
    maxInFlight: shadow.maxInFlight ?? defaults.maxInFlight,
    noiseSample: shadow.noiseSample ?? defaults.noiseSample,
    noiseThresholds: shadow.noiseThresholds.value ?? defaults.noiseThresholds,
    unordered: shadow.unordered,
    mapKeys: shadow.mapKeys,
    numericTolerance: shadow.numericTolerance ?? defaults.numericTolerance,
    headers: shadow.headers,
    onCanary: shadow.onCanary ?? defaults.onCanary,
  };
  if (shadow.timestampToleranceMs !== undefined) config.timestampToleranceMs = shadow.timestampToleranceMs;
  return config;
}

/** `true`/`false` (every array, or none), or the JSON paths of the arrays compared as multisets. */
function unorderedSetting(ck: Checker, jsonPath: Read<string>): Read<boolean | string[]> {
  const paths = ck.list('JSON paths such as [$.items]', jsonPath);
  return (node, path) => {
    if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
    if (node.kind === 'seq') return paths(node, path);
    return ck.reject(node, path, 'must be true, false, or a list of JSON paths such as [$.items]');
  };
}

/** Unlike methods, an empty ignore list is fine. */
function ignoreList(ck: Checker, item: Read<string>): Read<string[]> {
  const nonEmpty = ck.list('JSON paths such as [$.meta.generatedAt]', item);
  return (node, path) => (node.kind === 'seq' && node.items.length === 0 ? [] : nonEmpty(node, path));
}

function readNoiseThresholds(ck: Checker, f: Fields): NoiseThresholds | undefined {
  const before = ck.issues.length;
  const relative = f.get('relative', ck.number(0, 1));
  const absolute = f.get('absolute', ck.integer(0, 1000000));
  if (ck.issues.length > before) return undefined;
  return { relative: relative ?? DEFAULT_NOISE_THRESHOLDS.relative, absolute: absolute ?? DEFAULT_NOISE_THRESHOLDS.absolute };
}

function readFallback(ck: Checker, f: Fields): FallbackConfig | undefined {
  const reasons = ck.list(FALLBACK_ON.join(', '), ck.oneOf(FALLBACK_ON));
  const on = f.has('on') ? f.get('on', reasons) : ['connect-error' as const];
  const methods = f.has('methods') ? f.get('methods', methodList(ck)) : ['GET', 'HEAD'];
  return on && methods ? { on, methods } : undefined;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

function readDeprecated(ck: Checker, f: Fields): DeprecationConfig | undefined {
  const expected = 'an ISO-8601 date-time with a timezone, such as 2027-06-01T00:00:00Z';
  const dateTime = ck.text(expected, (value) => (isDateTime(value) ? { value } : `must be ${expected}`));
  const sunset = f.require('sunset', dateTime, expected);
  const since = f.get('since', dateTime);
  const link = f.get(
    'link',
    ck.text('a path or URL', (value) =>
      // Spaces and control characters cannot go into the Link and Location headers.
      /[\s\x00-\x1f\x7f]/.test(value)
        ? 'must not contain spaces or control characters'
        : /^\/(?!\/)/.test(value) || /^https?:\/\/[^/]/i.test(value)
          ? { value }
          : 'must be a path starting with "/" or an http:// or https:// URL',
    ),
  );
  const redirect = f.get('redirect', ck.integerOf(REDIRECT_STATUSES, 'the redirect to link once the route is retired'));
  if (redirect !== undefined && !f.has('link')) ck.report(f.value('redirect')!.line, f.at('redirect'), 'needs link: the path or URL to redirect to');
  if (since !== undefined && sunset !== undefined && Date.parse(since) > Date.parse(sunset)) {
    return ck.report(f.value('since')!.line, f.at('since'), `must not be later than sunset (${sunset}): the route would be withdrawn before it was deprecated`);
  }
  if (sunset === undefined || (f.has('link') && link === undefined) || (f.has('since') && since === undefined)) return undefined;
  if (f.has('redirect') && (redirect === undefined || link === undefined)) return undefined;
  return { sunset, ...(since === undefined ? {} : { since }), ...(link === undefined ? {} : { link }), ...(redirect === undefined ? {} : { redirect }) };
}

function isDateTime(value: string): boolean {
  const parts = DATE_TIME.exec(value);
  if (!parts || Number.isNaN(Date.parse(value))) return false;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  // Date.parse rolls 2027-02-30 over to March; a calendar check catches it.
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && Number(parts[4]) < 24;
}
