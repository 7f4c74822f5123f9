/**
 * The two HTTP routes of the dashboard's OIDC sign-in (open: they are how a
 * person gets a session):
 *
 *   GET /ui/oidc/login     → 302 to the identity provider, the sealed sign-in state set as a cookie
 *   GET /ui/oidc/callback  → 302 to /ui/ with the session cookie, or a page saying why not
 *
 * Answers are never cached, carry the dashboard's security headers, and the
 * callback always clears the sign-in state cookie: a state is good for one try.
 */
import type { Hono, Env } from 'hono';
import { getCookie } from 'hono/cookie';
import { signInErrorPage } from './error-page.ts';
import { OIDC_LOGIN_PATH } from '../routes.ts';
import { CALLBACK_PATH } from './login-config.ts';
import { LOGIN_STATE_COOKIE } from './login-state.ts';
import { SignInRefusedError, type OidcLogin } from './oidc-login.ts';
import { DASHBOARD_SECURITY_HEADERS } from '../headers.ts';


/**
 * Adds the sign-in routes to `app`.
 * @example oidcRoutes(app, createOidcLogin(config, deps));
 */
export function oidcRoutes<E extends Env>(app: Hono<E>, login: OidcLogin): void {
  app.get(OIDC_LOGIN_PATH, async () => {
    try {
      const start = await login.begin();
      return redirect(start.location, [start.setCookie]);
    } catch (err) {
      if (err instanceof SignInRefusedError) return signInErrorPage(err.status, err.reason, err.advice);
      throw err;
    }
  });
  app.get(CALLBACK_PATH, async (c) => {
    try {
      const done = await login.finish(new URL(c.req.url).searchParams, getCookie(c, LOGIN_STATE_COOKIE));
      return redirect(done.location, done.setCookies);
    } catch (err) {
      if (err instanceof SignInRefusedError) return signInErrorPage(err.status, err.reason, err.advice, [login.clearStateCookie()]);
      throw err;
    }
  });
}

function redirect(location: string, cookies: readonly string[]): Response {
  const headers = new Headers({ ...DASHBOARD_SECURITY_HEADERS, location, 'cache-control': 'no-store' });
  for (const c of cookies) headers.append('set-cookie', c);
  return new Response(null, { status: 302, headers });
}
