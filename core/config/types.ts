/** The validated, defaults-applied form of strangler.yaml. */
import type { NoiseThresholds } from '../comparison';

export const STAGES = ['legacy', 'shadow', 'canary', 'live', 'retired'] as const;
export type Stage = (typeof STAGES)[number];

/** The shortest token accepted: the admin token and Unleash client tokens, in the configuration and by `PUT /flags/client-token`. */
export const MIN_TOKEN_LENGTH = 8;

export type StickinessSource = 'header' | 'cookie' | 'query';
export type Stickiness = { kind: 'random' } | { kind: StickinessSource; name: string };

export interface ListenConfig {
  host: string;
  port: number;
  /** Largest request head (request line + headers) accepted; larger gets 431. */
  maxHeaderBytes: number;
  /** How long a graceful stop waits for in-flight requests before closing them. */
  drainTimeoutMs: number;
  /**
   * How long an idle client connection stays open. Longer than the load balancer's own idle timeout (60 s on
   * an AWS ALB), or it reuses a connection the proxy has just closed and answers 502.
   */
  keepAliveTimeoutMs: number;
  /**
   * On SIGTERM, how long to keep accepting with /readyz already 503 before the listener closes: the time a
   * load balancer or Kubernetes needs to stop sending new connections (a preStop sleep, built in).
   */
  shutdownDelayMs: number;
  /**
   * The longest a client may take none of a response it is being sent (nginx's send_timeout). Past it the
   * client connection is closed and the upstream connection freed: a client that never reads must not hold
   * an upstream connection for ever.
   */
  sendTimeoutMs: number;
  /** IPs and CIDR ranges of proxies in front whose X-Forwarded-Proto/-Host are kept; from others they are replaced. */
  trustedProxies: string[];
}

export interface AdminConfig {
  host: string;
  port: number;
  /** Bearer token; never printed. */
  token: string;
}

export interface StateConfig {
  /** `embedded:<folder>` (PGlite) or `postgres://…` */
  url: string;
  /** How often the proxy re-reads the store as a fallback to LISTEN/NOTIFY. */
  pollMs: number;
  /** Shadow comparisons kept in the store (for examples and `diff show`); older ones are pruned as new ones are written. */
  keepComparisons: number;
  /** Days of per-minute comparison counts kept (what diff reports count from). */
  keepCountsDays: number;
  /** Store plain matches as well as the comparisons with something to show (they are always counted). */
  keepMatches: boolean;
}

/** Route state lives in strangler's own state store. */
export interface EmbeddedFlagsConfig {
  provider: 'embedded';
}

/** Route state lives in Unleash: one flag per route with a flexibleRollout strategy. */
export interface UnleashFlagsConfig {
  provider: 'unleash';
  /** Unleash base URL, without `/api` (e.g. `http://unleash:4242`). */
  url: string;
  /** Client (backend) token; the proxy reads flags with it. Never printed. */
  clientToken: string;
  /** Admin token; needed for `strangler rollout set` to change flags. Never printed. */
  adminToken?: string;
  environment: string;
  project: string;
  appName: string;
  refreshMs: number;
  /** A file in Unleash's client features format, used when Unleash cannot be reached at start. */
  bootstrap?: string;
}

export type FlagsConfig = EmbeddedFlagsConfig | UnleashFlagsConfig;

export interface UpstreamConfig {
  name: string;
  /** Origin only: `http://host:port`. */
  url: string;
  /** Time to wait for the upstream's response headers, and between body chunks; exceeded → 504. */
  timeoutMs: number;
  /** Keep-alive connections in the pool. */
  connections: number;
  /** Send the client's Host header instead of the upstream's own. */
  preserveHost: boolean;
  /**
   * Shadow copies and noise samples of GET/HEAD/OPTIONS sent to this upstream in one turn of the event loop go
   * out pipelined, up to this many per connection (HTTP/1.1 pipelining), in one write: far fewer syscalls at
   * high shadow rates. 1 (default): one request per connection at a time.
   */
  shadowPipelining: number;
  /** https:// upstreams: whom to trust, the client certificate, the name to verify. */
  tls?: UpstreamTlsConfig;
}

