/**
 * The headers every /ui response carries (the dashboard contract): a strict
 * Content-Security-Policy (no inline script or style), no MIME sniffing, no
 * referrer (the callback's URL holds a code), and an opener policy.
 */

/** Header name → value, for every /ui response. */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};
