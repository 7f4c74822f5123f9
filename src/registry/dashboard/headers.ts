/**
 * The headers every /ui response carries: a strict Content-Security-Policy (only
 * this origin's scripts and styles, no inline code, no framing, fetches only to
 * this origin), no MIME sniffing, no referrer, and a browsing context of its own.
 */

/** The dashboard's Content-Security-Policy. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Security headers of every /ui response, CSP included. */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** Cache-Control of content-hashed assets: a new build has new names. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
