import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { ADMIN_API_HEADER, COMPARISONS_SHOWN, MAX_COMPARISONS_SHOWN, type ComparisonsAnswer, type RouteChangeAnswer, type RouteSummary } from '../core/admin-api';
import { MIN_TOKEN_LENGTH, type RouteConfig } from '../core/config/types';
import { StatusError } from '../core/errors';
import type { ComparisonStore, RouteComparisonCount } from '../core/comparison';
import type { FlagProvider } from '../core/flags';
import { sinceTime } from '../core/since';
import { buildDiffReport, readDiffReport, ReportPool } from '../diff-reader/report';
import { storeCall } from '../core/store-call';
import type { RouteState } from '../core/state';
import { TOKEN_CHARACTERS_RULE, unsendableTokenCharacter } from '../core/header-token';
import { KEY_GIVEN_TWICE, parseJsonBody } from './json-body';
import { validateRouteChange } from './route-change';

/** The shortest start of a request id `GET /comparisons/:id` looks up (the first group of a UUID). */
const MIN_ID_PREFIX = 8;
/** Request ids named when a start is ambiguous. */
const AMBIGUOUS_SHOWN = 5;

export interface AdminOptions {
  token: string;
  routes: RouteConfig[];
  flags: FlagProvider;
  registry: Registry;
  isDraining: () => boolean;
  /** Replaces the Unleash client token without a restart (after a 401/403). */
  setFlagsClientToken?: (token: string) => void;
  /** Shadow comparisons, for diff reports. */
  comparisons?: { store: ComparisonStore; flush(): Promise<void>; keepsMatches: boolean };
  /** Builds large diff reports off the event loop; default ReportPool.whereCompiled() (inline where there is none). */
  reportPool?: ReportPool;
}

/** Probes: a Kubernetes httpGet or a load balancer's health check cannot (and should not) carry the admin token. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);
const BODY_LIMIT = 64 * 1024;
const ROUTE_CHANGE_BODY = 'a JSON object {stage?, percent?, reason} with Content-Type: application/json';
/** The body each route that takes one expects, by its route pattern. */
const EXPECTED_BODIES: Readonly<Record<string, string>> = {
  '/routes/:name': ROUTE_CHANGE_BODY,
  '/flags/client-token': 'a JSON object {token} with Content-Type: application/json',
};

/** fastify's body-parser failures, said the way the route validators say theirs: field `body`, what was expected. */
function bodyError(err: Error & { code?: string }, expected: string): { status: number; error: string } | undefined {
  switch (err.code) {
    case KEY_GIVEN_TWICE:
      return { status: 400, error: `${err.message}: give it once; must be ${expected}` };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, error: `body is not valid JSON: must be ${expected}` };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, error: `body is empty: must be ${expected}` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 400, error: `body has an unsupported content type: must be ${expected}` };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, error: 'body does not match its Content-Length' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, error: `body is larger than ${BODY_LIMIT / 1024} KiB` };
    default:
      return undefined;
  }
}

/**
 * The admin API (its own port, loopback by default): route state, history, metrics, health. `server`: one
 * bound already (BoundServer), that `app.routing` is handed to once the app is ready; the app does not listen.
 */
export function buildAdminApi(options: AdminOptions, server?: Server): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, ...(server ? { serverFactory: () => server } : {}) });
  const routesByName = new Map(options.routes.map((r) => [r.name, r]));
  registerAuth(app, options.token);
  registerJsonBodies(app);
  registerErrorAnswers(app);
  registerProbesAndMetrics(app, options);
  registerRoutes(app, options, routesByName);
  registerDiff(app, options, routesByName);
  registerFlags(app, options);
  return app;
}

type RoutesByName = ReadonlyMap<string, RouteConfig>;

/** Every answer carries the admin API's header; every path but the probes needs the bearer token. */
function registerAuth(app: FastifyInstance, token: string): void {
  const expected = Buffer.from(token);

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header(ADMIN_API_HEADER, '1');
    return payload;
  });

  app.addHook('onRequest', async (request, reply) => {
    if (OPEN_PATHS.has(request.url.split('?')[0]!)) return;
    // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` is `Bearer`; the token is compared in constant time.
    const header = request.headers.authorization ?? '';
    const scheme = /^bearer +/i.exec(header);
    const given = Buffer.from(scheme ? header.slice(scheme[0].length) : '');
    if (!scheme || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      reply.header('www-authenticate', 'Bearer realm="strangler-admin"');
      return reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <admin token>)' });
    }
  });
}

