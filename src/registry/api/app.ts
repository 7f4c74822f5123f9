/**
 * The registry HTTP API as a hono app (web-standard Request/Response core; the
 * Node adapter lives in `../server.ts`). Routes:
 *
 *   GET    /healthz /readyz /metrics /openapi.json            (no token)
 *   GET    /apis/berth.dev/v1alpha1/<plural>                   list, or watch with ?watch=1&resourceVersion=N
 *   POST   /apis/berth.dev/v1alpha1/<plural>                   create
 *   GET    /apis/berth.dev/v1alpha1/<plural>/<name>            get
 *   PUT    /apis/berth.dev/v1alpha1/<plural>/<name>            replace (metadata.resourceVersion → 409 when stale)
 *   DELETE /apis/berth.dev/v1alpha1/<plural>/<name>            delete (finalizer-aware)
 *   POST   /apis/berth.dev/v1alpha1/<plural>/<name>/apply      server-side apply → {result, object}
 *   PUT|PATCH /apis/berth.dev/v1alpha1/<plural>/<name>/status  status write path (admin)
 *   GET|POST /apis/berth.dev/v1alpha1/audit, GET|POST /tokens, DELETE /tokens/<id>, POST|DELETE /leases/<name>
 *
 * Open without a token, on purpose: /healthz and /readyz (probes), /openapi.json
 * (the public description of the API, no data) and /metrics (Prometheus convention;
 * counts by kind, route pattern and status, never names, specs or tokens; its one
 * expensive gauge is cached, see metrics.ts). Everything under /apis needs a token.
 * Watch streams are capped per instance (`maxWatchers`, 503 + Retry-After past it).
 * Writes that would take another server's gateway route are refused (route-claims.ts).
 *
 * Every error leaves through the one error handler as RFC 9457 problem details.
 *
 * @example
 * const app = createRegistryApp({ store, logger, metrics: createRegistryMetrics(store), shutdownSignal });
 * serve({ fetch: app.fetch, port: 7070 });
 */
