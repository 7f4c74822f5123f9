/**
 * CSRF tokens for dashboard sessions: HMAC-SHA256 of the session's token id,
 * keyed by the SHA-256 digest of the session's secret as the store holds it. A
 * page from another origin can make the browser send the session cookie, but it
 * cannot read `GET /ui/session` (same-origin policy) nor the HttpOnly cookie, so
 * it cannot compute this value, and a cookie-authenticated write without it is
 * refused. Keyed by what the store holds rather than by a key each process draws,
 * so every registry replica (ECS runs two behind one load balancer) and a restarted
 * one accept the same token. The value is never logged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a cookie-authenticated write carries. */
export const CSRF_HEADER = 'x-berth-csrf';

/** The parts of a session record a CSRF token binds to. */
export interface CsrfSubject {
  /** The session's public token id. */
  id: string;
  /** SHA-256 hex of the session's secret (the stored digest, never the secret). */
  hash: string;
}

/** The CSRF token of a session: base64url of HMAC-SHA256(`berth-csrf:` + digest, id). */
export function csrfTokenFor(session: CsrfSubject): string {
  return createHmac('sha256', `berth-csrf:${session.hash}`).update(session.id).digest('base64url');
}

/** Whether `presented` is the session's CSRF token, compared in constant time. */
export function csrfTokenMatches(session: CsrfSubject, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(csrfTokenFor(session));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