/** JSON bodies as parseJsonBody reads them: a key given twice is refused, not resolved to the last. */
function registerJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** Methods a path of this API answers, tried when a request's method has no route. */
const METHODS = ['GET', 'PUT'] as const;

function registerErrorAnswers(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length === 0) return reply.code(404).send({ error: `no such path: ${path}` });
    // RFC 9110 §15.5.6: the path exists, the method does not; say which ones it takes.
    return reply
      .code(405)
      .header('allow', [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])].join(', '))
      .send({ error: `${request.method} is not allowed on ${path}: use ${allowed.join(' or ')}` });
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const badBody = bodyError(err, EXPECTED_BODIES[request.routeOptions.url ?? ''] ?? ROUTE_CHANGE_BODY);
    if (badBody) return reply.code(badBody.status).send({ error: badBody.error, field: 'body' });
    const code = err instanceof StatusError ? err.status : err.statusCode;
    const status = code && code >= 400 && code < 600 ? code : 500;
    void reply.code(status).send({ error: status === 500 ? `internal error: ${err.message}` : err.message });
  });
}

/** The admin API's server, made before the API itself (buildAdminApi's `server`), with fastify's keep-alive (72 s). */
export function createAdminServer(): Server {
  const server = createServer();
  server.keepAliveTimeout = 72_000;
  return server;
}

/** What /readyz says while the state store is being opened, before the admin API exists. */
const STARTING_REASON = 'starting: opening the state store';

/**
 * The probes while the proxy starts (the ports are bound, the state store not open yet): alive, not ready.
 * False for every other request, which waits for the admin API.
 */
export function answerProbeWhileStarting(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = (req.url ?? '').split('?')[0];
  const answer = path === '/healthz' ? { status: 200, body: { status: 'ok' } } : path === '/readyz' ? { status: 503, body: { ready: false, reason: STARTING_REASON } } : undefined;
  if (!answer) return false;
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), [ADMIN_API_HEADER]: '1' });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

function registerProbesAndMetrics(app: FastifyInstance, options: AdminOptions): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    if (options.isDraining()) return reply.code(503).send({ ready: false, reason: 'draining' });
    const health = options.flags.health();
    if (!health.ready) return reply.code(503).send({ ready: false, provider: options.flags.kind, reason: health.reason });
    return { ready: true, provider: options.flags.kind, ...(health.reason ? { degraded: health.reason } : {}) };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.registry.contentType);
    return options.registry.metrics();
  });
}

function registerRoutes(app: FastifyInstance, options: AdminOptions, routesByName: RoutesByName): void {
  app.get('/routes', async () => ({ routes: options.routes.map((route) => summary(route, options.flags.view.get(route.name))) }));

  app.get('/routes/:name', async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const route = routesByName.get(request.params.name);
    if (!route) return unknownRoute(reply, request.params.name);
    return summary(route, options.flags.view.get(route.name));
  });

  app.put('/routes/:name', async (request: FastifyRequest<{ Params: { name: string }; Body: unknown }>, reply) => {
    const route = routesByName.get(request.params.name);
    if (!route) return unknownRoute(reply, request.params.name);
    // Unleash may have changed since the last poll: its provider checks a percent alone against the flag it reads as it writes.
    const current = options.flags.kind === 'unleash' ? 'read-by-provider' : options.flags.view.get(route.name);
    const checked = validateRouteChange(request.body, route, current);
    if (!checked.ok) return reply.code(checked.status).send({ error: checked.error, field: checked.field });
    const result = await options.flags.change(route, checked.change, { create: checked.create });
    const answer: RouteChangeAnswer = { ...summary(route, result.state), changed: result.changed, ...(result.warning ? { warning: result.warning } : {}) };
    return answer;
  });

  app.get('/routes/:name/history', async (request: FastifyRequest<{ Params: { name: string }; Querystring: { limit?: string } }>, reply) => {
    const route = routesByName.get(request.params.name);
    if (!route) return unknownRoute(reply, request.params.name);
    const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) {
      return reply.code(400).send({ error: 'limit: must be an integer from 1 to 10000', field: 'limit' });
    }
    return { route: route.name, history: await options.flags.history(route.name, limit) };
  });
}

