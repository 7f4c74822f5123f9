/**
 * The dashboard as one part of the registry app: starts the browser app's build
 * when the registry starts, holds the session deps (store, clock, TTL) that both the /ui routes and the API's cookie
 * authentication use, and mounts the /ui routes — with the OIDC sign-in's (oidc/) when an identity provider is configured.
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
import type { OidcLoginConfig, OidcLoginSettings } from './oidc/login-config.ts';
import { loginStateKeyFor } from './oidc/login-state.ts';
import { createOidcLogin } from './oidc/oidc-login.ts';
import { oidcRoutes } from './oidc/routes.ts';
import { DEFAULT_SESSION_TTL_MS, issueBrowserSession, type SessionDeps } from './sessions.ts';

/** How the registry serves the dashboard (`berth registry` / `berth up` flags). */
export interface DashboardOptions {
  /** Session lifetime (`--ui-session-ttl`). Default {@link DEFAULT_SESSION_TTL_MS} (8 h). */
  sessionTtlMs?: number;
  /** Whether an OIDC identity provider signs people in (the SSO button). Default: whether `oidc` is given. */
  oidcEnabled?: boolean;
  /** Sign people in with this identity provider at /ui/oidc/login (oidc/). Default: tokens only. */
  oidc?: OidcLoginConfig;
  /** The app's entry point; a test may point it at a broken one. Default `src/dashboard/main.tsx`. */
  entry?: string;
}

/** {@link DashboardOptions} as an operator gives them: the sign-in's redirect URL may be left to the registry (its URL + /ui/oidc/callback). */
export type DashboardSettings = Omit<DashboardOptions, 'oidc'> & { oidc?: OidcLoginSettings };

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
  const oidc = opts.oidc && createOidcLogin(opts.oidc, { issueSession: (subject) => issueBrowserSession(sessions, subject), stateKey: loginStateKeyFor(opts.oidc, log), logger: log.child({ part: 'oidc' }) });
  const started = performance.now();
  const bundle = buildDashboard(opts.entry);
  bundle.then(
    (b) => log.info({ ms: Math.round(performance.now() - started), jsBytes: b.jsBytes.raw, jsGzipBytes: b.jsBytes.gzip }, 'dashboard built'),
    (err: unknown) => log.error({ problem: (err as Error).message }, 'the dashboard did not build; /ui answers 500 until this is fixed and the registry restarted'),
  );
  return {
    sessions,
    bundle,
    mount: (app) => {
      dashboardRoutes(app, { sessions, bundle, oidcEnabled: opts.oidcEnabled ?? oidc !== undefined, version: deps.version });
      if (oidc !== undefined) oidcRoutes(app, oidc);
    },
    authenticateCookie: (req, value) => authenticateCookie(sessions, req, value),
  };
}
