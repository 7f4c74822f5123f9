/**
 * The dashboard as one part of the registry app: starts the browser app's build
 * when the registry starts, holds the session deps (store, clock, TTL) that both the /ui routes and the API's cookie
 * authentication use, and mounts the /ui routes.
 *
 * @example
 * const dashboard = createDashboard({ store, clock, logger, version }, { sessionTtlMs: 8 * 3600_000 });
 * dashboard.mount(app);
 * // in the /apis middleware: dashboard.authenticateCookie(req, cookie)
 */
import type { Logger } from 'pino';
import type { Principal } from '../auth/authenticate.ts';
import type { ApiApp } from '../api/context.ts';
import type { Store } from '../store.ts';
import { buildDashboard, type DashboardBundle } from './bundle.ts';
import { authenticateCookie } from './cookie-auth.ts';
import { dashboardRoutes } from './routes.ts';
import { DEFAULT_SESSION_TTL_MS, type SessionDeps } from './sessions.ts';

/** How the registry serves the dashboard (`berth registry` / `berth up` flags). */
export interface DashboardOptions {
  /** Session lifetime (`--ui-session-ttl`). Default {@link DEFAULT_SESSION_TTL_MS} (8 h). */
  sessionTtlMs?: number;
  /** Whether an OIDC identity provider signs people in (the SSO button). Default false. */
  oidcEnabled?: boolean;
  /** The app's entry point; a test may point it at a broken one. Default `src/dashboard/main.tsx`. */
  entry?: string;
}

/** A started dashboard. */
export interface Dashboard {
  /** What session code needs (also for `issueBrowserSession` from the OIDC callback). */
  sessions: SessionDeps;
  /** The build, started at creation. */
  bundle: Promise<DashboardBundle>;
  /** Adds the /ui routes. */
  mount(app: ApiApp): void;
  /** The principal of an API request carrying the session cookie (CSRF and Origin checked on writes). */
  authenticateCookie(req: Request, cookieValue: string): Promise<Principal>;
}

/** Starts building the app and returns the dashboard part; a build failure is logged once, with file and line. */
export function createDashboard(deps: { store: Store; clock: () => Date; logger: Logger; version: string }, opts: DashboardOptions = {}): Dashboard {
  const log = deps.logger.child({ part: 'dashboard' });
  const sessions: SessionDeps = { store: deps.store, clock: deps.clock, ttlMs: opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS, logger: log };
  const started = performance.now();
  const bundle = buildDashboard(opts.entry);
  bundle.then(
    (b) => log.info({ ms: Math.round(performance.now() - started), jsBytes: b.jsBytes.raw, jsGzipBytes: b.jsBytes.gzip }, 'dashboard built'),
    (err: unknown) => log.error({ problem: (err as Error).message }, 'the dashboard did not build; /ui answers 500 until this is fixed and the registry restarted'),
  );
  return {
    sessions,
    bundle,
    mount: (app) => dashboardRoutes(app, { sessions, bundle, oidcEnabled: opts.oidcEnabled ?? false, version: deps.version }),
    authenticateCookie: (req, value) => authenticateCookie(sessions, req, value),
  };
}