function registerDiff(app: FastifyInstance, options: AdminOptions, routesByName: RoutesByName): void {
  const noiseThresholds = Object.fromEntries(options.routes.flatMap((r) => (r.shadow ? [[r.name, r.shadow.noiseThresholds]] : [])));

  const configuredRoutes = options.routes.map((r) => r.name);
  const reportPool = options.reportPool ?? ReportPool.whereCompiled();
  if (reportPool) app.addHook('onClose', () => reportPool.stop());
  const build = reportPool ? reportPool.build.bind(reportPool) : undefined;
  app.get('/diff/report', async (request: FastifyRequest<{ Querystring: { route?: string; since?: string; fields?: string } }>, reply) => {
    const { route, since } = request.query;
    const sinceDate = since === undefined ? undefined : sinceTime(since);
    if (typeof sinceDate === 'string') return reply.code(400).send({ error: `since: ${sinceDate}`, field: 'since' });
    const maxFields = reportFields(request.query.fields);
    if (maxFields === null) {
      return reply.code(400).send({ error: `fields: must be all or an integer from 1 to ${MAX_REPORT_FIELDS}, got ${JSON.stringify(request.query.fields)}`, field: 'fields' });
    }
    const comparisons = options.comparisons;
    if (!comparisons) {
      if (route !== undefined && !routesByName.has(route)) return unknownRoute(reply, route);
      return buildDiffReport([], { generatedAt: new Date(), noiseThresholds, ...(route ? { route } : {}) });
    }
    await comparisons.flush();
    const report = await readDiffReport(comparisons.store, { ...(route ? { route } : {}), ...(sinceDate ? { since: sinceDate } : {}) }, {
      generatedAt: new Date(),
      noiseThresholds,
      configuredRoutes,
      ...(maxFields === 'all' ? {} : { maxFields }),
    }, build);
    // A route removed from the configuration is reported while the store has its counts (marked as such).
    if (route !== undefined && !routesByName.has(route) && !report.routes.some((r) => r.counts.comparisons > 0)) {
      return reply.code(404).send({ error: `unknown route "${route}": not in the configuration, and no comparisons of it are counted${since === undefined ? '' : ` since ${since}`}` });
    }
    return report;
  });

  app.get(
    '/comparisons/:requestId',
    async (request: FastifyRequest<{ Params: { requestId: string }; Querystring: { route?: string; limit?: string } }>, reply) => {
      const comparisons = options.comparisons;
      const id = request.params.requestId;
      const { route } = request.query;
      if (route !== undefined && route.trim() === '') return reply.code(400).send({ error: 'route: must be a route name, got ""', field: 'route' });
      const limit = request.query.limit === undefined ? COMPARISONS_SHOWN : Number(request.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_COMPARISONS_SHOWN) {
        return reply.code(400).send({ error: `limit: must be a whole number from 1 to ${MAX_COMPARISONS_SHOWN}, got ${JSON.stringify(request.query.limit)}`, field: 'limit' });
      }
      if (!comparisons) return reply.code(404).send({ error: `no comparison kept for request id "${id}" (this proxy keeps no comparisons)` });
      await comparisons.flush();
      const store = comparisons.store;
      // A route that is no longer configured may still have comparisons kept: --route is not checked against the routes.
      const scope = route === undefined ? {} : { route };
      let found = await storeCall(() => store.withRequestId(id, { ...scope, limit }));
      if (found.kept.length === 0 && id.length >= MIN_ID_PREFIX) {
        // Reports print request ids shortened: the start of one is enough when no other id starts that way.
        const candidates = await storeCall(() => store.startingWith(id, AMBIGUOUS_SHOWN + 1, route));
        if (candidates.length > 1) {
          const ids = candidates.slice(0, AMBIGUOUS_SHOWN).map((r) => r.requestId);
          const more = candidates.length > AMBIGUOUS_SHOWN ? ', …' : '';
          return reply.code(409).send({ error: `request id "${id}" is ambiguous: ${ids.join(', ')}${more} start with it; give more of it` });
        }
        const only = candidates[0]?.requestId;
        if (only !== undefined) found = await storeCall(() => store.withRequestId(only, { ...scope, limit }));
      }
      const [newest, ...others] = found.newest;
      if (!newest) return reply.code(404).send({ error: await notKept(id, route, found.kept, comparisons) });
      const answer: ComparisonsAnswer = { ...newest, others, kept: found.kept };
      return answer;
    },
  );
}