import { Hono, type Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { Kind } from '../../manifest/resource.ts';
import { API_VERSION } from '../../manifest/resource.ts';
import { authenticate, type Principal } from '../auth/authenticate.ts';
import { enforce, mayAdminister, mayReadAudit } from '../auth/authorize.ts';
import { DURATION_EXAMPLES, parseDuration } from '../../kit/duration.ts';
import { mintToken, ROLES, type Role } from '../auth/tokens.ts';
import type { AuditQuery, ListOptions, Store } from '../store.ts';
import { readObjectBody } from './body.ts';
import type { RegistryMetrics } from './metrics.ts';
import { isDnsLabel, kindFromPlural, requireName } from './names.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { HttpProblem, problemResponse, toHttpProblem } from './problem.ts';
import { RouteClaims } from './route-claims.ts';
import { admitObject } from './validation.ts';
import { watchResponse } from './watch.ts';
import { applyObject, createObject, deleteObject, replaceObject, writeStatus, type WriteContext } from './writes.ts';
import { validateObject } from '../../manifest/index.ts';

/** What the API needs from its host. */
export interface RegistryAppDeps {
  store: Store;
  logger: Logger;
  metrics: RegistryMetrics;
  /** Aborted on shutdown: watch streams end with a RECONNECT line. */
  shutdownSignal: AbortSignal;
  /** Current time (token expiry, token creation). Default: `() => new Date()`. */
  clock?: () => Date;
  /** Idle time before a watch stream sends a BOOKMARK line. Default 15 s. */
  heartbeatMs?: number;
  /** Version shown in /openapi.json. */
  version?: string;
  /**
   * Most watch streams open at once on this instance; one more gets 503 with
   * Retry-After. Each stream holds a socket, a store waiter and buffers, so an
   * unbounded number lets one client exhaust memory and file descriptors.
   * Default {@link DEFAULT_MAX_WATCHERS}.
   */
  maxWatchers?: number;
}

/** Default cap on concurrent watch streams per registry instance. */
export const DEFAULT_MAX_WATCHERS = 1000;

type Env = { Variables: { principal: Principal } };

const PREFIX = '/apis/berth.dev/v1alpha1';

function badQuery(detail: string): HttpProblem {
  return new HttpProblem(400, { type: 'invalid-query', title: 'Invalid query parameter', detail });
}

function intQuery(c: Context, name: string, min: number, max: number): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw badQuery(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return Number(raw);
}

function flag(c: Context, name: string): boolean {
  const v = c.req.query(name);
  return v !== undefined && v !== '0' && v !== 'false';
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Builds the API app over `deps.store`. */
export function createRegistryApp(deps: RegistryAppDeps): Hono<Env> {
  const { store, logger, metrics, shutdownSignal } = deps;
  const clock = deps.clock ?? (() => new Date());
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const maxWatchers = deps.maxWatchers ?? DEFAULT_MAX_WATCHERS;
  let openWatchers = 0;
  let openapi: Record<string, unknown> | undefined;
  const app = new Hono<Env>();

  app.onError((err, c) => {
    const problem = toHttpProblem(err);
    if (problem.status >= 500) logger.error({ err, method: c.req.method, path: c.req.path }, 'request failed');
    return problemResponse(problem, c.req.path);
  });
  app.notFound((c) =>
    problemResponse(new HttpProblem(404, { type: 'not-found', title: 'Not found', detail: `no route for ${c.req.method} ${c.req.path}; see /openapi.json` }), c.req.path),
  );

  // Metrics and one log line per request: method, route pattern, status, time. Never headers or bodies.
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = matchedRoutes(c)[c.req.routeIndex]?.path ?? 'unmatched';
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc({ method: c.req.method, route, code: String(c.res.status) });
    metrics.duration.observe({ method: c.req.method, route }, seconds);
    logger.debug({ method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1000) }, 'request');
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      const resourceVersion = await store.currentVersion();
      return c.json({ status: 'ready', resourceVersion });
    } catch (cause) {
      throw new HttpProblem(503, { type: 'not-ready', title: 'Not ready', detail: 'the store is not reachable', cause });
    }
  });
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  app.get('/openapi.json', (c) => c.json((openapi ??= buildOpenApiDocument(deps.version ?? '0.0.0'))));

  // Every /apis route needs a valid token, checked on every request.
  app.use(`${PREFIX}/*`, async (c, next) => {
    c.set('principal', await authenticate(store, c.req.header('authorization'), clock()));
    await next();
  });
  const routeClaims = new RouteClaims(store);
  const writer = (c: Context<Env>): WriteContext => ({ store, principal: c.get('principal'), logger, routeClaims });

  // --- audit, tokens, leases (registered before the generic resource routes) ---
  app.get(`${PREFIX}/audit`, async (c) => {
    enforce(mayReadAudit(c.get('principal')));
    const q: AuditQuery = {};
    for (const key of ['since', 'actor', 'kind', 'name', 'action'] as const) {
      const v = c.req.query(key);
      if (v) q[key] = v;
    }
    if (q.since !== undefined && Number.isNaN(Date.parse(q.since))) throw badQuery(`since must be an RFC 3339 time (got ${JSON.stringify(q.since)})`);
    const limit = intQuery(c, 'limit', 1, 1000);
    if (limit !== undefined) q.limit = limit;
    return c.json({ items: await store.queryAudit(q) });
  });
  app.post(`${PREFIX}/audit`, async (c) => {
    enforce(mayAdminister(c.get('principal')));
    const body = await readObjectBody(c.req.raw);
    if (typeof body.actor !== 'string' || typeof body.action !== 'string') {
      throw new HttpProblem(422, { type: 'invalid-audit', title: 'Invalid audit entry', detail: 'actor and action must be strings' });
    }
    const { id: _id, time: _time, ...entry } = body as Record<string, unknown>;
    const details = { ...((entry.details as Record<string, unknown> | undefined) ?? {}), submittedBy: c.get('principal').tokenId };
    const saved = await store.appendAudit({ ...(entry as { actor: string; action: string }), details });
    return c.json(saved, 201);
  });

  app.get(`${PREFIX}/tokens`, async (c) => {
    enforce(mayAdminister(c.get('principal')));
    const items = (await store.listTokens()).map(({ hash: _hash, ...rest }) => rest);
    return c.json({ items });
  });
  app.post(`${PREFIX}/tokens`, async (c) => {
    const who = c.get('principal');
    enforce(mayAdminister(who));
    const body = await readObjectBody(c.req.raw);
    const role = body.role as Role;
    if (!ROLES.includes(role)) throw new HttpProblem(422, { type: 'invalid-token-request', title: 'Invalid token request', detail: `role must be one of ${ROLES.join(', ')}` });
    const team = body.team;
    if (team !== undefined && (typeof team !== 'string' || !isDnsLabel(team))) {
      throw new HttpProblem(422, { type: 'invalid-token-request', title: 'Invalid token request', detail: 'team must be a DNS label such as "sales-platform"' });
    }
    if (role === 'publisher' && team === undefined) {
      throw new HttpProblem(422, { type: 'invalid-token-request', title: 'Invalid token request', detail: 'a publisher token needs a team (--team T): publishers write only their team\'s servers' });
    }
    let ttlMs: number | undefined;
    if (body.expires !== undefined) {
      ttlMs = typeof body.expires === 'string' ? parseDuration(body.expires) : undefined;
      if (ttlMs === undefined) throw new HttpProblem(422, { type: 'invalid-token-request', title: 'Invalid token request', detail: `expires must be ${DURATION_EXAMPLES}` });
    }
    const description = typeof body.description === 'string' ? body.description : undefined;
    const minted = mintToken({
      role,
      now: clock(),
      ...(typeof team === 'string' ? { team } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(ttlMs !== undefined ? { ttlMs } : {}),
    });
    await store.putToken(minted.record);
    await store.appendAudit({ actor: who.tokenId, action: 'token.create', details: { role: who.role, tokenId: minted.record.id, tokenRole: role, ...(typeof team === 'string' ? { team } : {}) } });
    const { hash: _hash, ...record } = minted.record;
    return c.json({ token: minted.token, record }, 201);
  });
  app.delete(`${PREFIX}/tokens/:id`, async (c) => {
    const who = c.get('principal');
    enforce(mayAdminister(who));
    const id = c.req.param('id');
    if (!/^tok_[a-z0-9]{12}$/.test(id)) throw new HttpProblem(400, { type: 'invalid-name', title: 'Invalid token id', detail: `${JSON.stringify(id)} is not a token id (tok_ followed by 12 characters)` });
    const at = clock().toISOString();
    if (!(await store.revokeToken(id, at))) throw new HttpProblem(404, { type: 'not-found', title: 'Not found', detail: `no token ${id}` });
    await store.appendAudit({ actor: who.tokenId, action: 'token.revoke', details: { role: who.role, tokenId: id } });
    return c.json({ id, revokedAt: at });
  });

  app.post(`${PREFIX}/leases/:name`, async (c) => {
    enforce(mayAdminister(c.get('principal')));
    const name = requireName(c.req.param('name'), 'lease name');
    const body = await readObjectBody(c.req.raw);
    const { holder, ttlMs } = body;
    if (typeof holder !== 'string' || holder === '' || typeof ttlMs !== 'number' || !(ttlMs > 0)) {
      throw new HttpProblem(422, { type: 'invalid-lease-request', title: 'Invalid lease request', detail: 'send {"holder": "<non-empty id>", "ttlMs": <positive number>}' });
    }
    const acquired = await store.acquireLease(name, holder, ttlMs, clock().getTime());
    return c.json({ acquired });
  });
  app.delete(`${PREFIX}/leases/:name`, async (c) => {
    enforce(mayAdminister(c.get('principal')));
    const name = requireName(c.req.param('name'), 'lease name');
    const holder = c.req.query('holder');
    if (!holder) throw badQuery('holder is required');
    await store.releaseLease(name, holder);
    return c.json({ released: true });
  });

  // --- resources ---
  app.get(`${PREFIX}/:plural`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    if (flag(c, 'watch')) {
      const rvRaw = c.req.query('resourceVersion');
      if (rvRaw !== undefined && !/^\d+$/.test(rvRaw)) throw badQuery(`resourceVersion must be a decimal number (got ${JSON.stringify(rvRaw)})`);
      if (openWatchers >= maxWatchers) {
        throw new HttpProblem(503, {
          type: 'too-many-watchers',
          title: 'Too many watch streams',
          detail: `this registry already serves ${maxWatchers} watch streams; retry later or watch through another replica`,
          headers: { 'retry-after': '5' },
        });
      }
      // Take the slot before any await, so a burst of requests cannot all pass the check.
      openWatchers++;
      let released = false;
      const release = (): void => {
        if (!released) {
          released = true;
          openWatchers--;
        }
      };
      try {
        const since = rvRaw !== undefined ? Number(rvRaw) : await store.currentVersion();
        return await watchResponse({
          store,
          kind,
          since,
          clientSignal: c.req.raw.signal,
          shutdownSignal,
          heartbeatMs,
          onOpen: () => metrics.watchers.inc(),
          onClose: () => {
            release();
            metrics.watchers.dec();
          },
        });
      } catch (err) {
        release();
        throw err;
      }
    }
    const opts: ListOptions = {};
    const labelSelector = c.req.query('labelSelector');
    if (labelSelector) opts.labelSelector = labelSelector;
    const team = c.req.query('team');
    if (team) opts.ownerTeam = team;
    const lifecycle = c.req.query('lifecycle');
    if (lifecycle) opts.lifecycle = lifecycle;
    const limit = intQuery(c, 'limit', 1, 500);
    if (limit !== undefined) opts.limit = limit;
    const cont = c.req.query('continue');
    if (cont) opts.continue = cont;
    const page = await store.list(kind, opts);
    return c.json({
      apiVersion: API_VERSION,
      kind: `${kind}List`,
      metadata: { resourceVersion: String(page.resourceVersion), ...(page.continue ? { continue: page.continue } : {}) },
      items: page.items,
    });
  });
  app.post(`${PREFIX}/:plural`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const obj = admitObject(await readObjectBody(c.req.raw), kind);
    return c.json(await createObject(writer(c), obj, { dryRun: flag(c, 'dryRun') }), 201);
  });
  app.get(`${PREFIX}/:plural/:name`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const name = requireName(c.req.param('name'));
    const obj = await store.get(kind, name);
    if (!obj) throw new HttpProblem(404, { type: 'not-found', title: 'Not found', detail: `${kind}/${name} does not exist` });
    return c.json(obj);
  });
  app.put(`${PREFIX}/:plural/:name`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const name = requireName(c.req.param('name'));
    const obj = admitObject(await readObjectBody(c.req.raw), kind, name, true);
    return c.json(await replaceObject(writer(c), obj, { dryRun: flag(c, 'dryRun') }));
  });
  app.delete(`${PREFIX}/:plural/:name`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const name = requireName(c.req.param('name'));
    const rv = c.req.query('resourceVersion');
    const reason = c.req.query('reason');
    const result = await deleteObject(writer(c), kind, name, {
      ...(rv ? { expectedResourceVersion: rv } : {}),
      ...(reason ? { reason } : {}),
    });
    return c.json(result.object, 200, { 'berth-deleted': String(result.removed) });
  });
  app.post(`${PREFIX}/:plural/:name/apply`, async (c) => {
    const kind = kindFromPlural(c.req.param('plural'));
    const name = requireName(c.req.param('name'));
    const obj = admitObject(await readObjectBody(c.req.raw), kind, name);
    const { outcome, object } = await applyObject(writer(c), obj, { dryRun: flag(c, 'dryRun') });
    return c.json({ result: outcome, object }, outcome === 'created' ? 201 : 200);
  });
  const statusWrite = (merge: boolean) => async (c: Context<Env>): Promise<Response> => {
    const kind: Kind = kindFromPlural(c.req.param('plural') ?? '');
    const name = requireName(c.req.param('name') ?? '');
    enforce(mayAdminister(c.get('principal')));
    const body = await readObjectBody(c.req.raw);
    const current = await store.get(kind, name);
    if (!current) throw new HttpProblem(404, { type: 'not-found', title: 'Not found', detail: `${kind}/${name} does not exist` });
    const status = merge ? mergePatch(current.status ?? {}, body.status ?? {}) : body.status;
    const problems = validateObject({ ...current, status }, { allowServerOwned: true });
    if (problems.length > 0) {
      throw new HttpProblem(422, {
        type: 'invalid-object',
        title: 'Invalid status',
        detail: `status of ${kind}/${name} is invalid: ${problems[0]!.path} ${problems[0]!.message}`,
        errors: problems.map((p) => ({ path: p.path, message: p.message, code: p.code })),
      });
    }
    const rv = (body.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
    const updated = await writeStatus(writer(c), kind, name, status, typeof rv === 'string' ? { expectedResourceVersion: rv } : {});
    return c.json(updated);
  };
  app.put(`${PREFIX}/:plural/:name/status`, statusWrite(false));
  app.patch(`${PREFIX}/:plural/:name/status`, statusWrite(true));

  // Anything deeper under a resource is a name with a '/' in it or an unknown subresource.
  app.all(`${PREFIX}/*`, (c) => {
    const rest = c.req.path.slice(PREFIX.length + 1).split('/');
    kindFromPlural(rest[0] ?? '');
    const shapeOk = rest.length <= 3 && rest.slice(1, 2).every(isDnsLabel) && (rest[2] === undefined || rest[2] === 'status' || rest[2] === 'apply');
    if (shapeOk) {
      throw new HttpProblem(405, { type: 'method-not-allowed', title: 'Method not allowed', detail: `${c.req.method} is not supported on ${c.req.path}; see /openapi.json` });
    }
    throw new HttpProblem(400, {
      type: 'invalid-path',
      title: 'Invalid path',
      detail: `${JSON.stringify(c.req.path)} is not a resource path: use ${PREFIX}/<plural>/<name>[/status|/apply] where <name> is a DNS label (no '/', '.', or non-ASCII)`,
    });
  });

  return app;
}
