/**
 * The dashboard's routes on the registry app:
 *
 *   GET    /ui                  → 301 /ui/
 *   GET    /ui/                 index.html (no-cache)
 *   GET    /ui/assets/<file>    content-hashed JS and CSS (immutable; gzip when accepted)
 *   GET    /ui/config           { oidc: { enabled, loginUrl }, version } (open)
 *   POST   /ui/session          {"token":"berth_…"} → 201 session + Set-Cookie
 *   GET    /ui/session          200 session | 401
 *   DELETE /ui/session          (CSRF) → 204, session revoked, cookie cleared
 *
 * Every /ui response carries the security headers and CSP of `headers.ts`. The
 * app is built once (`bundle.ts`); a request before the build finished waits for
 * it, and a failed build answers 500 with the build's message.
 */
import type { Context } from 'hono';
import { InvalidRequestError, RegistryError, UnauthorizedError } from '../../client/errors.ts';
import { hashSecret, parseToken } from '../../client/tokens.ts';
import { checkToken } from '../auth/authenticate.ts';
import { readObjectBody } from '../api/body.ts';
import type { ApiApp, ApiEnv } from '../api/context.ts';
import type { Asset, DashboardBundle } from './bundle.ts';
import { authenticateCookie } from './cookie-auth.ts';
import { DASHBOARD_SECURITY_HEADERS, IMMUTABLE } from './headers.ts';
import { crossOriginReason, requestIsHttps } from './request-origin.ts';
import { clearedSessionCookie, endBrowserSession, findSession, issueBrowserSession, sessionBody, sessionCookieOf, type SessionDeps } from './sessions.ts';

/** What the routes need. */
export interface DashboardRouteDeps {
  sessions: SessionDeps;
  /** The build started at registry start. */
  bundle: Promise<DashboardBundle>;
  /** Whether an OIDC identity provider is configured for people. */
  oidcEnabled: boolean;
  version: string;
}

/** The OIDC sign-in entry point the page links to. */
export const OIDC_LOGIN_PATH = '/ui/oidc/login';

function serveAsset(c: Context<ApiEnv>, a: Asset, cacheControl: string): Response {
  const gzip = /\bgzip\b/i.test(c.req.header('accept-encoding') ?? '');
  const headers: Record<string, string> = { 'content-type': a.contentType, 'cache-control': cacheControl, vary: 'Accept-Encoding' };
  if (gzip) headers['content-encoding'] = 'gzip';
  const body = gzip ? a.gzip : a.body;
  headers['content-length'] = String(body.length);
  return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
}

async function built(deps: DashboardRouteDeps): Promise<DashboardBundle> {
  try {
    return await deps.bundle;
  } catch (cause) {
    throw new RegistryError(500, { type: 'dashboard-build', title: 'The dashboard did not build', detail: (cause as Error).message, cause });
  }
}

const NO_STORE = { 'cache-control': 'no-store' };

/** Adds the dashboard's routes to `app`. */
export function dashboardRoutes(app: ApiApp, deps: DashboardRouteDeps): void {
  const { sessions } = deps;
  const secure = async (c: Context<ApiEnv>, next: () => Promise<void>): Promise<void> => {
    await next();
    for (const [k, v] of Object.entries(DASHBOARD_SECURITY_HEADERS)) c.res.headers.set(k, v);
  };
  app.use('/ui', secure);
  app.use('/ui/*', secure);

  app.get('/ui', (c) => c.redirect('/ui/', 301));
  app.get('/ui/', async (c) => serveAsset(c, (await built(deps)).index, 'no-cache'));
  app.get('/ui/assets/:file', async (c) => {
    const a = (await built(deps)).assets.get(c.req.param('file'));
    if (!a) throw new RegistryError(404, { type: 'not-found', title: 'Not found', detail: `no dashboard asset ${c.req.param('file')}; reload /ui/ for the current names` });
    return serveAsset(c, a, IMMUTABLE);
  });
  app.get('/ui/config', (c) => c.json({ oidc: { enabled: deps.oidcEnabled, loginUrl: OIDC_LOGIN_PATH }, version: deps.version }, 200, NO_STORE));

  app.post('/ui/session', async (c) => {
    // Signing in from another site's page would sign the person in as someone else (login CSRF).
    const crossOrigin = crossOriginReason(c.req.raw);
    if (crossOrigin !== undefined) throw new RegistryError(403, { type: 'forbidden', title: 'Forbidden', detail: crossOrigin, extensions: { reason: 'cross-origin' } });
    const body = await readObjectBody(c.req.raw, { limit: 4096 });
    const parsed = typeof body.token === 'string' ? parseToken(body.token.trim()) : undefined;
    if (!parsed) throw new InvalidRequestError('send {"token": "berth_<id>_<secret>"}: a Berth token (reader, publisher, approver or admin), as `berth token create` prints it');
    const check = await checkToken(sessions.store, { id: parsed.id, hash: hashSecret(parsed.secret) }, sessions.clock());
    if (!check.valid) throw new UnauthorizedError(`${check.reason}; ask an admin for a new token`);
    const parent = check.record;
    if (parent.session === true) throw new UnauthorizedError('that is a dashboard session, not a token; sign in with a token from `berth token create`');
    const issued = await issueBrowserSession(sessions, {
      role: parent.role,
      ...(parent.team !== undefined ? { team: parent.team } : {}),
      label: parent.description ?? `token ${parent.id}`,
      parentTokenId: parent.id,
      ...(parent.expiresAt !== undefined ? { parentExpiresAt: parent.expiresAt } : {}),
      secure: requestIsHttps(c.req.raw),
    });
    const label = parent.description ?? `token ${parent.id}`;
    const answer = { csrfToken: issued.csrfToken, tokenId: issued.tokenId, role: parent.role, ...(parent.team !== undefined ? { team: parent.team } : {}), label, expiresAt: issued.expiresAt };
    return c.json(answer, 201, { ...NO_STORE, 'set-cookie': issued.setCookie });
  });

  app.get('/ui/session', async (c) => {
    const value = sessionCookieOf(c.req.header('cookie'));
    if (value === undefined) throw new UnauthorizedError('not signed in: no berth_session cookie; sign in at /ui/');
    return c.json(sessionBody(await findSession(sessions, value)), 200, NO_STORE);
  });

  app.delete('/ui/session', async (c) => {
    const value = sessionCookieOf(c.req.header('cookie'));
    if (value === undefined) throw new UnauthorizedError('not signed in: no berth_session cookie');
    await authenticateCookie(sessions, c.req.raw, value);
    await endBrowserSession(sessions, await findSession(sessions, value));
    return c.body(null, 204, { 'set-cookie': clearedSessionCookie(requestIsHttps(c.req.raw)), ...NO_STORE });
  });
}