/** Why no comparison is shown for an id: the id too short, on other routes only, or not (or no longer) kept. */
async function notKept(id: string, route: string | undefined, kept: RouteComparisonCount[], comparisons: NonNullable<AdminOptions['comparisons']>): Promise<string> {
  if (route !== undefined && kept.length > 0) {
    const elsewhere = kept.map((count) => `${count.route} ${count.comparisons}`).join(', ');
    return `no comparison kept for request id "${id}" on route "${route}" (it has some on other routes: ${elsewhere})`;
  }
  if (id.length < MIN_ID_PREFIX) return `no comparison for request id "${id}" (the start of an id needs at least ${MIN_ID_PREFIX} characters)`;
  const onRoute = route === undefined ? '' : ` on route "${route}"`;
  const oldest = await storeCall(() => comparisons.store.oldestKept());
  const which = comparisons.keepsMatches ? 'comparisons' : 'comparisons with differences, noise or an error';
  const since = oldest ? `, the oldest from ${oldest.toISOString()}` : '; none is kept yet';
  const matches = comparisons.keepsMatches ? '' : '; plain matches are only counted (state.keepMatches)';
  return `no comparison kept for request id "${id}"${onRoute}: only the newest state.keepComparisons ${which} are kept${since}${matches}`;
}

function registerFlags(app: FastifyInstance, options: AdminOptions): void {
  app.get('/flags/export', async () => options.flags.exportFlags());

  app.put('/flags/client-token', async (request: FastifyRequest<{ Body: unknown }>, reply) => {
    const body = request.body as { token?: unknown } | null;
    if (!options.setFlagsClientToken) {
      return reply.code(409).send({ error: `the flags provider is ${options.flags.kind}: there is no client token to set`, field: 'token' });
    }
    if (typeof body?.token !== 'string' || body.token.length < MIN_TOKEN_LENGTH) {
      return reply.code(400).send({ error: `token: required, the new Unleash client token (at least ${MIN_TOKEN_LENGTH} characters)`, field: 'token' });
    }
    const unsendable = unsendableTokenCharacter(body.token);
    if (unsendable !== undefined) return reply.code(400).send({ error: `token: ${TOKEN_CHARACTERS_RULE}: character ${unsendable} is not`, field: 'token' });
    options.setFlagsClientToken(body.token);
    return { accepted: true };
  });
}

/** Fields a diff report lists per route unless asked for more (`fields=all` lists every one). */
export const DEFAULT_REPORT_FIELDS = 100;
const MAX_REPORT_FIELDS = 100_000;

/** The `fields` parameter of /diff/report: a count, `all`, or null when it is neither. */
function reportFields(text: string | undefined): number | 'all' | null {
  if (text === undefined) return DEFAULT_REPORT_FIELDS;
  if (text === 'all') return 'all';
  const value = /^[1-9]\d*$/.test(text) ? Number(text) : NaN;
  return value <= MAX_REPORT_FIELDS ? value : null;
}

function unknownRoute(reply: FastifyReply, name: string): FastifyReply {
  return reply.code(404).send({ error: `unknown route "${name}"` });
}

/**
 * Says what traffic does: a route with a service and no known state (no flags from Unleash yet) goes to
 * legacy, whatever its configured stage; a route without one follows its configured stage.
 */
function summary(route: RouteConfig, state: RouteState | undefined): RouteSummary {
  const unknown = route.service ? { stage: 'legacy' as const, percent: 0 } : { stage: route.stage, percent: route.percent };
  return {
    name: route.name,
    stage: state?.stage ?? unknown.stage,
    percent: state?.percent ?? unknown.percent,
    version: state?.version ?? 0,
    updatedAt: state?.updatedAt ?? '',
    match: route.match,
    service: route.service ?? null,
    legacy: route.legacy,
    stickiness: route.stickiness.kind === 'random' ? 'random' : `${route.stickiness.kind}:${route.stickiness.name}`,
    flag: route.flag,
    flagRule: state?.flagRule ?? null,
  };
}