/** File paths are absolute (resolved against the config file's folder when loaded). */
export interface UpstreamTlsConfig {
  /** PEM file of the CA certificates trusted for this upstream, replacing Node's bundled list. */
  ca?: string;
  /** PEM client certificate for mutual TLS (with `key`). */
  cert?: string;
  /** PEM private key of `cert`, unencrypted. */
  key?: string;
  /** Name sent as SNI and checked against the upstream's certificate, instead of the url's host. */
  servername?: string;
}

export interface RouteMatch {
  /** Path prefix, matched on segment boundaries; loaded without a trailing "/" (except "/" itself). */
  path: string;
  /** Upper-case methods; undefined = any method. */
  methods?: string[];
  /**
   * Match the path whatever its letter case (Envoy's `case_sensitive: false`): for a monolith that routes
   * case-insensitively (Express's default, ASP.NET), where `/API/orders` reaches the same handler.
   */
  ignoreCase?: boolean;
}

export interface ShadowConfig {
  /** Share of eligible requests copied to the new service, 0..1. */
  sample: number;
  methods: string[];
  /** JSON paths left out of the comparison (`$.meta.generatedAt`, `$.items[*].etag`). */
  ignore: string[];
  /** Request and response bodies are captured up to this size; larger ones are skipped and counted. */
  maxBodyBytes: number;
  /**
   * A compressed body is decoded up to this size for the comparison; past it the body counts as
   * undecodable. Decoding runs on the proxy's event loop (16 MiB of gzip: tens of ms), hence a bound.
   */
  maxDecodedBytes: number;
  /** Copies under way at once; above that, copies are dropped and counted. */
  maxInFlight: number;
  /** Share of shadowed safe requests sent to legacy a second time, to learn which fields are noise. */
  noiseSample: number;
  /** When a field is noise: in the learned model (per process) and in diff reports. */
  noiseThresholds: NoiseThresholds;
  /** Arrays compared as multisets: all (`true`) or those at these JSON paths. */
  unordered: boolean | string[];
  /**
   * Objects used as maps (keyed by region, by name…): every key directly under these JSON paths is reported as
   * `*` (`$.byRegion.*`), so one difference across the map is one field. Keys that are ids are `*` without it.
   */
  mapKeys: string[];
  /** Numbers closer than this are equal. */
  numericTolerance: number;
  /** Timestamps closer than this are equal (undefined: compared as values). */
  timestampToleranceMs?: number;
  /** Response headers compared (lower-case). */
  headers: string[];
  /** In canary, also shadow the share that legacy serves. */
  onCanary: boolean;
}

export interface FallbackConfig {
  on: Array<'connect-error' | 'timeout' | '5xx'>;
  methods: string[];
}

export interface DeprecationConfig {
  /** ISO-8601 date-time: when the route stops being served (the Sunset header). */
  sunset: string;
  /** ISO-8601 date-time: when the deprecation took effect (the Deprecation header's date). */
  since?: string;
  /** Path or URL of the successor (a Link with rel="successor-version"). */
  link?: string;
  /** Once the route is retired (and has no new service): answer with this redirect to `link` instead of 410. */
  redirect?: RedirectStatus;
}

export type RedirectStatus = 301 | 302 | 307 | 308;

export interface RouteConfig {
  name: string;
  match: RouteMatch;
  /** Upstream name of the new service (undefined only for routes that are merely deprecated). */
  service?: string;
  /** Upstream name that serves the legacy side; defaults to `legacy`. */
  legacy: string;
  /** Initial state, used only when the state store has no state for this route yet. */
  stage: Stage;
  percent: number;
  stickiness: Stickiness;
  /** Where a request without the sticky value goes. */
  stickyFallback: 'random' | 'legacy';
  /** Flag name; also the Unleash groupId used for bucketing. Defaults to `strangler.<name>`. */
  flag: string;
  shadow?: ShadowConfig;
  fallback?: FallbackConfig;
  deprecated?: DeprecationConfig;
}

export interface StranglerConfig {
  /** Path of the file this was loaded from (for messages). */
  file: string;
  listen: ListenConfig;
  admin: AdminConfig;
  state: StateConfig;
  flags: FlagsConfig;
  upstreams: Record<string, UpstreamConfig>;
  routes: RouteConfig[];
}
