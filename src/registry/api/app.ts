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
 *   GET|POST /apis/berth.dev/v1alpha1/approvals, GET /approvals/<id>, POST /approvals/<id>/approve|deny|consume
 *   GET|POST /apis/berth.dev/v1alpha1/callrecords                (the gateway's per-call audit)
 *   GET    /apis/berth.dev/v1alpha1/stats/calls|reconcile          chart series (routes-stats.ts)
 *   GET    /apis/berth.dev/v1alpha1/mcpservers/<name>/access, /agents[/<agent>]   who may call what (routes-access.ts)
 *   GET    /apis/berth.dev/v1alpha1/mcpservers/<name>/logs         recent output, when a log source is wired (routes-logs.ts)
 *   POST   /apis/berth.dev/v1alpha1/tokenreviews               is this agent key good? (gateway, admin)
 *
 * Open without a token, on purpose: /healthz and /readyz (probes), /openapi.json
 * (the public description of the API, no data) and /metrics (Prometheus convention;
 * counts by kind, route pattern and status, never names, specs or tokens; its one
 * expensive gauge is cached, see metrics.ts). Everything under /apis needs a token.
 * Watch streams are capped per instance (`maxWatchers`, 503 + Retry-After past it)
 * and per token (`maxWatchersPerToken`, 429), see watch-slots.ts.
 * Writes that would take another server's gateway route are refused (route-claims.ts).
 * A full, read-only or unreachable database answers 503 (`store-unavailable.ts`) and
 * turns /readyz not-ready until writes succeed again (`store-health.ts`).
 *
 * Every error leaves through the one error handler as RFC 9457 problem details.
 * A request made inside this process (`in-process.ts`) carries its principal in
 * the hono environment instead of a token; every other request needs a token.
 *
 * @example
 * const app = createRegistryApp({ store, logger, metrics: createRegistryMetrics(store), shutdownSignal });
 * serve({ fetch: app.fetch, port: 7070 });
 */
import { RemoteAddressRule, type RemoteAddressPolicy } from '../../manifest/remote-address.ts';
import { Hono } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import { asRegistryError, RegistryError } from '../../client/errors.ts';
import { authenticate } from '../auth/authenticate.ts';
import { createDashboard, type DashboardOptions } from '../dashboard/dashboard.ts';
import { sessionCookieOf } from '../dashboard/sessions.ts';
import type { ServerLogSource } from '../server-log-source.ts';
import type { Store } from '../store.ts';
import { watchStoreHealth } from '../store-health.ts';
import { STORE_RETRY_AFTER_SECONDS } from '../store-unavailable.ts';
import { IN_PROCESS_PRINCIPAL, PREFIX, type ApiApp, type ApiDeps, type ApiEnv } from './context.ts';
import type { RegistryMetrics } from './metrics.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { problemResponse } from './problem.ts';
import { RouteClaims } from './route-claims.ts';
import { approvalRoutes, DEFAULT_APPROVAL_TTL_MS } from './routes-approvals.ts';
import { accessRoutes } from './routes-access.ts';
import { auditRoutes } from './routes-audit.ts';
import { callRecordRoutes } from './routes-callrecords.ts';
import { fallbackRoutes } from './routes-fallback.ts';
import { leaseRoutes } from './routes-leases.ts';
import { logRoutes } from './routes-logs.ts';
import { resourceRoutes } from './routes-resources.ts';
import { stageApprovalRoutes } from './routes-stage-approvals.ts';
import { statsRoutes } from './routes-stats.ts';
import { statusRoutes } from './routes-status.ts';
import { tokenRoutes } from './routes-tokens.ts';
import { tokenReviewRoutes } from './routes-token-reviews.ts';
import { DEFAULT_MAX_WATCHERS_PER_TOKEN } from './watch-slots.ts';

/** What the API needs from its host. */
export interface RegistryAppDeps {
  store: Store;
  logger: Logger;
  metrics: RegistryMetrics;
  /** Aborted on shutdown: watch streams end with a RECONNECT line; route claims stop following the store. */
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
  /**
   * Most watch streams one token may hold open at once on this instance; one more
   * gets 429. Default {@link DEFAULT_MAX_WATCHERS_PER_TOKEN} (16).
   */
  maxWatchersPerToken?: number;
  /** How long an approved call stays usable before it expires. Default {@link DEFAULT_APPROVAL_TTL_MS} (10 min). */
  approvalTtlMs?: number;
  /** While the database refuses writes, how often a write probe checks whether it recovered. Default 3 s. */
  storeProbeIntervalMs?: number;
  /** Which addresses `spec.remote.url` may name (`--allow-remote`); default: the default rule, no allow-list. */
  remoteAddresses?: RemoteAddressPolicy;
  /**
   * Serve the dashboard at /ui/ and accept its session cookie under /apis
   * (`src/registry/dashboard/`). Absent: no /ui routes, and the cookie is ignored.
   */
  dashboard?: DashboardOptions;
  /** Where `…/mcpservers/<name>/logs` reads a server's output (`berth up`: the local runtime); absent: 404 saying so. */
  logSource?: ServerLogSource;
}

/** Default cap on concurrent watch streams per registry instance. */
export const DEFAULT_MAX_WATCHERS = 1000;

/** Builds the API app over `deps.store`. */
export function createRegistryApp(opts: RegistryAppDeps): ApiApp {
  const { logger, metrics } = opts;
  // Every route reaches the store through this wrapper, so a full or read-only
  // database turns /readyz not-ready until a write (or the probe) succeeds again.
  const { store, health } = watchStoreHealth(opts.store, {
    logger: logger.child({ part: 'store-health' }),
    signal: opts.shutdownSignal,
    ...(opts.storeProbeIntervalMs !== undefined ? { probeIntervalMs: opts.storeProbeIntervalMs } : {}),
  });
  const deps: ApiDeps = {
    store,
    logger,
    metrics,
    shutdownSignal: opts.shutdownSignal,
    clock: opts.clock ?? (() => new Date()),
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    maxWatchers: opts.maxWatchers ?? DEFAULT_MAX_WATCHERS,
    maxWatchersPerToken: opts.maxWatchersPerToken ?? DEFAULT_MAX_WATCHERS_PER_TOKEN,
    routeClaims: new RouteClaims(store, { logger: logger.child({ part: 'route-claims' }), shutdownSignal: opts.shutdownSignal }),
    remoteAddresses: new RemoteAddressRule(opts.remoteAddresses),
    ...(opts.logSource !== undefined ? { logSource: opts.logSource } : {}),
  };
  let openapi: Record<string, unknown> | undefined;
  const app = new Hono<ApiEnv>();

  app.onError((err, c) => {
    const problem = asRegistryError(err);
    if (problem.status >= 500) logger.error({ err, method: c.req.method, path: c.req.path }, 'request failed');
    return problemResponse(problem, c.req.path);
  });
  app.notFound((c) =>
    problemResponse(new RegistryError(404, { type: 'no-route', title: 'No such endpoint', detail: `no route for ${c.req.method} ${c.req.path}; see /openapi.json` }), c.req.path),
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
    const failure = health.failure();
    if (failure) {
      // /readyz is open: the reason, but not the file path or database host (the log and the refused requests have those).
      // Answered, not thrown: probes ask every few seconds, and the failure was logged once when it began.
      return problemResponse(new RegistryError(503, {
        type: 'not-ready',
        title: 'Not ready',
        detail: `the registry's database refuses writes (${failure.reason}); the registry's log and its 503 answers say where and what to do`,
        headers: { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) },
        extensions: { reason: failure.reason },
      }), c.req.path);
    }
    try {
      const resourceVersion = await store.currentVersion();
      return c.json({ status: 'ready', resourceVersion });
    } catch (cause) {
      throw new RegistryError(503, { type: 'not-ready', title: 'Not ready', detail: 'the store is not reachable', cause });
    }
  });
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  app.get('/openapi.json', (c) => c.json((openapi ??= buildOpenApiDocument(opts.version ?? '0.0.0'))));

  const dashboard = opts.dashboard ? createDashboard({ store, clock: deps.clock, logger, version: opts.version ?? '0.0.0' }, opts.dashboard) : undefined;
  dashboard?.mount(app);

  // Every /apis route needs a principal, checked on every request: a valid token, the
  // dashboard's session cookie (only without a bearer header, which wins), or the
  // principal an in-process request carries (which no socket can supply).
  app.use(`${PREFIX}/*`, async (c, next) => {
    const inProcess = c.env?.[IN_PROCESS_PRINCIPAL];
    const authorization = c.req.header('authorization');
    const cookie = dashboard && !authorization ? sessionCookieOf(c.req.header('cookie')) : undefined;
    const principal = inProcess ?? (cookie !== undefined ? await dashboard!.authenticateCookie(c.req.raw, cookie) : await authenticate(store, authorization, deps.clock()));
    c.set('principal', principal);
    await next();
  });
  // Audit, tokens, leases, approvals and call records before the generic resource routes; the fallback last.
  auditRoutes(app, deps);
  tokenRoutes(app, deps);
  tokenReviewRoutes(app, deps);
  leaseRoutes(app, deps);
  approvalRoutes(app, deps, { ttlMs: opts.approvalTtlMs ?? DEFAULT_APPROVAL_TTL_MS });
  callRecordRoutes(app, deps);
  statsRoutes(app, deps);
  accessRoutes(app, deps);
  logRoutes(app, deps);
  stageApprovalRoutes(app, deps);
  resourceRoutes(app, deps);
  statusRoutes(app, deps);
  fallbackRoutes(app);
  return app;
}
