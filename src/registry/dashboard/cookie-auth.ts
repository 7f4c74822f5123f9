/**
 * Authentication by the dashboard's session cookie, for the API routes under
 * /apis (the registry's authentication middleware calls it when a request has no
 * Authorization header: a bearer token wins). A cookie rides along with requests
 * other sites make, so a write (anything but GET/HEAD) must also carry the
 * session's CSRF token in `X-Berth-CSRF` and, when the browser sent an Origin,
 * come from this registry's own origin; otherwise 403, saying which.
 */
import { ForbiddenError } from '../../client/errors.ts';
import type { Principal } from '../auth/authenticate.ts';
import { CSRF_HEADER, csrfTokenMatches } from './csrf.ts';
import { crossOriginReason } from './request-origin.ts';
import { findSession, sessionPrincipal, type SessionDeps } from './sessions.ts';

/**
 * The principal of a cookie-authenticated request.
 * @param cookieValue the `berth_session` cookie (never logged)
 * @throws UnauthorizedError when the session is not live; ForbiddenError when a write lacks the CSRF token or comes from another origin
 */
export async function authenticateCookie(deps: SessionDeps, req: Request, cookieValue: string): Promise<Principal> {
  const record = await findSession(deps, cookieValue);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const crossOrigin = crossOriginReason(req);
    if (crossOrigin !== undefined) throw new ForbiddenError(crossOrigin, { extensions: { reason: 'cross-origin' } });
    const presented = req.headers.get(CSRF_HEADER) ?? undefined;
    if (presented === undefined) {
      throw new ForbiddenError('a write signed in by the dashboard cookie must carry the X-Berth-CSRF header (the csrfToken from GET /ui/session)', { extensions: { reason: 'csrf-missing' } });
    }
    if (!csrfTokenMatches(record, presented)) {
      throw new ForbiddenError('the X-Berth-CSRF header does not match this session; reload the page to get the current token from GET /ui/session', { extensions: { reason: 'csrf-mismatch' } });
    }
  }
  return sessionPrincipal(record);
}
